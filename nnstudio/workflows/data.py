"""Data for the jobs: write a dataset, read what a training or a test takes."""

from __future__ import annotations

import math
from pathlib import Path

from nnstudio.data import (
    DATASET_NAMES,
    Dataset,
    load_dataset,
    write_image_folder,
    write_training_file,
)
from nnstudio.data.folders import read_folder
from nnstudio.data.sources import PATH_DATASET_NAMES, TRAINING_FILE_SUFFIXES
from nnstudio.errors import DataError
from nnstudio.spec import Spec
from nnstudio.spec.schema import suggest


# ----------------------------------------------------------------------------- data


def make_data(
    name: str,
    out: str | Path,
    *,
    part: str = "train",
    per_class: int | None = None,
    size: int | None = None,
    seed: int = 0,
) -> tuple[Path, Dataset]:
    """Write a named dataset as PNGs in class folders, or as a course-format training
    file when `out` ends in .dat or .txt. Returns the path written and the dataset."""
    if name not in DATASET_NAMES:
        hint = suggest(name, DATASET_NAMES)
        raise DataError(f"dataset {name!r} is not a named dataset; allowed: {', '.join(DATASET_NAMES)}"
                        + (f". help: did you mean {hint!r}?" if hint else ""))
    if name in PATH_DATASET_NAMES:
        raise DataError(f"dataset {name!r} holds pen paths, not pictures; make-data writes pictures. "
                        f"help: train on it by name: nnstudio train --data {name}")
    hw = (size, size) if size is not None else None
    dataset = load_dataset(name, part, per_class=per_class, seed=seed, size=hw)
    out = Path(out)
    if out.suffix.lower() in TRAINING_FILE_SUFFIXES:
        if not out.parent.exists():
            raise DataError(f"out {out}: folder {out.parent} does not exist")
        write_training_file(out, dataset)
    else:
        write_image_folder(out, dataset)
    return out, dataset


def is_training_file(source: str | Path) -> bool:
    return Path(source).suffix.lower() in TRAINING_FILE_SUFFIXES


def load_training_data(
    source: str | Path,
    spec: Spec | None,
    *,
    part: str = "train",
    per_class: int | None = None,
    seed: int = 0,
    skip_bad: bool = False,
    shard: tuple[int, int] | None = None,
) -> Dataset:
    """Load a named dataset, a folder or a training file, shaped for `spec` when given.
    With skip_bad, a folder's unreadable or blank images are left out instead of refused;
    with shard = (rank, world), only that process's shard (see Dataset)."""
    return read_data_and_skipped(source, spec, part=part, per_class=per_class, seed=seed, skip_bad=skip_bad,
                                 shard=shard)[0]


def read_data_and_skipped(source: str | Path, spec: Spec | None, *, part: str = "train",
                          per_class: int | None = None, seed: int = 0, skip_bad: bool = False,
                          size: tuple[int, int] | None = None,
                          shard: tuple[int, int] | None = None) -> tuple[Dataset, list[str]]:
    """Return (the data, the images left out as "path: why"). With shard = (rank, world)
    the data are that process's shard (see Dataset): a folder opens only its own images."""
    if str(source) in DATASET_NAMES:
        return load_dataset(str(source), part, per_class=per_class, seed=seed, shard=shard), []
    if not Path(source).exists():
        raise _missing_data(str(source))
    if is_training_file(source):
        input_size = _input_size(spec) if spec is not None else None
        return load_dataset(source, part, input_size=input_size, per_class=per_class, shard=shard), []
    if spec is not None:
        size = _image_size(spec)
    if Path(source).is_dir():
        return read_folder(source, size=size, skip_bad=skip_bad, per_class=per_class, shard=shard)
    if not Path(source).exists():
        raise _missing_data(str(source))
    return load_dataset(source, part, size=size, seed=seed, shard=shard), []  # says what is wrong with source


def _missing_data(source: str) -> DataError:
    """The error for data that is neither a file, a folder nor a built-in name, with the
    closest built-in name or neighbouring file as a "did you mean"."""
    parent = Path(source).parent
    near = [str(parent / p.name) if str(parent) != "." else p.name
            for p in (parent.iterdir() if parent.is_dir() else []) if not p.name.startswith(".")]
    hint = suggest(source, list(DATASET_NAMES) + sorted(near))
    return DataError(f"{source}: no such file or folder, and not a built-in dataset; built-in: "
                     f"{', '.join(DATASET_NAMES)}" + (f". help: did you mean {hint!r}?" if hint else ""))


def _input_size(spec: Spec) -> int:
    return math.prod(spec.input_shape)


def _image_size(spec: Spec) -> tuple[int, int] | None:
    if len(spec.input_shape) == 3:
        return (spec.input_shape[1], spec.input_shape[2])
    side = int(round(_input_size(spec) ** 0.5))
    return (side, side) if side * side == _input_size(spec) else None
