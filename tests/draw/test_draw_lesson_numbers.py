"""Real numbers behind the concept pictures (nnstudio.lessons, torch) and the draw-lesson verb."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import nnstudio.draw as draw
from nnstudio.cli import LESSON_NAMES, main
from nnstudio.data import BROKEN_SQUARE, load_dataset
from nnstudio.lessons import (LESSONS, batchnorm_numbers, conv_zoom_numbers, gradient_norms,
                              lr_schedules, neuron_numbers)
from nnstudio.model import build_model


def test_cli_offers_every_lesson():
    assert tuple(LESSON_NAMES) == LESSONS


def test_schedules_come_from_the_training_schedulers():
    rates = lr_schedules(0.1, 12)
    assert rates["none"] == [0.1] * 12
    assert rates["exponential"][:3] == pytest.approx([0.1, 0.05, 0.025])
    assert rates["step"][9] == pytest.approx(0.1) and rates["step"][10] == pytest.approx(0.05)
    assert rates["cosine"][0] == pytest.approx(0.1) and rates["cosine"][-1] < 0.01


def test_deep_sigmoid_gradients_vanish_towards_the_input():
    norms = gradient_norms(load_dataset("shapes"), depth=8)
    sigmoid, relu = norms["sigmoid"], norms["relu"]
    assert len(sigmoid) == len(relu) == 8
    assert sigmoid[0] < sigmoid[-1] / 100  # each sigmoid layer back shrinks the gradient
    assert relu[0] > 100 * sigmoid[0]


def test_one_neuron_numbers_give_the_networks_own_output():
    network = build_model("shapes-mlp", seed=0)
    one = neuron_numbers(network, np.asarray(BROKEN_SQUARE, dtype=np.float32))
    z = float(np.dot(one["inputs"], one["weights"]) + one["bias"])
    assert one["output"] == pytest.approx(max(z, 0.0), abs=1e-5)
    assert one["inputs"] == pytest.approx(np.asarray(BROKEN_SQUARE, dtype=float).reshape(-1))
    svg = draw.draw_neuron(one["inputs"], one["weights"], one["bias"], activation="relu",
                           output=one["output"])
    assert "output = " in svg


def test_one_neuron_after_an_lstm_reads_its_last_step():
    spec = {"name": "seq", "input_shape": [6, 2], "layers": [
        {"type": "LSTM", "units": 4}, {"type": "Dense", "units": 3, "activation": "relu"},
        {"type": "Dense", "units": 2, "activation": "softmax"}]}
    network = build_model(spec, seed=0)
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(6, 2)
    one = neuron_numbers(network, x[None])
    states = network.activations(x)[0].output  # (6, 4)
    assert one["inputs"] == pytest.approx(states[-1].astype(float))
    z = float(np.dot(one["inputs"], one["weights"]) + one["bias"])
    assert one["output"] == pytest.approx(max(z, 0.0), abs=1e-5)


def test_conv_zoom_and_batchnorm_numbers_from_a_cnn():
    network = build_model("digits-cnn", seed=0)
    data = load_dataset("digits", per_class=3)
    zoom = conv_zoom_numbers(network, data.x[0])  # raises when its steps miss the output
    assert zoom["kernels"].shape == (2, 3, 3) and zoom["padding"] == "same"
    assert [label for label, _ in zoom["steps"][0]] == ["batch norm", "relu"]
    svg = draw.draw_conv_zoom(zoom["image"], zoom["kernels"], row=zoom["row"], col=zoom["col"],
                              stride=zoom["stride"], padding=zoom["padding"], steps=zoom["steps"])
    assert svg.count('class="patch-cell"') == 2 * 9
    norm = batchnorm_numbers(network, data, batch=16)
    assert norm["before"].size == 16 * 8 * 8
    assert "mean 0.00" in draw.draw_batchnorm(norm["before"], norm["gamma"], norm["beta"])


def test_draw_lesson_writes_a_picture(tmp_path):
    runner = CliRunner()
    out = tmp_path / "lr.svg"
    result = runner.invoke(main, ["draw-lesson", "lr-decay", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert 'data-name="exponential"' in out.read_text()
    result = runner.invoke(main, ["draw-lesson", "neuron", "--out", str(tmp_path / "n.svg")])
    assert result.exit_code == 2 and "needs a trained model" in result.output
