"""Activations of a recurrent layer for one input: its hidden state at every step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnstudio.model import build_model
from nnstudio.spec import Spec


def sequence_spec(kind: str, *, return_sequences: bool = False) -> Spec:
    """(6, 1) -> recurrent(4) [-> Flatten] -> Dense(1)."""
    layers = [{"type": kind, "units": 4, "return_sequences": return_sequences}]
    if return_sequences:
        layers.append({"type": "Flatten"})
    layers.append({"type": "Dense", "units": 1})
    return Spec.from_dict({"name": "seq", "input_shape": [6, 1], "layers": layers})


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent_layer_reports_every_step(kind, return_sequences):
    network = build_model(sequence_spec(kind, return_sequences=return_sequences), seed=0)
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(6, 1)
    acts = network.activations(x)
    assert acts[0].output.shape == (6, 4)  # (steps, units), even without return_sequences
    module = network.layers[0]
    with torch.inference_mode():
        # torch's own class (nn.RNN, nn.LSTM, nn.GRU) returns every step's state
        base = next(c for c in type(module).__mro__[1:] if c.__module__.startswith("torch.nn"))
        expected = base.forward(module, torch.from_numpy(x)[None])[0][0].numpy()
    np.testing.assert_allclose(acts[0].output, expected, rtol=1e-6, atol=1e-6)
    # The next layer gets what the layer passes on: the last step, or the whole sequence.
    last = acts[-1].output
    with torch.inference_mode():
        logits = network(torch.from_numpy(x)[None])
    assert last.shape == (1,)
    # A linear last layer (a number, not classes) reports its value, not a softmax of it.
    np.testing.assert_allclose(last, logits[0].numpy(), rtol=1e-6)
    if return_sequences:
        assert acts[1].output.shape == (24,)  # Flatten of all 6 steps
        np.testing.assert_allclose(acts[1].output, acts[0].output.reshape(-1), rtol=1e-6)


def test_dense_after_lstm_sees_the_last_step():
    network = build_model(sequence_spec("LSTM"), seed=1)
    x = np.random.default_rng(0).normal(size=(6, 1)).astype(np.float32)
    states = network.activations(x)[0].output  # (6, 4)
    dense = network.layers[1]
    with torch.inference_mode():
        z = dense(torch.from_numpy(states[-1:]))  # Dense on h_T alone
        logits = network(torch.from_numpy(x)[None])
    np.testing.assert_allclose(z.numpy(), logits.numpy(), rtol=1e-5, atol=1e-6)
    # Steps differ: the state moves through time, it is not one row copied.
    assert not np.allclose(states[0], states[-1])
