"""The saved model folder: model.json (what to rebuild) + weights.safetensors (tensors).

Loading never unpickles and never runs code from the folder: the JSON is data, the
tensors are read with safetensors only, and every tensor is checked against the
network its spec describes (names, shapes, dtypes, finite values).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as save_tensors_bytes

from nnstudio.data import Preparation
from nnstudio.data.strokes import PathPreparation
from nnstudio.errors import DataError, ModelFileError, SpecError, Where
from nnstudio.files import sync_folder, write_atomically
from nnstudio.model import Network, build_model
from nnstudio.spec import Spec, num_classes

log = logging.getLogger(__name__)

MODEL_JSON = "model.json"
WEIGHTS = "weights.safetensors"
METRICS_CSV = "metrics.csv"
WRITTEN = (MODEL_JSON, WEIGHTS, METRICS_CSV)  # what a save replaces; other files stay
FORMAT_VERSION = 1
_SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
                       torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}


def save_model(model_dir: str | Path, network: Network, *, class_names, preparation=None,
               training: dict[str, Any] | None = None) -> Path:
    """Write network into the folder model_dir, replacing a model saved there before,
    so that the folder always holds a whole model (old or new). Return its path.

    training: {"config": TrainConfig.to_dict(), "history": [...]} (see training_record) or None.
    """
    dest = Path(model_dir)
    spec = network.spec
    names = [str(c) for c in class_names]
    if len(names) != num_classes(spec):
        raise ModelFileError(f"{len(names)} class names for a network with {num_classes(spec)} outputs.",
                             where=Where(file=str(dest)))
    if dest.exists() and not _replaceable(dest):
        raise ModelFileError("exists and is not an nnstudio model folder; refusing to replace it.",
                             where=Where(file=str(dest)), hint="choose a new folder name.")
    record = {"format_version": FORMAT_VERSION, "spec": spec.to_dict(), "class_names": names,
              "preparation": preparation.to_dict() if preparation is not None else None,
              "training": _json_ready(training)}
    text = json.dumps(record, indent=1, allow_nan=False)
    weights = {k: v.detach().to("cpu").contiguous() for k, v in network.state_dict().items()}
    # One metadata key only: safetensors writes metadata in hash order, so two keys would
    # make the bytes of two identical trainings differ. The format version is in model.json.
    blob = save_tensors_bytes(weights, metadata={"format": "pt"})

    dest.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = dest.parent / f".{dest.name}.new-{tag}"
    tmp.mkdir()
    try:
        write_atomically(tmp / WEIGHTS, blob)
        write_atomically(tmp / MODEL_JSON, text.encode("utf-8"))
        if training and training.get("history"):
            write_atomically(tmp / METRICS_CSV, metrics_csv(training["history"]).encode("utf-8"))
        _keep_other_files(dest, tmp)
        _swap_in(tmp, dest, dest.parent / f".{dest.name}.old-{tag}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def training_record(config: Any, history: Any, *, data: str | None = None,
                    samples: int | None = None) -> dict[str, Any]:
    """Return the 'training' entry of model.json: the options (a TrainConfig), the
    per-epoch history and how it ended (a History from fit), and what it was trained on.
    Every model folder that training writes gets its record from here."""
    record: dict[str, Any] = {}
    if data is not None:
        record["data"] = str(data)
    if samples is not None:
        record["samples"] = int(samples)
    record.update({"config": config.to_dict(), "history": [dict(e) for e in history],
                   "best_epoch": getattr(history, "best_epoch", None),
                   "stopped_early": bool(getattr(history, "stopped_early", False))})
    return record


def epoch_rows(history: Any) -> list[Any]:
    """Return the per-epoch rows of a saved training record's history: a list of rows,
    or History.to_dict()'s {"epochs": [...]}; anything else (none, damaged) gives []."""
    if isinstance(history, dict):
        history = history.get("epochs")
    return list(history) if isinstance(history, list) else []


def metrics_csv(history: list[dict[str, Any]]) -> str:
    """Return the per-epoch history as CSV text (a header, then one row per epoch), for
    a spreadsheet or pandas."""
    keys = [k for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds", "overfitting")
            if any(k in row for row in history)]
    rows = [",".join(keys)]
    rows += [",".join("" if row.get(k) is None else repr(row[k]) if isinstance(row.get(k), float) else str(row[k])
                      for k in keys) for row in history]
    return "\n".join(rows) + "\n"


def _keep_other_files(dest: Path, new: Path) -> None:
    """Move every file of dest that a save did not write (a user's notes) into the new
    folder, so replacing a model keeps them."""
    if not dest.is_dir():
        return
    for entry in dest.iterdir():
        if entry.name not in WRITTEN:
            os.rename(entry, new / entry.name)


def _replaceable(dest: Path) -> bool:
    """An existing folder may be replaced when it is empty or holds a saved model."""
    return dest.is_dir() and ((dest / MODEL_JSON).is_file() or not any(dest.iterdir()))


def _swap_in(new: Path, dest: Path, old: Path) -> None:
    """Rename new to dest; an existing dest is moved aside first and deleted last."""
    if dest.exists():
        os.rename(dest, old)
        try:
            os.rename(new, dest)
        except BaseException:
            os.rename(old, dest)
            raise
        sync_folder(dest.parent)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, dest)
        sync_folder(dest.parent)


def _json_ready(training: Any) -> Any:
    if training is None:
        return None
    try:
        return json.loads(json.dumps(training, allow_nan=False, default=_to_builtin))
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"the training record cannot be stored as JSON ({err}).") from err


def _to_builtin(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-ready")


@dataclass
class SavedModel:
    """What a model folder holds, checked: the spec, the network with its weights loaded
    (in eval mode), class names, image preparation (None: numeric vectors only), the
    training record (None if absent) and the folder it came from."""

    spec: Any
    network: Network
    class_names: list[str]
    preparation: Any
    training: dict[str, Any] | None
    path: Path


def read_model_folder(model_dir: str | Path) -> SavedModel:
    """Return the parts of the model saved in model_dir. Raises ModelFileError when the
    folder is missing, damaged, unsafe (pickle in place of safetensors) or inconsistent."""
    folder = Path(model_dir)
    if not folder.exists():
        raise ModelFileError("no such model folder.", where=Where(file=str(folder)))
    if not folder.is_dir():
        raise ModelFileError(f"is a file, not a model folder (a folder with {MODEL_JSON} and {WEIGHTS}).",
                             where=Where(file=str(folder)))
    json_path = folder / MODEL_JSON
    record = _read_record(json_path)
    try:
        spec = Spec.from_dict(record["spec"], source=str(json_path))
    except SpecError as err:
        raise ModelFileError(f"invalid spec: {err}", where=Where(file=str(json_path))) from err
    names = record["class_names"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(names) != num_classes(spec):
        raise ModelFileError(f"'class_names' must list {num_classes(spec)} names (one per output unit); "
                             f"got {names!r}.", where=Where(file=str(json_path)))
    preparation = _read_preparation(record.get("preparation"), json_path)
    network = build_model(spec)
    network.load_state_dict(read_weights(folder / WEIGHTS, network.state_dict()))
    network.eval()
    training = record.get("training")
    return SavedModel(spec, network, list(names), preparation, training if isinstance(training, dict) else None,
                      folder)


def _read_record(json_path: Path) -> dict[str, Any]:
    if not json_path.is_file():
        raise ModelFileError(f"missing; a model folder holds {MODEL_JSON} and {WEIGHTS}.",
                             where=Where(file=str(json_path)))
    try:
        text = json_path.read_text(encoding="utf-8")
        record = json.loads(text)
    except UnicodeDecodeError as err:
        raise ModelFileError(f"not UTF-8 text ({err}).", where=Where(file=str(json_path))) from err
    except json.JSONDecodeError as err:
        raise ModelFileError(f"not valid JSON ({err.msg}).",
                             where=Where(file=str(json_path), line=err.lineno, column=err.colno)) from err
    if not isinstance(record, dict):
        raise ModelFileError(f"must hold a JSON object, got {type(record).__name__}.", where=Where(file=str(json_path)))
    version = record.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"format_version {version!r} is not supported; this nnstudio reads "
                             f"format_version {FORMAT_VERSION}.", where=Where(file=str(json_path)), given=version,
                             hint="use the nnstudio version that saved it.")
    missing = [k for k in ("spec", "class_names") if k not in record]
    if missing:
        raise ModelFileError(f"missing field(s) {', '.join(missing)}.", where=Where(file=str(json_path)))
    return record


def _read_preparation(value: Any, json_path: Path):
    if value is None:
        return None
    try:
        if isinstance(value, dict) and value.get("kind") == "strokes":
            return PathPreparation.from_dict(value)  # a model of pen paths
        if isinstance(value, dict) and value.get("kind") == "sequence":
            from nnstudio.data.sequence_prep import SequencePreparation

            return SequencePreparation.from_dict(value)
        return Preparation.from_dict(value)
    except DataError as err:
        raise ModelFileError(f"invalid 'preparation': {err}", where=Where(file=str(json_path))) from err


def read_weights(path: Path, expected: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Return the tensors of the safetensors file at path, after checking that they are
    exactly the expected ones (names, shapes, dtypes) and hold only finite numbers."""
    if not path.is_file():
        raise ModelFileError("missing; the model's weights are stored there.", where=Where(file=str(path)))
    _check_magic(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            names = set(f.keys())
            _check_names(path, names, set(expected))
            for name in sorted(names):
                _check_slice(path, name, f.get_slice(name), expected[name])
            tensors = {name: f.get_tensor(name) for name in names}
    except SafetensorError as err:
        raise ModelFileError(f"damaged safetensors file ({err}).", where=Where(file=str(path))) from err
    for name, tensor in sorted(tensors.items()):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ModelFileError(f"tensor '{name}' contains NaN or infinite values.", where=Where(file=str(path)),
                                 hint="the model diverged while training; retrain with a lower learning rate.")
    return tensors


def _check_magic(path: Path) -> None:
    """A safetensors file starts with an 8-byte header length, then a JSON header '{'."""
    with open(path, "rb") as f:
        head = f.read(9)
    size = path.stat().st_size
    header_len = int.from_bytes(head[:8], "little") if len(head) >= 8 else -1
    if len(head) == 9 and head[8:9] == b"{" and 0 < header_len <= size - 8:
        return
    if head[:1] == b"\x80" or head[:1] in (b"(", b"}", b"]"):
        kind = " (it looks like a Python pickle)"
    elif head[:4] == b"PK\x03\x04":
        kind = " (it looks like a zip archive, as torch.save writes)"
    else:
        kind = ""
    raise ModelFileError(f"is not a safetensors file{kind}. nnstudio never loads pickles or torch.save "
                         "files, because loading them can run code.", where=Where(file=str(path)),
                         hint="save the model with nnstudio.")


def _check_names(path: Path, names: set[str], wanted: set[str]) -> None:
    missing, extra = sorted(wanted - names), sorted(names - wanted)
    if missing:
        raise ModelFileError(f"missing tensor(s) {', '.join(missing)} that the spec's layers need.",
                             where=Where(file=str(path)))
    if extra:
        raise ModelFileError(f"unexpected tensor(s) {', '.join(extra)} that no spec layer has.",
                             where=Where(file=str(path)))


def _check_slice(path: Path, name: str, piece, want: torch.Tensor) -> None:
    shape = list(piece.get_shape())
    if shape != list(want.shape):
        raise ModelFileError(f"tensor '{name}' has shape {shape}; the spec needs {list(want.shape)}.",
                             where=Where(file=str(path)))
    dtype = piece.get_dtype()
    if dtype != _SAFETENSORS_DTYPES.get(want.dtype):
        raise ModelFileError(f"tensor '{name}' has dtype {dtype}; the network needs "
                             f"{_SAFETENSORS_DTYPES.get(want.dtype, str(want.dtype))}.", where=Where(file=str(path)))
