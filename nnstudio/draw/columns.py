"""Neuron style's layout: which neurons each column shows, and where columns stand.

A layer bigger than the page allows shows the neurons that carry the most (see
`neuron_scores`), keeping their true indices; a network too deep for the page keeps
its first and last columns. Shared by the neuron, plane and activation pictures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.draw.view import NetView, Stage, stage_output
from nnstudio.errors import DrawError

RADIUS = 9.0
SPACING = 24.0
ELLIPSIS_SLOTS = 2.2  # vertical room of the ellipsis and its count, in neuron spacings
GAP = 170.0  # widest gap between columns
MIN_GAP = 100.0  # narrowest: the column labels (about 90 px) still stand apart


@dataclass
class Column:
    """One stage drawn as neurons: which true indices are shown and where."""

    stage: Stage
    role: str  # input | flatten | hidden | output
    title: str
    shown: np.ndarray  # true 0-based neuron indices, in order
    x: float = 0.0
    ys: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ellipsis_y: float | None = None
    skipped: list[str] = field(default_factory=list)  # titles of layers elided before it

    @property
    def elided(self) -> bool:
        """Return True when some neurons are hidden behind the ellipsis."""
        return len(self.shown) < self.stage.size

    @property
    def slots(self) -> float:
        """Return the column's height in neuron spacings."""
        return len(self.shown) + (ELLIPSIS_SLOTS if self.elided else 0.0)


def shown_indices(size: int, max_neurons: int, keep: int,
                  scores: np.ndarray | None = None) -> np.ndarray:
    """Return the neuron indices drawn for a layer of `size`: all, or the 2 x `keep` with
    the highest `scores` (in index order), or without scores the first and last `keep`."""
    if size <= max_neurons:
        return np.arange(size)
    if scores is not None:
        scores = np.nan_to_num(np.asarray(scores, dtype=float).reshape(-1))
        if scores.size == size and np.ptp(scores) > 0:
            return np.sort(np.argsort(-scores, kind="stable")[:2 * keep])
    return np.concatenate([np.arange(keep), np.arange(size - keep, size)])


def neuron_scores(view: NetView, stages: list[Stage], position: int) -> np.ndarray | None:
    """Return how much each neuron of stages[position] carries, or None when nothing tells."""
    stage = stages[position]
    following = stages[position + 1] if position + 1 < len(stages) else None
    outgoing = view.weight(following.layer) if following is not None else None
    out_norm = (np.linalg.norm(outgoing, axis=0) if outgoing is not None and outgoing.ndim == 2
                and outgoing.shape[1] == stage.size else None)
    spread = view.input_spread if stage.kind == "input" else None
    if spread is not None and np.size(spread) != stage.size:
        spread = None
    values = stage_output(view, stage)
    if values is not None:
        # An active neuron with strong outgoing weights is what moved the answer.
        score = np.abs(values.reshape(-1))
        score = score * out_norm if out_norm is not None else score
        return score * (np.reshape(spread, -1) > 0) if spread is not None else score
    if spread is not None:
        score = np.reshape(np.asarray(spread, dtype=float), -1)
        return score * out_norm if out_norm is not None else score
    incoming = view.weight(stage.layer) if stage.kind == "dense" else None
    if incoming is not None:
        return np.linalg.norm(incoming, axis=1)
    return out_norm


def check_limits(max_neurons: int, keep: int) -> tuple[int, int]:
    """Return (max_neurons, keep) after checking them; keep shrinks to fit max_neurons."""
    if not isinstance(max_neurons, int) or max_neurons < 3:
        raise DrawError(f"max_neurons={max_neurons!r}; allowed: an integer >= 3")
    if not isinstance(keep, int) or keep < 1:
        raise DrawError(f"keep={keep!r}; allowed: an integer >= 1")
    return max_neurons, min(keep, max_neurons // 2)


def build_columns(stages: list[Stage], max_neurons: int, keep: int,
                  view: NetView | None = None) -> list[Column]:
    """Return one Column per vector stage, titled input / flatten / hidden n / output.

    With a `view`, elided layers show their most informative neurons (neuron_scores).
    """
    columns = []
    hidden = 0
    for position, stage in enumerate(stages):
        if stage.kind == "input":
            role, title = "input", "input"
        elif stage.kind == "flatten":
            role, title = "flatten", "flatten"
        elif position == len(stages) - 1:
            role, title = "output", "output"
        else:
            hidden += 1
            role, title = "hidden", f"hidden {hidden}"
        scores = None
        if view is not None and stage.size > max_neurons:
            scores = neuron_scores(view, stages, position)
        columns.append(Column(stage, role, title,
                              shown_indices(stage.size, max_neurons, keep, scores)))
    return columns


def elide_columns(columns: list[Column], most: int) -> list[Column]:
    """Return at most `most` columns (>= 4): the first and last ones, the column after
    the cut naming the layers left out (a network too deep for the page)."""
    most = max(4, most)
    if len(columns) <= most:
        return columns
    head = most // 2
    tail = most - head
    kept = columns[:head] + columns[-tail:]
    kept[head].skipped = [column.title for column in columns[head:-tail]]
    return kept


def fit_gap(count: int, room: float) -> float:
    """Return the gap between `count` columns spread over `room` px (MIN_GAP to GAP)."""
    return GAP if count < 2 else float(np.clip(room / (count - 1), MIN_GAP, GAP))


def most_columns(room: float) -> int:
    """Return how many columns fit in `room` px at the narrowest gap."""
    return int(room // MIN_GAP) + 1


def place_columns(columns: list[Column], x_start: float, center_y: float,
                  gap: float = GAP) -> float:
    """Set each column's x and neuron ys around `center_y`; return the last column's x."""
    x = x_start
    for column in columns:
        column.x = x
        count = len(column.shown)
        slots = np.arange(count, dtype=float)
        if column.elided:
            half = count // 2
            slots[half:] += ELLIPSIS_SLOTS
            column.ellipsis_y = center_y + (half - 0.5 + ELLIPSIS_SLOTS / 2 - (column.slots - 1) / 2) * SPACING
        column.ys = center_y + (slots - (column.slots - 1) / 2) * SPACING
        x += gap
    return x - gap
