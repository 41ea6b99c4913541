"""Models that read pen strokes or integer sequences, through the models API: the
studio's answers are the CLI's and the Python API's for the same input."""

from __future__ import annotations

from typing import Any

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from studio_helpers import MODEL, png_bytes, save_path_model, save_sequence_model

from nnstudio.cli import main
from nnstudio.data.strokefile import write_strokes
from nnstudio.predict import load
from nnstudio.workflows.sequences import predict_next_terms

SEQ, PATH = "seq-model", "path-model"
DRAWING = [[[40.5, 60], [120, 200.25], [200, 60]], [[80, 140], [160, 140]]]  # an A-like drawing, canvas pixels


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("recurrent")
    save_sequence_model(root / SEQ)
    save_path_model(root / PATH)
    return root


@pytest.fixture
def models(workspace: Path, saved: Path) -> Path:
    """The workspace's models folder, with the sequence and the pen-path model in it."""
    for name in (SEQ, PATH):
        shutil.copytree(saved / name, workspace / "models" / name)
    return workspace / "models"


def cli(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_models_say_what_they_read(client: TestClient, models: Path) -> None:
    listed = {m["name"]: m["input_kind"] for m in client.get("/api/models").json()}
    assert listed[SEQ] == "sequence" and listed[PATH] == "strokes" and listed[MODEL] == "image"
    assert client.get(f"/api/models/{SEQ}").json()["input_kind"] == "sequence"
    assert client.get(f"/api/models/{PATH}").json()["preparation"]["kind"] == "strokes"


def test_the_next_term_is_the_cli_answer(client: TestClient, models: Path) -> None:
    for given in ([2, 4, 6, 8], "1, 4, 9, 16, 25", [-3, 7, 1, 9, 0, 12, -5, 2, 2, 8]):
        answer = client.post(f"/api/models/{SEQ}/predict", json={"sequence": given})
        assert answer.status_code == 200, answer.text
        text = given if isinstance(given, str) else " ".join(map(str, given))
        assert answer.json()["next"] == int(cli("predict", models / SEQ, "--", text))
        assert answer.json()["next"] == predict_next_terms(load(models / SEQ), [text])[0]["value"]
    assert client.post(f"/api/models/{SEQ}/predict", json={"sequence": [2, 4, 6, 8]}).json()["next"] == 10
    assert client.post(f"/api/models/{SEQ}/predict", json={"sequence": [1, 4, 9, 16, 25]}).json()["input"] == [
        1, 4, 9, 16, 25]


@pytest.mark.parametrize(("given", "words"), [
    ("2 4 x 8", "'x' in '2 4 x 8' is not an integer"), ([2, 4, 6], "3 terms"), (list(range(11)), "11 terms"),
    ([1, 2, 3, 20000], "20000 in '1 2 3 20000' is out of range"), ([1, 2.5, 3, 4], "2.5 is not a whole number"),
    ([True, 2, 3, 4], "True is not a whole number"), (5, "expected a list of whole numbers")])
def test_a_bad_sequence_is_refused_naming_the_field(client: TestClient, models: Path, given: object,
                                                   words: str) -> None:
    answer = client.post(f"/api/models/{SEQ}/predict", json={"sequence": given})
    assert answer.status_code == 422
    body = answer.json()
    assert words in body["error"] and body["where"]["field"] == "sequence"
    assert "allowed" in body and "-10,000 and 10,000" in body["allowed"]


def test_a_sequence_lights_the_unrolled_network(client: TestClient, models: Path) -> None:
    body = {"sequence": [2, 4, 6, 8]}
    layers = client.post(f"/api/models/{SEQ}/activations", json=body).json()["layers"]
    assert [layer["shape"] for layer in layers] == [[10, 64], [10, 64], [64], [3]]  # recurrent: every step
    state = np.asarray(layers[0]["values"])
    assert np.abs(state[-4:]).sum() > 0  # the four given steps leave a hidden state
    plain = client.get(f"/api/models/{SEQ}/drawing.svg").text
    lit = client.post(f"/api/models/{SEQ}/drawing.svg", json=body)
    assert lit.status_code == 200 and lit.text.startswith("<?xml") and lit.text != plain
    other = client.post(f"/api/models/{SEQ}/drawing.svg", json={"sequence": [1, 4, 9, 16, 25]}).text
    assert other != lit.text


def test_strokes_are_read_as_the_cli_reads_a_drawing_file(client: TestClient, models: Path, tmp_path: Path) -> None:
    answer = client.post(f"/api/models/{PATH}/predict", json={"strokes": DRAWING})
    assert answer.status_code == 200, answer.text
    drawing = write_strokes(tmp_path / "a.json", [np.asarray(s, float) for s in DRAWING])
    [expected] = json.loads(cli("predict", models / PATH, drawing, "--json"))
    got = answer.json()
    assert got["class"] == expected["class"] and got["kind"] == "strokes"
    assert {p["class"]: p["probability"] for p in got["predictions"]} == pytest.approx(expected["probabilities"],
                                                                                         abs=1e-6)
    assert np.asarray(got["prepared"]).shape == (64, 5)
    lit = client.post(f"/api/models/{PATH}/drawing.svg", json={"strokes": DRAWING})
    assert lit.status_code == 200 and lit.text != client.get(f"/api/models/{PATH}/drawing.svg").text


@pytest.mark.parametrize(("body", "words"), [
    ({"strokes": []}, "'strokes' is empty"), ({"strokes": [[[1, 2], [3]]]}, "stroke 0, point 1"),
    ({"strokes": [[[1, "y"]]]}, "y must be a finite number"), ({"strokes": [[]]}, "stroke 0: empty"),
    ({"strokes": [[[1, 2]]], "colour": "red"}, "unknown field(s) ['colour']")])
def test_bad_strokes_are_refused_naming_the_field(client: TestClient, models: Path, body: dict, words: str) -> None:
    answer = client.post(f"/api/models/{PATH}/predict", json=body)
    assert answer.status_code == 422
    assert words in answer.json()["error"] and answer.json()["where"]["field"] == "strokes"


def test_each_model_refuses_what_it_does_not_read(client: TestClient, models: Path) -> None:
    png = {"content": png_bytes(np.eye(20)), "headers": {"content-type": "image/png"}}
    refused: dict[str, list[dict[str, Any]]] = {
        PATH: [{"json": {"sequence": [2, 4, 6, 8]}}, png],
        SEQ: [{"json": {"strokes": DRAWING}}, png, {"json": {"input": [0.5] * 50}}],
        MODEL: [{"json": {"strokes": DRAWING}}, {"json": {"sequence": [2, 4, 6, 8]}}],
    }
    for name, bodies in refused.items():
        for body in bodies:
            answer = client.post(f"/api/models/{name}/predict", **body)
            assert answer.status_code == 422, (name, answer.text)
            assert answer.json()["error"] and "allowed" in answer.json()
    assert "pen paths, not images" in client.post(f"/api/models/{PATH}/predict", **png).json()["error"]
