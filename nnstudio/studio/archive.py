"""Model folders as zip files: written for a download, checked strictly for an upload.

An uploaded zip is a stranger's file. Every entry is checked before one byte is
extracted: a plain file (no link, no device), a relative name without '..', one of the
files a model folder holds, under per-file, total and entry-count caps. The files are
then extracted into a hidden folder inside models/, read back the way every model
folder is read (nnstudio.store: JSON and safetensors, never a pickle), and only then
renamed into place, so a rejected zip leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nnstudio.errors import DataError
from nnstudio.files import current_umask
from nnstudio.store import MODEL_JSON, WEIGHTS, WRITTEN, read_model_folder
from nnstudio.studio.workspace import Conflict, Workspace, check_name

MAX_ENTRIES = 32
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # one file, uncompressed
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # every file, uncompressed
MODEL_FILES = frozenset(WRITTEN)  # model.json, weights.safetensors, metrics.csv
REQUIRED = (MODEL_JSON, WEIGHTS)
COPY_CHUNK = 1 << 20


def zip_model(folder: Path) -> bytes:
    """Return the model folder as zip bytes: NAME/model.json, NAME/weights.safetensors and
    the other files nnstudio writes there (never links, never the user's other files)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(MODEL_FILES):
            path = folder / name
            if path.is_file() and not path.is_symlink():
                archive.write(path, f"{folder.name}/{name}")
    return buffer.getvalue()


@dataclass(frozen=True)
class Entry:
    """One checked zip member: its info and the file name it will get."""

    info: zipfile.ZipInfo
    file: str


def check_zip(data: bytes) -> tuple[str | None, list[Entry]]:
    """Return (the zip's top folder name or None, its model files), after checking every
    entry; DataError naming the first bad entry otherwise. Nothing is extracted."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DataError("the upload is not a zip file; help: upload a zip that a model's Download "
                        "(GET /api/models/NAME/download) made") from None
    with archive:
        infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise DataError(f"zip: {len(infos)} entries; at most {MAX_ENTRIES} are read (a model folder holds "
                        f"{', '.join(sorted(MODEL_FILES))})")
    tops: set[str] = set()
    entries: list[Entry] = []
    total = 0
    for info in infos:
        parts = entry_parts(info)
        if info.is_dir():
            if len(parts) > 1:
                raise DataError(f"zip entry {info.filename!r}: a nested folder; allowed: one folder at the top")
            tops.add(parts[0])
            continue
        if len(parts) > 2:
            raise DataError(f"zip entry {info.filename!r}: a nested folder; allowed: one folder at the top")
        tops.add(parts[0] if len(parts) == 2 else "")
        file = parts[-1]
        if file not in MODEL_FILES:
            raise DataError(f"zip entry {info.filename!r}: not a model file; allowed: "
                            f"{', '.join(sorted(MODEL_FILES))}")
        if info.file_size > MAX_ENTRY_BYTES:
            raise DataError(f"zip entry {info.filename!r}: {info.file_size:,} bytes uncompressed; at most "
                            f"{MAX_ENTRY_BYTES:,} per file")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise DataError(f"zip: over {MAX_TOTAL_BYTES:,} bytes uncompressed in all")
        if any(e.file == file for e in entries):
            raise DataError(f"zip entry {info.filename!r}: {file} appears twice")
        entries.append(Entry(info, file))
    if len(tops) > 1:
        raise DataError(f"zip: files in {len(tops)} places ({', '.join(sorted(t or '.' for t in tops))}); "
                        "allowed: one model folder")
    missing = [f for f in REQUIRED if not any(e.file == f for e in entries)]
    if missing:
        raise DataError(f"zip: no {' or '.join(missing)}; a model folder holds {MODEL_JSON} and {WEIGHTS}")
    top = tops.pop() if tops else ""
    return (top or None), entries


def entry_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    """Return the path parts of a zip entry; DataError for a link, a special file, an
    absolute path, '..', a backslash or a NUL."""
    name = info.filename
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if info.create_system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):  # 3: made on Unix
        what = "a symbolic link" if kind == stat.S_IFLNK else "not a plain file"
        raise DataError(f"zip entry {name!r}: {what}; allowed: plain files only")
    if "\\" in name or "\x00" in name or ":" in name:
        raise DataError(f"zip entry {name!r}: a backslash, colon or NUL in its name; allowed: plain relative names")
    path = PurePosixPath(name)
    if name.startswith("/") or path.is_absolute():
        raise DataError(f"zip entry {name!r}: an absolute path; allowed: names relative to the zip")
    parts = tuple(p for p in path.parts if p not in ("", "."))
    if not parts or any(p == ".." for p in parts):
        raise DataError(f"zip entry {name!r}: a path that leaves its folder ('..'); allowed: names inside it")
    return parts


def install_zip(space: Workspace, data: bytes, name: str | None) -> str:
    """Check the zip, extract it into a hidden folder in models/, read it as a model
    folder is read, and rename it to models/NAME; return NAME. NAME is name, else the
    zip's top folder. DataError (422) for a bad zip or model, Conflict (409) for a taken
    name; nothing is left behind either way."""
    top, entries = check_zip(data)
    if name is None and top is None:
        raise DataError("zip: the files are not inside a folder, so the model has no name. help: add ?name=NEW")
    chosen = check_name(name if name is not None else top, "model")
    target = space.model_dir(chosen, must_exist=False)
    if target.exists() or target.is_symlink():
        raise Conflict(f"model name {chosen!r} is taken. help: upload with ?name=ANOTHER, or delete that model")
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=space.models))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in entries:
                extract(archive, entry, staging / entry.file)
        read_model_folder(staging)  # ModelFileError (422) for anything a model folder may not be
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp made it private
        if target.exists():
            raise Conflict(f"model name {chosen!r} was taken meanwhile. help: upload with ?name=ANOTHER")
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return chosen


def extract(archive: zipfile.ZipFile, entry: Entry, path: Path) -> None:
    """Copy one checked entry to path, stopping at its declared size (a zip may lie)."""
    left = entry.info.file_size
    try:
        with archive.open(entry.info) as source, open(path, "xb") as out:
            while True:
                chunk = source.read(min(COPY_CHUNK, left + 1))
                if not chunk:
                    break
                left -= len(chunk)
                if left < 0:
                    raise DataError(f"zip entry {entry.info.filename!r}: longer than it says")
                out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as error:
        # RuntimeError: an encrypted entry; NotImplementedError: an unknown compression.
        raise DataError(f"zip entry {entry.info.filename!r}: cannot be read ({error})") from None
