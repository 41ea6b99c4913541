"""The checking of one layer field's value, and the one message template of spec errors.

No torch here: specs are read by code (draw, CLI summary) that must not load torch.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Sequence
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

REQUIRED = object()


@dataclass(frozen=True)
class Field:
    """One field of a layer: how its value is checked and its default."""

    kind: str  # "int" | "pair" | "number" | "bool" | "padding" | "activation"
    default: Any = REQUIRED
    low: float | None = None  # smallest allowed number
    high: float | None = None  # largest allowed number
    high_open: bool = False  # True when `high` itself is not allowed
    choices: tuple[str, ...] | None = None  # the names allowed, when fewer than the kind's own


def units_field() -> Field:
    return Field("int", low=1, high=MAX_SIZE)


def pair_field(default: Any = REQUIRED) -> Field:
    return Field("pair", default, low=1, high=MAX_SIZE)


def activation_field(default: Any = REQUIRED, choices: tuple[str, ...] | None = None) -> Field:
    return Field("activation", default, choices=choices)


def slope_field(default: float) -> Field:
    return Field("number", default, low=0.0, high=MAX_SIZE)


def pooling_fields() -> dict[str, Field]:
    # strides default None means "same as pool_size" (Keras' rule).
    return {"pool_size": pair_field([2, 2]), "strides": pair_field(None), "padding": Field("padding", "valid")}


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


def choices_of(field: Field) -> tuple[str, ...]:
    """Return the names a field of kind "activation" or "padding" takes."""
    if field.choices is not None:
        return field.choices
    return ACTIVATIONS if field.kind == "activation" else PADDINGS


def allowed_values(field: Field) -> str:
    """Return what a field accepts, in words, for an error message."""
    if field.kind == "activation":
        return ", ".join(choices_of(field))
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


def check_value(value: Any, field: Field, where: Where) -> Any:
    """Return the normalized value of one field, or raise SpecError."""
    kind = field.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise spec_error(where, f"expected true or false, got {describe(value)}", allowed_values(field),
                             given=value)
        return value
    if kind in ("activation", "padding"):
        return _check_choice(value, field, where)
    if kind == "pair":
        return _check_pair(value, field, where)
    if kind == "int" and not is_int(value):
        raise spec_error(where, f"expected an integer, got {describe(value)}", allowed_values(field), given=value)
    if kind == "number" and not is_number(value):
        raise spec_error(where, f"expected a finite number, got {describe(value)}", allowed_values(field),
                         given=value)
    _check_range(value, field, where)
    return int(value) if kind == "int" else float(value)


def _check_range(value: Any, field: Field, where: Where) -> None:
    too_low = field.low is not None and value < field.low
    too_high = field.high is not None and (value >= field.high if field.high_open else value > field.high)
    if too_low or too_high:
        raise spec_error(where, f"{value!r} is out of range", allowed_values(field), given=value)


def _check_choice(value: Any, field: Field, where: Where) -> str:
    choices = choices_of(field)
    if field.kind == "activation" and value is None and "linear" in choices:
        return "linear"  # Keras' activation=None
    if not isinstance(value, str):
        raise spec_error(where, f"expected a name, got {describe(value)}", allowed_values(field), given=value)
    if value.lower() in choices:
        return value.lower()
    hint = suggest(value, choices)
    raise spec_error(where, f"unknown value {value!r}", allowed_values(field),
                     f"did you mean {hint!r}?" if hint else None, given=value)


def _check_pair(value: Any, field: Field, where: Where) -> list[int]:
    if is_int(value):
        pair = [value, value]
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        pair = list(value)
    else:
        raise spec_error(where, f"expected an integer or a [height, width] pair, got {value!r}",
                         allowed_values(field), given=value)
    for item in pair:
        if not is_int(item):
            raise spec_error(where, f"expected integers, got {describe(item)} in {value!r}", allowed_values(field),
                             given=value)
        _check_range(item, field, where)
    return [int(v) for v in pair]
