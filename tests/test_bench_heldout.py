"""The held-out letter sets of bench/ and their calibration measure, at tiny sizes."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import heldout_sets as sets  # noqa: E402
import letters_heldout as bench  # noqa: E402


def test_calibration_error_of_honest_and_overconfident_answers():
    correct = np.array([True] * 8 + [False] * 2)
    assert bench.calibration_error(correct, np.full(10, 0.8)) < 1e-9  # 80% sure, 80% right
    assert abs(bench.calibration_error(correct, np.full(10, 1.0)) - 0.2) < 1e-9
    assert len(bench.reliability_rows(correct, np.full(10, 0.8))) == len(bench.RELIABILITY_EDGES) - 1


def test_every_letter_has_a_skeleton_that_parses():
    assert set(sets.MAIN) == set(sets.LETTERS) and set(sets.OTHER) <= set(sets.LETTERS)
    assert [len(s) for s in sets.parse_path(sets.MAIN["A"])] == [3, 2]  # two strokes
    assert len(sets.parse_path(sets.MAIN["O"])) == 1 and len(sets.parse_path(sets.MAIN["O"])[0]) == 49


def test_sets_are_seeded_canvases_with_ink():
    for make in (sets.clean_set, sets.sloppy_set, sets.handwriting_set):
        a = list(itertools.islice(make(np.random.default_rng(1), per_letter=3), 6))
        b = list(itertools.islice(make(np.random.default_rng(1), per_letter=3), 6))
        assert [letter for letter, _ in a] == ["A"] * 3 + ["B"] * 3
        for (_, x), (_, y) in zip(a, b):
            assert x.size == (sets.CANVAS, sets.CANVAS)
            assert np.array_equal(np.asarray(x), np.asarray(y))
            grey = np.asarray(x.convert("L"), dtype=float) if x.mode != "RGBA" else np.asarray(x)[..., 3]
            assert grey.max() - grey.min() > 100  # ink on the canvas
    letter, canvas = next(sets.printed_set(np.random.default_rng(0)))
    assert letter == "A" and canvas.size == (sets.CANVAS, sets.CANVAS)
