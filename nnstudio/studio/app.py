"""Builds the studio's FastAPI app: routers, guards, error answers, static files. Nothing else.

Every route is a thin call of the library; a user error (an NnstudioError) becomes a
JSON answer with the same one-line message the CLI prints: 404 for an unknown name,
409 for a name taken or a thing busy, 413 for a body over its cap, 422 for the rest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from nnstudio.errors import NnstudioError, error_fields, one_line
from nnstudio.studio.access import Access, TokenGate
from nnstudio.studio.bodies import MAX_ZIP_BYTES, TooLarge
from nnstudio.studio.guards import Guard, allowed_hosts
from nnstudio.studio.routes import datasets, designs, models, runs
from nnstudio.studio.state import StudioState
from nnstudio.studio.workspace import Conflict, NotFound

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_BODY = MAX_ZIP_BYTES  # the largest body any route reads (a model zip)


def status_of(error: NnstudioError) -> int:
    """Return the HTTP status for a user error."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, TooLarge):
        return 413
    return 422


async def user_error(request: Request, error: Exception) -> JSONResponse:
    """A user's mistake: {"error": message, "status", "where", "given", "allowed", "hint"}."""
    status = status_of(error) if isinstance(error, NnstudioError) else 422
    return JSONResponse({**error_fields(error), "status": status}, status_code=status)


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    """A body or query that does not fit its model: one line naming the field, as the CLI would."""
    problems = []
    for item in getattr(error, "errors", lambda: [])():
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        given = item.get("input")
        shown = "" if isinstance(given, (dict, list)) or given is None else f" (got {given!r})"
        problems.append(f"{where or 'body'}: {item.get('msg', 'invalid')}{shown}")
    return JSONResponse({"error": "; ".join(problems) or "invalid request", "status": 422, "detail": problems},
                        status_code=422)


async def http_error(request: Request, error: Exception) -> JSONResponse:
    """An unknown path or method: the same {"error", "status"} shape as every other answer."""
    status = getattr(error, "status_code", 500)
    detail = getattr(error, "detail", "") or "error"
    if status == 404:
        detail = f"{request.method} {request.url.path}: no such page or API route. help: /docs lists the API"
    return JSONResponse({"error": str(detail), "status": status}, status_code=status,
                        headers=getattr(error, "headers", None))


async def server_error(request: Request, error: Exception) -> JSONResponse:
    """Anything else is a bug: log the traceback, answer one line without it."""
    log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return JSONResponse({"error": f"internal error: {one_line(error)}", "status": 500}, status_code=500)


def create_app(workspace: str | Path, *, token: str | None, host: str = "127.0.0.1", threads: int | None = None,
               extra_hosts: tuple[str, ...] = (), parallel_runs: int | None = None) -> FastAPI:
    """Return the studio app serving the workspace folder (created when missing).

    token is what every request must carry (studio.access: a cookie, a bearer header,
    or ?token= once); None serves without one, which only a loopback host allows
    (AccessError otherwise). host is the address the server binds: requests must name
    it (or, on a loopback address, localhost) in their Host header. threads sets the
    torch threads of each training process (None: studio.state.training_threads());
    parallel_runs how many runs train at once (None: one, or one per GPU; the others
    wait in a queue)."""
    access = Access.for_host(host, token)
    state = StudioState.open(workspace, threads=threads, parallel_runs=parallel_runs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Runs still queued when the last studio stopped start now, oldest first (in a
        # thread: the first start imports torch to count the GPUs).
        threading.Thread(target=state.jobs.fill, name="nnstudio-queue", daemon=True).start()
        yield
        state.jobs.stop_all()  # runs keep their checkpoints and can be resumed later

    # FastAPI's own /docs and /redoc load their scripts from a CDN: offline they show
    # nothing. /docs is a page of the studio's own instead, built from /openapi.json.
    app = FastAPI(title="nnstudio studio", summary="Design, train, watch, draw and test small networks.",
                  version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.studio = state
    app.state.access = access
    for router in (designs.router, datasets.router, runs.router, models.router):
        app.include_router(router)
    app.add_exception_handler(NnstudioError, user_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
    # Added first, so it runs inside the Guard: a foreign Host is refused before any token is read.
    app.add_middleware(TokenGate, access=access)
    app.add_middleware(Guard, hosts=allowed_hosts(host, extra_hosts), max_body=MAX_BODY)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:
        """Every API route, read from /openapi.json by static/docs.js."""
        return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    return app
