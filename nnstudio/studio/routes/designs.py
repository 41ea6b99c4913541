"""Presets, training options and network designs: check a spec, draw it."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import Response

from nnstudio.errors import SpecError
from nnstudio.spec import LAYER_FIELDS, get_preset, infer_shapes, load_spec, preset_names
from nnstudio.spec.schema import ACTIVATIONS, PADDINGS
from nnstudio.studio.options import option_table

router = APIRouter(prefix="/api", tags=["designs"])

_LAYER_AT = re.compile(r"layer (\d+)(?: \((\w+)\))?(?:, field '(\w+)')?")
SVG = "image/svg+xml"


@router.get("/presets")
def list_presets() -> list[dict[str, Any]]:
    """Every built-in network: name, spec (the JSON the CLI takes) and its layer summary."""
    return [{"name": name, "spec": get_preset(name).to_dict(), **summary(get_preset(name))}
            for name in preset_names()]


@router.get("/layers")
def list_layer_kinds() -> dict[str, Any]:
    """The layer vocabulary for the designer: each type's fields with kind and default."""
    kinds: dict[str, dict[str, Any]] = {}
    for type_, fields in LAYER_FIELDS.items():
        kinds[type_] = {}
        for name, f in fields.items():
            # A required field's default is the schema's marker object, not a JSON value.
            required = f.default is not None and not isinstance(f.default, (bool, int, float, str, list))
            kinds[type_][name] = {"kind": f.kind, "default": None if required else f.default,
                                  "required": required, "low": f.low, "high": f.high}
    return {"types": kinds, "activations": list(ACTIVATIONS), "paddings": list(PADDINGS)}


@router.get("/options")
def list_options() -> list[dict[str, Any]]:
    """Every training option as TrainConfig declares it: name, kind, default, bounds, choices, help."""
    return option_table()


@router.post("/specs/check")
def check_spec(spec: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Check a design: {"ok": true, layers with output shapes and parameters, total}, or
    {"ok": false, "error": message, "layer": index or null, "field": name or null}."""
    try:
        checked = load_spec(spec)
    except SpecError as error:
        return {"ok": False, **error_place(str(error))}
    return {"ok": True, "spec": checked.to_dict(), **summary(checked)}


@router.post("/specs/drawing.svg", response_class=Response)
def draw_spec(spec: dict[str, Any] = Body(...)) -> Response:
    """The network drawing of a design (SpecError, 422, when it is invalid)."""
    from nnstudio.draw import draw_network

    return Response(draw_network(load_spec(spec)), media_type=SVG)


def summary(spec: Any) -> dict[str, Any]:
    """Return {"input_shape", "layers": [{index, type, output_shape, params}], "total_params"}."""
    layers = [{"index": i.index, "type": i.type, "output_shape": list(i.output_shape), "params": i.params}
              for i in infer_shapes(spec)]
    return {"input_shape": list(spec.input_shape), "layers": layers,
            "total_params": sum(layer["params"] for layer in layers)}


def error_place(message: str) -> dict[str, Any]:
    """Return {"error", "layer", "field"}: where in the design a SpecError message points."""
    found = _LAYER_AT.search(message)
    if found is None:
        return {"error": message, "layer": None, "field": None}
    return {"error": message, "layer": int(found.group(1)), "field": found.group(3)}
