"""The Dataset container shared by every data source, the trainer and the predictor."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.data.prepare import Preparation, code_values
from nnstudio.data.strokes import PathPreparation
from nnstudio.errors import DataError


@dataclass
class Dataset:
    """Samples and labels: x (N, C, H, W) for images or (N, D) for vectors, y int64 (N,)
    class indices into class_names.

    x is float32, or uint8 codes of the values code / 255 (prepared images: a quarter
    of the memory; `floats()` gives the values). With `shard` = (rank, world) the data
    set is one process's part of N samples: y holds all N labels, x only the rows of
    samples rank, rank + world, rank + 2*world, ... (global sample i is row i // world),
    and len() is still N.
    """

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    name: str = ""
    preparation: Preparation | PathPreparation | None = field(default=None)
    shard: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        x = np.asarray(self.x)
        # uint8 stays uint8 (no float copy of a large image set); anything else is float32.
        self.x = np.ascontiguousarray(x if x.dtype == np.uint8 else x.astype(np.float32, copy=False))
        self.y = np.ascontiguousarray(self.y, dtype=np.int64)
        self.class_names = [str(c) for c in self.class_names]
        where = f"dataset {self.name!r}" if self.name else "dataset"
        if self.x.ndim < 2:
            raise DataError(f"{where}: x must have shape (N, ...) with at least 2 axes, got {self.x.shape}")
        if self.y.ndim != 1:
            raise DataError(f"{where}: y must have shape (N,), got {self.y.shape}")
        self.shard = check_shard(self.shard, where)
        rows = self.y.shape[0] if self.shard is None else len(range(self.shard[0], self.y.shape[0], self.shard[1]))
        if self.x.shape[0] != rows:
            if self.shard is None:
                raise DataError(f"{where}: y must have shape ({self.x.shape[0]},) to match x, got {self.y.shape}")
            raise DataError(f"{where}: shard {self.shard} of {self.y.shape[0]} samples holds {rows} rows of x "
                            f"(samples rank, rank + world, ...), got {self.x.shape[0]}")
        if not self.class_names:
            raise DataError(f"{where}: class_names is empty")
        if len(set(self.class_names)) != len(self.class_names):
            raise DataError(f"{where}: class names repeat: {self.class_names}")
        if self.y.size and (self.y.min() < 0 or self.y.max() >= len(self.class_names)):
            raise DataError(
                f"{where}: labels must be 0..{len(self.class_names) - 1} "
                f"for {len(self.class_names)} classes, got {int(self.y.min())}..{int(self.y.max())}"
            )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample: (C, H, W) or (D,)."""
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        """Number of classes (len(class_names)), including classes without samples."""
        return len(self.class_names)

    def __len__(self) -> int:
        """Number of samples N (all shards together)."""
        return int(self.y.shape[0])

    def floats(self, indices=None) -> np.ndarray:
        """Return float32 values of all rows of x, or of the rows at `indices` (a slice or
        row numbers; in a shard, row r is global sample rank + r * world): uint8 codes as
        code / 255 (bit-identical to prepare_image), float32 x as a copy."""
        if indices is None:
            rows = self.x
        else:
            rows = self.x[indices if isinstance(indices, slice) else np.asarray(indices)]
        if rows.dtype == np.uint8:
            return code_values(rows)
        return np.array(rows, dtype=np.float32)  # a copy either way: callers may change it

    def subset(self, indices) -> Dataset:
        """Return a new Dataset with the samples at `indices` (same classes, name, preparation);
        DataError for a shard, whose other samples' pixels live in other processes."""
        if self.shard is not None:
            raise DataError(f"dataset {self.name!r}: cannot take a subset of shard {self.shard}; "
                            "help: take the subset before reading the shard (read_folder's per_class)")
        idx = np.asarray(indices)
        if idx.dtype == np.bool_:
            idx = np.flatnonzero(idx)
        return Dataset(self.x[idx], self.y[idx], list(self.class_names), self.name, self.preparation)

    def take_shard(self, shard: tuple[int, int] | None) -> Dataset:
        """Return this whole data set's part for shard (rank, world): all labels, the rows
        of samples rank, rank + world, ... (a copy); itself when shard is None."""
        if shard is None:
            return self
        if self.shard is not None:
            raise DataError(f"dataset {self.name!r} is shard {self.shard} already; cannot take shard {shard} of it")
        rank, world = check_shard(shard, f"dataset {self.name!r}") or (0, 1)
        return Dataset(self.x[rank::world].copy(), self.y, list(self.class_names), self.name, self.preparation,
                       shard=(rank, world))

    def class_counts(self) -> np.ndarray:
        """Return int64 (num_classes,) sample counts per class (all shards together)."""
        return np.bincount(self.y, minlength=self.num_classes)


def check_shard(shard, where: str) -> tuple[int, int] | None:
    """Return shard as (rank, world) of ints; DataError unless 0 <= rank < world."""
    if shard is None:
        return None
    try:
        rank, world = shard
    except (TypeError, ValueError):
        raise DataError(f"{where}: shard must be (rank, world), got {shard!r}") from None
    for name, v in (("rank", rank), ("world", world)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise DataError(f"{where}: shard {name} must be a whole number, got {v!r}")
    if world < 1 or not 0 <= rank < world:
        raise DataError(f"{where}: shard (rank, world) needs world >= 1 and 0 <= rank < world, "
                        f"got rank {rank}, world {world}")
    return int(rank), int(world)


def take_per_class(data: Dataset, per_class: int | None) -> Dataset:
    """Return `data` limited to its first `per_class` samples of each class (all if None)."""
    if per_class is None:
        return data
    per_class = check_per_class(per_class)
    keep = np.zeros(len(data), dtype=bool)
    for c in range(data.num_classes):
        keep[np.flatnonzero(data.y == c)[:per_class]] = True
    return data.subset(keep)


def check_per_class(per_class) -> int:
    """Return per_class as an int; DataError unless it is a positive whole number."""
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise DataError(f"per_class must be a positive whole number, got {per_class!r}")
    return int(per_class)
