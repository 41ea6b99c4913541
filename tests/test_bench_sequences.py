"""The held-out sequences of bench/: every line parses and follows its family's rule."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "data"))

import sequences as bench  # noqa: E402
from test_data_sequences import follows_its_family  # noqa: E402

from nnstudio.data.sequences import FAMILIES  # noqa: E402


def test_heldout_file_covers_every_family_and_each_line_is_right():
    families, terms, targets = bench.read_heldout(bench.HELDOUT)
    assert 140 <= len(terms) <= 170 and set(families) == set(FAMILIES)
    for family, given, target in zip(families, terms, targets):
        whole = [*given, int(target)]
        assert 4 <= len(given) <= 10 and max(abs(v) for v in whole) <= 10_000
        assert follows_its_family(family, whole), (family, whole)
