"""Datasets as the studio shows them: the built-in ones and the workspace's own image
folders (classes, counts, samples), the network `nnstudio train` would choose for each,
one sample per class read as training reads it, and the check that a network can
train on a dataset. Plain arguments in, plain data out: no HTTP here."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path
from typing import Any

from nnstudio.data import Dataset, load_dataset
from nnstudio.data.sources import IMAGE_DATASET_NAMES
from nnstudio.data.folders import class_folders, find_images, is_image
from nnstudio.data.letters import LETTERS_TRAIN_PER_CLASS
from nnstudio.errors import DataError, one_line
from nnstudio.spec import Spec, preset_names
from nnstudio.spec.fitting import NetworkChoice, choose_default_network
from nnstudio.studio.state import StudioState

BUILTIN_INPUT = {"shapes": "5x5 grid", "letters": "50x50 image", "digits": "8x8 image", "mnist": "28x28 image"}


def list_datasets(state: StudioState) -> list[dict[str, Any]]:
    """Return the built-in datasets, then the workspace's own, each with classes and
    counts (counts of built-in ones once they were opened)."""
    items = [{"name": name, "builtin": True, "input": BUILTIN_INPUT[name],
              **state.caches.get(("dataset", name), {})} for name in IMAGE_DATASET_NAMES]
    for folder in sorted(p for p in state.space.datasets.iterdir() if p.is_dir() and not p.name.startswith(".")):
        items.append(own_dataset(folder))
    return items


def dataset_detail(state: StudioState, name: str) -> dict[str, Any]:
    """Return one dataset: classes, counts per class, for an own dataset its sample files,
    and "network": the network `nnstudio train` would choose for it (see network_info),
    or null with "network_error" when it has none yet."""
    if state.space.is_builtin(name):
        answer = {"name": name, "builtin": True, "input": BUILTIN_INPUT[name], **builtin_info(state, name)}
    else:
        answer = own_dataset(state.space.dataset_dir(name), with_files=True)
    try:
        answer["network"] = network_info(default_network(state, name))
    except DataError as error:  # an own dataset with an empty class: no network yet
        answer["network"], answer["network_error"] = None, one_line(error)
    return answer


def mosaic_svg(state: StudioState, name: str, per_class: int) -> str:
    """Return a mosaic of per_class samples of each class (nnstudio.draw.draw_mosaic) as SVG."""
    from nnstudio.draw import draw_mosaic

    source = name if state.space.is_builtin(name) else state.space.dataset_dir(name)
    if isinstance(source, Path):
        check_has_samples(source)
    return draw_mosaic(load_dataset(source, "train", per_class=per_class), per_class)


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
