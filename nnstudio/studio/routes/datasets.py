"""Datasets: the built-in ones, and the user's own image folders (create, add samples
by drawing or upload, view, delete). The work is in services.datasets and
services.own_data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from nnstudio.studio.bodies import image_body
from nnstudio.studio.dependencies import get_state
from nnstudio.studio.services import datasets as service
from nnstudio.studio.services import own_data
from nnstudio.studio.state import StudioState

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

MAX_CLASSES = 100
PNG_BODY = {"requestBody": {"required": True, "content": {"image/png": {"schema": {"type": "string",
                                                                                   "format": "binary"}}}}}


class NewDataset(BaseModel):
    """POST /api/datasets: a name and its classes (folders), all checked as names."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=200)
    classes: list[str] = Field(..., min_length=1, max_length=MAX_CLASSES)


class NewClass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=200)


@router.get("")
def list_datasets(state: StudioState = Depends(get_state)) -> list[dict[str, Any]]:
    """The built-in datasets, then the workspace's own, each with classes and counts
    (counts of built-in ones once they were opened)."""
    return service.list_datasets(state)


@router.get("/{name}")
def get_dataset(name: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """One dataset: classes, counts per class, for an own dataset its sample files, and
    "network": the network `nnstudio train` would choose for it."""
    return service.dataset_detail(state, name)


@router.get("/{name}/mosaic.svg", response_class=Response)
def mosaic(name: str, per_class: int = Query(8, ge=1, le=25), state: StudioState = Depends(get_state)) -> Response:
    """A mosaic of per_class samples of each class (nnstudio.draw.draw_mosaic)."""
    return Response(service.mosaic_svg(state, name, per_class), media_type="image/svg+xml")


@router.post("", status_code=201)
def create_dataset(body: NewDataset, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Create datasets/NAME with one empty folder per class."""
    return own_data.create_dataset(state, body.name, body.classes)


@router.post("/{name}/classes", status_code=201)
def add_class(name: str, body: NewClass, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Add an empty class folder to an own dataset."""
    return own_data.add_class(state, name, body.name)


@router.patch("/{name}/classes/{class_name}")
def rename_class(name: str, class_name: str, body: NewClass, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Rename a class of an own dataset: its folder moves in one step, never over another class."""
    return own_data.rename_class(state, name, class_name, body.name)


@router.post("/{name}/samples", status_code=201, openapi_extra=PNG_BODY)
def add_sample(name: str, class_name: str = Query(..., alias="class"), image: Any = Depends(image_body),
               state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Store an image (PNG body: a drawing or an upload) as a sample of class."""
    return own_data.add_sample(state, name, class_name, image)


@router.get("/{name}/samples/{class_name}/{file}", response_class=Response)
def get_sample(name: str, class_name: str, file: str, state: StudioState = Depends(get_state)) -> Response:
    """One sample image as it is stored."""
    return Response(own_data.sample_bytes(state, name, class_name, file), media_type="image/png")


@router.delete("/{name}/samples/{class_name}/{file}")
def delete_sample(name: str, class_name: str, file: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Delete one sample; return the dataset's new counts."""
    return own_data.delete_sample(state, name, class_name, file)


@router.delete("/{name}")
def delete_dataset(name: str, state: StudioState = Depends(get_state)) -> dict[str, Any]:
    """Delete an own dataset folder and every sample in it."""
    own_data.delete_dataset(state, name)
    return {"deleted": name}
