"""The user's own datasets in the workspace: create one, add or rename a class, store a
drawn or uploaded sample, delete samples and datasets. Plain arguments in, plain data
out: no HTTP here (NotFound and Conflict say what went wrong; the routes answer 404/409)."""

from __future__ import annotations

import io
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from nnstudio.data.folders import class_folders
from nnstudio.data.prepare import to_grey
from nnstudio.errors import DataError
from nnstudio.files import write_atomically
from nnstudio.studio.services.datasets import own_dataset
from nnstudio.studio.state import StudioState
from nnstudio.studio.workspace import Conflict, NotFound, check_name, move_folder, remove_folder

SAMPLE_SIDE = 128  # drawn samples are stored at most this large: enough for any preparation here


def create_dataset(state: StudioState, name: str, classes: list[str]) -> dict[str, Any]:
    """Create datasets/NAME with one empty folder per class; return the new dataset."""
    name = check_name(name, "dataset")
    classes = [check_name(c, "class") for c in classes]
    if len(set(c.lower() for c in classes)) != len(classes):
        raise DataError(f"class names repeat: {classes}; allowed: each name once")
    if state.space.is_builtin(name):
        raise Conflict(f"dataset name {name!r} is a built-in dataset; help: choose another name")
    folder = state.space.dataset_dir(name, must_exist=False)
    try:
        folder.mkdir()
    except FileExistsError:
        raise Conflict(f"dataset {name!r} exists already; help: add samples to it, or choose another name") from None
    for c in classes:
        (folder / c).mkdir()
    return own_dataset(folder, with_files=True)


def add_class(state: StudioState, name: str, class_name: str) -> dict[str, Any]:
    """Add an empty class folder to an own dataset; return the dataset."""
    folder = own_folder(state, name)
    new = check_name(class_name, "class")
    taken = [c.name for c in class_folders(folder) if c.name.lower() == new.lower()]
    try:
        if taken:
            raise FileExistsError
        (folder / new).mkdir()
    except FileExistsError:
        raise Conflict(f"class {(taken or [new])[0]!r} exists already in dataset {name!r}; "
                       "help: choose another name") from None
    return own_dataset(folder, with_files=True)


def rename_class(state: StudioState, name: str, class_name: str, new_name: str) -> dict[str, Any]:
    """Rename a class of an own dataset: its folder moves in one step, never over another
    class; return the dataset."""
    folder = own_folder(state, name)
    source = folder / check_name(class_name, "class")
    if not source.is_dir():
        raise NotFound(f"class {class_name!r}: not a class of dataset {name!r}")
    new = check_name(new_name, "class")
    taken = [c.name for c in class_folders(folder) if c.name.lower() == new.lower() and c.name != class_name]
    if taken:
        raise Conflict(f"class {taken[0]!r} exists already in dataset {name!r}; help: choose another name")
    if new != class_name:
        move_folder(source, folder / new, "class")
    return own_dataset(folder, with_files=True)


def add_sample(state: StudioState, name: str, class_name: str, image: Any) -> dict[str, Any]:
    """Store image (a decoded drawing or upload) as a sample of class_name; return
    {"dataset", "class", "file", "path", "counts"}."""
    folder = own_folder(state, name) / check_name(class_name, "class")
    if not folder.is_dir():
        raise NotFound(f"class {class_name!r}: not a class of dataset {name!r}; help: add the class first")
    png = sample_png(image)
    file = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.png"
    write_atomically(folder / file, png)
    return {"dataset": name, "class": class_name, "file": file, "path": str(folder / file),
            "counts": own_dataset(folder.parent)["counts"]}


def sample_png(image: Any) -> bytes:
    """Return image as an 8-bit grey PNG (transparency on white paper), at most
    SAMPLE_SIDE pixels on a side, as the image folders of `nnstudio data` are."""
    if isinstance(image, np.ndarray):
        raise DataError("a sample must be an image (a drawing, or a PNG, JPEG, GIF or BMP file), not a list of numbers")
    grey = to_grey(image)  # (H, W) in [0, 1]
    picture = Image.fromarray(np.rint(grey * 255).astype(np.uint8), "L")
    if max(picture.size) > SAMPLE_SIDE:
        picture.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def sample_bytes(state: StudioState, name: str, class_name: str, file: str) -> bytes:
    """Return one sample image (PNG) as it is stored."""
    return sample_path(state, name, class_name, file).read_bytes()


def delete_sample(state: StudioState, name: str, class_name: str, file: str) -> dict[str, Any]:
    """Delete one sample; return the dataset with its new counts."""
    sample_path(state, name, class_name, file).unlink()
    return own_dataset(own_folder(state, name), with_files=True)


def delete_dataset(state: StudioState, name: str) -> None:
    """Delete an own dataset folder and every sample in it."""
    remove_folder(own_folder(state, name))


def own_folder(state: StudioState, name: str) -> Path:
    """Return datasets/NAME of an own dataset (Conflict for a built-in one: they cannot change)."""
    if state.space.is_builtin(check_name(name, "dataset")):
        raise Conflict(f"dataset {name!r} is built in and cannot change; help: create your own dataset")
    return state.space.dataset_dir(name)


def sample_path(state: StudioState, name: str, class_name: str, file: str) -> Path:
    path = own_folder(state, name) / check_name(class_name, "class") / check_name(file, "sample")
    if not path.is_file():
        raise NotFound(f"sample {class_name}/{file}: not in dataset {name!r}")
    return path
