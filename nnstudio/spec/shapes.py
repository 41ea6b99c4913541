"""Shape inference and parameter counts, with Keras' rules, from a spec alone (no torch).

Output sizes: padding 'same' gives ceil(in / stride); 'valid' gives
floor((in - k) / stride) + 1. Parameter counts are Keras': BatchNormalization counts
4 per channel (gamma, beta, moving mean, moving variance), of which 2 are trained.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nnstudio.errors import Where
from nnstudio.spec.schema import (
    MAX_ELEMENTS,
    MAX_PARAMS,
    MAX_SIZE,
    SHAPE_KEEPING,
    describe,
    format_size,
    is_int,
    layer_where,
    source_where,
    spec_error,
)


@dataclass(frozen=True)
class LayerInfo:
    """What one spec layer turns its input into. Shapes are channels-first, without the batch axis."""

    index: int
    type: str
    output_shape: tuple[int, ...]
    params: int  # Keras' count, BatchNormalization's moving statistics included
    config: dict  # the normalized layer dict
    input_shape: tuple[int, ...] = ()
    trainable_params: int = 0


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


def infer_shapes(spec: Any) -> list[LayerInfo]:
    """Return one LayerInfo per layer of `spec` (a Spec), in order."""
    return walk_layers(spec.input_shape, spec.layers)


def count_params(spec: Any) -> int:
    """Return the network's parameter count as Keras reports it (BatchNormalization moving stats included)."""
    return sum(info.params for info in infer_shapes(spec))


def count_trainable_params(spec: Any) -> int:
    """Return the number of parameters that training changes (what torch's parameters() holds)."""
    return sum(info.trainable_params for info in infer_shapes(spec))


def walk_layers(input_shape: Sequence[int], layers: Sequence[dict], source: str = "") -> list[LayerInfo]:
    """Return the LayerInfo of every normalized layer, or raise SpecError at the first misfit."""
    infos = []
    shape = tuple(input_shape)
    total = 0
    for index, layer in enumerate(layers):
        where = layer_where(source, index, layer["type"])
        if layer.get("activation") == "softmax" and index != len(layers) - 1:
            raise spec_error(
                where.at(field="activation"),
                "'softmax' is only allowed in the last layer",
                "linear, relu, leaky_relu, sigmoid, tanh",
                "use 'relu' here; softmax turns the final outputs into probabilities",
                given="softmax",
            )
        out, params, trainable = _layer_output(layer, shape, where)
        count = math.prod(out)
        if count > MAX_ELEMENTS:
            raise spec_error(
                where,
                f"output shape {list(out)} holds {count:,} values per input",
                f"at most {MAX_ELEMENTS:,}",
                "use strides or pooling to shrink the maps, or fewer units",
            )
        total += params
        infos.append(LayerInfo(index, layer["type"], out, params, dict(layer), shape, trainable))
        shape = out
    if len(shape) != 1:
        last = layer_where(source, len(layers) - 1, layers[-1]["type"]) if layers else source_where(source)
        raise spec_error(
            last,
            f"the network ends with shape {list(shape)}",
            "a 1-D output, one value per class",
            "end with Flatten and a Dense layer with one unit per class",
        )
    if total > MAX_PARAMS:
        raise spec_error(
            source_where(source),
            f"the network has {total:,} parameters",
            f"at most {MAX_PARAMS:,}",
            "use fewer units or shrink the maps before Flatten",
        )
    return infos


def _layer_output(layer: dict, shape: tuple[int, ...], where: Where) -> tuple[tuple[int, ...], int, int]:
    """Return (output shape, Keras params, trainable params) of one layer applied to `shape`."""
    kind = layer["type"]
    if kind == "Dense":
        if len(shape) != 1:
            raise spec_error(
                where,
                f"Dense needs a 1-D input but gets shape {list(shape)}",
                "a Dense layer after a 1-D input, Flatten or another Dense",
                "add a Flatten layer before it",
            )
        units = layer["units"]
        params = shape[0] * units + (units if layer["use_bias"] else 0)
        return (units,), params, params
    if kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
        return _windowed_output(layer, shape, where)
    if kind == "Flatten":
        return (math.prod(shape),), 0, 0
    if kind == "BatchNormalization":
        channels = shape[0]  # channels-first: features of a vector, channels of an image
        return shape, 4 * channels, 2 * channels
    if kind in SHAPE_KEEPING:
        return shape, 0, 0
    raise spec_error(where, f"no shape rule for layer type {kind!r}")  # schema and shapes out of step


def _windowed_output(layer: dict, shape: tuple[int, ...], where: Where) -> tuple[tuple[int, ...], int, int]:
    kind = layer["type"]
    if len(shape) != 3:
        raise spec_error(
            where,
            f"{kind} needs a 3-D input [channels, height, width] but gets shape {list(shape)}",
            "Conv2D and pooling on images only",
            "use an input_shape like [1, 50, 50] and put Conv2D/pooling before Flatten",
        )
    field = "kernel_size" if kind == "Conv2D" else "pool_size"
    window, strides, padding = layer[field], layer["strides"], layer["padding"]
    channels, height, width = shape
    if padding == "valid" and (window[0] > height or window[1] > width):
        raise spec_error(
            where.at(field=field),
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


def check_input_shape(shape: Any, where: Where | str) -> tuple[int, ...]:
    """Return `shape` as a tuple of ints, or raise SpecError unless it is [D] or [C, H, W]."""
    allowed = f"[D] for vectors or [channels, height, width] for images, integers from 1 to {MAX_SIZE:,}"
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise spec_error(where, f"expected a list of sizes, got {describe(shape)}", allowed, given=shape)
    if len(shape) not in (1, 3):
        hint = f"use [1, {shape[0]}, {shape[1]}] for a grey image" if len(shape) == 2 else None
        raise spec_error(where, f"{list(shape)} has {len(shape)} dimensions", allowed, hint, given=shape)
    for size in shape:
        if not is_int(size):
            raise spec_error(where, f"expected integer sizes, got {describe(size)} in {list(shape)}", allowed,
                             given=shape)
        if not 1 <= size <= MAX_SIZE:
            raise spec_error(where, f"size {size} in {list(shape)} is out of range", allowed, given=shape)
    result = tuple(int(s) for s in shape)
    if math.prod(result) > MAX_ELEMENTS:
        raise spec_error(where, f"{list(result)} holds {math.prod(result):,} values", f"at most {MAX_ELEMENTS:,}",
                         given=shape)
    return result
