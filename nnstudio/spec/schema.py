"""The layer vocabulary of a spec: kinds, fields, defaults, and checking one layer.

A layer is a plain dict with Keras' names, e.g. ``{"type": "Conv2D", "filters": 32,
"kernel_size": 5}``. `normalize_layer` checks every field and returns the layer with
every default filled in and sizes written as ``[h, w]`` lists, so two specs that mean the
same network compare equal. Each type's fields live in registry.py; checks that need the input shape, in shapes.py.
No torch here: specs are read by code (draw, CLI summary) that must not load torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.errors import Where

from nnstudio.spec.fields import (  # noqa: F401 - the vocabulary's names, re-exported
    ACTIVATIONS,
    LEAKY_RELU_LAYER_SLOPE,
    LEAKY_SLOPE,
    MAX_ELEMENTS,
    MAX_PARAMS,
    MAX_SIZE,
    PADDINGS,
    REQUIRED,
    Field,
    allowed_values,
    check_value,
    describe,
    format_size,
    is_int,
    is_number,
    layer_where,
    spec_error,
    suggest,
)
from nnstudio.spec.registry import FIELD_ALIASES, LAYER_FIELDS, LAYER_TYPES, TYPE_ALIASES  # noqa: F401


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
        if name in given and not (given[name] is None and field.default is not REQUIRED):
            layer[name] = check_value(given[name], field, field_where)
        elif field.default is REQUIRED:
            raise spec_error(field_where, "missing required field", allowed_values(field))
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
