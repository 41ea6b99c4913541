"""Pen paths as network inputs: a drawing's strokes become one fixed-length sequence.

A drawing is a list of strokes, each a (k, 2) array of points (x, y), y down, in any
unit and at any scale (canvas pixels, font units). `path_sequence` turns it into a
float32 (points, 5) sequence, the same way for training and for prediction:

1. every stroke is given a canonical direction and the strokes a canonical order,
   chosen from the geometry alone, so the same letter drawn in another stroke order
   or with strokes drawn backwards gives the same sequence;
2. the drawing is centered on its ink box and scaled so the box's longer side is 2;
3. `points` points are spread evenly along the ink (pen-up moves take none), every
   stroke getting at least one;
4. each point gets its features: x, y, the unit direction of the pen there (dx, dy)
   and 1.0 where a stroke starts (0.0 elsewhere).

The canonical direction of an open stroke starts at the end with the smaller "reading
key" x + 3y (top first, then left); a closed stroke (a loop whose ends meet) runs
clockwise on screen from its topmost point. Strokes are ordered by the reading key of
their centroid, ties broken by their start and end points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.errors import DataError

Stroke = np.ndarray  # (k, 2) float64 points (x, y), y down
FEATURES = ("x", "y", "dx", "dy", "start")
PATH_POINTS = 64  # points per sequence by default
MAX_PATH_POINTS = 1024
_CLOSED = 0.12  # a stroke whose ends are closer than this (in letter sizes) is a loop
_KEY = np.array([1.0, 3.0])  # reading key of a point: x + 3y, top rows first, then left


@dataclass(frozen=True)
class PathPreparation:
    """How pen paths become network inputs: `points` points of len(FEATURES) features.
    Saved with a model (to_dict/from_dict) so prediction prepares paths as training did."""

    points: int = PATH_POINTS

    def __post_init__(self) -> None:
        n = self.points
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_PATH_POINTS:
            raise DataError(f"preparation.points must be a whole number from 2 to {MAX_PATH_POINTS}, got {n!r}")
        object.__setattr__(self, "points", int(n))

    @property
    def shape(self) -> tuple[int, int]:
        """The shape of one prepared input: (points, features)."""
        return (self.points, len(FEATURES))

    def describe(self) -> str:
        """One line saying what the preparation does, for a training plan."""
        return (f"pen paths: canonical stroke order and direction, centered and scaled, {self.points} points "
                f"along the ink with {', '.join(FEATURES)}")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: {"kind": "strokes", "points": n, "features": [...]}."""
        return {"kind": "strokes", "points": self.points, "features": list(FEATURES)}

    @classmethod
    def from_dict(cls, d: Any) -> PathPreparation:
        """Return the PathPreparation described by `d` (as written by to_dict); DataError if malformed."""
        if not isinstance(d, dict) or d.get("kind") != "strokes":
            raise DataError(f"a path preparation must be an object with kind 'strokes'; got {d!r}")
        allowed = {"kind", "points", "features"}
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise DataError(f"preparation has unknown field(s) {unknown}; allowed: {sorted(allowed)}")
        if "points" not in d:
            raise DataError("preparation is missing field 'points'")
        if d.get("features", list(FEATURES)) != list(FEATURES):
            raise DataError(f"preparation.features must be {list(FEATURES)}, got {d['features']!r}; "
                            "help: the model was saved by another version of nnstudio")
        return cls(points=d["points"])


def path_sequence(strokes: list[Stroke], prep: PathPreparation = PathPreparation()) -> np.ndarray:
    """Return the drawing as float32 (prep.points, 5): x, y, dx, dy, start per point.
    DataError when it has no strokes or no extent (every point in one place)."""
    strokes = normalize_strokes(strokes)
    strokes = canonical_strokes(strokes)
    return _features(strokes, prep.points)


def path_sequences(drawings: list[list[Stroke]], prep: PathPreparation = PathPreparation()) -> np.ndarray:
    """Return many drawings as float32 (N, prep.points, 5)."""
    out = np.empty((len(drawings), *prep.shape), dtype=np.float32)
    for i, strokes in enumerate(drawings):
        out[i] = path_sequence(strokes, prep)
    return out


def normalize_strokes(strokes: list[Stroke]) -> list[Stroke]:
    """Return the strokes centered on their ink box, its longer side 2 (so within [-1, 1])."""
    if not strokes:
        raise DataError("a drawing needs at least one stroke; got none")
    arrays = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    pts = np.concatenate(arrays)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    size = float((hi - lo).max())
    if not np.isfinite(size) or size <= 1e-9 * max(1.0, float(np.abs(pts).max())):
        raise DataError("the drawing has no extent: all its points are in one place. "
                        "help: draw the letter with at least one line")
    center = (lo + hi) / 2
    return [(s - center) * (2.0 / size) for s in arrays]


def canonical_strokes(strokes: list[Stroke]) -> list[Stroke]:
    """Return the strokes in canonical direction and order (see the module text); the
    result is the same for any order and direction of the same strokes."""
    oriented = [_orient(s) for s in strokes]
    keys = [(float(s.mean(axis=0) @ _KEY), float(s[0] @ _KEY), float(s[-1] @ _KEY), len(s)) for s in oriented]
    order = sorted(range(len(oriented)), key=lambda i: keys[i])
    return [oriented[i] for i in order]


def _orient(s: Stroke) -> Stroke:
    """Return one stroke in its canonical direction (and, for a loop, from its canonical start)."""
    s = _dedupe(s)
    if len(s) < 2:
        return s
    length = float(_arclength(s)[-1])
    if np.linalg.norm(s[0] - s[-1]) < _CLOSED and length > 2.5 * _CLOSED:
        x, y = s[:, 0], s[:, 1]
        area = float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))  # > 0: clockwise on screen (y down)
        if area < 0:
            s = s[::-1]
        ring = s[:-1] if np.allclose(s[0], s[-1]) else s
        top = int(np.lexsort((ring @ _KEY, ring[:, 1]))[0])  # topmost point, then the smaller key
        s = np.concatenate([ring[top:], ring[:top + 1]])
        return s
    if float((s[-1] - s[0]) @ _KEY) < 0 or (float((s[-1] - s[0]) @ _KEY) == 0 and s[-1][0] < s[0][0]):
        s = s[::-1]
    return np.ascontiguousarray(s)


def _dedupe(s: Stroke) -> Stroke:
    """Drop points that repeat the one before (zero-length steps)."""
    if len(s) < 2:
        return s
    keep = np.concatenate([[True], np.any(np.diff(s, axis=0) != 0, axis=1)])
    return s[keep]


def _arclength(s: Stroke) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))])


def share_points(lengths: np.ndarray, n: int) -> np.ndarray:
    """Return how many of n points each stroke gets: at least one each, the rest in
    proportion to the strokes' lengths (largest remainders). DataError when there are
    more strokes than points."""
    k = len(lengths)
    if k > n:
        raise DataError(f"the drawing has {k} strokes; at most {n} are allowed (one point each). "
                        "help: join strokes, or use a preparation with more points")
    total = float(lengths.sum())
    weights = lengths / total if total > 0 else np.full(k, 1.0 / k)
    want = weights * (n - k)
    counts = np.floor(want).astype(int)
    rest = n - k - int(counts.sum())
    counts[np.argsort(-(want - counts), kind="stable")[:rest]] += 1
    return counts + 1


def _features(strokes: list[Stroke], n: int) -> np.ndarray:
    """Spread n points along the strokes' ink; return float32 (n, 5) features."""
    arcs = [_arclength(s) for s in strokes]
    counts = share_points(np.array([a[-1] for a in arcs]), n)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    row = 0
    for s, arc, m in zip(strokes, arcs, counts):
        xy, direction = _resample(s, arc, int(m))
        out[row:row + m, 0:2] = xy
        out[row:row + m, 2:4] = direction
        out[row, 4] = 1.0
        row += m
    return out


def _resample(s: Stroke, arc: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Return m points evenly along one stroke (m, 2) and the unit pen direction at each (m, 2)."""
    if len(s) < 2 or arc[-1] <= 0:
        return np.repeat(s[:1], m, axis=0), np.zeros((m, 2))
    if m == 1:  # a short stroke among many: its middle, and its overall direction
        t = np.array([arc[-1] / 2])
        step = (s[-1] - s[0])[None, :]
    else:
        t = np.linspace(0.0, arc[-1], m)
    xy = np.stack([np.interp(t, arc, s[:, 0]), np.interp(t, arc, s[:, 1])], axis=1)
    if m > 1:
        # Central differences of the resampled points: the pen's direction smoothed over
        # the point spacing, so a trembling hand and a clean line read alike.
        step = np.gradient(xy, axis=0)
    norm = np.linalg.norm(step, axis=1, keepdims=True)
    return xy, np.where(norm > 1e-12, step / np.maximum(norm, 1e-12), 0.0)
