"""A spec as a torch module: `build_model(spec)` -> Network.

forward returns logits (a final softmax in the spec is left out, because training uses
cross-entropy on logits); predict_proba and activations apply it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nnstudio.errors import DataError
from nnstudio.model.layers import RecurrentLayer, build_layer, initialize_layer
from nnstudio.spec import Spec, infer_shapes, load_spec


@dataclass(frozen=True)
class LayerActivation:
    """The output of spec layer `index` for one input, without the batch axis."""

    index: int
    type: str
    output: np.ndarray


class Network(nn.Module):
    """One module per spec layer in `self.layers`, run in order."""

    def __init__(self, spec: Spec):
        super().__init__()
        self.spec = spec
        self.layers = nn.ModuleList(build_layer(info) for info in infer_shapes(spec))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits (N, classes) for a batch x of shape (N, *input_shape)."""
        for layer in self.layers:
            x = layer(x)
        return x

    def predict_proba(self, x: Any) -> torch.Tensor:
        """Return softmax probabilities (N, classes) for a batch, or (1, classes) for one input."""
        with self._evaluating():
            return F.softmax(self(self._as_batch(x)), dim=1)

    def activations(self, x: Any) -> list[LayerActivation]:
        """Return every layer's output for ONE input (shape input_shape or (1, *input_shape)).

        A recurrent layer reports its hidden state at every step (steps, units), also
        when it passes on only the last one (return_sequences false), so a picture can
        show the state moving through time. A last layer whose activation is softmax
        reports the class probabilities (a recurrent last layer: of its last step); any
        other last layer (a linear output that answers with numbers) reports its values.
        """
        x = self._as_batch(x)
        if x.shape[0] != 1:
            raise DataError(f"activations(): expected one input, got a batch of {x.shape[0]}")
        results = []
        last = len(self.layers) - 1 if self.spec.layers[-1].get("activation") == "softmax" else -1
        with self._evaluating():
            for index, (layer, config) in enumerate(zip(self.layers, self.spec.layers)):
                x, out = _layer_outputs(layer, x)
                out = F.softmax(x, dim=1) if index == last else out
                results.append(LayerActivation(index, config["type"], out[0].detach().cpu().numpy().copy()))
        return results

    @contextlib.contextmanager
    def _evaluating(self) -> Iterator[None]:
        """Eval mode and inference mode inside; the previous train/eval mode is restored after."""
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode():
                yield
        finally:
            self.train(was_training)

    def _as_batch(self, x: Any) -> torch.Tensor:
        """Return x as a float tensor on the model's device, with a batch axis."""
        param = next(self.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        x = torch.as_tensor(x, dtype=torch.float32, device=device)
        shape = tuple(self.spec.input_shape)
        if tuple(x.shape) == shape:
            x = x.unsqueeze(0)
        if tuple(x.shape[1:]) != shape:
            raise DataError(
                f"network {self.spec.name!r}: input of shape {list(x.shape)}; allowed: {list(shape)} or "
                f"[N, {', '.join(map(str, shape))}]"
            )
        return x


def _layer_outputs(layer: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (what `layer` passes on for x, what activations() reports for it): the same
    tensor, except for a recurrent layer, which reports every step (N, steps, units)."""
    if not isinstance(layer, RecurrentLayer):
        out = layer(x)
        return out, out
    sequence = layer.states(x)
    return layer.passed_on(sequence), sequence


def build_model(spec: Any, seed: int | None = None) -> Network:
    """Return a new Network for `spec` (a Spec, preset name, .json path or dict).

    Weights start as Keras' do (Glorot-uniform kernels, zero biases). With `seed`, they come
    from a torch.Generator seeded with it, so the same seed gives the same weights, and the
    global random state is left untouched.
    """
    spec = load_spec(spec)
    if seed is None:
        network = Network(spec)
        initialize(network, None)
        return network
    generator = torch.Generator().manual_seed(int(seed))
    with torch.random.fork_rng(devices=[]):  # module constructors draw from the global RNG
        network = Network(spec)
    initialize(network, generator)
    return network


def initialize(network: Network, generator: torch.Generator | None) -> None:
    """Set every layer's parameters to Keras' initial values, drawing from `generator`."""
    for layer, config in zip(network.layers, network.spec.layers):
        initialize_layer(layer, config["type"], generator)
