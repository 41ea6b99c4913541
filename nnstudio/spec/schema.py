"""The layer vocabulary of a spec: kinds, fields, defaults, and checking one layer.

A layer is a plain dict with Keras' names, e.g. ``{"type": "Conv2D", "filters": 32,
"kernel_size": 5}``. `normalize_layer` checks every field and returns the layer with
every default filled in and sizes written as ``[h, w]`` lists, so two specs that mean the
same network compare equal. Checks that need the layer's input shape live in shapes.py.
No torch here: specs are read by code (draw, CLI summary) that must not load torch.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nnstudio.errors import _UNSET, SpecError, Where

# Limits that catch typos such as an extra zero or two, long before torch tries to
# allocate gigabytes.
MAX_SIZE = 100_000  # any input dimension, units, filters, kernel, stride or pool size
MAX_ELEMENTS = 10_000_000  # values in one layer's output for one input
MAX_PARAMS = 200_000_000  # parameters of the whole network

ACTIVATIONS = ("linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax")
PADDINGS = ("valid", "same")
LEAKY_SLOPE = 0.2  # slope of the "leaky_relu" activation name unless given
LEAKY_RELU_LAYER_SLOPE = 0.3  # Keras' default for the LeakyReLU layer

_REQUIRED = object()


@dataclass(frozen=True)
class Field:
    """One field of a layer: how its value is checked and its default."""

    kind: str  # "int" | "pair" | "number" | "bool" | "padding" | "activation"
    default: Any = _REQUIRED
    low: float | None = None  # smallest allowed number
    high: float | None = None  # largest allowed number
    high_open: bool = False  # True when `high` itself is not allowed


def _units() -> Field:
    return Field("int", low=1, high=MAX_SIZE)


def _pair(default: Any = _REQUIRED) -> Field:
    return Field("pair", default, low=1, high=MAX_SIZE)


def _activation(default: Any = _REQUIRED) -> Field:
    return Field("activation", default)


def _slope(default: float) -> Field:
    return Field("number", default, low=0.0, high=MAX_SIZE)


def _pooling() -> dict[str, Field]:
    # strides default None means "same as pool_size" (Keras' rule).
    return {"pool_size": _pair([2, 2]), "strides": _pair(None), "padding": Field("padding", "valid")}


LAYER_FIELDS: dict[str, dict[str, Field]] = {
    "Dense": {
        "units": _units(),
        "activation": _activation("linear"),
        "negative_slope": _slope(LEAKY_SLOPE),
        "use_bias": Field("bool", True),
    },
    "Conv2D": {
        "filters": _units(),
        "kernel_size": _pair(),
        "strides": _pair([1, 1]),
        "padding": Field("padding", "valid"),
        "activation": _activation("linear"),
        "negative_slope": _slope(LEAKY_SLOPE),
        "use_bias": Field("bool", True),
    },
    "MaxPooling2D": _pooling(),
    "AveragePooling2D": _pooling(),
    "Flatten": {},
    "Dropout": {"rate": Field("number", low=0.0, high=1.0, high_open=True)},
    "BatchNormalization": {
        "momentum": Field("number", 0.99, low=0.0, high=1.0),
        "epsilon": Field("number", 0.001, low=1e-12, high=1.0),
    },
    "Activation": {"activation": _activation(), "negative_slope": _slope(LEAKY_SLOPE)},
    "LeakyReLU": {"negative_slope": _slope(LEAKY_RELU_LAYER_SLOPE)},
}
LAYER_TYPES = tuple(LAYER_FIELDS)

# Other names Keras accepts for the same thing, so specs written from Keras code load.
TYPE_ALIASES = {"MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D"}
FIELD_ALIASES = {"LeakyReLU": {"alpha": "negative_slope"}}  # Keras 2 called it alpha

# Layers whose output has the shape of their input.
SHAPE_KEEPING = ("Dropout", "BatchNormalization", "Activation", "LeakyReLU")


def spec_error(where: Where | str, what: str, allowed: str | None = None, help: str | None = None,
               given: Any = _UNSET) -> SpecError:
    """Return a SpecError in the one message template: ``where: what; allowed: ... (help: ...)``.
    A `where` given as text is a file's path, or "spec" for a spec that is not in a file."""
    if isinstance(where, str):
        where = source_where(where)
    return SpecError(what, where=where, given=given, allowed=allowed, hint=help)


def source_where(source: str) -> Where:
    """Return the Where of a spec's `source` (a path, or "" / "spec" for a spec given as data)."""
    return Where(subject="spec") if source in ("", "spec") else Where(file=source)


def layer_where(source: str, index: int, type_: str | None = None, field: str | None = None) -> Where:
    """Return the WHERE of a message, e.g. ``net.json: layer 3 (Conv2D), field 'strides'``."""
    return Where(file=source or None, layer=index, layer_type=type_, field=field)


def suggest(word: str, choices: Sequence[str]) -> str | None:
    """Return the choice closest to `word` (ignoring case), or None when nothing is close."""
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def describe(value: Any) -> str:
    """Return `value` echoed for a message, with its type when that is the problem."""
    return f"{value!r} ({type(value).__name__})"


def is_int(value: Any) -> bool:
    """True for Python/numpy integers, False for bools (True is not a size; numpy bools are not Integral)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for finite ints and floats, False for bools."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(value)


def format_size(pair: Sequence[int]) -> str:
    """Return ``[7, 7]`` written as ``7x7``."""
    return "x".join(str(v) for v in pair)


def normalize_layer(raw: Any, index: int, source: str = "") -> dict:
    """Return the layer as a new dict with every field checked and every default filled in.

    Raises SpecError naming the layer, the field, the value and what is allowed.
    """
    where = layer_where(source, index)
    if not isinstance(raw, Mapping):
        raise spec_error(where, f"a layer must be an object like {{\"type\": \"Dense\", ...}}, got {describe(raw)}",
                         given=raw)
    type_ = _layer_type(raw.get("type"), where)
    fields = LAYER_FIELDS[type_]
    given = _apply_aliases(raw, type_, layer_where(source, index, type_))
    layer: dict[str, Any] = {"type": type_}
    for name in given:
        if name != "type" and name not in fields:
            allowed = ", ".join(fields) if fields else f"no fields besides 'type' for {type_}"
            hint = suggest(str(name), list(fields))
            raise spec_error(
                layer_where(source, index, type_),
                f"unknown field {name!r}",
                allowed,
                f"did you mean {hint!r}?" if hint else None,
                given=name,
            )
    for name, field in fields.items():
        field_where = layer_where(source, index, type_, name)
        if name in given and not (given[name] is None and field.default is not _REQUIRED):
            layer[name] = _check_value(given[name], field, field_where)
        elif field.default is _REQUIRED:
            raise spec_error(field_where, "missing required field", _allowed(field))
        else:
            layer[name] = list(field.default) if isinstance(field.default, list) else field.default
    if "strides" in layer and layer["strides"] is None:
        layer["strides"] = list(layer["pool_size"])
    return layer


def _layer_type(type_: Any, where: Where) -> str:
    allowed = ", ".join(LAYER_TYPES)
    if type_ is None:
        raise spec_error(where, "missing field 'type'", allowed)
    if not isinstance(type_, str):
        raise spec_error(where, f"layer type must be a string, got {describe(type_)}", allowed, given=type_)
    if type_ in LAYER_FIELDS:
        return type_
    if type_ in TYPE_ALIASES:
        return TYPE_ALIASES[type_]
    hint = suggest(type_, list(LAYER_TYPES) + list(TYPE_ALIASES))
    raise spec_error(where, f"unknown layer type {type_!r}", allowed,
                     f"did you mean {hint!r}?" if hint else None, given=type_)


def _apply_aliases(raw: Mapping, type_: str, where: Where) -> dict:
    given = dict(raw)
    for alias, name in FIELD_ALIASES.get(type_, {}).items():
        if alias in given:
            if name in given:
                raise spec_error(where, f"both {alias!r} and {name!r} given; they mean the same thing", "one of them")
            given[name] = given.pop(alias)
    return given


def _allowed(field: Field) -> str:
    if field.kind == "activation":
        return ", ".join(ACTIVATIONS)
    if field.kind == "padding":
        return ", ".join(repr(p) for p in PADDINGS)
    if field.kind == "bool":
        return "true or false"
    high = "" if field.high is None else (f" and < {field.high:g}" if field.high_open else f" and <= {field.high:g}")
    if field.kind == "int":
        return f"an integer >= {field.low:g}{high}"
    if field.kind == "pair":
        return f"an integer or [height, width] of integers >= {field.low:g}{high}"
    return f"a number >= {field.low:g}{high}"


def _check_value(value: Any, field: Field, where: Where) -> Any:
    """Return the normalized value of one field, or raise SpecError."""
    kind = field.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise spec_error(where, f"expected true or false, got {describe(value)}", _allowed(field), given=value)
        return value
    if kind in ("activation", "padding"):
        return _check_choice(value, field, where)
    if kind == "pair":
        return _check_pair(value, field, where)
    if kind == "int" and not is_int(value):
        raise spec_error(where, f"expected an integer, got {describe(value)}", _allowed(field), given=value)
    if kind == "number" and not is_number(value):
        raise spec_error(where, f"expected a finite number, got {describe(value)}", _allowed(field), given=value)
    _check_range(value, field, where)
    return int(value) if kind == "int" else float(value)


def _check_range(value: Any, field: Field, where: Where) -> None:
    too_low = field.low is not None and value < field.low
    too_high = field.high is not None and (value >= field.high if field.high_open else value > field.high)
    if too_low or too_high:
        raise spec_error(where, f"{value!r} is out of range", _allowed(field), given=value)


def _check_choice(value: Any, field: Field, where: Where) -> str:
    choices = ACTIVATIONS if field.kind == "activation" else PADDINGS
    if field.kind == "activation" and value is None:
        return "linear"  # Keras' activation=None
    if not isinstance(value, str):
        raise spec_error(where, f"expected a name, got {describe(value)}", _allowed(field), given=value)
    if value.lower() in choices:
        return value.lower()
    hint = suggest(value, choices)
    raise spec_error(where, f"unknown value {value!r}", _allowed(field), f"did you mean {hint!r}?" if hint else None,
                     given=value)


def _check_pair(value: Any, field: Field, where: Where) -> list[int]:
    if is_int(value):
        pair = [value, value]
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        pair = list(value)
    else:
        raise spec_error(where, f"expected an integer or a [height, width] pair, got {value!r}", _allowed(field),
                         given=value)
    for item in pair:
        if not is_int(item):
            raise spec_error(where, f"expected integers, got {describe(item)} in {value!r}", _allowed(field),
                             given=value)
        _check_range(item, field, where)
    return [int(v) for v in pair]
