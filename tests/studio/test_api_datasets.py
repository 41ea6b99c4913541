"""Datasets: the built-in ones, and own image folders made by drawing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from studio_helpers import BROKEN_SQUARE, CROSS, files_under, png_bytes

from nnstudio.data import load_dataset


def add_sample(client: TestClient, dataset: str, class_name: str, pixels: list[list[int]]) -> dict:
    answer = client.post(f"/api/datasets/{dataset}/samples?class={class_name}", content=png_bytes(pixels, scale=8),
                         headers={"content-type": "image/png"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_builtin_datasets_are_listed_and_described(client: TestClient) -> None:
    listed = client.get("/api/datasets").json()
    assert [d["name"] for d in listed][:4] == ["shapes", "letters", "digits", "mnist"]
    assert all(d["builtin"] for d in listed[:4])
    shapes = client.get("/api/datasets/shapes").json()
    assert shapes["classes"] == ["square", "rhombus", "plus", "x", "line"]
    assert sum(shapes["counts"].values()) == shapes["samples"] == len(load_dataset("shapes"))
    mosaic = client.get("/api/datasets/shapes/mosaic.svg?per_class=3")
    assert mosaic.status_code == 200 and mosaic.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in mosaic.text
    assert client.get("/api/datasets/nothing").status_code == 404


def test_an_own_dataset_is_made_filled_viewed_and_deleted(client: TestClient, workspace: Path) -> None:
    made = client.post("/api/datasets", json={"name": "my shapes", "classes": ["square", "x"]})
    assert made.status_code == 201 and made.json()["counts"] == {"square": 0, "x": 0}
    assert client.post("/api/datasets/my shapes/classes", json={"name": "line"}).status_code == 201
    assert client.post("/api/datasets/my shapes/classes", json={"name": "line"}).status_code == 409
    added = add_sample(client, "my shapes", "square", BROKEN_SQUARE)
    add_sample(client, "my shapes", "x", CROSS)
    add_sample(client, "my shapes", "line", [[0] * 5, [0] * 5, [1] * 5, [0] * 5, [0] * 5])
    # The sample is an ordinary PNG in datasets/NAME/CLASS/, as `nnstudio train --data FOLDER` reads.
    path = workspace / "datasets" / "my shapes" / "square" / added["file"]
    assert path.is_file() and Path(added["path"]) == path
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "L"
        ink = np.asarray(image) < 128
    assert ink.shape == (40, 40) and ink[::8, ::8].astype(int).tolist() == BROKEN_SQUARE
    described = client.get("/api/datasets/my shapes").json()
    assert described["counts"] == {"line": 1, "square": 1, "x": 1}
    assert described["files"]["square"] == [added["file"]]
    assert "my shapes" in [d["name"] for d in client.get("/api/datasets").json()]
    stored = client.get(f"/api/datasets/my shapes/samples/square/{added['file']}")
    assert stored.status_code == 200 and stored.content == path.read_bytes()
    mosaic = client.get("/api/datasets/my shapes/mosaic.svg")
    assert mosaic.status_code == 200 and "<svg" in mosaic.text
    after = client.delete(f"/api/datasets/my shapes/samples/square/{added['file']}")
    assert after.status_code == 200 and after.json()["counts"]["square"] == 0 and not path.exists()
    assert client.delete(f"/api/datasets/my shapes/samples/square/{added['file']}").status_code == 404
    assert client.delete("/api/datasets/my shapes").json() == {"deleted": "my shapes"}
    assert not (workspace / "datasets" / "my shapes").exists()
    assert client.get("/api/datasets/my shapes").status_code == 404


def test_builtin_names_cannot_be_taken_or_changed(client: TestClient, workspace: Path) -> None:
    before = files_under(workspace)
    for name in ("shapes", "letters", "digits", "mnist"):
        assert client.post("/api/datasets", json={"name": name, "classes": ["a"]}).status_code == 409
        assert client.delete(f"/api/datasets/{name}").status_code == 409
        assert client.post(f"/api/datasets/{name}/classes", json={"name": "z"}).status_code == 409
    answer = client.post("/api/datasets/shapes/samples?class=square", content=png_bytes(BROKEN_SQUARE),
                         headers={"content-type": "image/png"})
    assert answer.status_code == 409
    assert files_under(workspace) == before


def test_samples_need_an_existing_class_and_an_image(client: TestClient, workspace: Path) -> None:
    client.post("/api/datasets", json={"name": "mine", "classes": ["a", "b"]})
    before = files_under(workspace)
    missing = client.post("/api/datasets/mine/samples?class=c", content=png_bytes(CROSS),
                          headers={"content-type": "image/png"})
    assert missing.status_code == 404
    numbers = client.post("/api/datasets/mine/samples?class=a", json={"input": CROSS})
    assert numbers.status_code == 422 and "image" in numbers.json()["error"]
    assert client.post("/api/datasets", json={"name": "mine", "classes": ["a"]}).status_code == 409
    assert client.post("/api/datasets", json={"name": "other", "classes": ["a", "A"]}).status_code == 422
    assert files_under(workspace) == before
