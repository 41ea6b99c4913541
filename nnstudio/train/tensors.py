"""Data as the training code needs it: class count checked against the spec, samples as
tensors of the spec's input shape. Shared by the fit loop and evaluation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from nnstudio.errors import TrainingError, Where
from nnstudio.spec import num_classes


def check_classes(spec: Any, data: Any) -> int:
    """Return the number of classes; TrainingError when data and spec disagree on it."""
    units = num_classes(spec)
    if data.num_classes < 2:
        raise TrainingError(
            f"{named(data)} has only {data.num_classes} class ({', '.join(data.class_names)}); a network that "
            "tells classes apart needs at least 2.", given=data.num_classes,
            hint="add a folder (or one-hot bit) for another class.")
    if data.num_classes != units:
        names = ", ".join(data.class_names[:8]) + (", ..." if data.num_classes > 8 else "")
        last = len(spec.layers) - 1
        raise TrainingError(
            f"{named(data)} has {data.num_classes} classes ({names}) but the last Dense layer of "
            f"spec {spec.name!r} has {units} units.",
            where=Where(layer=last, layer_type=spec.layers[last]["type"], field="units"), worded=True,
            given=units, allowed=f"{data.num_classes} units", hint=f"give the network's last Dense layer "
            f"{data.num_classes} units, one per class.")
    return units


def input_tensors(spec: Any, data: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (x (rows, *spec.input_shape), y (N,) int64) as CPU tensors sharing the
    data's memory where they can: x float32, or uint8 pixel codes (value = code / 255)
    kept as they are, a quarter of the size. Samples whose value count equals the
    spec's input size are reshaped to its input_shape. With a sharded dataset, x holds
    this process's rows only and y every label."""
    shape = tuple(int(s) for s in spec.input_shape)
    raw = np.asarray(data.x)
    x = raw if raw.dtype in (np.uint8, np.float32) else raw.astype(np.float32)
    if tuple(x.shape[1:]) != shape:
        if math.prod(x.shape[1:]) != math.prod(shape):
            raise TrainingError(
                f"{named(data)} has samples of shape {list(x.shape[1:])} "
                f"({math.prod(x.shape[1:])} values) but spec {spec.name!r} takes input_shape {list(shape)} "
                f"({math.prod(shape)} values).", where=Where(field="input_shape"), worded=True,
                given=list(shape), allowed=f"{list(x.shape[1:])} or another shape of {math.prod(x.shape[1:])} values",
                hint="choose a network for this data, or set its input_shape.")
        x = x.reshape((len(x),) + shape)
    if x.dtype != np.uint8 and not _all_finite(x):
        raise TrainingError(f"{named(data)} contains NaN or infinite values.")
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.asarray(data.y, dtype=np.int64))


def _all_finite(x: np.ndarray, chunk: int = 4096) -> bool:
    """np.isfinite(x).all(), a chunk of samples at a time (no mask as large as the data)."""
    return all(bool(np.isfinite(x[i:i + chunk]).all()) for i in range(0, len(x), chunk))


def named(data: Any) -> str:
    """Return "The data 'NAME'" for messages."""
    return f"The data {data.name!r}" if getattr(data, "name", "") else "The data"
