"""What routes receive through FastAPI's Depends: the app's StudioState.

Tests build an app on a temporary workspace instead of patching anything.
"""

from __future__ import annotations

from fastapi import Request

from nnstudio.studio.state import StudioState


def get_state(request: Request) -> StudioState:
    """The dependency every route takes."""
    state: StudioState = request.app.state.studio
    return state
