"""Checkpoints that survive a crash at any moment, written when they are worth it.

A checkpoint folder holds ``checkpoint.json`` (position, options, optimizer and
scheduler settings, early-stopping state), the tensors it names
(``state-0003.safetensors``: weights, optimizer buffers, RNG states) and
``metrics.jsonl``, the per-epoch history, one JSON line per epoch, appended to rather
than re-encoded (``checkpoint.json`` says how many of its lines belong to the
checkpoint). A new checkpoint's tensors go to a new file first; only then does
``checkpoint.json`` switch to it, and only then is the old file deleted. Every file is
written under a temporary name, synced and renamed, so an interruption leaves the
previous checkpoint whole. Nothing is pickled.

The Checkpointer callback decides when: at most every `every_seconds` at an epoch's
end, and always when the run ends, stops on request, is interrupted, or diverges.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors_bytes
from safetensors.torch import save as save_tensors_bytes

from nnstudio.errors import TrainingError
from nnstudio.files import write_atomically

CHECKPOINT_JSON = "checkpoint.json"
METRICS_LOG = "metrics.jsonl"
FORMAT_VERSION = 2
CHECKPOINT_SECONDS = 10.0


def save_checkpoint(folder: str | Path, tag: str, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                    history: list[dict[str, Any]]) -> Path:
    """Write one checkpoint into folder: tensors, the history rows not yet in its
    metrics log, and checkpoint.json (meta plus what ties them together). Return the
    path of checkpoint.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"state-{tag}.safetensors"
    blob = save_tensors_bytes({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()})
    write_atomically(folder / name, blob)
    _extend_metrics_log(folder, history)
    record = {"format_version": FORMAT_VERSION, "tensors": name, "sha256": hashlib.sha256(blob).hexdigest(),
              "history_rows": len(history), **meta}
    text = json.dumps(record, indent=1, allow_nan=False)
    write_atomically(folder / CHECKPOINT_JSON, text.encode("utf-8"))
    for old in folder.glob("state-*.safetensors"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return folder / CHECKPOINT_JSON


def _extend_metrics_log(folder: Path, history: list[dict[str, Any]]) -> None:
    """Make metrics.jsonl hold exactly the rows of history, appending the new ones.
    Lines past those of the checkpoint on disk (left by a crash between the append and
    the switch of checkpoint.json) are dropped first; they belong to no checkpoint."""
    path = folder / METRICS_LOG
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.is_file() else []
    kept = min(len(lines), _rows_on_disk(folder), len(history))
    if kept != len(lines):
        write_atomically(path, "".join(lines[:kept]).encode("utf-8"))
    new = "".join(json.dumps(row, allow_nan=False) + "\n" for row in history[kept:])
    if new:
        _append(path, new.encode("utf-8"))


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _rows_on_disk(folder: Path) -> int:
    try:
        return int(json.loads((folder / CHECKPOINT_JSON).read_text(encoding="utf-8"))["history_rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def has_checkpoint(folder: str | Path) -> bool:
    """Return True when folder holds a checkpoint.json."""
    return (Path(folder) / CHECKPOINT_JSON).is_file()


def load_checkpoint(folder: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Return (the checkpoint.json record, with "history": its rows of the metrics log,
    and its tensors on the CPU). Raises TrainingError."""
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
    record["history"] = _read_metrics_log(folder, int(record.get("history_rows", 0)))
    return record, tensors


def _read_metrics_log(folder: Path, rows: int) -> list[dict[str, Any]]:
    path = folder / METRICS_LOG
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[:rows] if rows else []
        history = [json.loads(line) for line in lines]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise TrainingError(f"{path}: cannot read the training history ({err}).") from err
    if len(history) != rows:
        raise TrainingError(f"{path}: holds {len(history)} epochs; {CHECKPOINT_JSON} expects {rows}.")
    return history


class Checkpointer:
    """A training callback that keeps a checkpoint of the run in folder: after an
    epoch when every_seconds have passed since the last one, and (called by the run)
    whenever the run ends, stops, is interrupted or diverges."""

    stop_training = False

    def __init__(self, folder: str | Path, every_seconds: float = CHECKPOINT_SECONDS) -> None:
        self.folder = Path(folder)
        self.every_seconds = every_seconds
        self.run: Any = None
        self.last_save = time.monotonic()
        self.saved_epoch: int | None = None  # epoch (completed) of the checkpoint on disk

    def bind(self, run: Any) -> None:
        self.run = run
        self.last_save = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if time.monotonic() - self.last_save >= self.every_seconds:
            self.save()

    def save(self, state: tuple[dict[str, torch.Tensor], dict[str, Any], list[dict[str, Any]]] | None = None) -> None:
        """Write the run's current state (or the given one, taken earlier) to disk."""
        tensors, meta, history = state if state is not None else self.run.state()
        tag = f"{meta['epoch']:04d}" + (f"-{meta['batch']:05d}" if meta["batch"] else "")
        save_checkpoint(self.folder, tag, tensors, meta, history)
        self.saved_epoch = int(meta["epoch"])
        self.last_save = time.monotonic()


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


def clear_checkpoint(folder: str | Path) -> None:
    """Remove a checkpoint's files from folder (a run starting afresh), keeping the rest."""
    folder = Path(folder)
    (folder / CHECKPOINT_JSON).unlink(missing_ok=True)
    (folder / METRICS_LOG).unlink(missing_ok=True)
    for old in folder.glob("state-*.safetensors"):
        old.unlink(missing_ok=True)
