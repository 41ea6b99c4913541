"""Drawings as files: NAME.json holding {"strokes": [[[x, y], ...], ...]}.

One file is one drawing: a list of strokes, each a list of [x, y] points in canvas
pixels (y down) at any scale, as a drawing program or a browser canvas records them.
Reading checks everything and names the file, the stroke and the point at fault.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.errors import DataError
from nnstudio.files import write_atomically

STROKE_SUFFIX = ".json"
MAX_STROKE_FILE_BYTES = 10_000_000
MAX_STROKES = 256
MAX_DRAWING_POINTS = 100_000
_HELP = 'help: a drawing file holds {"strokes": [[[x, y], [x, y], ...], ...]}: strokes of [x, y] points'


def read_strokes(path: str | Path) -> list[np.ndarray]:
    """Return the strokes of the drawing file `path` as (k, 2) float64 arrays (x, y), y down."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such drawing file. {_HELP}")
    if path.stat().st_size > MAX_STROKE_FILE_BYTES:
        raise DataError(f"{path}: {path.stat().st_size} bytes; a drawing file may have at most "
                        f"{MAX_STROKE_FILE_BYTES}. {_HELP}")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file; a drawing file is JSON text. {_HELP}") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}:{err.colno}: not valid JSON ({err.msg}). {_HELP}") from None
    return parse_strokes(value, str(path))


def parse_strokes(value: Any, where: str = "drawing") -> list[np.ndarray]:
    """Return the strokes of a drawing given as {"strokes": [...]} (or the bare list of
    strokes); DataError naming `where`, the stroke and the point when it is malformed."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"strokes", "label"})
        if "strokes" not in value:
            raise DataError(f"{where}: no 'strokes' field (found {sorted(value)[:5]}). {_HELP}")
        if unknown:
            raise DataError(f"{where}: unknown field(s) {unknown}; allowed: 'strokes', 'label'. {_HELP}")
        value = value["strokes"]
    if not isinstance(value, list):
        raise DataError(f"{where}: 'strokes' must be a list of strokes, got {_kind(value)}. {_HELP}")
    if not value:
        raise DataError(f"{where}: 'strokes' is empty; a drawing needs at least one stroke. {_HELP}")
    if len(value) > MAX_STROKES:
        raise DataError(f"{where}: {len(value)} strokes; at most {MAX_STROKES} are allowed. {_HELP}")
    strokes = [_parse_stroke(stroke, f"{where}: stroke {i}") for i, stroke in enumerate(value)]
    total = sum(len(s) for s in strokes)
    if total > MAX_DRAWING_POINTS:
        raise DataError(f"{where}: {total} points; at most {MAX_DRAWING_POINTS} are allowed. "
                        "help: record fewer points per stroke")
    return strokes


def _parse_stroke(stroke: Any, where: str) -> np.ndarray:
    if not isinstance(stroke, list):
        raise DataError(f"{where}: a stroke must be a list of [x, y] points, got {_kind(stroke)}. {_HELP}")
    if not stroke:
        raise DataError(f"{where}: empty; a stroke needs at least one [x, y] point. {_HELP}")
    if len(stroke) > MAX_DRAWING_POINTS:
        raise DataError(f"{where}: {len(stroke)} points; at most {MAX_DRAWING_POINTS} are allowed.")
    out = np.empty((len(stroke), 2), dtype=np.float64)
    for j, point in enumerate(stroke):
        if not (isinstance(point, list) and len(point) == 2):
            raise DataError(f"{where}, point {j}: a point must be [x, y], two numbers; got {_show(point)}. {_HELP}")
        for k, v in enumerate(point):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise DataError(f"{where}, point {j}: {'xy'[k]} must be a finite number, got {_show(v)}. {_HELP}")
        out[j] = point
    return out


def write_strokes(path: str | Path, strokes: list[np.ndarray], label: str | None = None) -> Path:
    """Write a drawing file (points rounded to 2 decimals); return its path."""
    record: dict[str, Any] = {"strokes": [np.round(np.asarray(s, dtype=np.float64), 2).tolist() for s in strokes]}
    if label is not None:
        record["label"] = str(label)
    return write_atomically(path, (json.dumps(record) + "\n").encode("utf-8"))


def is_stroke_file(path: str | Path) -> bool:
    """Whether path names a drawing file (by its suffix)."""
    return Path(path).suffix.lower() == STROKE_SUFFIX


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return kinds.get(type(value), _show(value))


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
