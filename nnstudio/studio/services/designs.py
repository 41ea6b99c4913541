"""Network designs: the presets with their layer summaries, checking a design (and
whether it can train on a dataset), drawing it. Plain arguments in, plain data out:
no HTTP here."""

from __future__ import annotations

from typing import Any

from nnstudio.errors import NnstudioError, SpecError, TrainingError, error_fields
from nnstudio.spec import Spec, get_preset, infer_shapes, load_spec, preset_names
from nnstudio.studio.services.datasets import check_fits_data, data_sample
from nnstudio.studio.state import StudioState


def list_presets() -> list[dict[str, Any]]:
    """Return every built-in network: name, spec (the JSON the CLI takes) and its layer summary."""
    return [{"name": name, "spec": get_preset(name).to_dict(), **summary(get_preset(name))}
            for name in preset_names()]


def check_design(state: StudioState, spec: dict[str, Any], data: str | None = None) -> dict[str, Any]:
    """Return {"ok": true, layers with output shapes and parameters, total}, or
    {"ok": false, "error": message, "layer": index or null, "field": name or null, and the
    error's fields: "where", "given", "allowed", "hint"}. With data, a design that cannot
    train on that dataset is not ok either: "field" is "input_shape" or the last layer's
    "units", "given" is what the design has and "needs" what the data have (their sample
    shape, or their class count)."""
    try:
        checked = load_spec(spec)
    except SpecError as error:
        return {"ok": False, **error_place(error)}
    answer = {"ok": True, "spec": checked.to_dict(), **summary(checked)}
    if data is not None:
        mismatch = data_mismatch(state, data, checked)
        if mismatch is not None:
            answer.update(ok=False, **mismatch)
    return answer


def data_mismatch(state: StudioState, data: str, spec: Spec) -> dict[str, Any] | None:
    """Return where and why spec cannot train on dataset data (None: it can), with the
    trainer's own message."""
    try:
        check_fits_data(state, data, spec)
    except TrainingError as error:
        sample = data_sample(state, data, spec)  # read again only to say what it needs
        answer = error_place(error)  # the trainer's error: where.field is "units" or "input_shape"
        if error.where.field == "units":
            answer["needs"] = sample.num_classes
        elif error.where.field == "input_shape":
            answer["needs"] = list(sample.input_shape)
        return answer
    return None


def design_svg(spec: dict[str, Any]) -> str:
    """Return the network drawing of a design (SpecError when it is invalid)."""
    from nnstudio.draw import draw_network

    return draw_network(load_spec(spec))


def summary(spec: Any) -> dict[str, Any]:
    """Return {"input_shape", "layers": [{index, type, output_shape, params}], "total_params"}."""
    layers = [{"index": i.index, "type": i.type, "output_shape": list(i.output_shape), "params": i.params}
              for i in infer_shapes(spec)]
    return {"input_shape": list(spec.input_shape), "layers": layers,
            "total_params": sum(layer["params"] for layer in layers)}


def error_place(error: NnstudioError) -> dict[str, Any]:
    """Return {"error", "layer", "field"} (where in the design the error points) and the
    error's fields ("where", "given", "allowed", "hint")."""
    return {**error_fields(error), "layer": error.where.layer, "field": error.where.field}
