"""How a sequence of integers becomes a network input, and the network's output its next term.

Two scales per sequence, both from its given terms: s, the largest |term|, and sd, the
largest |difference| between neighbours (each 1 at least). Each step has five features:
the value / s, the first and second differences / sd, the ratio to the term before
(clipped to +-4, divided by 4; 0 after a zero) and 1 for "a term is here". Shorter
sequences are padded at the front with all-zero steps (their "here" feature is 0), so the
last step is always the last term.

The network answers with `order` numbers: the weights of the newest first, second, ...
differences (d1[n] = a[n] - a[n-1], d2[n] = d1[n] - d1[n-1], ...) in the next difference,
and the next term is a[n] + w1 * d1[n] + w2 * d2[n] + ... So the network predicts the next
difference, in units of sd, from the differences it sees. Every family of the built-in
set follows such a rule with whole-number weights (1 continues an arithmetic sequence;
1, 1 squares; 1, 1, 1 cubes; 2, -1 Fibonacci; r a geometric one of ratio r; -1 a period
of 2), and a weight on a difference that is zero changes nothing. With `round_weights`,
the weights are rounded to whole numbers before use, so a right choice gives the next term
exactly, however large it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np

from nnstudio.errors import DataError

FEATURES = ("value", "difference", "second_difference", "ratio", "present")
RATIO_LIMIT = 4.0


def difference_basis(order: int) -> np.ndarray:
    """Return the (order, order + 1) matrix that turns the last order + 1 terms (newest
    first) into the newest differences d1, d2, ...: row k-1 holds (-1)^j * C(k, j)."""
    return np.array([[(-1) ** j * comb(k, j) if j <= k else 0 for j in range(order + 1)]
                     for k in range(1, order + 1)], np.float64)


def scales_of(terms: np.ndarray) -> tuple[float, float]:
    """Return (s, sd): the largest |term| and the largest |difference| of neighbours, each >= 1."""
    s = max(float(np.abs(terms).max()), 1.0)
    sd = max(float(np.abs(np.diff(terms)).max()), 1.0) if len(terms) > 1 else 1.0
    return s, sd


@dataclass(frozen=True)
class SequencePreparation:
    """Inputs of `steps` steps of FEATURES; outputs: weights of the newest `order` differences."""

    steps: int = 10
    order: int = 3
    round_weights: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "sequence", "steps": self.steps, "order": self.order, "features": list(FEATURES),
                "round_weights": self.round_weights}

    @classmethod
    def from_dict(cls, d: Any) -> SequencePreparation:
        """Return the preparation saved as `d`; DataError when it is not one this version reads."""
        if not isinstance(d, Mapping) or d.get("kind") != "sequence" or d.get("features") != list(FEATURES):
            raise DataError(f"not a sequence preparation: {d!r}; allowed: kind 'sequence' with features "
                            f"{list(FEATURES)}")
        steps, order, round_weights = d.get("steps"), d.get("order"), d.get("round_weights")
        if not (isinstance(steps, int) and isinstance(order, int) and 1 <= order < steps <= 1000):
            raise DataError(f"sequence preparation: steps {steps!r} and order {order!r}; allowed: whole numbers "
                            "with 1 <= order < steps <= 1000")
        if not isinstance(round_weights, bool):
            raise DataError(f"sequence preparation: round_weights {round_weights!r}; allowed: true or false")
        return cls(steps, order, round_weights)

    @property
    def basis(self) -> np.ndarray:
        return difference_basis(self.order)

    @property
    def input_shape(self) -> tuple[int, int]:
        return (self.steps, len(FEATURES))

    def inputs(self, sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (x float32 (N, steps, features), diffs float32 (N, order): the newest
        differences / sd, sd float64 (N,))."""
        n = len(sequences)
        x = np.zeros((n, self.steps, len(FEATURES)), np.float32)
        diffs = np.zeros((n, self.order), np.float32)
        sds = np.ones(n, np.float64)
        basis = self.basis  # built anew at each read
        for i, terms in enumerate(sequences):
            if not self.order + 1 <= len(terms) <= self.steps:
                raise DataError(f"sequence {i + 1}: {len(terms)} terms; allowed: {self.order + 1} to {self.steps}")
            a = np.asarray(terms, np.float64)
            s, sds[i] = scales_of(a)
            x[i, self.steps - len(a):] = step_features(a, s, sds[i])
            diffs[i] = basis @ a[::-1][: self.order + 1] / sds[i]
        return x, diffs, sds

    def next_terms(self, weights: np.ndarray, sequences: Sequence[Sequence[int]], diffs: np.ndarray,
                   sds: np.ndarray) -> np.ndarray:
        """Return the next term of each sequence (float64 (N,)) from the network's weights (N, order)."""
        weights = np.asarray(weights, np.float64).reshape(len(sequences), self.order)
        newest = np.array([s[-1] for s in sequences], np.float64)
        if self.round_weights:
            basis = self.basis
            exact = np.array([basis @ np.asarray(s[::-1][: self.order + 1], np.float64) for s in sequences])
            return newest + (np.rint(weights) * exact.reshape(len(sequences), self.order)).sum(axis=1)
        return newest + (weights * diffs.astype(np.float64)).sum(axis=1) * sds


def step_features(a: np.ndarray, s: float, sd: float) -> np.ndarray:
    """Return the (len(a), features) features of one sequence a with scales s and sd."""
    out = np.zeros((len(a), len(FEATURES)), np.float32)
    d1 = np.diff(a, prepend=a[0])
    d2 = np.diff(d1, prepend=d1[0])
    d2[:2] = 0.0
    before = np.concatenate([[0.0], a[:-1]])
    ratio = np.divide(a, before, out=np.zeros_like(a), where=before != 0)
    out[:, 0], out[:, 1], out[:, 2] = a / s, d1 / sd, d2 / sd
    out[:, 3] = np.clip(ratio, -RATIO_LIMIT, RATIO_LIMIT) / RATIO_LIMIT
    out[:, 4] = 1.0
    return out
