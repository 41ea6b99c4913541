"""Function plots: activation curves, softmax on real numbers, training curves."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.draw import FUNCTION_NAMES, draw_function, draw_history, draw_softmax
from nnstudio.draw.functions import overfitting_epoch
from nnstudio.errors import DrawError


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_every_function_draws_deterministically(parse, name):
    svg = draw_function(name)
    assert svg == draw_function(name)
    picture = parse(svg)
    if name != "softmax":
        series = picture.all("series")
        assert [s.get("data-name") for s in series] == ["slope", name]
        assert len(picture.all("tick")) >= 8


def test_relu_curve_passes_through_its_values(parse):
    picture = parse(draw_function("relu"))
    curve = picture.all("series", name="relu")[0]
    points = np.array([[float(v) for v in p.split(",")] for p in curve.get("points").split()])
    ys = points[:, 1]
    # flat at 0 left of the origin, rising to the right: the left half is one level
    assert np.ptp(ys[:100]) == 0 and ys[-1] < ys[100]


def test_unknown_function_names_the_allowed_ones():
    with pytest.raises(DrawError, match="allowed: sigmoid, tanh, relu, leaky_relu, softmax"):
        draw_function("swish")


def test_softmax_bars_hold_the_probabilities(parse):
    scores = [2.0, 1.0, 0.1]
    picture = parse(draw_softmax(scores, ["a", "b", "c"]))
    probs = [float(b.get("data-value")) for b in picture.all("bar") if b.get("data-role") is None]
    expected = np.exp(scores) / np.exp(scores).sum()
    assert probs == pytest.approx(expected, abs=1e-3)
    assert sum(probs) == pytest.approx(1.0, abs=1e-3)
    assert [float(b.get("data-value")) for b in picture.all("bar", role="score")] == scores


def test_softmax_needs_one_name_per_value():
    with pytest.raises(DrawError, match="one name per value"):
        draw_softmax([1.0, 2.0], ["a"])


def history(epochs: int = 30, turn: int = 12) -> list[dict]:
    rows = []
    for e in range(1, epochs + 1):
        loss = 1.0 / e
        val = 1.0 / min(e, turn) + 0.02 * max(0, e - turn)
        rows.append({"epoch": e, "loss": loss, "accuracy": 1 - loss / 2, "val_loss": val,
                     "val_accuracy": 1 - val / 2})
    return rows


def test_history_marks_the_overfitting_epoch(parse):
    picture = parse(draw_history(history(turn=12)))
    marks = picture.all("overfitting")
    assert {m.get("data-epoch") for m in marks} == {"12"}
    assert len(picture.all("series")) == 4  # loss and accuracy, training and validation


def test_history_without_validation_marks_nothing(parse):
    rows = [{"epoch": e, "loss": 1 / e, "accuracy": 1 - 1 / (2 * e)} for e in range(1, 6)]
    picture = parse(draw_history(rows))
    assert picture.all("overfitting") == []
    assert len(picture.all("series")) == 2
    assert overfitting_epoch(rows) is None


def test_history_as_dict_of_lists(parse):
    rows = history()
    columns = {key: [row[key] for row in rows] for key in rows[0]}
    assert draw_history(columns) == draw_history(rows)


def test_empty_history_is_an_error():
    with pytest.raises(DrawError, match="no epoch"):
        draw_history([])


def test_history_from_to_dict_and_from_a_model_like_object():
    rows = history()
    expected = draw_history(rows)
    assert draw_history({"epochs": rows, "best_epoch": None}) == expected

    class Loaded:  # what nnstudio.predict.Model offers: .history, a list of epoch dicts
        history = rows

    assert draw_history(Loaded()) == expected
