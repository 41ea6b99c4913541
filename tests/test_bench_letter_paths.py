"""The held-out pen-path sets of bench/letter_paths.py: complete, labelled, fixed."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import letter_paths as bench  # noqa: E402

from nnstudio.data.fonts import LETTERS  # noqa: E402
from nnstudio.data.strokes import path_sequences  # noqa: E402


def test_typed_drawings_cover_every_letter_and_name_it_in_the_file_name():
    typed = bench.typed_drawings()
    assert Counter(label for label, _ in typed) == {letter: 4 for letter in LETTERS}
    names = sorted(p.name for p in bench.HELD_OUT.glob("*.json"))
    assert [n.split("-")[0] for n in names] == [label for label, _ in typed]


def test_held_out_sets_are_the_same_every_time_and_all_prepare():
    a, b = bench.held_out_sets(), bench.held_out_sets()
    assert [len(v) for v in a.values()] == [26, 26 * bench.CLEAN_VARIANTS, 104, 104 * bench.VARIANTS]
    for name in a:
        first = path_sequences([s for _, s in a[name][:100]])
        assert np.array_equal(first, path_sequences([s for _, s in b[name][:100]]))
        assert np.isfinite(first).all()
