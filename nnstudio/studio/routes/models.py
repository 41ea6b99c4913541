"""Saved models: list, predict, activations, drawing, download, upload, delete, export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from nnstudio.studio.state import StudioState, get_state

router = APIRouter(prefix="/api/models", tags=["models"])


@router.get("")
def list_models(state: StudioState = Depends(get_state)) -> list[dict[str, Any]]:
    """Every model folder in the workspace."""
    return [{"name": p.name} for p in sorted(state.space.models.iterdir()) if (p / "model.json").is_file()]
