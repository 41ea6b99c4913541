"""Own datasets as the studio's "My data" panel changes them: renaming a class, deleting
a dataset, and the words of every error a person can cause by uploading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from studio_helpers import BROKEN_SQUARE, CROSS, files_under, png_bytes

from nnstudio.studio.workspace import Conflict, move_folder

MODEL = "shapes-mlp"  # the shared trained model of conftest.py
PNG = {"content-type": "image/png"}
# What no message for people may contain: object addresses, media types, header names.
MACHINE_TALK = re.compile(r"object at 0x|image/png|text/plain|application/|content.type|mime", re.IGNORECASE)


def own(client: TestClient, name: str = "mine", classes: tuple[str, ...] = ("cat", "dog")) -> None:
    assert client.post("/api/datasets", json={"name": name, "classes": list(classes)}).status_code == 201


def add(client: TestClient, class_name: str, pixels: list[str] = BROKEN_SQUARE) -> str:
    answer = client.post(f"/api/datasets/mine/samples?class={class_name}", content=png_bytes(pixels, scale=8),
                         headers=PNG)
    assert answer.status_code == 201, answer.text
    return answer.json()["file"]


def test_a_class_is_renamed_with_its_samples(client: TestClient, workspace: Path) -> None:
    own(client)
    file = add(client, "cat")
    answer = client.patch("/api/datasets/mine/classes/cat", json={"name": "kitten"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["classes"] == ["dog", "kitten"] and answer.json()["files"]["kitten"] == [file]
    assert (workspace / "datasets" / "mine" / "kitten" / file).is_file()
    assert not (workspace / "datasets" / "mine" / "cat").exists()
    assert client.get(f"/api/datasets/mine/samples/kitten/{file}").status_code == 200
    # The same name in another case: allowed for itself, refused against another class.
    assert client.patch("/api/datasets/mine/classes/kitten", json={"name": "Kitten"}).status_code == 200
    assert client.get("/api/datasets/mine").json()["classes"] == ["Kitten", "dog"]


def test_a_rename_never_overwrites_and_checks_names(client: TestClient, workspace: Path) -> None:
    own(client)
    add(client, "cat")
    add(client, "dog", CROSS)
    before = files_under(workspace)
    taken = client.patch("/api/datasets/mine/classes/cat", json={"name": "DOG"})
    assert taken.status_code == 409 and "'dog' exists already" in taken.json()["error"]
    for bad in ("../escape", "", ".hidden", "a/b", "x" * 65):
        answer = client.patch("/api/datasets/mine/classes/cat", json={"name": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert "class name" in answer.json()["error"]
    assert client.patch("/api/datasets/mine/classes/bird", json={"name": "owl"}).status_code == 404
    assert client.patch("/api/datasets/shapes/classes/square", json={"name": "box"}).status_code == 409
    assert client.patch("/api/datasets/mine/classes/cat", json={"name": "owl", "extra": 1}).status_code == 422
    assert files_under(workspace) == before


def test_move_folder_refuses_a_name_taken_meanwhile(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.png").write_bytes(b"a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.png").write_bytes(b"b")
    with pytest.raises(Conflict):
        move_folder(tmp_path / "a", tmp_path / "b", "class")
    assert (tmp_path / "b" / "2.png").read_bytes() == b"b" and (tmp_path / "a" / "1.png").is_file()
    move_folder(tmp_path / "a", tmp_path / "c", "class")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "c"]


def test_adding_a_class_refuses_another_case_of_a_taken_name(client: TestClient) -> None:
    own(client)
    answer = client.post("/api/datasets/mine/classes", json={"name": "Cat"})
    assert answer.status_code == 409 and "'cat' exists already" in answer.json()["error"]


def test_a_deleted_dataset_leaves_nothing_and_is_gone_from_the_list(client: TestClient, workspace: Path) -> None:
    own(client)
    add(client, "cat")
    assert client.delete("/api/datasets/mine").json() == {"deleted": "mine"}
    assert list((workspace / "datasets").iterdir()) == []  # no hidden leftover either
    assert "mine" not in [d["name"] for d in client.get("/api/datasets").json()]
    assert client.delete("/api/datasets/mine").status_code == 404
    assert client.delete("/api/datasets/..").status_code in (404, 422)


@pytest.mark.parametrize("body, kind, words", [
    (b"just some text\n", "text/plain", "the file 'cat.txt' is not an image (PNG, JPEG, GIF or BMP)"),
    (b"just some text\n", "application/octet-stream", "the file 'cat.txt' is not an image (PNG, JPEG, GIF or BMP)"),
    (b"just some text\n", "image/png", "the file 'cat.txt' is not an image (PNG, JPEG, GIF or BMP)"),
    (b"", "image/png", "the file 'cat.txt' is empty"),
    (png_bytes(BROKEN_SQUARE, scale=8)[:-30], "image/png", "the file 'cat.txt' is a damaged or incomplete image"),
], ids=["text", "unknown-kind", "text-as-png", "empty", "truncated"])
def test_upload_errors_name_the_file_in_plain_words(client: TestClient, body: bytes, kind: str, words: str) -> None:
    own(client)
    for url in ("/api/datasets/mine/samples?class=cat&filename=cat.txt",
                f"/api/models/{MODEL}/predict?filename=cat.txt"):
        answer = client.post(url, content=body, headers={"content-type": kind})
        assert answer.status_code == 422, answer.text
        message = answer.json()["error"]
        assert words in message and not MACHINE_TALK.search(message), message


def test_errors_without_a_file_name_speak_of_the_upload(client: TestClient) -> None:
    own(client)
    answer = client.post("/api/datasets/mine/samples?class=cat", content=b"<html>",
                         headers={"content-type": "text/html"})
    assert answer.status_code == 422 and answer.json()["error"] == "the upload is not an image (PNG, JPEG, GIF or BMP)"
    numbers = client.post("/api/datasets/mine/samples?class=cat", json={"input": [[0, 1], [1, 0]]})
    assert numbers.status_code == 422 and "not a list of numbers" in numbers.json()["error"]
    for message in (answer.json()["error"], numbers.json()["error"]):
        assert not MACHINE_TALK.search(message), message


def test_a_model_upload_that_is_not_a_zip_says_so_plainly(client: TestClient) -> None:
    for kind in ("text/plain", "application/zip"):
        answer = client.post("/api/models/upload", content=b"not a zip", headers={"content-type": kind})
        assert answer.status_code == 422
        message = answer.json()["error"]
        assert "not a zip file" in message and not MACHINE_TALK.search(message), message


def test_a_class_without_samples_is_named_in_plain_words(client: TestClient) -> None:
    own(client)
    expected = "dataset 'mine': classes 'cat', 'dog' have no samples yet"
    assert client.get("/api/datasets/mine").json()["network_error"].startswith(expected)
    add(client, "cat")
    expected = "dataset 'mine': class 'dog' has no samples yet; help: draw or upload at least one into each class"
    assert client.get("/api/datasets/mine").json()["network_error"] == expected
    mosaic = client.get("/api/datasets/mine/mosaic.svg")
    assert mosaic.status_code == 422 and mosaic.json()["error"] == expected
    spec = {"name": "n", "input_shape": [25], "layers": [{"type": "Dense", "units": 2, "activation": "softmax"}]}
    checked = client.post("/api/specs/check?data=mine", json=spec)
    assert checked.status_code == 422 and checked.json()["error"] == expected
    add(client, "dog", CROSS)
    assert client.get("/api/datasets/mine").json()["network"] is not None
