"""Checkpoints that survive a crash at any moment, and the atomic file write they use.

A checkpoint folder holds ``checkpoint.json`` (epoch, history, options, optimizer and
scheduler settings, early-stopping state) and the tensors it names
(``state-0003.safetensors``: weights, optimizer buffers, RNG states). A new epoch's
tensors go to a new file first; only then does ``checkpoint.json`` switch to it, and
only then is the old file deleted. Every file is written under a temporary name,
synced and renamed, so an interruption leaves the previous checkpoint whole.
Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors_bytes
from safetensors.torch import save as save_tensors_bytes

from nnstudio.errors import TrainingError

CHECKPOINT_JSON = "checkpoint.json"
FORMAT_VERSION = 1


def write_file_atomically(path: str | Path, data: bytes) -> None:
    """Write data to path so that readers see the old file or the new one, never a mix."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_and_sync(handle, data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def _write_and_sync(handle, data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def sync_folder(folder: str | Path) -> None:
    """Make renames inside folder durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_checkpoint(folder: str | Path, epoch: int, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> Path:
    """Write one epoch's checkpoint into folder; return the path of checkpoint.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"state-{epoch:04d}.safetensors"
    blob = save_tensors_bytes({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()})
    write_file_atomically(folder / name, blob)
    record = {"format_version": FORMAT_VERSION, "epoch": epoch, "tensors": name,
              "sha256": hashlib.sha256(blob).hexdigest(), **meta}
    text = json.dumps(record, indent=1, allow_nan=False)
    write_file_atomically(folder / CHECKPOINT_JSON, text.encode("utf-8"))
    for old in folder.glob("state-*.safetensors"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return folder / CHECKPOINT_JSON


def has_checkpoint(folder: str | Path) -> bool:
    """Return True when folder holds a checkpoint.json."""
    return (Path(folder) / CHECKPOINT_JSON).is_file()


def load_checkpoint(folder: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Return (the checkpoint.json record, its tensors on the CPU). Raises TrainingError."""
    folder = Path(folder)
    json_path = folder / CHECKPOINT_JSON
    if not json_path.is_file():
        raise TrainingError(f"{folder}: no checkpoint to resume from ({CHECKPOINT_JSON} is missing). "
                            "help: train without resume to start afresh.")
    try:
        record = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise TrainingError(f"{json_path}: cannot read the checkpoint ({err}).") from err
    if not isinstance(record, dict) or record.get("format_version") != FORMAT_VERSION:
        raise TrainingError(f"{json_path}: not an nnstudio checkpoint of format_version {FORMAT_VERSION}.")
    try:
        blob = (folder / str(record["tensors"])).read_bytes()
    except (OSError, KeyError) as err:
        raise TrainingError(f"{json_path}: the tensor file it names cannot be read ({err}).") from err
    if hashlib.sha256(blob).hexdigest() != record.get("sha256"):
        raise TrainingError(f"{folder / record['tensors']}: damaged (its checksum differs from {CHECKPOINT_JSON}).")
    try:
        tensors = load_tensors_bytes(blob)
    except SafetensorError as err:
        raise TrainingError(f"{folder / record['tensors']}: not a readable safetensors file ({err}).") from err
    return record, tensors


def split_state(state: dict[str, Any], prefix: str) -> tuple[dict[str, torch.Tensor], Any]:
    """Split a nested state (optimizer or scheduler state_dict) into named tensors and
    a JSON-ready copy in which each tensor is replaced by {"tensor": name}."""
    tensors: dict[str, torch.Tensor] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, torch.Tensor):
            tensors[path] = value
            return {"tensor": path}
        if isinstance(value, dict):
            # JSON keys are strings: remember int keys (optimizer state is keyed by param index).
            return {"items": [[k, walk(v, f"{path}.{k}")] for k, v in value.items()]}
        if isinstance(value, (list, tuple)):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(value)]
        return value

    return tensors, walk(state, prefix)


def join_state(structure: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Return the state that split_state took apart."""
    if isinstance(structure, dict) and set(structure) == {"tensor"}:
        return tensors[structure["tensor"]]
    if isinstance(structure, dict):
        return {k: join_state(v, tensors) for k, v in structure["items"]}
    if isinstance(structure, list):
        return [join_state(v, tensors) for v in structure]
    return structure
