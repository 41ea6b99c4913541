"""Who may talk to the studio, which names it takes, and which bodies it reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from studio_helpers import BASE_URL, BROKEN_SQUARE, MODEL, files_under, png_bomb, png_bytes, studio_client

from nnstudio.studio.bodies import MAX_IMAGE_BYTES


def test_a_foreign_host_is_refused(client: TestClient) -> None:
    answer = client.get("/api/presets", headers={"Host": "evil.example"})
    assert answer.status_code == 403
    assert "evil.example" in answer.json()["error"]
    assert client.get("/api/presets", headers={"Host": "localhost:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example:8765"}).status_code == 403


def test_a_rebound_name_is_refused_even_on_a_local_address(workspace: Path) -> None:
    # DNS rebinding: the page's own name resolves to 127.0.0.1, the Host header still says it.
    with studio_client(workspace, base_url="http://attacker.example:8765") as foreign:
        assert foreign.get("/api/models").status_code == 403


def test_a_cross_site_change_is_refused_and_same_origin_passes(client: TestClient, workspace: Path) -> None:
    before = files_under(workspace)
    evil = {"Origin": "http://evil.example"}
    assert client.post("/api/datasets", json={"name": "mine", "classes": ["a", "b"]}, headers=evil).status_code == 403
    assert client.delete(f"/api/models/{MODEL}", headers=evil).status_code == 403
    assert client.post("/api/datasets", json={"name": "mine", "classes": ["a", "b"]},
                       headers={"Origin": "null"}).status_code == 403
    fetched = client.post("/api/runs", json={"data": "shapes"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    assert files_under(workspace) == before
    # A cross-site GET reads nothing secret and changes nothing: allowed, as the page's own images are.
    assert client.get("/api/presets", headers=evil).status_code == 200
    own = client.post("/api/datasets", json={"name": "mine", "classes": ["a", "b"]}, headers={"Origin": BASE_URL})
    assert own.status_code == 201
    assert (workspace / "datasets" / "mine" / "a").is_dir()


BAD_NAMES = ["..", "%2E%2E", "a%2Fb", "%2Fetc", "..%2F..%2Fx", "a%5Cb", "a%00b", "x" * 65, ".hidden", " lead"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_that_escape_are_refused_in_paths(client: TestClient, workspace: Path, name: str) -> None:
    client.post("/api/datasets", json={"name": "mine", "classes": ["a"]})
    before = files_under(workspace)
    requests = [("GET", f"/api/datasets/{name}"), ("DELETE", f"/api/datasets/{name}"),
                ("GET", f"/api/datasets/{name}/mosaic.svg"),
                ("POST", f"/api/datasets/mine/samples?class={name}"),
                ("GET", f"/api/datasets/mine/samples/{name}/x.png"),
                ("DELETE", f"/api/datasets/mine/samples/a/{name}"),
                ("GET", f"/api/models/{name}"), ("DELETE", f"/api/models/{name}"),
                ("POST", f"/api/models/{name}/predict"), ("GET", f"/api/models/{name}/download"),
                ("GET", f"/api/runs/{name}"), ("POST", f"/api/runs/{name}/stop"), ("DELETE", f"/api/runs/{name}"),
                ("POST", f"/api/models/upload?name={name}")]
    for method, url in requests:
        if name == ".." and "?" not in url:
            continue  # the client itself resolves a bare '..' segment; %2E%2E covers it
        body = {"content": png_bytes(BROKEN_SQUARE), "headers": {"content-type": "image/png"}} \
            if method == "POST" and "samples" in url or "predict" in url else {}
        if "upload" in url:
            body = {"content": b"PK\x05\x06" + b"\x00" * 18, "headers": {"content-type": "application/zip"}}
        answer = client.request(method, url, **body)
        assert answer.status_code == 422, (method, url, answer.status_code, answer.text)
        assert "name" in answer.json()["error"]
    assert files_under(workspace) == before


@pytest.mark.parametrize("name", ["..", "../x", "/etc", "a/b", "a\\b", "a\x00b", "x" * 65, "", " x"])
def test_names_that_escape_are_refused_in_bodies(client: TestClient, workspace: Path, name: str) -> None:
    before = files_under(workspace)
    assert client.post("/api/datasets", json={"name": name, "classes": ["a"]}).status_code == 422
    assert client.post("/api/datasets", json={"name": "ok", "classes": [name]}).status_code == 422
    assert files_under(workspace) == before
    client.post("/api/datasets", json={"name": "ok", "classes": ["a"]})
    before = files_under(workspace)
    assert client.post("/api/datasets/ok/classes", json={"name": name}).status_code == 422
    assert client.post("/api/runs", json={"data": "shapes", "name": name}).status_code == 422
    assert files_under(workspace) == before


def test_a_body_over_its_cap_gets_413(client: TestClient) -> None:
    answer = client.post(f"/api/models/{MODEL}/predict", content=b"\x89PNG" + b"\x00" * MAX_IMAGE_BYTES,
                         headers={"content-type": "image/png"})
    assert answer.status_code == 413
    assert "over 8 MB" in answer.json()["error"]


def test_a_decompression_bomb_and_a_non_image_get_422(client: TestClient, workspace: Path) -> None:
    bomb = png_bomb()
    assert len(bomb) < 200
    before = files_under(workspace)
    for url in (f"/api/models/{MODEL}/predict", "/api/datasets/mine/samples?class=a"):
        client.post("/api/datasets", json={"name": "mine", "classes": ["a", "b"]})
        before = files_under(workspace)
        answer = client.post(url, content=bomb, headers={"content-type": "image/png"})
        assert answer.status_code == 422, answer.text
        assert "too large" in answer.json()["error"]
        answer = client.post(url, content=b"this is not a picture", headers={"content-type": "image/png"})
        assert answer.status_code == 422
        assert "is not an image" in answer.json()["error"]
        answer = client.post(url, content=b"{}", headers={"content-type": "text/html"})
        assert answer.status_code == 422
        assert "is not an image" in answer.json()["error"]
        assert files_under(workspace) == before


def test_errors_are_one_line_json_without_a_traceback(client: TestClient) -> None:
    for answer in (client.get("/api/models/nothing-here"), client.get("/api/no-such-route"),
                   client.post("/api/runs", json={"data": "shapes", "options": {"epochs": -1}}),
                   client.post(f"/api/models/{MODEL}/predict", json={"input": [1, 2]})):
        body = answer.json()
        assert set(body) >= {"error", "status"} and body["status"] == answer.status_code
        assert "\n" not in body["error"] and "Traceback" not in answer.text


def test_a_body_without_a_length_is_cut_at_its_cap(client: TestClient) -> None:
    def chunks():
        for _ in range(MAX_IMAGE_BYTES // (1 << 20) + 2):
            yield b"\x00" * (1 << 20)

    answer = client.post(f"/api/models/{MODEL}/predict", content=chunks(), headers={"content-type": "image/png"})
    assert answer.status_code == 413
