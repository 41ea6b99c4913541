"""The built-in sequences, reading sequences from text, and their preparation."""

import numpy as np
import pytest

from nnstudio.data.sequence_prep import FEATURES, SequencePreparation
from nnstudio.data.sequences import FAMILIES, MAX_TERM, generate_sequences, parse_sequence, read_sequence_file
from nnstudio.errors import DataError


def follows_its_family(family: str, s: list[int]) -> bool:
    """Checked from the terms alone, by each family's own rule."""
    d = np.diff(s)
    if family == "arithmetic":
        return len(set(d.tolist())) == 1
    if family == "geometric":
        return any(all(b == r * a for a, b in zip(s, s[1:])) for r in (2, 3, -2)) and s[0] != 0
    if family == "fibonacci":
        return all(c == a + b for a, b, c in zip(s, s[1:], s[2:]))
    if family == "squares":
        return set(np.diff(s, 2).tolist()) == {2} and all(round(abs(v) ** 0.5) ** 2 == v for v in s)
    if family == "cubes":
        return set(np.diff(s, 3).tolist()) == {6} and all(round(abs(v) ** (1 / 3)) ** 3 == abs(v) for v in s)
    period = 2 if family == "period2" else 3
    return all(s[i] == s[i + period] for i in range(len(s) - period)) and len(set(s[:period])) == period


def test_every_family_follows_its_rule_within_the_bounds():
    data = generate_sequences(700, seed=3)
    assert set(data.families) == set(FAMILIES)
    for terms, target, family in zip(data.terms, data.targets, data.families):
        whole = [*terms, int(target)]
        assert 4 <= len(terms) <= 10
        assert max(abs(v) for v in whole) <= MAX_TERM
        assert follows_its_family(family, whole), (family, whole)
    again = generate_sequences(700, seed=3)
    assert again.terms == data.terms and generate_sequences(700, seed=4).terms != data.terms


def test_parse_and_its_errors(tmp_path):
    assert parse_sequence("2, 4 6,8", "here") == [2, 4, 6, 8]
    with pytest.raises(DataError, match=r"input 1: 'x' in '2 4 x 8' is not an integer; allowed: 4 to 10"):
        parse_sequence("2 4 x 8", "input 1")
    with pytest.raises(DataError, match=r"here: 3 terms in '1 2 3'; allowed: .*help: give at least 4"):
        parse_sequence("1 2 3", "here")
    with pytest.raises(DataError, match="20000 in .* is out of range"):
        parse_sequence("1 2 3 20000", "here")
    path = tmp_path / "s.txt"
    path.write_text("# a comment\n1 2 3 4\n\n5 5 5\n")
    with pytest.raises(DataError, match=f"{path}:4: 3 terms in '5 5 5'"):
        read_sequence_file(path)


def test_preparation_features_padding_and_next_terms():
    prep = SequencePreparation()
    sequences = [[2, 4, 6, 8], [1, -2, 4, -8, 16, -32], [1, 4, 9, 16, 25]]
    x, diffs, sds = prep.inputs(sequences)
    assert x.shape == (3, 10, len(FEATURES)) and sds.tolist() == [2.0, 48.0, 9.0]
    assert np.all(x[0, :6] == 0)  # padded at the front
    np.testing.assert_allclose(x[0, 6:, 0], [0.25, 0.5, 0.75, 1.0])  # value / largest |term|
    np.testing.assert_allclose(x[0, 7:, 1], 1.0)  # first differences / largest |difference|
    np.testing.assert_allclose(x[1, 5:, 3], -0.5)  # ratio -2, divided by 4
    assert x[0, 6:, 4].tolist() == [1, 1, 1, 1]
    np.testing.assert_allclose(diffs[0], [1.0, 0.0, 0.0])  # d1, d2, d3 of 2 4 6 8, / 2
    np.testing.assert_allclose(diffs[2] * 9, [9, 2, 0])  # squares: d1 9, d2 2, d3 0
    # Rounded weights: 1 (arithmetic), -2 (geometric of ratio -2), 1, 1 (squares).
    weights = np.array([[1.2, 0.4, -3.0], [-2.3, 0.0, 0.4], [0.9, 1.1, 7.0]])
    assert prep.next_terms(weights, sequences, diffs, sds).tolist() == [10, 64, 36]
    raw = SequencePreparation(round_weights=False)
    assert raw.next_terms(weights, sequences, diffs, sds)[0] == pytest.approx(8 + 1.2 * 2)
    assert SequencePreparation.from_dict(prep.to_dict()) == prep
    with pytest.raises(DataError, match="not a sequence preparation"):
        SequencePreparation.from_dict({"kind": "sequence", "features": ["value"]})


def test_sequences_are_named_among_the_data_sources():
    from nnstudio.data.sources import SEQUENCE_NAMES, load_dataset

    assert "sequences" in SEQUENCE_NAMES
    with pytest.raises(DataError, match="integer sequences, not images.*load_sequences"):
        load_dataset("sequences")
