"""The letter-paths dataset: capitals A-Z as pen paths, not pictures.

Each sample is a letter from the handwriting model (handwriting.py: several forms per
letter, bent, wobbling, slanted, rotated, squashed, strokes overshooting or falling
short) taken before it is drawn, then varied the way people and programs record pen
strokes: a stroke split at a corner or two touching strokes drawn as one, any stroke
order and direction, any size, and points recorded densely with a trembling hand on a
pixel canvas, or sparsely, a few corners joined by straight lines. `path_sequence`
turns each into the network's (points, 5) sequence. Same seed, same samples.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from nnstudio.data.dataset import Dataset, check_per_class
from nnstudio.data.fonts import LETTERS
from nnstudio.data.handwriting import HAND_STYLE, HandStyle, hand_strokes
from nnstudio.data.letters import _check_seed
from nnstudio.data.strokes import PathPreparation, Stroke, path_sequence
from nnstudio.errors import DataError

LETTER_PATHS_TRAIN_PER_CLASS = 600
LETTER_PATHS_TEST_PER_CLASS = 100
LETTER_PATHS_PARTS = ("train", "test")
# Wider than the pictures' hands: a path has no pen width or ink to vary, so its
# variety must come from the shapes.
PATH_STYLE = dataclasses.replace(HAND_STYLE, bend=0.055, end_jitter=0.035, overshoot=(-0.08, 0.1), slant=0.45,
                                 rotation=14.0, aspect=0.45, hook=0.2)
_PART_STREAM = {"train": 0, "test": 1}
_SPLIT_ALL = 0.25  # chance that every stroke is split at every sharp corner
_SPLIT = 0.2  # else, chance that a stroke with sharp corners is split at one of them
_MERGE = 0.35  # chance, three times over, that two strokes that meet are drawn as one


def letter_paths_preparation() -> PathPreparation:
    """Return the preparation of the letter-paths dataset (PATH_POINTS points)."""
    return PathPreparation()


def load_letter_paths(part: str = "train", *, per_class: int | None = None, seed: int = 0) -> Dataset:
    """Return letter pen paths as a Dataset: x float32 (26*per_class, points, 5), classes
    "A".."Z", samples in random order; the same arguments always give the same arrays."""
    if part not in LETTER_PATHS_PARTS:
        raise DataError(f"letter-paths part must be one of {LETTER_PATHS_PARTS}, got {part!r}")
    default = LETTER_PATHS_TRAIN_PER_CLASS if part == "train" else LETTER_PATHS_TEST_PER_CLASS
    n = check_per_class(default if per_class is None else per_class)
    rng = np.random.default_rng(np.random.SeedSequence(_check_seed(seed), spawn_key=(_PART_STREAM[part], 7)))
    prep = letter_paths_preparation()
    labels = rng.permutation(np.repeat(np.arange(len(LETTERS)), n))
    x = np.empty((len(labels), *prep.shape), dtype=np.float32)
    for i, label in enumerate(labels):
        x[i] = path_sequence(letter_drawing(LETTERS[label], rng), prep)
    return Dataset(x, labels, list(LETTERS), name="letter-paths", preparation=prep)


def letter_drawing(letter: str, rng: np.random.Generator, style: HandStyle = PATH_STYLE) -> list[Stroke]:
    """Return one handwritten `letter` as strokes recorded on a pixel canvas (y down)."""
    strokes = hand_strokes(letter, rng, style)
    strokes = _restroke(strokes, rng)
    strokes = _record(strokes, rng)
    order = rng.permutation(len(strokes))
    return [strokes[i][::-1] if rng.random() < 0.5 else strokes[i] for i in order]


def _restroke(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """Split strokes at sharp corners (now and then every corner: a hand that lifts the
    pen for each line), or join strokes whose ends meet."""
    every = rng.random() < _SPLIT_ALL
    out: list[Stroke] = []
    for s in strokes:
        corners = _corners(s)
        if not every and corners and rng.random() < _SPLIT:
            corners = [corners[int(rng.integers(len(corners)))]]
        elif not every:
            corners = []
        for a, b in zip([0, *corners], [*corners, len(s) - 1]):
            out.append(s[a:b + 1])
    for _ in range(3):
        if len(out) > 1 and rng.random() < _MERGE:
            out = _merge_two(out, rng)
    return out


def _merge_two(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """Join two random strokes into one when an end of one meets an end of the other."""
    i, j = rng.choice(len(strokes), 2, replace=False)
    a, b = strokes[i], strokes[j]
    for x, y in ((a, b), (a, b[::-1]), (a[::-1], b), (a[::-1], b[::-1])):
        if np.linalg.norm(x[-1] - y[0]) < 0.08:
            return [s for k, s in enumerate(strokes) if k not in (i, j)] + [np.concatenate([x, y[1:]])]
    return strokes


def _corners(s: Stroke) -> list[int]:
    """Indices of the points where the stroke turns by more than 60 degrees (measured
    over a few points either side), the sharpest of each turn."""
    k = 3
    if len(s) < 2 * k + 3:
        return []
    before = s[k:-k] - s[:-2 * k]
    after = s[2 * k:] - s[k:-k]
    cos = np.sum(before * after, axis=1) / np.maximum(
        np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1), 1e-12)
    found: list[int] = []
    for i in np.argsort(cos):
        if cos[i] >= 0.5:
            break
        if all(abs(int(i) - f) > 2 * k for f in found):
            found.append(int(i))
    return sorted(i + k for i in found)


def _record(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """Scale the letter to a random pixel height and record its points as a canvas or a
    person typing coordinates would: dense and jittery, sparse corners, or as drawn."""
    height = float(np.exp(rng.uniform(np.log(24.0), np.log(400.0))))
    offset = rng.uniform(0, 500, 2)
    scaled = [s * height + offset for s in strokes]
    u = rng.random()
    if u < 0.45:  # a canvas: a point every few pixels, whole pixels, a trembling hand
        step = rng.uniform(1.0, 8.0)
        jitter = rng.uniform(0.0, 0.012) * height
        dense = [_every(s, step) for s in scaled]
        return [np.round(s + rng.normal(0, jitter, s.shape)) for s in dense]
    if u < 0.8:  # a few corners joined by straight lines
        tolerance = rng.uniform(0.01, 0.06) * height
        return [_simplify(s, tolerance) for s in scaled]
    return scaled


def _every(s: Stroke, step: float) -> Stroke:
    """Points every `step` along the stroke (its ends kept)."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))])
    n = max(2, int(arc[-1] / step) + 1)
    t = np.linspace(0.0, arc[-1], n)
    return np.stack([np.interp(t, arc, s[:, 0]), np.interp(t, arc, s[:, 1])], axis=1)


def _simplify(s: Stroke, tolerance: float) -> Stroke:
    """Ramer-Douglas-Peucker: the fewest points whose polyline stays within `tolerance`."""
    keep = np.zeros(len(s), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(s) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        d = s[b] - s[a]
        norm = float(np.hypot(*d))
        mid = s[a + 1:b] - s[a]
        dist = np.abs(mid[:, 0] * d[1] - mid[:, 1] * d[0]) / norm if norm > 1e-12 else np.hypot(mid[:, 0], mid[:, 1])
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            keep[a + 1 + i] = True
            stack += [(a, a + 1 + i), (a + 1 + i, b)]
    return s[keep]
