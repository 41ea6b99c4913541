"""Small seeded data and networks for the training tests (fast on a CPU)."""

import pytest

from nnstudio.data import Dataset
from nnstudio.model import build_model
from nnstudio.spec import load_spec

from train_samples import TINY_CNN, TINY_MLP, bars, blobs  # noqa: F401


@pytest.fixture
def tiny_data() -> Dataset:
    return blobs()


@pytest.fixture
def tiny_spec():
    return load_spec(TINY_MLP)


@pytest.fixture
def tiny_net(tiny_spec):
    return build_model(tiny_spec, seed=0)


@pytest.fixture
def cnn_data() -> Dataset:
    return bars()


@pytest.fixture
def cnn_spec():
    return load_spec(TINY_CNN)
