"""Every layer type in one place: its fields, the inputs it takes and its shape rule.

The torch side (model/layers.py) keeps a builder per type under the same names; a test
checks that both tables name the same types. Shapes are channels-first, without the
batch axis: an image is (channels, height, width), a vector (features,), a sequence
(steps, features). Output sizes: padding 'same' gives ceil(in / stride); 'valid' gives
floor((in - k) / stride) + 1. Parameter counts are Keras': BatchNormalization counts 4
per channel (gamma, beta, moving mean, moving variance), of which 2 are trained.
Recurrent layers count two bias vectors per gate, as torch holds them (Keras' GRU does
too; its LSTM and SimpleRNN keep one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from nnstudio.errors import Where
from nnstudio.spec.fields import (
    LEAKY_RELU_LAYER_SLOPE,
    LEAKY_SLOPE,
    Field,
    activation_field,
    format_size,
    pair_field,
    pooling_fields,
    slope_field,
    spec_error,
    units_field,
)

Shape = tuple[int, ...]
# (layer, input shape, where) -> (output shape, Keras params, trainable params)
ShapeRule = Callable[[dict, Shape, Where], tuple[Shape, int, int]]

INPUT_KINDS = {1: "vector", 2: "sequence", 3: "image"}  # by the number of dimensions
RECURRENT_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


@dataclass(frozen=True)
class LayerType:
    """One layer type: `fields` (name -> Field), `inputs` (the input kinds it takes),
    `shape` (its shape rule) and `example` (the required fields of a small instance)."""

    name: str
    fields: dict[str, Field]
    inputs: tuple[str, ...]
    shape: ShapeRule
    example: dict = field(default_factory=dict)


def output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """Return the length of one spatial axis after a convolution or pooling window."""
    if padding == "same":
        return -(-size // stride)  # ceil(size / stride)
    return (size - kernel) // stride + 1


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Return (before, after) zero padding of one axis for padding 'same', as TensorFlow pads.

    The odd pixel, when the total is odd, goes after (bottom/right).
    """
    total = max((output_size(size, kernel, stride, "same") - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _dense(layer: dict, shape: Shape, where: Where) -> tuple[Shape, int, int]:
    units = layer["units"]
    params = shape[0] * units + (units if layer["use_bias"] else 0)
    return (units,), params, params


def _windowed(layer: dict, shape: Shape, where: Where) -> tuple[Shape, int, int]:
    kind = layer["type"]
    name = "kernel_size" if kind == "Conv2D" else "pool_size"
    window, strides, padding = layer[name], layer["strides"], layer["padding"]
    channels, height, width = shape
    if padding == "valid" and (window[0] > height or window[1] > width):
        raise spec_error(
            where.at(field=name),
            f"{format_size(window)} is bigger than its input {height}x{width}",
            f"at most {height}x{width} with padding 'valid'",
            f"use padding 'same' or a smaller {'kernel' if kind == 'Conv2D' else 'pool'}",
            given=list(window),
        )
    out_h = output_size(height, window[0], strides[0], padding)
    out_w = output_size(width, window[1], strides[1], padding)
    if kind != "Conv2D":
        return (channels, out_h, out_w), 0, 0
    filters = layer["filters"]
    params = window[0] * window[1] * channels * filters + (filters if layer["use_bias"] else 0)
    return (filters, out_h, out_w), params, params


def _flatten(layer: dict, shape: Shape, where: Where) -> tuple[Shape, int, int]:
    return (math.prod(shape),), 0, 0


def _batch_norm(layer: dict, shape: Shape, where: Where) -> tuple[Shape, int, int]:
    channels = shape[0]  # channels-first: features of a vector, channels of an image
    return shape, 4 * channels, 2 * channels


def _same(layer: dict, shape: Shape, where: Where) -> tuple[Shape, int, int]:
    return shape, 0, 0


def _recurrent(layer: dict, shape: Shape, where: Where) -> tuple[Shape, int, int]:
    steps, features = shape
    units = layer["units"]
    params = RECURRENT_GATES[layer["type"]] * (features * units + units * units + 2 * units)
    out = (steps, units) if layer["return_sequences"] else (units,)
    return out, params, params


def _recurrent_fields(activation: bool) -> dict[str, Field]:
    fields = {"units": units_field(), "return_sequences": Field("bool", False)}
    if activation:
        fields["activation"] = activation_field("tanh", choices=("tanh", "relu"))
    return fields


_ACTIVATED = {"activation": activation_field("linear"), "negative_slope": slope_field(LEAKY_SLOPE)}
_ANY_INPUT = ("vector", "sequence", "image")

LAYERS: dict[str, LayerType] = {kind.name: kind for kind in (
    LayerType("Dense", {"units": units_field(), **_ACTIVATED, "use_bias": Field("bool", True)},
              ("vector",), _dense, {"units": 3}),
    LayerType("Conv2D", {"filters": units_field(), "kernel_size": pair_field(), "strides": pair_field([1, 1]),
                         "padding": Field("padding", "valid"), **_ACTIVATED, "use_bias": Field("bool", True)},
              ("image",), _windowed, {"filters": 2, "kernel_size": 3}),
    LayerType("MaxPooling2D", pooling_fields(), ("image",), _windowed),
    LayerType("AveragePooling2D", pooling_fields(), ("image",), _windowed),
    LayerType("Flatten", {}, _ANY_INPUT, _flatten),
    LayerType("Dropout", {"rate": Field("number", low=0.0, high=1.0, high_open=True)}, _ANY_INPUT, _same,
              {"rate": 0.5}),
    LayerType("BatchNormalization", {"momentum": Field("number", 0.99, low=0.0, high=1.0),
                                     "epsilon": Field("number", 0.001, low=1e-12, high=1.0)},
              ("vector", "image"), _batch_norm),
    LayerType("Activation", {"activation": activation_field(), "negative_slope": slope_field(LEAKY_SLOPE)},
              _ANY_INPUT, _same, {"activation": "relu"}),
    LayerType("LeakyReLU", {"negative_slope": slope_field(LEAKY_RELU_LAYER_SLOPE)}, _ANY_INPUT, _same),
    LayerType("SimpleRNN", _recurrent_fields(True), ("sequence",), _recurrent, {"units": 4}),
    LayerType("LSTM", _recurrent_fields(False), ("sequence",), _recurrent, {"units": 4}),
    LayerType("GRU", _recurrent_fields(False), ("sequence",), _recurrent, {"units": 4}),
)}

LAYER_FIELDS: dict[str, dict[str, Field]] = {name: kind.fields for name, kind in LAYERS.items()}
LAYER_TYPES = tuple(LAYERS)
RECURRENT_TYPES = tuple(RECURRENT_GATES)

# Other names Keras accepts for the same thing, so specs written from Keras code load.
TYPE_ALIASES = {"MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D"}
FIELD_ALIASES = {"LeakyReLU": {"alpha": "negative_slope"}}  # Keras 2 called it alpha

# input kind -> (what the layer needs, what is allowed, help)
_WANTS = {
    "vector": ("a 1-D input", "a {type} layer after a 1-D input, Flatten or another Dense",
               "add a Flatten layer before it"),
    "image": ("a 3-D input [channels, height, width]", "Conv2D and pooling on images only",
              "use an input_shape like [1, 50, 50] and put Conv2D/pooling before Flatten"),
    "sequence": ("a 2-D input [steps, features]", "recurrent layers on sequences only",
                 "use an input_shape like [10, 1]; a recurrent layer before another needs return_sequences"),
}


def layer_output(layer: dict, shape: Shape, where: Where) -> tuple[Shape, int, int]:
    """Return (output shape, Keras params, trainable params) of one normalized layer applied to `shape`."""
    kind = LAYERS[layer["type"]]
    given = INPUT_KINDS.get(len(shape), f"{len(shape)}-D")
    if given not in kind.inputs:  # the first kind listed is the one to explain
        needs, allowed, hint = _WANTS[kind.inputs[0]]
        if given == "sequence" and "vector" in kind.inputs:
            hint += f", a recurrent layer (LSTM, GRU, SimpleRNN) for a sequence, or use [1, {shape[0]}, {shape[1]}]" \
                    " for a grey image"
        what = f"{kind.name} needs {needs}" if len(kind.inputs) == 1 else f"{kind.name} takes {', '.join(kind.inputs)}"
        raise spec_error(where, f"{what} but gets shape {list(shape)}", allowed.format(type=kind.name), hint)
    return kind.shape(layer, shape, where)
