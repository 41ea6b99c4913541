"""What a network picture is drawn from: plain numpy data, and the spec grouped into stages.

A `NetView` holds a Spec plus, when a trained model is at hand, its weights and class
names, and, for one input, every layer's output, all as numpy arrays (the adapter
fills them from a torch model). A `Stage` is one thing the picture shows as a unit: a
column of neurons (the input vector, a Dense layer, Flatten) or a stack of planes
(an input image, a Conv2D or pooling output) or a recurrent layer (SimpleRNN, LSTM,
GRU), drawn unrolled in time over a sequence input. Layers that keep the shape
(BatchNormalization, Activation, LeakyReLU, Dropout) become notes on the stage before them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from nnstudio.spec import Spec, infer_shapes

RECURRENT = ("SimpleRNN", "LSTM", "GRU")
STARTS_STAGE = ("Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten") + RECURRENT


@dataclass(frozen=True)
class NetView:
    """A network as plain data: spec, optional weights, class names and one input's outputs."""

    spec: Spec
    weights: Mapping[str, np.ndarray] | None = None  # state_dict keys, e.g. 'layers.0.weight'
    class_names: tuple[str, ...] | None = None
    outputs: Mapping[int, np.ndarray] | None = None  # spec layer index -> output; -1 -> input
    # Per input value, how much it varies over the training data (std); 0 marks pixels that
    # are the same in every sample, whose first-layer weights never leave their start.
    input_spread: np.ndarray | None = None
    # Stage layer -> bool mask of neurons switched off by dropout in one training step.
    dropped: Mapping[int, np.ndarray] | None = None

    def weight(self, layer: int) -> np.ndarray | None:
        """Return the weight array of spec layer `layer`, or None without a trained model."""
        if self.weights is None:
            return None
        return self.weights.get(f"layers.{layer}.weight")


@dataclass
class Stage:
    """One column or stack of the picture and the spec layers folded into it."""

    kind: str  # input | dense | flatten | conv | pool | recurrent
    layer: int  # spec index of the layer that makes this stage; -1 for the input
    last: int  # spec index whose output the stage shows (after activation, dropout)
    shape: tuple[int, ...]
    config: dict = field(default_factory=dict)
    activation: str | None = None
    batchnorm: bool = False
    dropout: float | None = None
    input_shape: tuple[int, ...] = ()  # what the layer takes: (steps, features) for a recurrent one

    @property
    def size(self) -> int:
        """Return the number of values this stage outputs."""
        return math.prod(self.shape)

    @property
    def is_vector(self) -> bool:
        """Return True when the stage is drawn as a column of neurons."""
        return len(self.shape) == 1

    def notes(self) -> list[str]:
        """Return the short notes under the stage label: batch norm, activation, dropout."""
        notes = []
        if self.batchnorm:
            notes.append("batch norm")
        if self.activation and self.activation != "linear":
            notes.append(self.activation)
        if self.dropout:
            notes.append(f"dropout {self.dropout:g}")
        return notes


def _activation_name(config: dict) -> str:
    name = config.get("activation", "linear")
    if name == "leaky_relu":
        return f"leaky relu {config.get('negative_slope', 0.2):g}"
    return name


def group_stages(spec: Spec) -> list[Stage]:
    """Return the spec's stages in order, the input first."""
    kind = "input"
    stages = [Stage(kind, -1, -1, tuple(spec.input_shape))]
    for info in infer_shapes(spec):
        config = info.config
        if info.type in STARTS_STAGE:
            kind = {"Dense": "dense", "Conv2D": "conv", "Flatten": "flatten"}.get(info.type, "pool")
            kind = "recurrent" if info.type in RECURRENT else kind
            stage = Stage(kind, info.index, info.index, tuple(info.output_shape), config,
                          input_shape=tuple(info.input_shape))
            if info.type in ("Dense", "Conv2D") or "activation" in config:
                stage.activation = _activation_name(config)
            stages.append(stage)
            continue
        stage = stages[-1]
        stage.last = info.index
        if info.type == "BatchNormalization":
            stage.batchnorm = True
        elif info.type == "Dropout":
            stage.dropout = config.get("rate")
        elif info.type == "LeakyReLU":
            stage.activation = f"leaky relu {config.get('negative_slope', 0.2):g}"
        elif info.type == "Activation":
            stage.activation = _activation_name(config)
    return stages


def stage_output(view: NetView, stage: Stage) -> np.ndarray | None:
    """Return the values `stage` shows for the view's input (shape stage.shape), or None."""
    if view.outputs is None:
        return None
    value = view.outputs.get(stage.last)
    if value is None:
        return None
    value = np.asarray(value, dtype=float)
    if stage.kind == "recurrent" and value.ndim == 2 and len(stage.shape) == 1:
        value = value[-1]  # activations hold every step; the layer passes on the last
    return value.reshape(stage.shape)


def recurrent_states(view: NetView, stage: Stage) -> np.ndarray | None:
    """Return a recurrent stage's hidden state at every step (steps, units) for the view's
    input, or None without one (or when only the last step is known)."""
    if view.outputs is None or stage.kind != "recurrent":
        return None
    value = view.outputs.get(stage.layer)
    if value is None:
        return None
    steps, units = stage.input_shape[0], int(stage.config["units"])
    value = np.asarray(value, dtype=float)
    return value.reshape(steps, units) if value.size == steps * units else None


def required_output(view: NetView, stage: Stage) -> np.ndarray:
    """Return stage_output for a picture that cannot be drawn without it."""
    value = stage_output(view, stage)
    if value is None:
        from nnstudio.errors import DrawError

        raise DrawError(f"layer {stage.last}: no activations to draw; allowed: a model run on an input")
    return value


def square_side(size: int) -> int | None:
    """Return n when `size` is n*n (n >= 2): a flattened square image, else None."""
    side = math.isqrt(size)
    return side if side >= 2 and side * side == size else None
