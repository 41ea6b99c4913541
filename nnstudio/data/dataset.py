"""The Dataset container shared by every data source, the trainer and the predictor."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.data.prepare import Preparation
from nnstudio.errors import DataError


@dataclass
class Dataset:
    """Samples and labels: x float32 (N, C, H, W) for images or (N, D) for vectors,
    y int64 (N,) class indices into class_names."""

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    name: str = ""
    preparation: Preparation | None = field(default=None)

    def __post_init__(self) -> None:
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        self.y = np.ascontiguousarray(self.y, dtype=np.int64)
        self.class_names = [str(c) for c in self.class_names]
        where = f"dataset {self.name!r}" if self.name else "dataset"
        if self.x.ndim < 2:
            raise DataError(f"{where}: x must have shape (N, ...) with at least 2 axes, got {self.x.shape}")
        if self.y.shape != (self.x.shape[0],):
            raise DataError(f"{where}: y must have shape ({self.x.shape[0]},) to match x, got {self.y.shape}")
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
        return int(self.x.shape[0])

    def subset(self, indices) -> Dataset:
        """Return a new Dataset with the samples at `indices` (same classes, name, preparation)."""
        idx = np.asarray(indices)
        if idx.dtype == np.bool_:
            idx = np.flatnonzero(idx)
        return Dataset(self.x[idx], self.y[idx], list(self.class_names), self.name, self.preparation)

    def class_counts(self) -> np.ndarray:
        """Return int64 (num_classes,) sample counts per class."""
        return np.bincount(self.y, minlength=self.num_classes)


def take_per_class(data: Dataset, per_class: int | None) -> Dataset:
    """Return `data` limited to its first `per_class` samples of each class (all if None)."""
    if per_class is None:
        return data
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise DataError(f"per_class must be a positive whole number, got {per_class!r}")
    keep = np.zeros(len(data), dtype=bool)
    for c in range(data.num_classes):
        keep[np.flatnonzero(data.y == c)[:per_class]] = True
    return data.subset(keep)
