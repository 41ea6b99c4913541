import numpy as np
import pytest

from nnstudio.data import BROKEN_SQUARE, SHAPE_BITMAPS, SHAPES, load_dataset
from nnstudio.data.shapes import SHAPES_PREPARATION
from nnstudio.errors import DataError


def as_keys(data):
    return {row.tobytes() for row in data.x.astype(np.uint8).reshape(len(data), -1)}


def test_course_shapes_in_order():
    assert SHAPES == ("square", "rhombus", "plus", "x", "line")
    assert SHAPE_BITMAPS["plus"][2].tolist() == [1, 1, 1, 1, 1]
    assert SHAPE_BITMAPS["x"].trace() == 5
    assert BROKEN_SQUARE.sum() == SHAPE_BITMAPS["square"].sum() - 2


def test_train_holds_clean_shapes_and_balanced_variants():
    train = load_dataset("shapes", "train")
    assert train.x.shape == (200, 1, 5, 5) and train.x.dtype == np.float32
    assert np.bincount(train.y).tolist() == [40] * 5
    assert train.class_names == list(SHAPES)
    assert train.preparation == SHAPES_PREPARATION
    keys = as_keys(train)
    for name in SHAPES:
        clean = SHAPE_BITMAPS[name].astype(np.uint8).tobytes()
        assert clean in keys
    assert len(keys) == len(train)  # no duplicates
    assert set(np.unique(train.x)) == {0.0, 1.0}


def test_train_and_test_are_disjoint_and_never_hold_the_broken_square():
    for seed in (0, 1, 7):
        train, test = load_dataset("shapes", "train", seed=seed), load_dataset("shapes", "test", seed=seed)
        assert not as_keys(train) & as_keys(test)
        broken = BROKEN_SQUARE.astype(np.uint8).tobytes()
        assert broken not in as_keys(train) | as_keys(test)
    # Disjoint whatever per_class is asked for.
    train_keys = as_keys(load_dataset("shapes", "train", per_class=150))
    assert not train_keys & as_keys(load_dataset("shapes", "test", per_class=60))


def test_variants_stay_nearest_to_their_own_shape():
    data = load_dataset("shapes", "test", per_class=50)
    protos = np.stack([SHAPE_BITMAPS[n].ravel() for n in SHAPES])
    flat = data.x.reshape(len(data), 25)
    dist = np.abs(flat[:, None, :] - protos[None]).sum(-1)  # (N, 5)
    line = SHAPES.index("line")
    # Shifted lines are far from the clean line; every other variant has its own shape nearest.
    others = data.y != line
    assert (dist[others].argmin(1) == data.y[others]).all()
    assert (dist[others, data.y[others]] <= 2).all()


def test_seeded_and_deterministic():
    a, b = load_dataset("shapes", seed=3), load_dataset("shapes", seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, load_dataset("shapes", seed=4).x)


def test_bad_requests():
    with pytest.raises(DataError, match="at most"):
        load_dataset("shapes", per_class=10_000)
    with pytest.raises(DataError, match="unseen"):
        load_dataset("shapes", "unseen")
    with pytest.raises(DataError, match="fixed size of 5x5"):
        load_dataset("shapes", size=(10, 10))
    with pytest.raises(DataError, match="per_class"):
        load_dataset("shapes", per_class=0)
