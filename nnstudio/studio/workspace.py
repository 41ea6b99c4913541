"""The studio's folder layout, and the one check for every name a user chooses.

    WORKSPACE/datasets/NAME/CLASS/*.png   ordinary image folders (the CLI trains on them)
    WORKSPACE/runs/ID/run.json            what a run trains and how it stands
    WORKSPACE/runs/ID/events.jsonl        every training report, one JSON object a line
    WORKSPACE/runs/ID/model.checkpoint/   the checkpoint a stopped run resumes from
    WORKSPACE/models/NAME/                ordinary model folders (model.json + weights)

The files are the truth: a restarted server reads everything back from them.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnstudio.data.sources import IMAGE_DATASET_NAMES
from nnstudio.errors import DataError, NnstudioError
from nnstudio.files import write_atomically

NAME_MAX = 64
NAME_PUNCTUATION = " _-.+"
RUN_JSON = "run.json"


class NotFound(NnstudioError):
    """A dataset, class, sample, model or run of that name does not exist (HTTP 404)."""


class Conflict(NnstudioError):
    """The name is taken, or the thing is busy (HTTP 409)."""


def check_name(name: Any, what: str) -> str:
    """Return name when it can name a file or folder inside its parent: 1 to NAME_MAX
    letters, digits and ' _-.+', starting with a letter or digit, without '..'.
    Raises DataError (HTTP 422) otherwise, before anything is touched."""
    allowed = (f"1 to {NAME_MAX} letters, digits or {NAME_PUNCTUATION.strip()!r} and spaces, starting with a "
               "letter or digit, without '..'")
    if not isinstance(name, str) or not name:
        raise DataError(f"{what} name {name!r}: empty; allowed: {allowed}")
    if len(name) > NAME_MAX:
        raise DataError(f"{what} name {name[:20]!r}...: {len(name)} characters; allowed: {allowed}")
    bad = [c for c in name if not (c.isalnum() or c in NAME_PUNCTUATION)]
    if bad or ".." in name or not name[0].isalnum() or name != name.strip():
        shown = ", ".join(repr(c) for c in dict.fromkeys(bad)) or "its start or '..'"
        raise DataError(f"{what} name {name!r}: not allowed ({shown}); allowed: {allowed}. "
                        f"help: for example 'my-{what}'")
    return unicodedata.normalize("NFC", name)


@dataclass(frozen=True)
class Workspace:
    """The root folder and the paths inside it. Every path built from a user's name goes
    through check_name first, so it stays inside its folder."""

    root: Path

    @classmethod
    def open(cls, root: str | Path) -> Workspace:
        """Return the workspace at root, creating its folders when missing."""
        space = cls(Path(root).resolve())
        for folder in (space.datasets, space.runs, space.models):
            folder.mkdir(parents=True, exist_ok=True)
        return space

    @property
    def datasets(self) -> Path:
        return self.root / "datasets"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def models(self) -> Path:
        return self.root / "models"

    def dataset_dir(self, name: str, *, must_exist: bool = True) -> Path:
        """Return datasets/NAME; NotFound when must_exist and it is missing."""
        path = self.datasets / check_name(name, "dataset")
        if must_exist and not path.is_dir():
            raise NotFound(f"dataset {name!r}: no such dataset in {self.datasets}. help: GET /api/datasets lists them")
        return path

    def model_dir(self, name: str, *, must_exist: bool = True) -> Path:
        """Return models/NAME; NotFound when must_exist and it is not a model folder."""
        path = self.models / check_name(name, "model")
        if must_exist and not (path / "model.json").is_file():
            raise NotFound(f"model {name!r}: no such model in {self.models}. help: GET /api/models lists them")
        return path

    def run_dir(self, run_id: str, *, must_exist: bool = True) -> Path:
        """Return runs/ID; NotFound when must_exist and it has no run.json."""
        path = self.runs / check_name(run_id, "run")
        if must_exist and not (path / RUN_JSON).is_file():
            raise NotFound(f"run {run_id!r}: no such run. help: GET /api/runs lists them")
        return path

    def is_builtin(self, data: str) -> bool:
        """True for the bundled datasets (shapes, letters, digits, mnist)."""
        return data in IMAGE_DATASET_NAMES


def move_folder(source: Path, target: Path, what: str) -> None:
    """Rename folder source to target (same parent) without ever replacing anything:
    the target name is taken first by creating it empty (which fails when it exists), then
    source is renamed onto that empty folder in one step. Conflict when the name is taken."""
    try:
        target.mkdir()
    except FileExistsError:
        raise Conflict(f"{what} {target.name!r} exists already; help: choose another name") from None
    try:
        os.rename(source, target)  # atomic; over an empty folder only
    except OSError as error:
        target.rmdir()
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise Conflict(f"{what} {target.name!r} was just taken; help: choose another name") from None
        raise


def remove_folder(folder: Path) -> None:
    """Delete folder and all in it; it leaves its name in one step (renamed to a hidden
    name that every listing skips), so a failure half-way never shows half a folder."""
    hidden = folder.with_name(f".deleting-{folder.name}-{secrets.token_hex(4)}")
    os.rename(folder, hidden)
    shutil.rmtree(hidden)


def read_json(path: Path) -> dict[str, Any]:
    """Return the JSON object in path (an empty dict when it is missing or torn)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write value to path atomically, as indented JSON."""
    write_atomically(path, json.dumps(value, indent=1, allow_nan=False).encode("utf-8"))
