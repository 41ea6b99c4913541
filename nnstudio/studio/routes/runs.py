"""Trainings: start, list, follow live (server-sent events), stop, resume, delete. The
work is in services.runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from nnstudio.studio.dependencies import get_state
from nnstudio.studio.jobs import FINAL, read_events
from nnstudio.studio.options import RunRequest
from nnstudio.studio.services import runs as service
from nnstudio.studio.state import StudioState

router = APIRouter(prefix="/api/runs", tags=["runs"])

POLL_SECONDS = 0.1  # how often the event stream looks for new reports
HEARTBEAT_SECONDS = 10.0


@router.post("", status_code=201)
def start_run(body: RunRequest, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Check the data, network and options, then queue the training (it starts when a
    slot is free: at once when no other run trains): {"id", "status", ...}. A network or
    options that cannot train on the data are refused (422) before any process starts."""
    options = {k: v for k, v in body.options.model_dump().items() if v is not None}
    return service.start_run(state, body.data, body.model, options, body.name, body.per_class)


@router.get("")
def list_runs(state: StudioState = Depends(get_state)) -> list[dict[str, Any]]:
    """Every run in the workspace, newest first, with its status, queue place and last epoch."""
    return service.list_runs(state)


@router.get("/{run_id}")
def get_run(run_id: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """One run: status (and place in the queue), data, spec, the options asked for and the
    plan it trains with, history so far, progress, model, error and its short reason."""
    return service.run_detail(state, run_id)


@router.get("/{run_id}/events")
async def follow_run(run_id: str, request: Request, state: StudioState = Depends(get_state)) -> StreamingResponse:
    """Server-sent events: every report so far, then new ones as they come; an 'end'
    event once the run is over. Leaving the stream does not stop the run."""
    run_dir = state.space.run_dir(run_id)
    start = request.headers.get("last-event-id", "0")
    offset = int(start) if start.isdigit() else 0
    return StreamingResponse(stream_events(state, run_dir, offset), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def stream_events(state: StudioState, run_dir: Path, offset: int) -> AsyncIterator[str]:
    """Yield SSE lines for the run's reports from byte offset on."""
    quiet = 0.0
    while True:
        events, offset = read_events(run_dir, offset)
        for event in events:
            yield f"id: {offset}\nevent: {event['kind']}\ndata: {json.dumps(event)}\n\n"
        if not events:
            status = service.run_status(state, run_dir)
            if status in FINAL and not read_events(run_dir, offset)[0]:
                yield f"id: {offset}\nevent: end\ndata: {json.dumps({'status': status})}\n\n"
                return
            quiet += POLL_SECONDS
            if quiet >= HEARTBEAT_SECONDS:
                quiet = 0.0
                yield ": still here\n\n"
            await asyncio.sleep(POLL_SECONDS)
        else:
            quiet = 0.0


@router.post("/{run_id}/stop")
def stop_run(run_id: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Ask the run to stop at its next batch; it keeps a checkpoint and can be resumed. A
    queued run leaves the queue at once ("stopped"), never started."""
    return service.stop_run(state, run_id)


@router.post("/{run_id}/resume")
def resume_run(run_id: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Queue a stopped, interrupted or failed run again; it continues from its checkpoint."""
    return service.resume_run(state, run_id)


@router.delete("/{run_id}")
def delete_run(run_id: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Delete a finished or queued run's folder (its saved model stays)."""
    service.delete_run(state, run_id)
    return {"deleted": run_id}
