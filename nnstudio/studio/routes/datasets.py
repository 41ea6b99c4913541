"""Datasets: the built-in ones, and the user's own image folders (create, add samples
by drawing or upload, view, delete); the network `nnstudio train` would choose for each,
and the check that a network can train on one."""

from __future__ import annotations

import io
import secrets
import string
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from nnstudio.data import Dataset, load_dataset
from nnstudio.data.sources import IMAGE_DATASET_NAMES
from nnstudio.data.folders import class_folders, find_images, is_image
from nnstudio.data.letters import LETTERS_TRAIN_PER_CLASS
from nnstudio.data.prepare import to_grey
from nnstudio.errors import DataError, one_line
from nnstudio.files import write_atomically
from nnstudio.spec import Spec, preset_names
from nnstudio.spec.fitting import NetworkChoice, choose_default_network
from nnstudio.studio.bodies import image_body
from nnstudio.studio.state import StudioState, get_state
from nnstudio.studio.workspace import Conflict, NotFound, check_name, move_folder, remove_folder

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

BUILTIN_INPUT = {"shapes": "5x5 grid", "letters": "50x50 image", "digits": "8x8 image", "mnist": "28x28 image"}
SAMPLE_SIDE = 128  # drawn samples are stored at most this large: enough for any preparation here
MAX_CLASSES = 100
PNG_BODY = {"requestBody": {"required": True, "content": {"image/png": {"schema": {"type": "string",
                                                                                   "format": "binary"}}}}}


class NewDataset(BaseModel):
    """POST /api/datasets: a name and its classes (folders), all checked as names."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=200)
    classes: list[str] = Field(..., min_length=1, max_length=MAX_CLASSES)


class NewClass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=200)


@router.get("")
def list_datasets(state: StudioState = Depends(get_state)) -> list[dict[str, Any]]:
    """The built-in datasets, then the workspace's own, each with classes and counts
    (counts of built-in ones once they were opened)."""
    items = [{"name": name, "builtin": True, "input": BUILTIN_INPUT[name],
              **state.caches.get(("dataset", name), {})} for name in IMAGE_DATASET_NAMES]
    for folder in sorted(p for p in state.space.datasets.iterdir() if p.is_dir() and not p.name.startswith(".")):
        items.append(own_dataset(folder))
    return items


@router.get("/{name}")
def get_dataset(name: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """One dataset: classes, counts per class, for an own dataset its sample files, and
    "network": the network `nnstudio train` would choose for it (see network_info)."""
    if state.space.is_builtin(name):
        answer = {"name": name, "builtin": True, "input": BUILTIN_INPUT[name], **builtin_info(state, name)}
    else:
        answer = own_dataset(state.space.dataset_dir(name), with_files=True)
    try:
        answer["network"] = network_info(default_network(state, name))
    except DataError as error:  # an own dataset with an empty class: no network yet
        answer["network"], answer["network_error"] = None, one_line(error)
    return answer


def network_info(choice: NetworkChoice) -> dict[str, Any]:
    """Return {"preset" (its name, or null for a network fitted to the data), "spec",
    "input_shape", "params", "reason"} of a default network."""
    spec = choice.spec
    return {"preset": spec.name if spec.name in preset_names() else None, "spec": spec.to_dict(),
            "input_shape": list(spec.input_shape), "params": choice.params, "reason": choice.reason}


def default_network(state: StudioState, name: str, per_class: int | None = None) -> NetworkChoice:
    """Return the network spec.fitting chooses for dataset name, as `nnstudio train` does
    (workflows.choose_network) without reading every image: an image folder's default
    depends on how many images it has and their size, both known from the file names
    and headers."""
    if state.space.is_builtin(name):
        sample = data_sample(state, name, None)
        return choose_default_network(name, sample.input_shape, sample.num_classes)
    from nnstudio.workflows import folder_default_size

    folder = state.space.dataset_dir(name)
    check_has_samples(folder)
    size, count, classes = folder_default_size(folder, per_class)
    return choose_default_network(str(folder), (1, *size), classes, count)


def data_sample(state: StudioState, name: str, spec: Spec | None) -> Dataset:
    """Return one sample per class of dataset name, read as training with spec reads it
    (kept until the dataset's folders change)."""
    from nnstudio.workflows import load_training_data

    if state.space.is_builtin(name):  # read as they are, whatever the network
        key: tuple = ("sample", name, None, None)
        if key not in state.caches:
            state.caches[key] = load_training_data(name, spec, per_class=1)
        return state.caches[key]
    folder = state.space.dataset_dir(name)
    check_has_samples(folder)
    stamp = folder_stamp(folder)
    key = ("sample", name, None if spec is None else tuple(spec.input_shape), stamp)
    if key not in state.caches:
        for old in [k for k in list(state.caches) if k[:2] == key[:2] and k[3] != stamp]:
            state.caches.pop(old, None)  # an older version of the same workspace dataset
        # The trainer's own reader on a folder of links to the first image of each
        # class: a design is checked at the cost of a few images, not of all of them.
        with tempfile.TemporaryDirectory() as tmp:
            state.caches[key] = load_training_data(first_per_class(folder, Path(tmp) / name), spec)
    return state.caches[key]


def folder_stamp(folder: Path) -> tuple[tuple[str, int], ...]:
    """Return the name and change time of each class folder in folder: it changes when
    a class, or a sample in one, is added or removed, so a cached reading of the
    dataset is known to be stale."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_dir()))


def first_per_class(folder: Path, into: Path) -> Path:
    """Return into, a folder named as folder with links to the first image of each of its
    classes at the same relative paths."""
    _, items = find_images(folder)  # DataError when a class has no image yet
    firsts: dict[int, Path] = {}
    for path, label in items:
        firsts.setdefault(label, path)
    for path in firsts.values():
        link = into / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(path.resolve())
    return into


def check_fits_data(state: StudioState, name: str, spec: Spec) -> None:
    """Raise the trainer's own TrainingError when spec cannot train on dataset name: its
    class count or its input (shape and size) does not fit the data as training reads them."""
    from nnstudio.train.tensors import check_classes, input_tensors

    sample = data_sample(state, name, spec)
    check_classes(spec, sample)
    input_tensors(spec, sample)


def builtin_info(state: StudioState, name: str) -> dict[str, Any]:
    """Return {"classes", "counts"} of a built-in dataset's training part (loaded once)."""
    key = ("dataset", name)
    if key not in state.caches and name == "letters":
        # Letters are drawn on demand, 500 of each by default: their counts are known
        # without spending seconds drawing 13,000 of them.
        classes = list(string.ascii_uppercase)
        state.caches[key] = {"classes": classes, "counts": dict.fromkeys(classes, LETTERS_TRAIN_PER_CLASS),
                             "samples": LETTERS_TRAIN_PER_CLASS * len(classes)}
    if key not in state.caches:
        data = load_dataset(name, "train")
        counts = data.class_counts().tolist()
        state.caches[key] = {"classes": list(data.class_names), "counts": dict(zip(data.class_names, counts)),
                             "samples": len(data)}
    return state.caches[key]


def own_dataset(folder: Path, with_files: bool = False) -> dict[str, Any]:
    """Return {"name", "builtin": False, "classes", "counts"} of a workspace dataset."""
    classes = [p.name for p in class_folders(folder)]
    files = {c: sample_files(folder / c) for c in classes}
    answer: dict[str, Any] = {"name": folder.name, "builtin": False, "input": "own images", "classes": classes,
                              "counts": {c: len(f) for c, f in files.items()},
                              "samples": sum(len(f) for f in files.values())}
    if with_files:
        answer["files"] = files
    return answer


def check_has_samples(folder: Path) -> None:
    """DataError, in the words of a person filling the dataset, when an own dataset has no
    class or a class without a sample (the trainer's own reader speaks of folders)."""
    classes = class_folders(folder)
    if not classes and any(is_image(p) for p in folder.iterdir()):
        return  # the flat layout (CLASS_name.png) the trainer reads too
    if not classes:
        raise DataError(f"dataset {folder.name!r} has no classes yet; help: add a class, then samples to it")
    empty = [c.name for c in classes if not sample_files(c)]
    if empty:
        which = f"class {empty[0]!r} has" if len(empty) == 1 else f"classes {', '.join(map(repr, empty))} have"
        raise DataError(f"dataset {folder.name!r}: {which} no samples yet; help: draw or upload at least one "
                        "into each class")


def sample_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if is_image(p))


@router.get("/{name}/mosaic.svg", response_class=Response)
def mosaic(name: str, per_class: int = Query(8, ge=1, le=25), state: StudioState = Depends(get_state)) -> Response:
    """A mosaic of per_class samples of each class (nnstudio.draw.draw_mosaic)."""
    from nnstudio.draw import draw_mosaic

    source = name if state.space.is_builtin(name) else state.space.dataset_dir(name)
    if isinstance(source, Path):
        check_has_samples(source)
    return Response(draw_mosaic(load_dataset(source, "train", per_class=per_class), per_class),
                    media_type="image/svg+xml")


@router.post("", status_code=201)
def create_dataset(body: NewDataset, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Create datasets/NAME with one empty folder per class."""
    name = check_name(body.name, "dataset")
    classes = [check_name(c, "class") for c in body.classes]
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


@router.post("/{name}/classes", status_code=201)
def add_class(name: str, body: NewClass, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Add an empty class folder to an own dataset."""
    folder = own_folder(state, name)
    new = check_name(body.name, "class")
    taken = [c.name for c in class_folders(folder) if c.name.lower() == new.lower()]
    try:
        if taken:
            raise FileExistsError
        (folder / new).mkdir()
    except FileExistsError:
        raise Conflict(f"class {(taken or [new])[0]!r} exists already in dataset {name!r}; "
                       "help: choose another name") from None
    return own_dataset(folder, with_files=True)


@router.patch("/{name}/classes/{class_name}")
def rename_class(name: str, class_name: str, body: NewClass, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Rename a class of an own dataset: its folder moves in one step, never over another class."""
    folder = own_folder(state, name)
    source = folder / check_name(class_name, "class")
    if not source.is_dir():
        raise NotFound(f"class {class_name!r}: not a class of dataset {name!r}")
    new = check_name(body.name, "class")
    taken = [c.name for c in class_folders(folder) if c.name.lower() == new.lower() and c.name != class_name]
    if taken:
        raise Conflict(f"class {taken[0]!r} exists already in dataset {name!r}; help: choose another name")
    if new != class_name:
        move_folder(source, folder / new, "class")
    return own_dataset(folder, with_files=True)


@router.post("/{name}/samples", status_code=201, openapi_extra=PNG_BODY)
def add_sample(name: str, class_name: str = Query(..., alias="class"), image: Any = Depends(image_body),
               state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Store an image (PNG body: a drawing or an upload) as a sample of class."""
    folder = own_folder(state, name) / check_name(class_name, "class")
    if not folder.is_dir():
        raise NotFound(f"class {class_name!r}: not a class of dataset {name!r}; help: add the class first")
    png = sample_png(image)
    file = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.png"
    write_atomically(folder / file, png)
    return {"dataset": name, "class": class_name, "file": file, "path": str(folder / file),
            **{k: v for k, v in own_dataset(folder.parent).items() if k == "counts"}}


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


@router.get("/{name}/samples/{class_name}/{file}", response_class=Response)
def get_sample(name: str, class_name: str, file: str, state: StudioState = Depends(get_state)) -> Response:
    """One sample image as it is stored."""
    return Response(sample_path(state, name, class_name, file).read_bytes(), media_type="image/png")


@router.delete("/{name}/samples/{class_name}/{file}")
def delete_sample(name: str, class_name: str, file: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Delete one sample; return the dataset's new counts."""
    sample_path(state, name, class_name, file).unlink()
    return own_dataset(own_folder(state, name), with_files=True)


@router.delete("/{name}")
def delete_dataset(name: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Delete an own dataset folder and every sample in it."""
    remove_folder(own_folder(state, name))
    return {"deleted": name}


def own_folder(state: StudioState, name: str) -> Path:
    """Return datasets/NAME of an own dataset (built-in ones cannot change: 409)."""
    if state.space.is_builtin(check_name(name, "dataset")):
        raise Conflict(f"dataset {name!r} is built in and cannot change; help: create your own dataset")
    return state.space.dataset_dir(name)


def sample_path(state: StudioState, name: str, class_name: str, file: str) -> Path:
    path = own_folder(state, name) / check_name(class_name, "class") / check_name(file, "sample")
    if not path.is_file():
        raise NotFound(f"sample {class_name}/{file}: not in dataset {name!r}")
    return path
