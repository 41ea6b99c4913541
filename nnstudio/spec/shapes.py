"""Shape inference and parameter counts, with Keras' rules, from a spec alone (no torch).

Each layer type's own rule is in registry.py; here they are applied in turn, with the
limits on sizes and parameters that hold for the whole network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nnstudio.errors import Where
from nnstudio.spec.fields import (
    MAX_ELEMENTS,
    MAX_PARAMS,
    MAX_SIZE,
    describe,
    is_int,
    layer_where,
    source_where,
    spec_error,
)
from nnstudio.spec.registry import layer_output, output_size, same_padding  # noqa: F401 - re-exported


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
        out, params, trainable = layer_output(layer, shape, where)
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


def check_input_shape(shape: Any, where: Where | str) -> tuple[int, ...]:
    """Return `shape` as a tuple of ints, or raise SpecError unless it is [D] or [C, H, W]."""
    allowed = (f"[D] for vectors, [steps, features] for sequences or [channels, height, width] for images, "
               f"integers from 1 to {MAX_SIZE:,}")
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise spec_error(where, f"expected a list of sizes, got {describe(shape)}", allowed, given=shape)
    if len(shape) not in (1, 2, 3):
        raise spec_error(where, f"{list(shape)} has {len(shape)} dimensions", allowed, given=shape)
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
