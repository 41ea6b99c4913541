"""The studio chooses and checks networks as `nnstudio train` does: the datasets API
reports the default network of spec.fitting, the runs route trains it when no model is
given, and a design that cannot fit the data is refused at once in the trainer's words.
Also: the mistakes route's one forward pass, and the offline /docs page."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from studio_helpers import BROKEN_SQUARE, CROSS, MODEL, files_under, png_bytes

from nnstudio.data import load_dataset
from nnstudio.errors import TrainingError
from nnstudio.predict import load
from nnstudio.spec import get_preset, load_spec
from nnstudio.train.tensors import check_classes, input_tensors
from nnstudio.workflows import choose_network, load_training_data

PNG = {"content-type": "image/png"}


def make_dataset(client: TestClient, name: str, scale: int = 8) -> None:
    """An own dataset of 40x40 drawings (scale 8), three per class: small data."""
    client.post("/api/datasets", json={"name": name, "classes": ["square", "x"]})
    for label, pixels in (("square", BROKEN_SQUARE), ("x", CROSS)):
        for _ in range(3):
            answer = client.post(f"/api/datasets/{name}/samples?class={label}", content=png_bytes(pixels, scale),
                                 headers=PNG)
            assert answer.status_code == 201, answer.text


def test_own_dataset_reports_the_network_nnstudio_train_picks(client: TestClient, workspace: Path) -> None:
    make_dataset(client, "doodles")
    network = client.get("/api/datasets/doodles").json()["network"]
    spec, _ = choose_network(None, workspace / "datasets" / "doodles")  # what `nnstudio train` picks
    assert network["spec"] == spec.to_dict()
    assert network["input_shape"] == list(spec.input_shape)
    assert network["preset"] is None and network["reason"]  # fitted to the data: no preset's name
    assert network["spec"]["layers"][-1]["units"] == 2


@pytest.mark.parametrize("name", ["shapes", "digits"])
def test_builtin_dataset_reports_its_preset(client: TestClient, name: str) -> None:
    network = client.get(f"/api/datasets/{name}").json()["network"]
    spec, _ = choose_network(None, name)
    assert network["spec"] == spec.to_dict() and network["preset"] == spec.name
    assert network["input_shape"] == list(spec.input_shape)


def test_a_run_without_model_trains_the_default_network(client: TestClient, workspace: Path) -> None:
    make_dataset(client, "doodles")
    spec, _ = choose_network(None, workspace / "datasets" / "doodles")
    answer = client.post("/api/runs", json={"data": "doodles", "options": {"epochs": 1}})
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert run["spec"] == spec.to_dict() and run["network"] == spec.name
    client.post(f"/api/runs/{run['id']}/stop")


def test_an_empty_class_has_no_network_yet(client: TestClient) -> None:
    client.post("/api/datasets", json={"name": "empty", "classes": ["a", "b"]})
    client.post("/api/datasets/empty/samples?class=a", content=png_bytes(CROSS), headers=PNG)
    info = client.get("/api/datasets/empty").json()
    assert info["network"] is None and "class 'b' has no samples yet" in info["network_error"]


def trainer_words(spec_dict: dict, data: str | Path) -> str:
    """The message the trainer (and so the CLI) gives for spec on data."""
    spec = load_spec(spec_dict)
    dataset = load_training_data(data, spec, per_class=1)
    with pytest.raises(TrainingError) as raised:
        check_classes(spec, dataset)
        input_tensors(spec, dataset)
    return " ".join(str(raised.value).split())


def with_input(name: str, shape: list[int], units: int | None = None) -> dict:
    spec = get_preset(name).to_dict()
    spec["input_shape"] = shape
    if units is not None:
        spec["layers"][-1]["units"] = units
    return spec


def test_a_design_that_cannot_fit_the_data_is_refused_at_once(client: TestClient, workspace: Path) -> None:
    make_dataset(client, "doodles")
    before = files_under(workspace)
    cases = [  # (data, design, the field the message names)
        ("letters", with_input("letters-cnn", [1, 32, 32]), "input_shape"),  # 1024 values, letters have 2500
        ("shapes", with_input("shapes-mlp", [24]), "input_shape"),
        ("shapes", with_input("shapes-mlp", [25], units=4), "units"),
        ("doodles", with_input("letters-cnn", [3, 32, 32], units=2), "input_shape"),  # grey images: 1 channel
    ]
    for data, design, field in cases:
        answer = client.post("/api/runs", json={"data": data, "model": design})
        assert answer.status_code == 422, (data, answer.text)
        source = workspace / "datasets" / data if data == "doodles" else data
        body = answer.json()
        message = body["error"]
        assert message == trainer_words(design, source)
        assert field in message or "Dense layer" in message
        # The same place and value as fields: the page points at them without reading the message.
        assert body["where"]["field"] == field and body["hint"] and f"help: {body['hint']}" in message
        given = design["layers"][-1]["units"] if field == "units" else design["input_shape"]
        assert body["given"] == given and body["allowed"]
        checked = client.post(f"/api/specs/check?data={data}", json=design).json()
        assert checked["ok"] is False and checked["error"] == message and checked["field"] == field
        assert checked["where"] == body["where"] and checked["given"] == given
        assert checked["layer"] == (len(design["layers"]) - 1 if field == "units" else None)
        assert checked["layers"]  # the design itself is valid: its shapes are still shown
    assert files_under(workspace) == before  # nothing started


def test_what_fits_is_accepted(client: TestClient, workspace: Path) -> None:
    make_dataset(client, "doodles")
    fits = [("letters", with_input("letters-mlp", [2500])),  # the same 2500 values, flat
            ("doodles", with_input("letters-cnn", [1, 24, 24], units=2)),  # images are read at the network's size
            ("doodles", with_input("shapes-mlp", [25], units=2))]  # a square vector: 5x5 images
    for data, design in fits:
        checked = client.post(f"/api/specs/check?data={data}", json=design).json()
        assert checked["ok"] is True, (data, checked.get("error"))
    # A preset by name is fitted to the data's classes, as the designer does.
    answer = client.post("/api/runs", json={"data": "doodles", "model": "shapes-mlp", "options": {"epochs": 1}})
    assert answer.status_code == 201, answer.text
    assert answer.json()["spec"]["layers"][-1]["units"] == 2
    client.post(f"/api/runs/{answer.json()['id']}/stop")


def test_mistakes_match_evaluate_from_one_forward_pass(client: TestClient, workspace: Path) -> None:
    model = load(workspace / "models" / MODEL)
    dataset = load_dataset("shapes", "test")
    expected = model.evaluate(dataset)
    passes: list[int] = []
    served = client.app.state.studio.models.get(MODEL)  # type: ignore[attr-defined]  # the app is FastAPI
    hook = served.network.register_forward_hook(lambda module, args, out: passes.append(len(args[0])))
    try:
        result = client.get(f"/api/models/{MODEL}/mistakes?data=shapes&part=test&limit=100").json()
    finally:
        hook.remove()
    assert sum(passes) == len(dataset)  # every sample through the network once
    assert result["accuracy"] == expected.accuracy and result["loss"] == expected.loss
    assert result["confusion"] == expected.confusion and result["per_class"] == expected.per_class
    x = dataset.x.reshape((len(dataset), *model.spec.input_shape))
    probabilities = model.probabilities(x)
    assert len(result["mistakes"]) == int(np.sum(probabilities.argmax(axis=1) != dataset.y))
    for mistake in result["mistakes"]:
        row = probabilities[mistake["index"]]
        assert mistake["predicted"] == model.class_names[int(row.argmax())]
        assert mistake["confidence"] == pytest.approx(float(row.max()), abs=1e-6)


def test_evaluation_keeps_the_probabilities_of_its_pass(workspace: Path) -> None:
    model = load(workspace / "models" / MODEL)
    dataset = load_dataset("shapes", "test")
    kept = model.evaluate(dataset, keep_probabilities=True)
    plain = model.evaluate(dataset)
    assert plain.probabilities is None and kept == plain
    x = torch.from_numpy(dataset.x.reshape((len(dataset), *model.spec.input_shape)))
    assert kept.probabilities is not None
    np.testing.assert_allclose(kept.probabilities, model.probabilities(x.numpy()), atol=1e-6)


def test_docs_page_needs_no_network(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert client.get("/redoc").status_code == 404
    texts = [page.text] + [client.get(src).text for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)]
    texts.append(client.get("/static/api.js").text)  # docs.js imports it
    for text in texts:
        outside = [u for u in re.findall(r"https?://[^\s\"'`)]+", text) if "127.0.0.1" not in u]
        assert outside == [], outside
    assert "/openapi.json" in client.get("/static/docs.js").text
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/runs" in paths and "/docs" not in paths
    missing = client.get("/api/nothing-here").json()["error"]
    assert "/docs lists the API" in missing  # and it does: the page above lists openapi.json's routes
