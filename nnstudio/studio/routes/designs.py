"""Presets, training options and network designs: check a spec, draw it. The work is in
services.designs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from nnstudio.spec import LAYER_FIELDS
from nnstudio.spec.schema import ACTIVATIONS, PADDINGS
from nnstudio.studio.dependencies import get_state
from nnstudio.studio.options import option_table
from nnstudio.studio.services import designs as service
from nnstudio.studio.state import StudioState

router = APIRouter(prefix="/api", tags=["designs"])

SVG = "image/svg+xml"


@router.get("/presets")
def list_presets() -> list[dict[str, Any]]:
    """Every built-in network: name, spec (the JSON the CLI takes) and its layer summary."""
    return service.list_presets()


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
                                  "required": required, "low": f.low, "high": f.high,
                                  "choices": list(f.choices) if f.choices is not None else None}
    return {"types": kinds, "activations": list(ACTIVATIONS), "paddings": list(PADDINGS)}


@router.get("/options")
def list_options() -> list[dict[str, Any]]:
    """Every training option as TrainConfig declares it: name, kind, default, bounds, choices, help."""
    return option_table()


@router.post("/specs/check")
def check_spec(spec: dict[str, Any] = Body(...),
               data: str | None = Query(None, description="A dataset the design must be able to train on."),
               state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Check a design: {"ok": true, layers with output shapes and parameters, total}, or
    {"ok": false, "error", "layer", "field", "where", "given", "allowed", "hint"} (see
    services.designs.check_design); with data, also whether it can train on that dataset."""
    return service.check_design(state, spec, data)


@router.post("/specs/drawing.svg", response_class=Response)
def draw_spec(spec: dict[str, Any] = Body(...)) -> Response:
    """The network drawing of a design (SpecError, 422, when it is invalid)."""
    return Response(service.design_svg(spec), media_type=SVG)
