"""Networks on sequences drawn unrolled in time: one cell per shown step and layer, the
state passed along, inputs below, outputs above, hidden states as colors for one input."""

from __future__ import annotations

import numpy as np
import pytest

import nnstudio.draw as draw
from nnstudio.draw import NetView
from nnstudio.draw.svg import MAX_WIDTH
from nnstudio.draw.unrolled import shown_steps
from nnstudio.errors import DrawError
from nnstudio.spec import load_spec

LSTM = {"name": "seq-lstm", "input_shape": [6, 1], "layers": [
    {"type": "LSTM", "units": 4}, {"type": "Dense", "units": 1}]}
STACKED = {"name": "seq-stack", "input_shape": [20, 3], "layers": [
    {"type": "GRU", "units": 16, "return_sequences": True}, {"type": "Dropout", "rate": 0.2},
    {"type": "SimpleRNN", "units": 8, "return_sequences": True}, {"type": "Flatten"},
    {"type": "Dense", "units": 5, "activation": "softmax"}]}


def steps_of(picture, cls: str, **data: object) -> list[int]:
    return [int(e.get("data-step")) for e in picture.all(cls, **data)]


def test_shown_steps_keep_the_first_three_and_the_last_two():
    assert shown_steps(6, 6) == [0, 1, 2, 3, 4, 5]
    assert shown_steps(7, 6) == [0, 1, 2, None, 5, 6]
    assert shown_steps(100, 6) == [0, 1, 2, None, 98, 99]
    assert shown_steps(100, 3) == [0, 1, 2, None, 98, 99]  # never fewer
    assert shown_steps(10, 10) == list(range(10))
    assert shown_steps(100, 9) == [0, 1, 2, 3, None, 96, 97, 98, 99]


def test_lstm_shows_one_cell_per_step_and_the_last_output(parse):
    picture = parse(draw.draw_network(LSTM))
    assert steps_of(picture, "rnn-cell", layer=0) == [1, 2, 3, 4, 5, 6]
    assert all(e.get("data-type") == "LSTM" for e in picture.all("rnn-cell"))
    assert steps_of(picture, "rnn-input") == [1, 2, 3, 4, 5, 6]
    assert steps_of(picture, "rnn-output") == [6]  # return_sequences false: the last step only
    assert picture.texts("step-label") == [f"x{t}" for t in range(1, 7)]
    assert len(picture.all("unit", step=3)) == 4  # the 4 units in each cell
    # An LSTM passes two states (h and c) from each step to the next, 5 gaps + the start.
    assert len(picture.all("state", layer=0)) == 2 * 6
    assert "h0, c0 = 0" in picture.texts("state-start")
    assert "h6 (LSTM)" in picture.texts("layer-label")  # the dense layer reads h6 as neurons
    assert not picture.all("ellipsis")


def test_long_stacked_sequence_is_elided_and_every_output_goes_up(parse):
    picture = parse(draw.draw_network(STACKED))
    for layer in (0, 2):
        assert steps_of(picture, "rnn-cell", layer=layer) == [1, 2, 3, 19, 20]
        hidden = [e for e in picture.all("ellipsis") if e.get("data-layer") == str(layer)]
        assert [e.get("data-hidden-steps") for e in hidden] == ["15"]
    assert steps_of(picture, "rnn-output") == [1, 2, 3, 19, 20]  # return_sequences: every step
    assert {e.get("data-layer") for e in picture.all("rnn-output")} == {"2"}
    # The lower layer hands each step's state up to the upper one, x_t goes into the lower.
    assert len(picture.all("step-input", layer=0)) == 5 and len(picture.all("step-input", layer=2)) == 5
    assert "dropout 0.2" in picture.texts("layer-label")
    assert "15 more" in picture.texts("more")


def test_more_steps_shown_when_asked_as_far_as_the_page_allows(parse):
    eight = dict(LSTM, input_shape=[8, 1])
    picture = parse(draw.draw_network(eight, max_steps=8))
    assert steps_of(picture, "rnn-cell", layer=0) == list(range(1, 9))
    picture = parse(draw.draw_network(STACKED, max_steps=20))  # 20 steps do not fit
    shown = steps_of(picture, "rnn-cell", layer=0)
    assert 5 < len(shown) < 20 and shown[0] == 1 and shown[-1] == 20
    assert float(picture.root.get("width")) <= MAX_WIDTH


def test_planes_style_is_refused_for_sequences():
    with pytest.raises(DrawError, match="sequences of shape"):
        draw.draw_network(LSTM, style="planes")


def test_hidden_state_colors_each_cell_by_its_step(parse):
    spec = load_spec(LSTM)
    states = np.tanh(np.arange(24, dtype=float).reshape(6, 4) / 10 - 1.0)  # (steps, units)
    x = np.linspace(0, 1, 6).reshape(6, 1)
    view = NetView(spec, outputs={-1: x, 0: states, 1: np.array([1.0])})
    picture = parse(draw.draw_activations(view, x))
    for step in range(1, 7):
        units = picture.all("unit", step=step)
        values = [float(u.get("data-value")) for u in units]
        np.testing.assert_allclose(values, states[step - 1], atol=1e-4)
        fills = {u.get("fill") for u in units}
        assert len(fills) > 1  # different values, different colors
    first = {u.get("fill") for u in picture.all("unit", step=1)}
    last = {u.get("fill") for u in picture.all("unit", step=6)}
    assert first != last
    inputs = [float(e.get("data-value")) for e in picture.all("input-value")]
    np.testing.assert_allclose(inputs, x[:, 0], atol=1e-4)
    assert "LSTM states h (layer 0)" in picture.texts("colorbar-title")
    # The dense head reads the last step's state.
    head = [float(e.get("data-value")) for e in picture.all("neuron") if e.get("data-layer") == "0"]
    np.testing.assert_allclose(head, states[-1], atol=1e-4)


def test_trained_model_draws_every_step_it_computed(parse):
    from nnstudio.model import build_model

    network = build_model(LSTM, seed=0)
    x = np.sin(np.linspace(0, 3, 6)).reshape(6, 1).astype(np.float32)
    states = network.activations(x)[0].output  # (6, 4)
    picture = parse(draw.draw_network(network, input=x))
    for step in range(1, 7):
        values = [float(u.get("data-value")) for u in picture.all("unit", step=step)]
        np.testing.assert_allclose(values, states[step - 1], rtol=1e-3, atol=1e-4)


def test_trained_dense_after_the_last_step_shows_its_weights(parse):
    from nnstudio.model import build_model

    network = build_model(LSTM, seed=0)
    weights = network.state_dict()["layers.1.weight"].numpy()  # (1, 4): Dense on h6
    picture = parse(draw.draw_network(network))
    edges = picture.all("edge", layer=1)
    assert len(edges) == 4
    for edge in edges:
        assert float(edge.get("data-weight")) == pytest.approx(
            weights[int(edge.get("data-to")), int(edge.get("data-from"))], rel=1e-3)  # 4 digits


def test_bad_max_steps_is_refused():
    with pytest.raises(DrawError, match="max_steps=0"):
        draw.draw_network(LSTM, max_steps=0)
