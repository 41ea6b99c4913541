"""Writing files so that nothing is lost: the one atomic write every module uses.

A reader (or a crash) sees the old file or the new one, never a mix: the bytes go to a
temporary file in the same folder, are flushed and synced, and the temporary file is
renamed over the target. The result gets the permissions any new file would get under
the process umask (0644 under umask 022), not mkstemp's private 0600, so a saved model
can be read by a group or a web server like any other file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: str | Path, data: bytes) -> Path:
    """Write data to path atomically; return the path."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(folder)
    return path


def append_line(path: str | Path, line: str) -> None:
    """Append one text line to path (created if missing) and flush it to disk, so a log
    written epoch by epoch keeps every finished line through a crash."""
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(line.rstrip("\n") + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def current_umask() -> int:
    """Return the process umask (reading it means setting it: it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def sync_folder(folder: str | Path) -> None:
    """Make renames inside folder durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
