"""The LSTM and GRU cell diagrams: every gate named, the equations, sizes from the spec."""

from __future__ import annotations

import pytest

import nnstudio.draw as draw
from nnstudio.errors import DrawError
from nnstudio.spec import count_params, load_spec

SIGMA, TANH = "\u03c3", "tanh"


def gates(picture) -> dict[str, str]:
    return {g.get("data-gate"): g.get("data-function") for g in picture.all("gate")}


def test_lstm_cell_has_its_four_gates_and_equations(parse):
    picture = parse(draw.draw_lstm_cell())
    assert gates(picture) == {"forget": SIGMA, "input": SIGMA, "candidate": TANH, "output": SIGMA}
    assert picture.texts("gate-name") == ["forget gate", "input gate", "candidate", "output gate"]
    equations = picture.texts("equation")
    assert [e.split(" = ")[0] for e in equations] == ["f\u209c", "i\u209c", "g\u209c", "o\u209c",
                                                        "c\u209c", "h\u209c"]
    assert equations[4] == "c\u209c = f\u209c \u2299 c\u209c\u208b\u2081 + i\u209c \u2299 g\u209c"
    # The cell state along the top, the hidden state out; x, + and tanh on the way.
    states = {line.get("data-state") for line in picture.root.iter() if line.get("data-state")}
    assert states == {"c", "h", "h-previous"}
    ops = sorted(op.get("data-operation") for op in picture.all("operation"))
    assert ops == ["add", "forget", "input-candidate", "output", "tanh"]


def test_gru_cell_has_update_and_reset_gates(parse):
    picture = parse(draw.draw_gru_cell())
    assert gates(picture) == {"update": SIGMA, "reset": SIGMA, "candidate": TANH}
    equations = picture.texts("equation")
    assert equations[-1] == ("h\u209c = z\u209c \u2299 h\u209c\u208b\u2081 + (1 \u2212 z\u209c) "
                             "\u2299 n\u209c")
    assert len(equations) == 4


@pytest.mark.parametrize("kind, draw_cell", [("LSTM", draw.draw_lstm_cell),
                                             ("GRU", draw.draw_gru_cell)])
def test_sizes_note_counts_what_the_spec_counts(kind, draw_cell, parse):
    spec = {"name": "s", "input_shape": [6, 3], "layers": [{"type": kind, "units": 5}]}
    note = parse(draw_cell(units=5, features=3)).texts("note")[-1]
    assert f"{count_params(load_spec(spec)):,} parameters" in note
    assert "W (5\u00d73), U (5\u00d75)" in note


def test_bad_sizes_are_refused():
    with pytest.raises(DrawError, match="units=0"):
        draw.draw_lstm_cell(units=0, features=1)
    with pytest.raises(DrawError, match="features=None"):
        draw.draw_gru_cell(units=4)


def test_cell_lesson_takes_its_sizes_from_a_spec(tmp_path, parse):
    import json

    from click.testing import CliRunner

    from nnstudio.cli import main

    spec = tmp_path / "seq.json"
    spec.write_text(json.dumps({"name": "seq", "input_shape": [6, 3], "layers": [
        {"type": "GRU", "units": 5, "return_sequences": True}, {"type": "LSTM", "units": 2}]}))
    out = tmp_path / "cell.svg"
    result = CliRunner().invoke(main, ["draw-lesson", "lstm-cell", "--model", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    picture = parse(out.read_text(encoding="utf-8"))
    assert "W (2\u00d75), U (2\u00d72)" in picture.texts("note")[-1]  # the LSTM reads the GRU's 5 units
    assert "layer 1" in picture.texts("title")[0]
    result = CliRunner().invoke(main, ["draw-lesson", "gru-cell", "--model", "shapes-mlp", "--out", str(out)])
    assert result.exit_code == 2 and "has no GRU layer" in result.output
