"""The Spec: a whole network as plain data (name, input shape, layers, default training options).

A Spec is always valid: building one (directly, with `Spec.from_dict`, or through
`dataclasses.replace`) normalizes every layer and checks that the shapes fit together.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from nnstudio.errors import Where
from nnstudio.spec.schema import describe, is_int, normalize_layer, spec_error
from nnstudio.spec.shapes import check_input_shape, infer_shapes, walk_layers

SPEC_KEYS = ("name", "input_shape", "layers", "training")
DEFAULT_NAME = "network"


@dataclass(frozen=True)
class Spec:
    """A validated network description; layers are normalized dicts with Keras' names."""

    name: str
    input_shape: tuple[int, ...]
    layers: tuple[dict, ...]
    training: dict = field(default_factory=dict)  # default options, keys named as TrainConfig's fields

    def __post_init__(self) -> None:
        parts = _normalize(self.name, self.input_shape, self.layers, self.training, "")
        for name, value in zip(("name", "input_shape", "layers", "training"), parts):
            object.__setattr__(self, name, value)

    @classmethod
    def from_dict(cls, d: Any, source: str = "<dict>") -> Spec:
        """Return the Spec that `d` (JSON-like dict) describes; SpecError messages start with `source`."""
        prefix = "" if source == "<dict>" else source
        if not isinstance(d, Mapping):
            raise spec_error(prefix or "spec", f"expected an object with {', '.join(SPEC_KEYS)}, got {describe(d)}")
        unknown = [key for key in d if key not in SPEC_KEYS]
        if unknown:
            raise spec_error(prefix or "spec", f"unknown key {unknown[0]!r}", ", ".join(SPEC_KEYS))
        for key in ("input_shape", "layers"):
            if key not in d:
                raise spec_error(_top_where(prefix, key), "missing required field", _ALLOWED[key])
        parts = _normalize(d.get("name", DEFAULT_NAME), d["input_shape"], d["layers"], d.get("training"), prefix)
        return cls(*parts)

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (lists, not tuples) that `from_dict` turns back into an equal Spec."""
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "layers": copy.deepcopy(list(self.layers)),
            "training": copy.deepcopy(self.training),
        }


_ALLOWED = {
    "name": "a non-empty string",
    "input_shape": "[D] for vectors, [steps, features] for sequences or [channels, height, width] for images",
    "layers": "a non-empty list of layer objects",
    "training": "an object of training options (epochs, batch_size, optimizer, lr, ...)",
}


def _top_where(prefix: str, key: str) -> Where:
    return Where(file=prefix, field=key) if prefix else Where(subject="spec", field=key)


def _normalize(name: Any, input_shape: Any, layers: Any, training: Any, prefix: str) -> tuple:
    """Return (name, input_shape, layers, training) checked and normalized, or raise SpecError."""
    if not isinstance(name, str) or not name:
        raise spec_error(_top_where(prefix, "name"), f"got {describe(name)}", _ALLOWED["name"], given=name)
    shape = check_input_shape(input_shape, _top_where(prefix, "input_shape"))
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence) or not layers:
        raise spec_error(
            _top_where(prefix, "layers"),
            f"got {describe(layers) if not isinstance(layers, Sequence) else 'an empty list'}",
            _ALLOWED["layers"],
            "a classifier needs at least one Dense layer with one unit per class",
            given=layers,
        )
    normalized = tuple(normalize_layer(layer, index, prefix) for index, layer in enumerate(layers))
    walk_layers(shape, normalized, prefix)
    return name, shape, normalized, _normalize_training(training, prefix)


def _normalize_training(training: Any, prefix: str) -> dict:
    # Values are checked by TrainConfig.from_options (train owns the option rules); here we
    # only make sure the section is JSON-like data.
    where = _top_where(prefix, "training")
    if training is None:
        return {}
    if not isinstance(training, Mapping):
        raise spec_error(where, f"got {describe(training)}", _ALLOWED["training"])
    result = {}
    for key, value in training.items():
        if not isinstance(key, str):
            raise spec_error(where, f"option names must be strings, got {describe(key)}", _ALLOWED["training"])
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise spec_error(where.at(option=key), f"got {describe(value)}", "a number, string, boolean or null",
                             given=value)
        result[key] = value
    return result


def num_classes(spec: Spec) -> int:
    """Return the size of the network's output: the units of its last Dense layer."""
    return infer_shapes(spec)[-1].output_shape[0]


def with_classes(spec: Spec, n: int) -> Spec:
    """Return a copy of `spec` whose last Dense layer has `n` units."""
    dense = [i for i, layer in enumerate(spec.layers) if layer["type"] == "Dense"]
    if not dense:
        raise spec_error(f"spec {spec.name!r}", "has no Dense layer to resize", "a spec ending with Dense")
    if not is_int(n) or n < 1:
        raise spec_error(f"spec {spec.name!r}", f"number of classes {n!r} is not a positive integer", given=n)
    layers = [dict(layer) for layer in spec.layers]
    layers[dense[-1]]["units"] = int(n)
    return replace(spec, layers=tuple(layers))


def with_input_shape(spec: Spec, shape: Sequence[int]) -> Spec:
    """Return a copy of `spec` taking inputs of `shape`; SpecError when its layers do not fit it."""
    return replace(spec, input_shape=tuple(int(d) for d in shape))
