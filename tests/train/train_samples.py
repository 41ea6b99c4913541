"""Small networks and datasets shared by the training tests."""

from __future__ import annotations

import numpy as np

from nnstudio.data import Dataset


TINY_MLP = {
    "name": "tiny-mlp",
    "input_shape": [4],
    "layers": [
        {"type": "Dense", "units": 16, "activation": "relu"},
        {"type": "Dropout", "rate": 0.3},
        {"type": "Dense", "units": 3, "activation": "softmax"},
    ],
}

TINY_CNN = {
    "name": "tiny-cnn",
    "input_shape": [1, 6, 6],
    "layers": [
        {"type": "Conv2D", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same"},
        {"type": "BatchNormalization"},
        {"type": "Activation", "activation": "relu"},
        {"type": "MaxPooling2D", "pool_size": [2, 2], "strides": [2, 2]},
        {"type": "Flatten"},
        {"type": "Dropout", "rate": 0.25},
        {"type": "Dense", "units": 3, "activation": "softmax"},
    ],
}


def blobs(n_per_class: int = 20, seed: int = 0, noise: float = 0.3) -> Dataset:
    """Three separable Gaussian blobs in 4-D, vectors (N, 4)."""
    rng = np.random.default_rng(seed)
    centers = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]], dtype=np.float32)
    x = np.concatenate([c + noise * rng.standard_normal((n_per_class, 4)) for c in centers])
    y = np.repeat(np.arange(3), n_per_class)
    return Dataset(x.astype(np.float32), y, ["a", "b", "c"], name="blobs")


def bars(n_per_class: int = 10, seed: int = 0) -> Dataset:
    """6x6 images (N, 1, 6, 6) of a horizontal bar, a vertical bar or a dot, with noise."""
    rng = np.random.default_rng(seed)
    x = np.zeros((3 * n_per_class, 1, 6, 6), dtype=np.float32)
    for i in range(n_per_class):
        r, c = rng.integers(1, 5, size=2)
        x[i, 0, r, :] = 1
        x[n_per_class + i, 0, :, c] = 1
        x[2 * n_per_class + i, 0, r - 1:r + 1, c - 1:c + 1] = 1
    x += 0.1 * rng.random(x.shape, dtype=np.float32)
    y = np.repeat(np.arange(3), n_per_class)
    return Dataset(np.clip(x, 0, 1), y, ["h", "v", "dot"], name="bars")
