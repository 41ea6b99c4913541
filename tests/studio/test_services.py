"""The studio's services called directly, without an app or HTTP: the same answers the
routes give, and nnstudio's errors (with their fields) where the routes answer 4xx."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from studio_helpers import CROSS, MODEL, png_bytes

from nnstudio.errors import SpecError, TrainingError
from nnstudio.spec import get_preset
from nnstudio.studio.services import datasets, designs, models, own_data, runs
from nnstudio.studio.state import StudioState
from nnstudio.studio.workspace import Conflict, NotFound


@pytest.fixture
def state(workspace: Path) -> StudioState:
    return StudioState.open(workspace, threads=1)


def test_own_data_services_make_a_dataset_without_http(state: StudioState) -> None:
    made = own_data.create_dataset(state, "marks", ["tick", "cross"])
    assert made["classes"] == ["cross", "tick"] and made["samples"] == 0  # in name order
    drawing = Image.open(io.BytesIO(png_bytes(CROSS, scale=4)))  # as the PNG body is decoded
    stored = own_data.add_sample(state, "marks", "cross", drawing)
    assert stored["counts"] == {"cross": 1, "tick": 0}
    assert own_data.sample_bytes(state, "marks", "cross", stored["file"]).startswith(b"\x89PNG")
    with pytest.raises(Conflict):
        own_data.create_dataset(state, "marks", ["a", "b"])
    with pytest.raises(NotFound):
        own_data.add_sample(state, "marks", "circle", drawing)
    assert "marks" in [item["name"] for item in datasets.list_datasets(state)]
    own_data.delete_dataset(state, "marks")
    assert "marks" not in [item["name"] for item in datasets.list_datasets(state)]


def test_design_service_points_at_the_layer_and_at_the_data(state: StudioState) -> None:
    spec = get_preset("shapes-mlp").to_dict()
    assert designs.check_design(state, spec, "shapes")["ok"] is True
    classes = spec["layers"][-1]["units"]  # the preset fits the shapes data
    spec["layers"][-1]["units"] = 3
    answer = designs.check_design(state, spec, "shapes")
    assert answer["ok"] is False and answer["layer"] == len(spec["layers"]) - 1 and answer["field"] == "units"
    assert answer["given"] == 3 and answer["needs"] == classes != 3
    spec["layers"][0]["units"] = 0
    with pytest.raises(SpecError) as caught:
        designs.design_svg(spec)
    assert caught.value.where.layer == 0 and caught.value.given == 0


def test_runs_service_refuses_before_anything_starts(state: StudioState, workspace: Path) -> None:
    spec = get_preset("shapes-mlp").to_dict()
    spec["layers"][-1]["units"] = 3
    with pytest.raises(TrainingError) as caught:
        runs.start_run(state, "shapes", spec, {"epochs": 1})
    assert caught.value.where.field == "units"
    assert runs.list_runs(state) == [] and not list((workspace / "runs").iterdir())


def test_models_service_predicts_and_describes(state: StudioState) -> None:
    answer = models.prediction(state, MODEL, np.asarray(CROSS, dtype=np.float32))
    assert answer["class"] == answer["predictions"][0]["class"]
    assert abs(sum(p["probability"] for p in answer["predictions"]) - 1.0) < 1e-5
    assert models.model_detail(state, MODEL)["name"] == MODEL
    assert models.network_svg(state, MODEL).lstrip().startswith("<?xml")
    with pytest.raises(NotFound):
        models.model_detail(state, "no-such-model")
