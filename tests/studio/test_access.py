"""The studio's access token: who gets in (bearer header, cookie, ?token= once) and who
does not (401, with how to get in), and when the studio may run without one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from studio_helpers import AUTH, BASE_URL, TOKEN, studio_client

from nnstudio.studio.access import Access, AccessError, TokenGate, address, cookie_name, is_loopback, new_token
from nnstudio.studio.app import create_app

COOKIE = "nnstudio-token-8765"  # the cookie of a studio on port 8765 (BASE_URL)


@pytest.fixture
def stranger(workspace: Path) -> Any:
    """A client of a studio with token TOKEN that sends no token of its own."""
    with TestClient(create_app(workspace, token=TOKEN), base_url=BASE_URL) as plain:
        yield plain


@pytest.mark.parametrize("path", ["/api/presets", "/api/models", "/openapi.json", "/static/api.js", "/docs", "/"])
def test_no_token_gets_401_with_how_to_get_in(stranger: TestClient, path: str) -> None:
    answer = stranger.get(path)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    message = answer.json()["error"]
    assert "?token=" in message and "Authorization: Bearer" in message
    assert TOKEN not in answer.text


def test_a_browser_without_a_token_gets_a_short_page(stranger: TestClient) -> None:
    for path in ("/", "/docs"):
        page = stranger.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
        assert "open the address printed by <code>nnstudio studio</code>" in " ".join(page.text.lower().split())
        assert TOKEN not in page.text and "<script" not in page.text and "src=" not in page.text


def test_changes_without_a_token_change_nothing(stranger: TestClient, workspace: Path) -> None:
    answer = stranger.post("/api/datasets", json={"name": "mine", "classes": ["a", "b"]})
    assert answer.status_code == 401 and not (workspace / "datasets" / "mine").exists()
    assert stranger.delete("/api/models/shapes-small").status_code == 401
    assert (workspace / "models" / "shapes-small").is_dir()


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}",
                                    TOKEN, "Bearer é".encode()])
def test_a_wrong_bearer_gets_401(stranger: TestClient, header: str | bytes) -> None:
    assert stranger.get("/api/presets", headers={"Authorization": header}).status_code == 401


def test_a_bearer_header_lets_in(stranger: TestClient) -> None:
    assert stranger.get("/api/presets", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert stranger.get("/api/presets", headers={"Authorization": f"bearer  {TOKEN}"}).status_code == 200
    assert stranger.get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert stranger.cookies.get(COOKIE) is None  # a header sets no cookie


def test_the_token_in_the_address_sets_a_cookie_and_leaves_the_address(stranger: TestClient) -> None:
    login = stranger.get(f"/?token={TOKEN}", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/"
    attributes = [part.strip().lower() for part in login.headers["set-cookie"].split(";")]
    assert attributes[0] == f"{COOKIE}={TOKEN}".lower()
    assert {"httponly", "samesite=strict", "path=/"} <= set(attributes[1:])
    assert login.headers["cache-control"] == "no-store"
    # From here on the cookie alone lets the page, its files and the API in.
    assert stranger.get("/").status_code == 200
    assert stranger.get("/static/api.js").status_code == 200
    assert stranger.get("/api/models").status_code == 200
    created = stranger.post("/api/datasets", json={"name": "mine", "classes": ["a", "b"]})
    assert created.status_code == 201


def test_the_redirect_keeps_the_rest_of_the_address(stranger: TestClient) -> None:
    login = stranger.get(f"/docs?tag=runs&token={TOKEN}&x=a%20b", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/docs?tag=runs&x=a+b"
    followed = stranger.get(f"/docs?token={TOKEN}")  # as a browser follows it
    assert followed.status_code == 200 and str(followed.url) == BASE_URL + "/docs"


def test_a_wrong_token_in_the_address_gets_401_and_no_cookie(stranger: TestClient) -> None:
    answer = stranger.get("/?token=guess", headers={"Accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 401 and "set-cookie" not in answer.headers
    assert "not this studio's" in answer.text
    assert stranger.get("/api/presets").status_code == 401


def test_a_wrong_cookie_gets_401(stranger: TestClient) -> None:
    assert stranger.get("/api/presets", headers={"Cookie": f"{COOKIE}=guess"}).status_code == 401
    other_port = "nnstudio-token-9999"  # another studio's cookie, even with this token, is not this one's
    assert stranger.get("/api/presets", headers={"Cookie": f"{other_port}={TOKEN}"}).status_code == 401
    assert stranger.get("/api/presets", headers={"Cookie": f"a=1; {COOKIE}={TOKEN}"}).status_code == 200


def test_the_host_guard_still_comes_first(stranger: TestClient) -> None:
    refused = stranger.get("/api/presets", headers={"Host": "evil.example", "Authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 403


def test_the_redirect_cannot_lead_to_another_site() -> None:
    """The address a redirect goes to keeps its path on this server, however the path reads."""
    sent: list[dict[str, Any]] = []

    async def record(message: dict[str, Any]) -> None:
        sent.append(message)

    async def never(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app behind the gate was called")

    gate = TokenGate(never, Access("t0ken"))
    for path in ("//evil.example/x", "/\\evil.example", "/\\/evil.example"):
        sent.clear()
        scope = {"type": "http", "method": "GET", "path": path, "query_string": b"token=t0ken",
                 "headers": [(b"host", b"127.0.0.1:8765")]}
        asyncio.run(gate(scope, None, record))  # type: ignore[arg-type]
        location = dict(sent[0]["headers"])[b"location"].decode()
        assert sent[0]["status"] == 303 and location.startswith("/") and location[1:2] not in ("/", "\\"), location


def test_a_websocket_needs_the_token_too() -> None:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def hello(socket: WebSocket) -> None:
        await socket.accept()
        await socket.send_text("in")
        await socket.close()

    app = Starlette(routes=[WebSocketRoute("/ws", hello)])
    app.add_middleware(TokenGate, access=Access(TOKEN))
    with TestClient(app, base_url=BASE_URL) as plain:
        with pytest.raises(WebSocketDisconnect) as refused, plain.websocket_connect("/ws"):
            pass
        assert refused.value.code == 1008
        with plain.websocket_connect("/ws", headers=AUTH) as socket:
            assert socket.receive_text() == "in"


# ----------------------------------------------------------------------------- without a token


def test_no_token_on_loopback_serves_everyone_on_this_machine(workspace: Path) -> None:
    for host in ("127.0.0.1", "::1", "localhost"):
        app = create_app(workspace, token=None, host=host)
        with TestClient(app, base_url=BASE_URL.replace("127.0.0.1", "localhost")) as client:
            assert client.get("/api/presets").status_code == 200
            assert client.get("/?token=anything", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "studio.example"])
def test_no_token_is_refused_off_loopback(tmp_path: Path, host: str) -> None:
    with pytest.raises(AccessError, match=f"--no-token with --host {host}"):
        create_app(tmp_path / "w", token=None, host=host)
    assert not (tmp_path / "w").exists()


def test_a_studio_open_to_the_network_still_takes_its_token(workspace: Path) -> None:
    with studio_client(workspace, host="0.0.0.0") as client:
        assert client.get("/api/presets").status_code == 200
        assert client.get("/api/presets", headers={"Authorization": "Bearer no"}).status_code == 401


# ----------------------------------------------------------------------------- pieces


def test_tokens_are_random_and_checked(tmp_path: Path) -> None:
    tokens = {new_token() for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 43 for t in tokens)
    assert Access.for_host("127.0.0.1", "a.b~c-d_9").token == "a.b~c-d_9"
    for bad in ("", "a b", "a;b", "t=1", "é", "x" * 257):
        with pytest.raises(AccessError, match="--token"):
            Access.for_host("127.0.0.1", bad)


def test_the_printed_address_carries_the_token() -> None:
    assert address("127.0.0.1", 8765, "abc") == "http://127.0.0.1:8765/?token=abc"
    assert address("0.0.0.0", 80, "abc") == "http://127.0.0.1:80/?token=abc"
    assert address("::1", 9000, "a-b") == "http://[::1]:9000/?token=a-b"
    assert address("localhost", 8765, None) == "http://localhost:8765/"


def test_loopback_and_cookie_names() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "", "10.0.0.1", "localhost.example"))
    assert cookie_name("127.0.0.1:8765") == cookie_name("localhost:8765") == "nnstudio-token-8765"
    assert cookie_name("[::1]:9000") == "nnstudio-token-9000" and cookie_name("[::1]") == "nnstudio-token-80"
