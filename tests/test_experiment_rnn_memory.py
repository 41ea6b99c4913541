"""The rnn-memory experiment: its sequences, its per-step gradient, its quick run and its
finding from made-up numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from nnstudio.experiments import run_experiment
from nnstudio.experiments.rnn_memory import ITEMS, NETWORKS, find, memory_data, recurrent, step_gradients
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
    assert [row[:2] for row in result.rows] == [[t, k] for t in (5, 20) for k in NETWORKS]
    assert result.columns[-2:] == ["test accuracy after 32 steps", "after 96 steps"]
    written = json.loads((tmp_path / "rnn-memory.json").read_text())
    assert written["rows"] == result.rows and written["quick"] is True
    assert result.table() in (tmp_path / "rnn-memory.md").read_text()
    for stem in ("rnn-memory", "rnn-memory-accuracy"):
        assert (tmp_path / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
    accuracy, start = result.numbers["accuracy"], result.numbers["start"]
    for kind in NETWORKS:
        assert 0.0 <= accuracy[f"20 {kind}"] <= 1.0 and 0.0 <= result.numbers["early"][f"20 {kind}"] <= 1.0
        assert accuracy[f"5 {kind}"] >= 0.9  # five steps back is within reach of every network
        # fresh networks: less of the gradient reaches step 1 of 20 than step 1 of 5
        assert 0 < start[f"20 {kind}"] < start[f"5 {kind}"] < 1
        assert math.isfinite(result.numbers["trained"][f"20 {kind}"])
    assert result.finding.startswith("At the start, the gradient reaching step 1 of 20")


def made_up(accuracy: dict[str, list[float]], start: float = 1e-6, early: float = 0.5) -> dict:
    """measured[(T, network)] for T = 5, 20, 80: the given final accuracies, `early` after the
    short budget at T > 5, and gradient ratios that favour the gated networks."""
    lengths = [5, 20, 80]
    return {(t, k): {"accuracy": Stat.of([accuracy[k][i]]), "early": Stat.of([1.0 if t == 5 else early]),
                     "start": start if k == "SimpleRNN" else 1e-4, "trained": 1e-5 if k == "SimpleRNN" else 2.0}
            for i, t in enumerate(lengths) for k in NETWORKS}


def test_finding_follows_the_numbers():
    lengths, budgets = [5, 20, 80], (320, 1280)
    accuracy = {"SimpleRNN": [1.0, 0.3, 0.25], "LSTM": [1.0, 0.95, 0.25], "GRU": [1.0, 0.5, 0.9]}
    text = find(made_up(accuracy), lengths, budgets)
    assert "1e-06x (SimpleRNN), 0.0001x (LSTM), 0.0001x (GRU)" in text and "fades through time in all three" in text
    assert "after 320 steps: SimpleRNN up to T = 5, LSTM up to T = 5, GRU up to T = 5;" in text
    # GRU's 90% at T = 80 alone does not count: it failed at T = 20
    assert "after 1280 steps: SimpleRNN up to T = 5, LSTM up to T = 20, GRU up to T = 5." in text
    assert "After training on T = 20, step 1 gets 1e-05x (SimpleRNN), 2x (LSTM)" in text
    assert "as the claim says; at T = 80 no network learns within 1280 steps." in text
    assert "not the smallest" not in text
    assert "SimpleRNN's is not the smallest" in find(made_up(accuracy, start=0.01), lengths, budgets)
    assert "after 320 steps: SimpleRNN up to T = 80" in find(made_up(accuracy, early=0.95), lengths, budgets)
    against = made_up({"SimpleRNN": [1.0, 0.95, 0.3], "LSTM": [1.0, 0.5, 0.3], "GRU": [0.4, 0.3, 0.3]})
    text = find(against, lengths, budgets)
    assert "no gated network remembers further back than SimpleRNN (at 90%), against the claim" in text
    assert "GRU at no length" in text
    every = made_up({k: [1.0, 1.0, 0.95] for k in NETWORKS})
    text = find(every, lengths, budgets)
    assert "SimpleRNN remembers over every length tried" in text and "no network learns" not in text
