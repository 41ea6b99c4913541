"""Neuron style: columns of neurons joined by every edge between the neurons shown.

Used for MLPs and for the dense head of a CNN. A layer bigger than `max_neurons`
shows its first `keep` and last `keep` neurons around a vertical ellipsis that carries
the true size (data-size), and its neurons keep their true indices (x1..x4,
x2497..x2500). With trained weights, an edge's color is its weight on a diverging
scale symmetric about zero, one scale per layer pair (vmax = max |w| over the edges
shown between the two columns), and |w| also sets the stroke width and opacity, so the
sign is not carried by color alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.draw.colors import (NEUTRAL_EDGE, activation_scale, draw_colorbar,
                                   diverging_rgb, scale_rgb, symmetric_limit, to_hex)
from nnstudio.draw.functions import draw_probability_row
from nnstudio.draw.svg import Canvas, MUTED_COLOR, fmt, fmt_value, text_width
from nnstudio.draw.view import NetView, Stage, square_side, stage_output
from nnstudio.errors import DrawError
from nnstudio.spec import count_params

RADIUS = 9.0
SPACING = 24.0
ELLIPSIS_SLOTS = 1.6  # vertical room of the ellipsis, in neuron spacings
GAP = 170.0
FILLS = {"input": "#e3e3e3", "flatten": "#e3e3e3", "hidden": "#ffffff", "output": "#fff1cc"}
BAR_WIDTH = 150.0


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

    @property
    def elided(self) -> bool:
        """Return True when some neurons are hidden behind the ellipsis."""
        return len(self.shown) < self.stage.size

    @property
    def slots(self) -> float:
        """Return the column's height in neuron spacings."""
        return len(self.shown) + (ELLIPSIS_SLOTS if self.elided else 0.0)


def shown_indices(size: int, max_neurons: int, keep: int) -> np.ndarray:
    """Return the neuron indices drawn for a layer of `size`: all, or the first and last `keep`."""
    if size <= max_neurons:
        return np.arange(size)
    return np.concatenate([np.arange(keep), np.arange(size - keep, size)])


def check_limits(max_neurons: int, keep: int) -> tuple[int, int]:
    """Return (max_neurons, keep) after checking them; keep shrinks to fit max_neurons."""
    if not isinstance(max_neurons, int) or max_neurons < 3:
        raise DrawError(f"max_neurons={max_neurons!r}; allowed: an integer >= 3")
    if not isinstance(keep, int) or keep < 1:
        raise DrawError(f"keep={keep!r}; allowed: an integer >= 1")
    return max_neurons, min(keep, max_neurons // 2)


def build_columns(stages: list[Stage], max_neurons: int, keep: int) -> list[Column]:
    """Return one Column per vector stage, titled input / flatten / hidden n / output."""
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
        columns.append(Column(stage, role, title, shown_indices(stage.size, max_neurons, keep)))
    return columns


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


def column_label(column: Column) -> list[str]:
    """Return the lines under a column: title, size, notes."""
    size = column.stage.size
    size_text = f"{size:,} neurons" if column.role != "input" else f"{size:,} values"
    side = square_side(size)
    if column.role == "input" and side:
        size_text += f" ({side}\u00d7{side})"
    notes = column.stage.notes()
    return [column.title, size_text] + ([", ".join(notes)] if notes else [])


def draw_edges(canvas: Canvas, view: NetView, a: Column, b: Column, *,
               neutral: bool = False) -> float | None:
    """Draw every edge between the shown neurons of `a` and `b`; return vmax when colored."""
    na, nb = len(a.shown), len(b.shown)
    ia = np.tile(np.arange(na), nb)  # pair k joins a.shown[ia[k]] to b.shown[jb[k]]
    jb = np.repeat(np.arange(nb), na)
    matrix = None if neutral else view.weight(b.stage.layer)
    x1, x2 = fmt(a.x + RADIUS), fmt(b.x - RADIUS)
    layer = b.stage.layer
    if matrix is None:
        order = np.arange(na * nb)
        weights = None
    else:
        sub = np.asarray(matrix, dtype=float)[np.ix_(b.shown, a.shown)]  # (out, in) shown
        weights = sub[jb, ia]
        vmax = symmetric_limit(weights)
        magnitude = np.abs(weights) / vmax
        colors = to_hex(diverging_rgb(weights, vmax))
        # Strong edges drawn last, so they stay on top of the weak ones.
        order = np.argsort(magnitude, kind="stable")
    lines = []
    ya, yb = a.ys, b.ys
    for k in order.tolist():
        i, j = ia[k], jb[k]
        head = (f'<line class="edge" x1="{x1}" y1="{fmt(ya[i])}" x2="{x2}" y2="{fmt(yb[j])}" ')
        ids = (f'data-layer="{layer}" data-from="{a.shown[i]}" data-to="{b.shown[j]}"')
        if weights is None:
            lines.append(head + f'stroke="{NEUTRAL_EDGE}" stroke-width="0.6" '
                         f'stroke-opacity="0.6" {ids}/>')
        else:
            m = magnitude[k]
            lines.append(head + f'stroke="{colors[k]}" stroke-width="{fmt(0.4 + 2.4 * m)}" '
                         f'stroke-opacity="{fmt(0.2 + 0.8 * m)}" {ids} '
                         f'data-weight="{fmt_value(weights[k])}"/>')
    canvas.raw(lines)
    return None if weights is None else vmax


def neuron_fills(view: NetView, column: Column) -> tuple[list[str], np.ndarray | None, str]:
    """Return (fill per shown neuron, shown values or None, scale description)."""
    values = stage_output(view, column.stage)
    if values is None:
        return [FILLS[column.role]] * len(column.shown), None, ""
    shown = values.reshape(-1)[column.shown]
    if column.role == "input" and values.min() >= 0 and values.max() <= 1:
        # Pixels: the same greys as the input picture beside the column.
        return to_hex(scale_rgb(shown, "greys", 1.0)), shown, "pixels 0-1"
    if column.role == "output" and column.stage.activation == "softmax":
        # Probabilities share one fixed 0-1 scale, so a confident answer stands out.
        return to_hex(scale_rgb(shown, "sequential", 1.0)), shown, "probability 0-1"
    scale, vmax = activation_scale(values)
    return to_hex(scale_rgb(shown, scale, vmax)), shown, f"max {vmax:.3g}"


def draw_neurons(canvas: Canvas, view: NetView, column: Column) -> str:
    """Draw a column's neurons, index labels and ellipsis; return its value-scale note."""
    fills, values, note = neuron_fills(view, column)
    layer = column.stage.layer
    inside = column.elided and column.role in ("hidden", "output")
    for k, index in enumerate(column.shown.tolist()):
        y = float(column.ys[k])
        extra: dict[str, Any] = {} if values is None else {"value": fmt_value(values[k])}
        canvas.circle(column.x, y, RADIUS, cls="neuron", fill=fills[k], layer=layer,
                      index=index, **extra)
        if inside:
            size = 7 if index < 999 else 6
            canvas.text(column.x, y + size * 0.36, str(index + 1), cls="index", size=size,
                        color=text_color_on(fills[k]))
        elif column.role in ("input", "flatten"):
            prefix = "x" if column.role == "input" else ""
            canvas.text(column.x - RADIUS - 4, y + 3.5, f"{prefix}{index + 1}", cls="index",
                        size=10, anchor="end", color=MUTED_COLOR)
    if column.ellipsis_y is not None:
        size = column.stage.size
        canvas.element("text", {"class": "ellipsis", "x": column.x, "y": column.ellipsis_y + 7,
                                "font-size": 20, "text-anchor": "middle", "fill": MUTED_COLOR,
                                "data-layer": layer, "data-size": size,
                                "data-hidden": size - len(column.shown)}, "\u22ee")
    return note


def text_color_on(fill: str) -> str:
    """Return a label color readable on `fill` ('#rrggbb'): white on dark, grey on light."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 128 else MUTED_COLOR


def output_names(view: NetView, column: Column) -> list[str]:
    """Return the label of each shown output neuron: its class name, or y1, y2, ..."""
    names = view.class_names
    if names is not None and len(names) == column.stage.size:
        return [str(names[i]) for i in column.shown.tolist()]
    return [f"y{i + 1}" for i in column.shown.tolist()]


def draw_output_labels(canvas: Canvas, view: NetView, column: Column) -> None:
    """Write class names right of the output neurons, and softmax bars for an input."""
    names = output_names(view, column)
    values = stage_output(view, column.stage)
    name_width = max(text_width(n, 11) for n in names)
    best = int(np.argmax(values)) if values is not None else -1
    for k, name in enumerate(names):
        y = float(column.ys[k])
        canvas.text(column.x + RADIUS + 6, y + 4, name, cls="class-name", size=11, anchor="start",
                    weight="bold" if column.shown[k] == best else None)
        if values is not None:
            index = int(column.shown[k])
            draw_probability_row(canvas, column.x + RADIUS + 14 + name_width, y - 6,
                                 float(values[index]), index=index, bar_width=BAR_WIDTH,
                                 height=12, name=name, highlight=index == best)


def right_margin(view: NetView, column: Column) -> float:
    """Return the room the output labels (and bars) need right of the output column."""
    width = RADIUS + 14 + max(text_width(n, 11) for n in output_names(view, column))
    if stage_output(view, column.stage) is not None:
        width += BAR_WIDTH + 50
    return width + 16


def draw_labels(canvas: Canvas, columns: list[Column], top: float, notes: list[str]) -> float:
    """Write each column's label lines from `top` down; return the y below the lowest."""
    bottom = top
    for column, note in zip(columns, notes):
        lines = column_label(column) + ([note] if note else [])
        for n, line in enumerate(lines):
            canvas.text(column.x, top + 14 * n, line, cls="layer-label", size=11 if n else 12,
                        weight="bold" if n == 0 else None, color=MUTED_COLOR if n else "#222222",
                        layer=column.stage.layer)
        bottom = max(bottom, top + 14 * len(lines))
    return bottom


def draw_column_net(canvas: Canvas, view: NetView, columns: list[Column], *,
                    neutral_edges: bool, label_top: float) -> float:
    """Draw edges, neurons, labels and per-pair colorbars of placed columns; return bottom y."""
    limits = [draw_edges(canvas, view, a, b, neutral=neutral_edges)
              for a, b in zip(columns, columns[1:])]
    notes = [draw_neurons(canvas, view, column) for column in columns]
    if columns[-1].role == "output":
        draw_output_labels(canvas, view, columns[-1])
    bottom = draw_labels(canvas, columns, label_top, notes)
    colored = [(a, b, vmax) for a, b, vmax in zip(columns, columns[1:], limits) if vmax]
    for a, b, vmax in colored:
        width = min(130.0, b.x - a.x - 30)
        draw_colorbar(canvas, (a.x + b.x) / 2 - width / 2, bottom + 22, width, scale="diverging",
                      vmax=vmax, title=f"weights into {b.title}", layer=b.stage.layer)
    if colored:
        bottom += 50
        canvas.text(columns[0].x, bottom + 8, "edge color, width and opacity: weight; one scale "
                    "per layer pair, symmetric about 0, \u00b1 the largest |w| shown",
                    cls="note", size=11, anchor="start", color=MUTED_COLOR)
        bottom += 14
    return bottom


def draw_neuron_network(view: NetView, stages: list[Stage], *, max_neurons: int = 32,
                        keep: int = 4, left: float = 0.0) -> tuple[Canvas, list[Column]]:
    """Return the canvas of an all-vector network (an MLP) in neuron style, and its columns.

    `left` leaves room at the left edge for a caller's own drawing (the input image).
    """
    max_neurons, keep = check_limits(max_neurons, keep)
    columns = build_columns(stages, max_neurons, keep)
    tallest = max(column.slots for column in columns)
    label_room = max(text_width(f"x{i + 1}", 10) for i in columns[0].shown.tolist())
    center_y = 60 + (tallest - 1) / 2 * SPACING + RADIUS
    last_x = place_columns(columns, left + 70 + label_room, center_y)
    with_input = view.outputs is not None
    canvas = Canvas(title=f"{view.spec.name} network")
    draw_title(canvas, view, with_input)
    bottom = draw_column_net(canvas, view, columns, neutral_edges=with_input,
                             label_top=center_y + (tallest - 1) / 2 * SPACING + RADIUS + 26)
    width = max(last_x + right_margin(view, columns[-1]), left + 100 + 130 * len(columns))
    canvas.grow(width, bottom + 20)
    return canvas, columns


def draw_title(canvas: Canvas, view: NetView, with_input: bool) -> None:
    """Write the picture's title line: network name, parameter count, what is shown."""
    shown = ("activations for one input" if with_input
             else "trained weights" if view.weights is not None else "structure (untrained)")
    title = f"{view.spec.name}: {count_params(view.spec):,} parameters, {shown}"
    probabilities = None if view.outputs is None else view.outputs.get(len(view.spec.layers) - 1)
    if with_input and probabilities is not None:
        best = int(np.argmax(probabilities))
        names = view.class_names
        name = names[best] if names is not None and len(names) == len(probabilities) else f"y{best + 1}"
        title += f"; answer: {name} ({100 * float(probabilities[best]):.1f}%)"
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
