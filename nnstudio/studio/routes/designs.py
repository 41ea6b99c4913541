"""Presets, training options and network designs: check a spec, draw it."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from nnstudio.errors import SpecError, TrainingError, one_line
from nnstudio.spec import LAYER_FIELDS, Spec, get_preset, infer_shapes, load_spec, num_classes, preset_names
from nnstudio.spec.schema import ACTIVATIONS, PADDINGS
from nnstudio.studio.options import option_table
from nnstudio.studio.routes.datasets import check_fits_data, data_sample
from nnstudio.studio.state import StudioState, get_state

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
    {"ok": false, "error": message, "layer": index or null, "field": name or null}. With
    data, a design that cannot train on that dataset is not ok either: "field" is
    "input_shape" or the last layer's "units", "given" is what the design has and "needs"
    what the data have (their sample shape, or their class count)."""
    try:
        checked = load_spec(spec)
    except SpecError as error:
        return {"ok": False, **error_place(str(error))}
    answer = {"ok": True, "spec": checked.to_dict(), **summary(checked)}
    if data is not None:
        mismatch = data_mismatch(state, data, checked)
        if mismatch is not None:
            answer.update(ok=False, **mismatch)
    return answer


def data_mismatch(state: StudioState, data: str, spec: Spec) -> dict[str, Any] | None:
    """Return where and why spec cannot train on dataset data (None: it can), with the
    trainer's own message."""
    sample = data_sample(state, data, spec)
    try:
        check_fits_data(state, data, spec)
    except TrainingError as error:
        message = one_line(error)
        if sample.num_classes < 2:  # no network can train on it: nothing in the design to point at
            return {"error": message, "layer": None, "field": None}
        if num_classes(spec) != sample.num_classes:
            return {"error": message, "layer": len(spec.layers) - 1, "field": "units",
                    "given": num_classes(spec), "needs": sample.num_classes}
        return {"error": message, "layer": None, "field": "input_shape", "given": list(spec.input_shape),
                "needs": list(sample.input_shape)}
    return None


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
