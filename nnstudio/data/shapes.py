"""The course's five 5x5 shapes, their noisy variants, and the broken square.

A variant is a clean shape, or a one-pixel shift of it where the shape fits, with
0, 1 or 2 pixels flipped. Only variants that stay strictly closer (in flipped
pixels) to their own shape than to any other are used, and never the broken
square, which is kept for testing. Variants are split once per seed into a train
pool and a test pool, so "train" and "test" never share a sample whatever
per_class is asked for.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import numpy as np

from nnstudio.data.dataset import Dataset
from nnstudio.data.prepare import Preparation
from nnstudio.errors import DataError

SHAPES = ("square", "rhombus", "plus", "x", "line")

_BITMAPS = {
    "square": ("11111", "10001", "10001", "10001", "11111"),
    "rhombus": ("00100", "01010", "10001", "01010", "00100"),
    "plus": ("00100", "00100", "11111", "00100", "00100"),
    "x": ("10001", "01010", "00100", "01010", "10001"),
    "line": ("00000", "00000", "11111", "00000", "00000"),
}


def _bitmap(rows: tuple[str, ...]) -> np.ndarray:
    return np.array([[int(c) for c in r] for r in rows], dtype=np.float32)


SHAPE_BITMAPS: dict[str, np.ndarray] = {name: _bitmap(rows) for name, rows in _BITMAPS.items()}

# A square with two pixels missing: a test input that is in no training data.
BROKEN_SQUARE = _bitmap(("11101", "10001", "10001", "00001", "11111"))

SHAPES_TRAIN_PER_CLASS = 40
SHAPES_TEST_PER_CLASS = 20
SHAPES_PREPARATION = Preparation(size=(5, 5), margin=0, crop=False)
_TEST_SHARE = 1 / 3  # share of each class's variants reserved for the test pool
_KIND_WEIGHT = {"flip1": 0.4, "flip2": 0.4, "shift": 0.2}  # how often each kind is picked


def shape_prototypes(name: str) -> list[np.ndarray]:
    """Return the clean shape and its one-pixel shifts that keep every ink pixel on the grid."""
    base = SHAPE_BITMAPS[name]
    out = [base]
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        moved = np.roll(base, (dy, dx), axis=(0, 1))
        # np.roll wraps around; the shift fits only if no ink crossed an edge.
        if (dy == -1 and base[0].any()) or (dy == 1 and base[-1].any()):
            continue
        if (dx == -1 and base[:, 0].any()) or (dx == 1 and base[:, -1].any()):
            continue
        out.append(moved)
    return out


@lru_cache(maxsize=1)
def _variants() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Per class: (variants (M, 25) uint8, kind labels (M,) str), clean shape first."""
    protos = {n: np.array([p.ravel() for p in shape_prototypes(n)], dtype=np.uint8) for n in SHAPES}
    broken = BROKEN_SQUARE.ravel().astype(np.uint8).tobytes()
    flips = [()] + [(i,) for i in range(25)] + list(combinations(range(25), 2))
    result = []
    for ci, name in enumerate(SHAPES):
        seen: set[bytes] = set()
        rows, kinds = [], []
        for pi, proto in enumerate(protos[name]):
            for f in flips:
                v = proto.copy()
                v[list(f)] ^= 1
                key = v.tobytes()
                if key in seen or key == broken or not _closest_is(v, ci, protos):
                    continue
                seen.add(key)
                rows.append(v)
                kinds.append("clean" if (pi == 0 and not f) else "shift" if pi else f"flip{len(f)}")
        result.append((np.array(rows), np.array(kinds)))
    return tuple(result)


def _closest_is(v: np.ndarray, ci: int, protos: dict[str, np.ndarray]) -> bool:
    """True when `v` is strictly nearer (Hamming) to a prototype of class ci than to any other class."""
    dist = [int(np.abs(p.astype(np.int16) - v).sum(axis=1).min()) for p in protos.values()]
    own = dist[ci]
    return all(own < d for j, d in enumerate(dist) if j != ci)


def load_shapes(part: str = "train", *, per_class: int | None = None, seed: int = 0) -> Dataset:
    """Return shapes as a Dataset: x float32 (5*per_class, 1, 5, 5) with ink 1.0, classes
    SHAPES. "train" starts each class with its clean shape; "test" holds other variants."""
    if part not in ("train", "test"):
        raise DataError(f"shapes part must be 'train' or 'test', got {part!r}")
    n = SHAPES_TRAIN_PER_CLASS if part == "train" and per_class is None else per_class
    n = SHAPES_TEST_PER_CLASS if n is None else n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"per_class must be a positive whole number, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a whole number >= 0, got {seed!r}")
    xs, ys = [], []
    for ci, (variants, kinds) in enumerate(_variants()):
        split = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(0, ci)))
        in_test = (split.random(len(kinds)) < _TEST_SHARE) & (kinds != "clean")
        pool = np.flatnonzero(in_test if part == "test" else ~in_test)
        if n > len(pool):
            raise DataError(f"shapes {part}: at most {len(pool)} distinct samples per class, asked for {n}")
        pick = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(1 if part == "train" else 2, ci)))
        chosen = pool[_weighted_order(pick, kinds[pool])][:n]
        xs.append(variants[chosen])
        ys.append(np.full(n, ci))
    order = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(3, part == "test"))).permutation(5 * n)
    # float32, not uint8 codes: 25 binary pixels a sample, a few hundred samples; the
    # course's exercises read x as the 0/1 values themselves.
    x = np.concatenate(xs).reshape(-1, 1, 5, 5).astype(np.float32)[order]
    return Dataset(x, np.concatenate(ys)[order], list(SHAPES), name="shapes", preparation=SHAPES_PREPARATION)


def _weighted_order(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    """Return a random order of `kinds` where each kind comes up about as often as _KIND_WEIGHT
    says, whatever its count; the clean shape, if present, comes first."""
    weight = np.ones(len(kinds))
    for kind, share in _KIND_WEIGHT.items():
        mask = kinds == kind
        if mask.any():
            weight[mask] = share / mask.sum()
    # Sorting by U**(1/w) draws a weighted sample without replacement (Efraimidis-Spirakis).
    key = rng.random(len(kinds)) ** (1.0 / weight)
    key[kinds == "clean"] = 2.0
    return np.argsort(-key, kind="stable")
