"""The rnn-memory experiment: its sequences, its per-step gradient, its quick run and its
finding from made-up numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from nnstudio.experiments import run_experiment
from nnstudio.experiments.rnn_memory import (FILLERS, ITEMS, NETWORKS, find, memory_data, recurrent,
                                             step_gradients)
from nnstudio.experiments.runner import Stat
from nnstudio.model import build_model


def test_memory_data_is_labelled_by_its_first_item_and_seeded():
    data = memory_data(7, 50, 3)
    assert data.x.shape == (50, 7, len(ITEMS)) and data.class_names == list(ITEMS)
    assert (data.x.sum(axis=2) == 1).all()  # one item, one-hot, at every step
    assert (data.x[:, 0].argmax(axis=1) == data.y).all()
    assert set(data.y.tolist()) == set(range(len(ITEMS)))
    assert (data.x[:, 1:].argmax(axis=2) != data.y[:, None]).any()  # later items are not the answer
    assert np.array_equal(memory_data.__wrapped__(7, 50, 3).x, data.x)
    assert not np.array_equal(memory_data(7, 50, 4).x, data.x)


def test_noise_filler_follows_a_one_hot_first_item():
    data = memory_data(30, 200, 0, "noise")
    assert (data.x[:, 0].sum(axis=1) == 1).all() and (data.x[:, 0].argmax(axis=1) == data.y).all()
    noise = data.x[:, 1:]
    assert abs(float(noise.mean())) < 0.05 and 0.95 < float(noise.std()) < 1.05
    assert np.array_equal(memory_data(30, 200, 0, "items").y, data.y)  # same classes, other filler


def test_step_gradients_are_the_loss_gradient_at_each_input_step():
    data = memory_data(6, 8, 0)
    network = build_model(recurrent("SimpleRNN", 6), seed=1)
    measured = step_gradients(network, data)
    # the same loss, unrolled by hand from the layer's weights: h_t = tanh(W x_t + b + U h_(t-1) + b')
    rnn, dense = network.layers[0], network.layers[1]
    x = torch.as_tensor(data.x).clone().requires_grad_(True)
    h = torch.zeros(len(x), rnn.hidden_size)
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
    torch.nn.functional.cross_entropy(dense(h), torch.as_tensor(data.y)).backward()
    assert x.grad is not None
    expected = torch.linalg.vector_norm(x.grad, dim=(0, 2))
    assert measured == pytest.approx(expected.tolist(), rel=1e-4)
    assert len(measured) == 6 and measured[0] < measured[-1]


def test_quick_run_table_numbers_and_files(tmp_path):
    result = run_experiment("rnn-memory", quick=True, out=tmp_path)
    assert [row[:3] for row in result.rows] == [[f, t, k] for f in FILLERS for t in (5, 20) for k in NETWORKS]
    assert result.columns[-2:] == ["test accuracy after 32 steps", "after 96 steps"]
    written = json.loads((tmp_path / "rnn-memory.json").read_text())
    assert written["rows"] == result.rows and written["quick"] is True
    assert result.table() in (tmp_path / "rnn-memory.md").read_text()
    for stem in ("rnn-memory", "rnn-memory-accuracy"):
        assert (tmp_path / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
    accuracy, early, start = result.numbers["accuracy"], result.numbers["early"], result.numbers["start"]
    for filler in FILLERS:
        for kind in NETWORKS:
            where = f"{filler} {{}} {kind}"
            assert 0.0 <= accuracy[where.format(20)] <= 1.0 and 0.0 <= early[where.format(20)] <= 1.0
            assert accuracy[where.format(5)] >= 0.9  # five steps back is within reach of both networks
            # fresh networks: less of the gradient reaches step 1 of 20 than step 1 of 5
            assert 0 < start[where.format(20)] < start[where.format(5)] < 1
            assert math.isfinite(result.numbers["trained"][where.format(20)])
            assert result.numbers["accuracy per seed"][where.format(20)] == [accuracy[where.format(20)]]
    assert result.finding.startswith("With items as filler: at the start, step 1 of 20 gets")


def made_up(accuracy: dict[str, list[float]], start: float = 1e-6, early: float = 0.5) -> dict:
    """measured[(filler, T, network)] for T = 5, 20, 80: the given final accuracies (both fillers),
    `early` after the short budget at T > 5, and gradient ratios that favour LSTM."""
    return {(f, t, k): {"accuracy": Stat.of([accuracy[k][i]]), "early": Stat.of([1.0 if t == 5 else early]),
                        "start": start if k == "SimpleRNN" else 1e-4, "trained": 1e-5 if k == "SimpleRNN" else 2.0}
            for f in FILLERS for i, t in enumerate([5, 20, 80]) for k in NETWORKS}


def test_finding_follows_the_numbers():
    lengths, budgets = [5, 20, 80], (320, 1280)
    accuracy = {"SimpleRNN": [1.0, 0.3, 0.95], "LSTM": [1.0, 0.95, 0.25]}
    text = find(made_up(accuracy), lengths, budgets)
    assert text.count("With ") == len(FILLERS)
    assert "step 1 of 80 gets 1e-06x (SimpleRNN), 0.0001x (LSTM) the gradient at step 80" in text
    # SimpleRNN's 95% at T = 80 alone does not count: it failed at T = 20
    assert "is 5 (SimpleRNN), 20 (LSTM) after 1280 steps, 5 (SimpleRNN), 5 (LSTM) after 320" in text
    assert "trained on T = 20, step 1 gets 1e-05x (SimpleRNN), 2x (LSTM) the gradient at step 20" in text
    assert "LSTM remembers further back than SimpleRNN, as the claim says." in text
    assert "no network learns" not in text  # SimpleRNN's 95% at T = 80
    against = made_up({"SimpleRNN": [1.0, 0.95, 0.3], "LSTM": [1.0, 0.5, 0.3]})
    text = find(against, lengths, budgets)
    assert "LSTM does not remember further back than SimpleRNN, against the claim." in text
    assert "trained on" not in text and text.endswith("At T = 80 no network learns within 1280 steps.")
    lost = made_up({"SimpleRNN": [0.4, 0.3, 0.3], "LSTM": [0.4, 0.3, 0.3]}, early=0.3)
    assert "is none (SimpleRNN), none (LSTM) after 1280 steps" in find(lost, lengths, budgets)
    every = made_up({k: [1.0, 1.0, 0.95] for k in NETWORKS})
    text = find(every, lengths, budgets)
    assert "SimpleRNN remembers over every length tried" in text and "no network learns" not in text
