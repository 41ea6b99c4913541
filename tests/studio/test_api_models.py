"""Saved models: list, show, predict, activations, drawings, mistakes, zips, ONNX."""

from __future__ import annotations

import io
import pickle
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from studio_helpers import BROKEN_SQUARE, CNN, CROSS, MODEL, files_under, png_bytes

from nnstudio.predict import load
from nnstudio.studio.archive import MAX_ENTRIES, MAX_ENTRY_BYTES
from nnstudio.workflows import evaluate_model

ZIP = {"content-type": "application/zip"}


def predict_json(client: TestClient, name: str, pixels: list) -> dict:
    answer = client.post(f"/api/models/{name}/predict", json={"input": pixels})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_models_are_listed_newest_first(client: TestClient, workspace: Path) -> None:
    listed = client.get("/api/models").json()
    assert {m["name"] for m in listed} == {MODEL, CNN}
    created = [m["created"] for m in listed]
    assert created == sorted(created, reverse=True)
    shapes = next(m for m in listed if m["name"] == MODEL)
    model = load(workspace / "models" / MODEL)
    assert shapes["network"] == "shapes-mlp" and shapes["data"] == "shapes" and shapes["epochs"] == 20
    assert shapes["classes"] == model.class_names and shapes["input_shape"] == [25]
    assert shapes["params"] == sum(p.numel() for p in model.network.parameters())
    assert shapes["accuracy"] == model.history[-1]["val_accuracy"]
    cnn = next(m for m in listed if m["name"] == CNN)
    assert cnn["accuracy"] is None and cnn["epochs"] is None and cnn["input_shape"] == [1, 8, 8]


def test_a_model_is_shown_with_spec_training_and_summary(client: TestClient) -> None:
    shown = client.get(f"/api/models/{MODEL}").json()
    assert shown["spec"]["name"] == "shapes-mlp" and shown["input_shape"] == [25]
    assert shown["class_names"] == ["square", "rhombus", "plus", "x", "line"]
    assert shown["preparation"]["size"] == [5, 5]
    history = shown["training"]["history"]
    assert isinstance(history, list) and len(history) == 20 and history[-1]["epoch"] == 20
    assert len(shown["summary"]["layers"]) == len(shown["spec"]["layers"])
    assert shown["summary"]["total_params"] == 1700
    for url in ("/api/models/nothing", "/api/models/nothing/drawing.svg", "/api/models/nothing/download",
                "/api/models/nothing/model.onnx", "/api/models/nothing/history.svg"):
        assert client.get(url).status_code == 404, url
    assert client.delete("/api/models/nothing").status_code == 404
    assert client.post("/api/models/nothing/predict", json={"input": BROKEN_SQUARE}).status_code == 404


def test_predict_from_a_drawing_and_from_a_grid(client: TestClient, workspace: Path) -> None:
    grid = predict_json(client, MODEL, BROKEN_SQUARE)
    probabilities = [p["probability"] for p in grid["predictions"]]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) == pytest.approx(1, abs=1e-5)
    assert grid["class"] == grid["predictions"][0]["class"] == "square"
    assert grid["confidence"] == probabilities[0]
    assert grid["prepared"] == BROKEN_SQUARE and grid["input_shape"] == [25]
    # The library gives the same answer for the same input.
    expected = load(workspace / "models" / MODEL).predict([np.ravel(BROKEN_SQUARE)])[0]
    assert grid["confidence"] == pytest.approx(expected.confidence, abs=1e-6)
    # A 5x5 picture (black ink on white) is prepared back to the same grid.
    drawn = client.post(f"/api/models/{MODEL}/predict", content=png_bytes(BROKEN_SQUARE),
                        headers={"content-type": "image/png"})
    assert drawn.status_code == 200
    assert drawn.json()["prepared"] == BROKEN_SQUARE
    assert [p["class"] for p in drawn.json()["predictions"]] == [p["class"] for p in grid["predictions"]]
    assert [p["probability"] for p in drawn.json()["predictions"]] == pytest.approx(probabilities, abs=1e-6)
    # A larger drawing is scaled down to the grid: an x, 8 pixels a cell.
    large = client.post(f"/api/models/{MODEL}/predict", content=png_bytes(CROSS, scale=8),
                        headers={"content-type": "image/png"})
    assert large.status_code == 200
    assert large.json()["prepared"] == CROSS and large.json()["class"] == "x"


def test_a_cnn_predicts_a_png_and_shows_its_prepared_input(client: TestClient) -> None:
    digit = np.zeros((32, 32))
    digit[4:28, 14:18] = 1  # a "1"
    answer = client.post(f"/api/models/{CNN}/predict", content=png_bytes(digit), headers={"content-type": "image/png"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert np.asarray(body["prepared"]).shape == (8, 8) and body["input_shape"] == [1, 8, 8]
    assert len(body["predictions"]) == 10
    bad = client.post(f"/api/models/{CNN}/predict", json={"input": [1, 2, 3]})
    assert bad.status_code == 422


def test_activations_hold_every_layer_and_probabilities(client: TestClient) -> None:
    for name, body in ((MODEL, {"json": {"input": BROKEN_SQUARE}}),
                       (CNN, {"content": png_bytes(np.eye(16)), "headers": {"content-type": "image/png"}})):
        answer = client.post(f"/api/models/{name}/activations", **body)
        assert answer.status_code == 200, answer.text
        result = answer.json()
        spec = client.get(f"/api/models/{name}").json()["spec"]
        assert len(result["layers"]) == len(spec["layers"])
        assert [layer["type"] for layer in result["layers"]] == [layer["type"] for layer in spec["layers"]]
        last = result["layers"][-1]["values"]
        assert sum(last) == pytest.approx(1, abs=1e-4) and result["probabilities"] == last
    predicted = predict_json(client, MODEL, BROKEN_SQUARE)
    result = client.post(f"/api/models/{MODEL}/activations", json={"input": BROKEN_SQUARE}).json()
    top = result["class_names"][int(np.argmax(result["probabilities"]))]
    assert top == predicted["class"]


def test_drawings_of_a_model_plain_and_lit(client: TestClient) -> None:
    plain = client.get(f"/api/models/{MODEL}/drawing.svg")
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("image/svg+xml")
    lit = client.post(f"/api/models/{MODEL}/drawing.svg", json={"input": BROKEN_SQUARE})
    assert lit.status_code == 200 and "<svg" in lit.text and lit.text != plain.text
    cnn = client.post(f"/api/models/{CNN}/drawing.svg?style=planes", content=png_bytes(np.eye(8)),
                      headers={"content-type": "image/png"})
    assert cnn.status_code == 200 and "<svg" in cnn.text
    wrong = client.get(f"/api/models/{CNN}/drawing.svg?style=neurons")
    assert wrong.status_code == 422 and "planes" in wrong.json()["error"]
    assert client.get(f"/api/models/{CNN}/drawing.svg?style=cubes").status_code == 422
    curves = client.get(f"/api/models/{MODEL}/history.svg")
    assert curves.status_code == 200 and "training curves" in curves.text
    assert client.get(f"/api/models/{CNN}/history.svg").status_code == 422  # never trained: no history


def test_mistakes_on_the_test_part(client: TestClient, workspace: Path) -> None:
    answer = client.get(f"/api/models/{MODEL}/mistakes?data=shapes&part=test")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    evaluation = evaluate_model(workspace / "models" / MODEL, "shapes", part="test")
    assert result["accuracy"] == pytest.approx(evaluation.accuracy)
    assert result["loss"] == pytest.approx(evaluation.loss)
    assert result["confusion"] == evaluation.confusion and result["classes"] == evaluation.class_names
    confusion = np.asarray(result["confusion"])
    assert confusion.sum() == result["samples"] == 100
    wrong = int(confusion.sum() - np.trace(confusion))
    assert len(result["mistakes"]) == min(wrong, sum(min(6, int(n)) for i, row in enumerate(confusion)
                                                     for j, n in enumerate(row) if i != j))
    assert client.get(f"/api/models/{MODEL}/mistakes?data=nothing").status_code == 404
    assert client.get(f"/api/models/{MODEL}/mistakes?data=shapes&part=elsewhere").status_code == 422
    assert client.get(f"/api/models/{MODEL}/mistakes?data=digits").status_code == 422  # other classes


def test_mistakes_on_an_own_dataset_with_wrong_labels(client: TestClient) -> None:
    square = [[1] * 5, [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [1] * 5]
    client.post("/api/datasets", json={"name": "mixed", "classes": ["square", "x"]})
    for label, pixels in (("square", CROSS), ("square", CROSS), ("square", square), ("x", CROSS)):
        assert client.post(f"/api/datasets/mixed/samples?class={label}", content=png_bytes(pixels),
                           headers={"content-type": "image/png"}).status_code == 201
    result = client.get(f"/api/models/{MODEL}/mistakes?data=mixed&part=train&limit=1").json()
    names = result["classes"]
    assert result["samples"] == 4 and result["accuracy"] == pytest.approx(0.5)
    assert result["confusion"][names.index("square")][names.index("x")] == 2
    assert len(result["mistakes"]) == 1  # two in that cell, one shown
    mistake = result["mistakes"][0]
    assert (mistake["true"], mistake["predicted"]) == ("square", "x") and mistake["confidence"] > 0.5
    assert mistake["prepared"] == CROSS
    both = client.get(f"/api/models/{MODEL}/mistakes?data=mixed&part=train&limit=5").json()
    assert len({m["index"] for m in both["mistakes"]}) == 2 and both["confusion"] == result["confusion"]


def test_mistakes_read_an_own_dataset_again_once_it_changed(client: TestClient) -> None:
    client.post("/api/datasets", json={"name": "growing", "classes": ["square", "x"]})
    for label in ("square", "x"):
        assert client.post(f"/api/datasets/growing/samples?class={label}", content=png_bytes(CROSS),
                           headers={"content-type": "image/png"}).status_code == 201
    url = f"/api/models/{MODEL}/mistakes?data=growing&part=train"
    assert client.get(url).json()["samples"] == 2
    assert client.get(url).json()["samples"] == 2  # the cached reading
    assert client.post("/api/datasets/growing/samples?class=square", content=png_bytes(CROSS),
                       headers={"content-type": "image/png"}).status_code == 201
    assert client.get(url).json()["samples"] == 3
    first = client.get("/api/datasets/growing").json()["files"]["square"][0]
    assert client.delete(f"/api/datasets/growing/samples/square/{first}").status_code == 200
    assert client.get(url).json()["samples"] == 2


def test_download_delete_upload_round_trip(client: TestClient, workspace: Path) -> None:
    before = predict_json(client, MODEL, BROKEN_SQUARE)
    download = client.get(f"/api/models/{MODEL}/download")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert f'filename="{MODEL}.zip"' in download.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert sorted(archive.namelist()) == [f"{MODEL}/{n}" for n in ("metrics.csv", "model.json",
                                                                       "weights.safetensors")]
    assert client.delete(f"/api/models/{MODEL}").json() == {"deleted": MODEL}
    assert not (workspace / "models" / MODEL).exists()
    assert client.post(f"/api/models/{MODEL}/predict", json={"input": BROKEN_SQUARE}).status_code == 404
    uploaded = client.post("/api/models/upload", content=download.content, headers=ZIP)
    assert uploaded.status_code == 201 and uploaded.json() == {"name": MODEL}
    assert predict_json(client, MODEL, BROKEN_SQUARE)["predictions"] == before["predictions"]
    # The same zip again: the name is taken. Under another name it is a second model.
    assert client.post("/api/models/upload", content=download.content, headers=ZIP).status_code == 409
    copy = client.post("/api/models/upload?name=copy", content=download.content, headers=ZIP)
    assert copy.status_code == 201 and copy.json() == {"name": "copy"}
    assert predict_json(client, "copy", BROKEN_SQUARE)["predictions"] == before["predictions"]
    assert {m["name"] for m in client.get("/api/models").json()} == {MODEL, CNN, "copy"}
    assert not [p for p in (workspace / "models").iterdir() if p.name.startswith(".")]


def model_files(workspace: Path) -> dict[str, bytes]:
    folder = workspace / "models" / MODEL
    return {name: (folder / name).read_bytes() for name in ("model.json", "weights.safetensors")}


def make_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


ZipEntries = list[tuple[zipfile.ZipInfo | str, bytes]]
BAD_ZIPS: dict[str, tuple[Callable[[dict[str, bytes]], ZipEntries], str]] = {
    "parent": (lambda f: [("m/model.json", f["model.json"]), ("../evil/weights.safetensors", f["weights.safetensors"])],
               "leaves its folder"),
    "absolute": (lambda f: [("/tmp/m/model.json", f["model.json"]),
                            ("/tmp/m/weights.safetensors", f["weights.safetensors"])], "absolute"),
    "symlink": (lambda f: [("m/model.json", f["model.json"]), (symlink("m/weights.safetensors"), b"/etc/passwd")],
                "symbolic link"),
    "many": (lambda f: [(f"m/note{i}.txt", b"x") for i in range(MAX_ENTRIES + 1)], "entries"),
    "oversized": (lambda f: [("m/model.json", f["model.json"]),
                             ("m/weights.safetensors", bytes(MAX_ENTRY_BYTES + 1))], "per file"),
    "pickle": (lambda f: [("m/model.json", f["model.json"]),
                          ("m/weights.safetensors", pickle.dumps({"layers.0.weight": [1.0] * 10}))], "pickle"),
    "unexpected": (lambda f: [("m/model.json", f["model.json"]), ("m/weights.pt", f["weights.safetensors"])],
                   "not a model file"),
    "two folders": (lambda f: [("a/model.json", f["model.json"]), ("b/weights.safetensors",
                                                                   f["weights.safetensors"])], "one model folder"),
    "no weights": (lambda f: [("m/model.json", f["model.json"])], "weights.safetensors"),
    "damaged json": (lambda f: [("m/model.json", b"{not json"), ("m/weights.safetensors",
                                                                 f["weights.safetensors"])], "not valid JSON"),
}


@pytest.mark.parametrize("kind", sorted(BAD_ZIPS))
def test_bad_zips_are_refused_and_leave_nothing(client: TestClient, workspace: Path, kind: str) -> None:
    entries, message = BAD_ZIPS[kind]
    body = make_zip(entries(model_files(workspace)))
    before = files_under(workspace)
    answer = client.post("/api/models/upload?name=fresh", content=body, headers=ZIP)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["error"] and "\n" not in answer.json()["error"]
    assert files_under(workspace) == before
    assert not Path("/tmp/m").exists() and not (workspace.parent / "evil").exists()


def test_uploads_that_are_not_zips_or_too_large(client: TestClient, workspace: Path) -> None:
    before = files_under(workspace)
    assert client.post("/api/models/upload?name=x", content=b"not a zip", headers=ZIP).status_code == 422
    assert client.post("/api/models/upload?name=x", content=b"PK", headers={"content-type": "image/png"}) \
        .status_code == 422
    flat = make_zip([(n, b) for n, b in model_files(workspace).items()])
    answer = client.post("/api/models/upload", content=flat, headers=ZIP)
    assert answer.status_code == 422 and "?name=" in answer.json()["error"]
    from nnstudio.studio.bodies import MAX_ZIP_BYTES

    huge = client.post("/api/models/upload?name=x", content=bytes(MAX_ZIP_BYTES + 1), headers=ZIP)
    assert huge.status_code == 413
    assert files_under(workspace) == before
    assert client.post("/api/models/upload?name=flat", content=flat, headers=ZIP).status_code == 201


def test_onnx_download_matches_the_model(client: TestClient, workspace: Path) -> None:
    import onnxruntime

    answer = client.get(f"/api/models/{MODEL}/model.onnx")
    assert answer.status_code == 200 and f"{MODEL}.onnx" in answer.headers["content-disposition"]
    session = onnxruntime.InferenceSession(answer.content, providers=["CPUExecutionProvider"])
    x = np.asarray(BROKEN_SQUARE, dtype=np.float32).reshape(1, 25)
    got = session.run(None, {"input": x})[0][0]
    model = load(workspace / "models" / MODEL)
    np.testing.assert_allclose(got, model.probabilities(x)[0], atol=1e-5)
    assert files_under(workspace / "models" / MODEL) == ["metrics.csv", "model.json", "weights.safetensors"]


def test_a_damaged_model_is_listed_with_its_error_and_can_be_deleted(client: TestClient, workspace: Path) -> None:
    broken = workspace / "models" / "broken"
    broken.mkdir()
    (broken / "model.json").write_text("{not json")
    listed = {m["name"]: m for m in client.get("/api/models").json()}
    assert "error" in listed["broken"] and listed["broken"]["params"] is None
    answer = client.get("/api/models/broken")
    assert answer.status_code == 422 and "model.json" in answer.json()["error"]
    assert client.delete("/api/models/broken").json() == {"deleted": "broken"} and not broken.exists()


def test_a_download_holds_no_links_and_no_other_files(client: TestClient, workspace: Path, tmp_path: Path) -> None:
    folder = workspace / "models" / MODEL
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the zip")
    (folder / "metrics.csv").unlink()
    (folder / "metrics.csv").symlink_to(secret)
    (folder / "notes.txt").write_text("the user's own notes")
    with zipfile.ZipFile(io.BytesIO(client.get(f"/api/models/{MODEL}/download").content)) as archive:
        assert sorted(archive.namelist()) == [f"{MODEL}/model.json", f"{MODEL}/weights.safetensors"]
