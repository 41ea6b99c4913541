"""The letter-paths dataset: seeded pen paths of A-Z."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.data import load_dataset
from nnstudio.data.handwriting import hand_strokes
from nnstudio.data.letter_paths import letter_drawing, load_letter_paths
from nnstudio.data.strokes import FEATURES, PathPreparation
from nnstudio.errors import DataError


def test_letter_paths_are_seeded_sequences_of_every_letter():
    data = load_dataset("letter-paths", "train", per_class=3, seed=5)
    assert data.x.shape == (78, *PathPreparation().shape) and data.x.dtype == np.float32
    assert np.array_equal(data.class_counts(), np.full(26, 3))
    assert isinstance(data.preparation, PathPreparation)
    assert np.isfinite(data.x).all() and np.abs(data.x[:, :, :2]).max() <= 1 + 1e-6
    again = load_letter_paths("train", per_class=3, seed=5)
    assert np.array_equal(again.x, data.x) and np.array_equal(again.y, data.y)
    other = load_letter_paths("test", per_class=3, seed=5)
    assert not np.array_equal(other.x, data.x)
    assert data.x.shape[2] == len(FEATURES)


def test_drawings_vary_and_are_recorded_in_pixels():
    rng = np.random.default_rng(0)
    drawings = [letter_drawing("E", rng) for _ in range(30)]
    assert len({len(d) for d in drawings}) > 1  # strokes split or joined now and then
    heights = [np.ptp(np.concatenate(d)[:, 1]) for d in drawings]
    assert min(heights) > 10 and max(heights) / min(heights) > 3  # any size, in pixels
    points = [len(np.concatenate(d)) for d in drawings]
    assert max(points) > 4 * min(points)  # sparse corners and dense canvas points


def test_hand_strokes_are_the_strokes_of_the_pictures():
    strokes = hand_strokes("T", np.random.default_rng(3))
    assert len(strokes) == 2 and all(s.ndim == 2 and s.shape[1] == 2 for s in strokes)
    pts = np.concatenate(strokes)
    assert 0.6 < np.ptp(pts[:, 1]) < 1.5 and np.allclose(pts.mean(axis=0), 0, atol=1e-9)


def test_letter_paths_refuse_parts_and_sizes_they_do_not_have():
    with pytest.raises(DataError, match="letter-paths part must be one of"):
        load_letter_paths("unseen", per_class=1)
    with pytest.raises(DataError, match="pen paths, not images.*help:"):
        load_dataset("letter-paths", size=(20, 20), per_class=1)


def test_make_data_says_pen_paths_are_not_pictures(tmp_path):
    from nnstudio.workflows.data import make_data

    with pytest.raises(DataError, match="pen paths, not pictures.*help: train on it by name"):
        make_data("letter-paths", tmp_path / "out")
    assert not (tmp_path / "out").exists()
