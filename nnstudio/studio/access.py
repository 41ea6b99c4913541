"""Who holds the key: the studio's access token, as Jupyter has one.

`nnstudio studio` makes a random token at every start and prints its address with
``?token=...``. Whoever can reach the port but has not read that line (another user of
this machine, another machine when --host opens the studio to the network, a page in
the browser that guesses the port) is refused with 401. A browser that opens the
printed address gets the token as a cookie (HttpOnly, SameSite=Strict) and is sent on
to the same address without it, so the token stays neither in the address bar nor in
the history; scripts send the header ``Authorization: Bearer TOKEN``.

Without a token (``--no-token``) the studio may only bind a loopback address.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from nnstudio.errors import NnstudioError

TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~-]{1,256}")  # what passes in a URL and a cookie unquoted
LOOPBACK_NAMES = ("localhost",)
HOW_TO_GET_IN = ("open the address `nnstudio studio` printed when it started (it ends in ?token=...), "
                 "or send the header 'Authorization: Bearer TOKEN' with the token of that address")


class AccessError(NnstudioError):
    """A token that cannot be used, or a studio open to the network without one."""


@dataclass(frozen=True)
class Access:
    """The studio's access setting: the token every request must carry (None: no token,
    only allowed on a loopback address)."""

    token: str | None

    @classmethod
    def for_host(cls, host: str, token: str | None) -> Access:
        """Return the setting for a studio bound to host; AccessError for a bad token or
        for no token on an address other machines can reach."""
        if token is None:
            if not is_loopback(host):
                raise AccessError(f"--no-token with --host {host}: every machine that reaches {host} could use "
                                  "this studio without a token. help: leave --no-token out (the printed address "
                                  "carries the token), or bind a loopback address such as --host 127.0.0.1")
            return cls(None)
        return cls(check_token(token))

    def accepts(self, given: str | None) -> bool:
        """Return whether given is this studio's token (always, when it has none)."""
        if self.token is None:
            return True
        # bytes, not str: compare_digest refuses non-ASCII str, and a header may hold any byte
        return given is not None and secrets.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))


def new_token() -> str:
    """Return a fresh random token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def check_token(token: str) -> str:
    """Return token when it can travel in a URL and a cookie as it is; else AccessError."""
    if not TOKEN_CHARS.fullmatch(token):
        raise AccessError(f"--token {token!r}: a token is 1 to 256 letters, digits or '._~-'. help: leave "
                          "--token out and the studio makes a random one")
    return token


def is_loopback(host: str) -> bool:
    """Return whether host is an address only this machine reaches (127.0.0.1, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def address(host: str, port: int, token: str | None) -> str:
    """Return the address to open for a studio bound to host:port: the loopback address
    when it binds every address, and ?token= when it has a token."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    return f"{url}?{urlencode({'token': token})}" if token is not None else url


def cookie_name(host_header: str) -> str:
    """Return the token cookie's name for a Host header: one per port, because cookies
    ignore ports and two studios on one machine would otherwise log each other out."""
    value = host_header.strip()
    port = value.rsplit(":", 1)[1] if re.search(r":\d+$", value) and not value.endswith("]") else "80"
    return f"nnstudio-token-{port}"


# ----------------------------------------------------------------------------- the gate


class TokenGate:
    """ASGI middleware: a request passes with the token in its cookie or in an
    ``Authorization: Bearer`` header; a GET with a right ``?token=`` gets the cookie and
    a redirect to the same address without it; anything else gets 401."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.access.token is None:
            await self.app(scope, receive, send)  # lifespan, or a studio without a token
            return
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        name = cookie_name(next((v for k, v in headers if k == "host"), ""))
        if scope["type"] == "websocket":  # none today; one added later is behind the token too
            if self.access.accepts(bearer(headers)) or self.access.accepts(cookie(headers, name)):
                await self.app(scope, receive, send)
            else:
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008, "reason": "access token needed"})
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == "token"]
        if given and scope["method"] in ("GET", "HEAD"):
            if self.access.accepts(given[-1]):
                await send_login(send, scope["path"], [(k, v) for k, v in query if k != "token"], name, given[-1])
            else:
                await refuse(send, headers, "the token in this address is not this studio's (a restarted studio "
                                            "has a new one)")
            return
        if self.access.accepts(bearer(headers)) or self.access.accepts(cookie(headers, name)):
            await self.app(scope, receive, send)
            return
        await refuse(send, headers, "this studio needs its access token")


def bearer(headers: list[tuple[str, str]]) -> str | None:
    """Return the token of an 'Authorization: Bearer TOKEN' header, or None."""
    for key, value in headers:
        scheme, _, credential = value.strip().partition(" ")
        if key == "authorization" and scheme.lower() == "bearer":
            return credential.strip()
    return None


def cookie(headers: list[tuple[str, str]], name: str) -> str | None:
    """Return the value of the cookie called name, or None."""
    for key, value in headers:
        if key == "cookie":
            for pair in value.split(";"):
                left, _, right = pair.strip().partition("=")
                if left == name:
                    return right.strip().strip('"')
    return None


async def send_login(send: Send, path: str, query: list[tuple[str, str]], name: str, token: str) -> None:
    """Answer 303 to the same path and query without the token, setting the cookie."""
    # Quoted, and one leading '/': '//other.example' or '/\\other.example' would send the browser away.
    clean = "/" + quote(path).lstrip("/") + (f"?{urlencode(query)}" if query else "")
    await send({"type": "http.response.start", "status": 303, "headers": [
        (b"location", clean.encode("latin-1")),
        (b"set-cookie", f"{name}={token}; Path=/; HttpOnly; SameSite=Strict".encode("latin-1")),
        (b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer"), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def refuse(send: Send, headers: list[tuple[str, str]], why: str) -> None:
    """Answer 401: a short page for a browser that asks for one, else JSON {"error", "status"}."""
    import html
    import json

    accept = next((v for k, v in headers if k == "accept"), "")
    if "text/html" in accept:
        kind = b"text/html; charset=utf-8"
        body = LOCKED_PAGE.format(why=html.escape(why[:1].upper() + why[1:], quote=False)).encode("utf-8")
    else:
        kind = b"application/json"
        body = json.dumps({"error": f"{why}. help: {HOW_TO_GET_IN}", "status": 401}).encode("utf-8")
    await send({"type": "http.response.start", "status": 401, "headers": [
        (b"content-type", kind), (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store"),
        (b"www-authenticate", b'Bearer realm="nnstudio studio"')]})
    await send({"type": "http.response.body", "body": body})


LOCKED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>nnstudio studio: token needed</title><link rel="icon" href="data:,">
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 36em; margin: 4em auto; padding: 0 1em; }}
code {{ background: #f1f3f5; padding: 0 .2em; }}</style></head>
<body data-testid="token-needed"><h1>nnstudio studio</h1>
<p>{why}.</p>
<p>Open the address printed by <code>nnstudio studio</code> in the terminal where it started: it looks like
<code>http://127.0.0.1:8765/?token=...</code>. This browser then keeps the token while it stays open.</p>
<p>Scripts send the header <code>Authorization: Bearer TOKEN</code> with the token of that address.</p>
</body></html>
"""
