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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypeAlias, TypedDict

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors_bytes
from safetensors.torch import save as save_tensors_bytes

from nnstudio.errors import TrainingError, Where
from nnstudio.files import write_atomically

if TYPE_CHECKING:
    from nnstudio.train.resume import RunState

CHECKPOINT_JSON = "checkpoint.json"
METRICS_LOG = "metrics.jsonl"
FORMAT_VERSION = 2
CHECKPOINT_SECONDS = 10.0

HistoryRow = dict[str, float]  # one epoch's logs (EpochLogs), as saved
# A value of JSON, and a PyTorch state (optimizer or scheduler state_dict): JSON-like
# values with tensors in them, dicts keyed by names or (optimizer state) parameter indices.
Json: TypeAlias = "dict[str, Json] | list[Json] | str | int | float | bool | None"
TorchState: TypeAlias = (
    "torch.Tensor | dict[str | int, TorchState] | list[TorchState] | tuple[TorchState, ...] "
    "| str | int | float | bool | None")
StateJson = Json  # a TorchState as split_state writes it: {"items": [[key, value], ...]}, {"tensor": name}


class EarlyStoppingState(TypedDict):
    """EarlyStopping.state_dict(): where early stopping stood (its weights are tensors)."""

    patience: int
    monitor: str
    best: float | None
    best_epoch: int | None
    wait: int


class DataCounts(TypedDict):
    """What the run trained on, checked on resume."""

    samples: int
    validation_samples: int
    processes: NotRequired[int]  # training processes (1 when absent: checkpoints before several)


class CheckpointMeta(TypedDict):
    """The JSON half of a run's state (the other half is its tensors)."""

    epoch: int  # epochs completed
    batch: int  # batches done of the epoch under way (0: at an epoch boundary)
    seconds_in_epoch: float
    config: dict[str, Json]  # TrainConfig.to_dict()
    finished: bool
    best_epoch: int | None
    stopped_early: bool
    optimizer: StateJson
    scheduler: dict[str, Json] | None
    early_stopping: EarlyStoppingState | None
    data: DataCounts


class CheckpointRecord(CheckpointMeta):
    """checkpoint.json as load_checkpoint returns it: the meta, what ties the files
    together, and the history rows read back from the metrics log."""

    format_version: int
    tensors: str
    sha256: str
    history_rows: int
    history: list[HistoryRow]


def save_checkpoint(folder: str | Path, tag: str, tensors: dict[str, torch.Tensor], meta: CheckpointMeta,
                    history: list[HistoryRow]) -> Path:
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


def _extend_metrics_log(folder: Path, history: list[HistoryRow]) -> None:
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


def load_checkpoint(folder: str | Path) -> tuple[CheckpointRecord, dict[str, torch.Tensor]]:
    """Return (the checkpoint.json record, with "history": its rows of the metrics log,
    and its tensors on the CPU). Raises TrainingError."""
    folder = Path(folder)
    json_path = folder / CHECKPOINT_JSON
    if not json_path.is_file():
        raise TrainingError(f"no checkpoint to resume from ({CHECKPOINT_JSON} is missing).",
                            where=Where(file=str(folder)), hint="train without resume to start afresh.")
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
    return record, tensors  # type: ignore[return-value]  # checked by format_version and checksum


def _read_metrics_log(folder: Path, rows: int) -> list[HistoryRow]:
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
    """Keeps a checkpoint of a run in folder: it is due after an epoch when every_seconds
    have passed since the last one (the run then writes it, see Run.save_checkpoint), and
    the run writes one whenever it ends, stops, is interrupted or diverges. With several
    training processes only the first one holds a Checkpointer and writes."""

    stop_training = False

    def __init__(self, folder: str | Path, every_seconds: float = CHECKPOINT_SECONDS) -> None:
        self.folder = Path(folder)
        self.every_seconds = every_seconds
        self.last_save = time.monotonic()
        self.saved_epoch: int | None = None  # epoch (completed) of the checkpoint on disk

    @property
    def due(self) -> bool:
        """True when every_seconds have passed since the last checkpoint."""
        return time.monotonic() - self.last_save >= self.every_seconds

    def save(self, state: RunState) -> None:
        """Write a state of the run (its current one, or one taken earlier) to disk."""
        meta = state.meta
        tag = f"{meta['epoch']:04d}" + (f"-{meta['batch']:05d}" if meta["batch"] else "")
        save_checkpoint(self.folder, tag, state.tensors, meta, state.history)
        self.saved_epoch = int(meta["epoch"])
        self.last_save = time.monotonic()


def split_state(state: Mapping[str, object], prefix: str) -> tuple[dict[str, torch.Tensor], StateJson]:
    """Split a nested state (optimizer or scheduler state_dict) into named tensors and
    a JSON-ready copy in which each tensor is replaced by {"tensor": name}."""
    tensors: dict[str, torch.Tensor] = {}

    def walk(value: object, path: str) -> StateJson:
        if isinstance(value, torch.Tensor):
            tensors[path] = value
            return {"tensor": path}
        if isinstance(value, dict):
            # JSON keys are strings: remember int keys (optimizer state is keyed by param index).
            return {"items": [[k, walk(v, f"{path}.{k}")] for k, v in value.items()]}
        if isinstance(value, (list, tuple)):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(value)]
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise TrainingError(f"{path}: a {type(value).__name__} cannot be written to a checkpoint (JSON and "
                            "tensors only).")

    return tensors, walk(state, prefix)


def join_state(structure: StateJson, tensors: dict[str, torch.Tensor]) -> TorchState:
    """Return the state that split_state took apart."""
    if isinstance(structure, dict) and set(structure) == {"tensor"}:
        return tensors[str(structure["tensor"])]
    if isinstance(structure, dict):
        items = structure["items"]
        if not isinstance(items, list):
            raise TrainingError(f"a checkpoint's state holds {items!r} where a list of [key, value] pairs belongs.")
        return {_key(pair): join_state(pair[1], tensors) for pair in items if isinstance(pair, list)}
    if isinstance(structure, list):
        return [join_state(v, tensors) for v in structure]
    return structure


def join_state_dict(structure: StateJson, tensors: dict[str, torch.Tensor]) -> dict[str, object]:
    """join_state for a whole state_dict (a mapping of names), as load_state_dict takes it."""
    state = join_state(structure, tensors)
    if not isinstance(state, dict):
        raise TrainingError(f"a checkpoint's state is {type(state).__name__}; a state_dict is a mapping of names.")
    return {str(k): v for k, v in state.items()}


def _key(pair: list[Json]) -> str | int:
    key = pair[0]
    if not isinstance(key, (str, int)) or isinstance(key, bool):
        raise TrainingError(f"a checkpoint's state has the key {key!r}; keys are names or whole numbers.")
    return key


def clear_checkpoint(folder: str | Path) -> None:
    """Remove a checkpoint's files from folder (a run starting afresh), keeping the rest."""
    folder = Path(folder)
    (folder / CHECKPOINT_JSON).unlink(missing_ok=True)
    (folder / METRICS_LOG).unlink(missing_ok=True)
    for old in folder.glob("state-*.safetensors"):
        old.unlink(missing_ok=True)
