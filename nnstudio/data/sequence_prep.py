"""How a sequence of integers becomes a network input, and the network's output its next term.

Each sequence is divided by its scale (the largest |term| given; 1 for all zeros), so
every network sees numbers of about one, whatever the size of the terms. Each step then
has five features, all computed from the given terms: the scaled value, its first and
second differences, its ratio to the term before (clipped to +-4, divided by 4; 0 after
a zero) and 1 for "a term is here". Shorter sequences are padded at the front with
all-zero steps (their "here" feature is 0), so the last step is always the last term.

The network answers with `order` numbers: the weights of the last `order` terms in the
next one, next = w1 * a[n] + w2 * a[n-1] + ... (the network chooses them for each
sequence from what it sees). Every family of the built-in set follows such a rule, with
whole-number weights; with `round_weights`, the weights are rounded to whole numbers
before use, so a right choice gives the next term exactly, however large it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.errors import DataError

FEATURES = ("value", "difference", "second_difference", "ratio", "present")
RATIO_LIMIT = 4.0


@dataclass(frozen=True)
class SequencePreparation:
    """Inputs of `steps` steps of FEATURES; outputs: weights of the last `order` terms."""

    steps: int = 10
    order: int = 4
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
        if not (isinstance(steps, int) and isinstance(order, int) and 1 <= order <= steps <= 1000):
            raise DataError(f"sequence preparation: steps {steps!r} and order {order!r}; allowed: whole numbers "
                            "with 1 <= order <= steps <= 1000")
        if not isinstance(round_weights, bool):
            raise DataError(f"sequence preparation: round_weights {round_weights!r}; allowed: true or false")
        return cls(steps, order, round_weights)

    @property
    def input_shape(self) -> tuple[int, int]:
        return (self.steps, len(FEATURES))

    def inputs(self, sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (x float32 (N, steps, features), last float32 (N, order): the last terms
        scaled, newest first, scales float64 (N,))."""
        n = len(sequences)
        x = np.zeros((n, self.steps, len(FEATURES)), np.float32)
        last = np.zeros((n, self.order), np.float32)
        scales = np.ones(n, np.float64)
        for i, terms in enumerate(sequences):
            if not self.order <= len(terms) <= self.steps:
                raise DataError(f"sequence {i + 1}: {len(terms)} terms; allowed: {self.order} to {self.steps}")
            a = np.asarray(terms, np.float64)
            scales[i] = max(float(np.abs(a).max()), 1.0)
            x[i, self.steps - len(a):] = step_features(a / scales[i])
            last[i] = (a[::-1][: self.order] / scales[i]).astype(np.float32)
        return x, last, scales

    def next_terms(self, weights: np.ndarray, sequences: Sequence[Sequence[int]], last: np.ndarray,
                   scales: np.ndarray) -> np.ndarray:
        """Return the next term of each sequence (float64 (N,)) from the network's weights (N, order)."""
        weights = np.asarray(weights, np.float64)
        if self.round_weights:
            whole = np.rint(weights)
            newest = np.array([list(reversed(s))[: self.order] for s in sequences], np.float64)
            return (whole * newest).sum(axis=1)
        return (weights * last.astype(np.float64)).sum(axis=1) * scales


def step_features(v: np.ndarray) -> np.ndarray:
    """Return the (len(v), features) features of one scaled sequence v."""
    out = np.zeros((len(v), len(FEATURES)), np.float32)
    d1 = np.diff(v, prepend=v[0])
    d2 = np.diff(d1, prepend=d1[0])
    d2[:2] = 0.0
    before = np.concatenate([[0.0], v[:-1]])
    ratio = np.divide(v, before, out=np.zeros_like(v), where=before != 0)
    out[:, 0], out[:, 1], out[:, 2] = v, d1, d2
    out[:, 3] = np.clip(ratio, -RATIO_LIMIT, RATIO_LIMIT) / RATIO_LIMIT
    out[:, 4] = 1.0
    return out
