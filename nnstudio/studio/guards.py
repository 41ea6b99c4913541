"""Who may talk to the studio: its own address only, and state changes from its own pages.

A page on another site can make the browser send requests to 127.0.0.1 (and, through
DNS rebinding, even under its own host name). Two checks stop both: the Host header
must name this server, and a state-changing request whose Origin (or Sec-Fetch-Site)
says it comes from another site is refused. Request bodies are capped before they
are read whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nnstudio.studio.bodies import TooLarge

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")


def host_name(value: str) -> str:
    """Return the host part of a Host header or URL netloc ('[::1]:8765' -> '::1'), lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Return the host names this server answers to: the bound address, and the local
    names when it is bound to a loopback or every address."""
    names = {host_name(bind_host), *(host_name(e) for e in extra)}
    if bind_host in LOCAL_NAMES or bind_host in ("0.0.0.0", "::", ""):
        names.update(LOCAL_NAMES)
    return frozenset(n for n in names if n)


class Guard:
    """ASGI middleware: 403 for a foreign Host or a cross-site state change, 413 for a
    body over its cap (checked on Content-Length and again while it streams in)."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str], max_body: int) -> None:
        self.app, self.hosts, self.max_body = app, hosts, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self.refusal(scope["method"], headers)
        if problem is not None:
            await answer(send, *problem)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        if any(code in raw_path.lower() for code in (b"%2f", b"%5c")):
            # Every name in a path is one segment; an encoded '/' or '\\' can only be an attempt to leave it.
            await answer(send, 422, f"path {raw_path.decode('latin-1')[:120]!r}: a name may not contain '/' "
                                    "or '\\'; allowed: letters, digits, ' _-.+'")
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await answer(send, 413, f"request body of {int(length):,} bytes; at most {self.max_body:,} are read")
            return
        await self.app(scope, self.capped(receive, send), send)

    def refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        """Return (status, message) when the request must be refused, else None."""
        host = host_name(headers.get("host", ""))
        if host not in self.hosts:
            return 403, (f"Host {headers.get('host', '')!r} is not this server's name; allowed: "
                         f"{', '.join(sorted(self.hosts))}. help: open the address the studio printed")
        if method in SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != headers["host"].lower()):
            return 403, f"a request from another site ({origin}) may not change anything here"
        if headers.get("sec-fetch-site") == "cross-site":
            return 403, "a request from another site may not change anything here"
        return None

    def capped(self, receive: Receive, send: Send) -> Receive:
        """Return receive, counting body bytes; past the cap it fails the request."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise TooLarge(f"request body over {self.max_body:,} bytes")
            return message

        return counted


async def answer(send: Send, status: int, message: str) -> None:
    """Send a JSON error {"error": message} with status."""
    import json

    body = json.dumps({"error": message, "status": status}).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
