"""Pen paths: canonical order and direction, resampling, features, drawing files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.data.strokefile import parse_strokes, read_strokes, write_strokes
from nnstudio.data.strokes import FEATURES, PathPreparation, path_sequence, share_points
from nnstudio.errors import DataError

E = [np.array([[0.0, 0.0], [0.0, 10.0]]), np.array([[0.0, 0.0], [6.0, 0.0]]),
     np.array([[0.0, 5.0], [4.5, 5.0]]), np.array([[0.0, 10.0], [6.2, 10.0]])]


def _ring(n: int = 24, start: int = 0, clockwise: bool = True) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pts = np.stack([4 * np.cos(a), 5 * np.sin(a)], axis=1)  # clockwise on screen (y down)
    pts = np.roll(pts, -start, axis=0)
    pts = np.concatenate([pts, pts[:1]])
    return pts if clockwise else pts[::-1]


def test_sequence_has_the_preparation_shape_and_features():
    seq = path_sequence(E, PathPreparation(points=40))
    assert seq.shape == (40, len(FEATURES)) and seq.dtype == np.float32
    assert seq[:, 4].sum() == len(E)  # one start per stroke
    assert np.allclose(np.linalg.norm(seq[:, 2:4], axis=1), 1.0, atol=1e-5)
    assert seq[:, :2].min() >= -1 - 1e-6 and seq[:, :2].max() <= 1 + 1e-6
    assert np.isclose(seq[:, 1].max() - seq[:, 1].min(), 2.0)  # the longer side (height) spans 2


def test_stroke_order_and_direction_do_not_change_the_sequence():
    want = path_sequence(E)
    rng = np.random.default_rng(0)
    for _ in range(10):
        strokes = [E[i] if rng.random() < 0.5 else E[i][::-1] for i in rng.permutation(len(E))]
        assert np.array_equal(path_sequence(strokes), want)


def test_position_and_scale_do_not_change_the_sequence():
    moved = [s * 37.5 + np.array([300.0, -20.0]) for s in E]
    assert np.allclose(path_sequence(moved), path_sequence(E), atol=1e-5)


def test_a_loop_reads_the_same_from_any_start_and_either_way():
    want = path_sequence([_ring()])
    for start in (3, 11):
        for clockwise in (True, False):
            assert np.allclose(path_sequence([_ring(start=start, clockwise=clockwise)]), want, atol=1e-6)


def test_open_strokes_start_at_the_top():
    seq = path_sequence([np.array([[0.0, 10.0], [3.0, 0.0]])], PathPreparation(points=8))
    assert seq[0, 1] < seq[-1, 1]  # drawn upwards, read downwards
    assert seq[0, 3] > 0  # the pen moves down (y grows)


def test_points_are_shared_by_length_with_one_per_stroke_at_least():
    counts = share_points(np.array([10.0, 0.0, 30.0]), 20)
    assert counts.sum() == 20 and counts.min() >= 1 and counts[2] > counts[0]
    with pytest.raises(DataError, match="3 strokes; at most 2"):
        share_points(np.ones(3), 2)


def test_a_drawing_without_extent_is_refused():
    with pytest.raises(DataError, match="no extent.*help:"):
        path_sequence([np.array([[5.0, 5.0], [5.0, 5.0]])])
    with pytest.raises(DataError, match="at least one stroke"):
        path_sequence([])


def test_preparation_round_trips_and_checks_points():
    prep = PathPreparation(points=48)
    assert PathPreparation.from_dict(json.loads(json.dumps(prep.to_dict()))) == prep
    with pytest.raises(DataError, match="points must be a whole number from 2"):
        PathPreparation(points=1)
    with pytest.raises(DataError, match="unknown field"):
        PathPreparation.from_dict({"kind": "strokes", "points": 8, "size": 3})


def test_drawing_files_round_trip(tmp_path):
    path = write_strokes(tmp_path / "e.json", E, label="E")
    back = read_strokes(path)
    assert len(back) == 4 and all(np.allclose(a, b) for a, b in zip(back, E))


@pytest.mark.parametrize("value, message", [
    ({"strokes": [[[0, 0], [1, 2]], [[0, 0], [1, "a"]]]}, r"stroke 1, point 1: y must be a finite number, got \"a\""),
    ({"strokes": [[[0, 0], [1, 2, 3]]]}, r"stroke 0, point 1: a point must be \[x, y\], two numbers; got \[1, 2, 3\]"),
    ({"strokes": [[]]}, "stroke 0: empty"),
    ({"strokes": []}, "'strokes' is empty"),
    ({"points": []}, "no 'strokes' field"),
    ({"strokes": [[[0, 0]]], "colour": 1}, "unknown field"),
    ({"strokes": "abc"}, "must be a list of strokes, got a string"),
])
def test_bad_drawings_name_the_file_stroke_and_point(tmp_path, value, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(value))
    with pytest.raises(DataError, match=message) as err:
        read_strokes(path)
    assert str(path) in str(err.value) and "help:" in str(err.value)


def test_bad_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"strokes": [[[0, 0],\n [1, ]]]}')
    with pytest.raises(DataError, match=r"broken.json:2:\d+: not valid JSON"):
        read_strokes(path)
    with pytest.raises(DataError, match="x must be a finite number, got nan"):
        parse_strokes(json.loads('{"strokes": [[[NaN, 0]]]}'), "d.json")
