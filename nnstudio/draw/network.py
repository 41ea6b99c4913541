"""Neuron style: columns of neurons joined by every edge between the neurons shown.

Used for MLPs and for the dense head of a CNN. A layer bigger than `max_neurons` shows
2 x `keep` of its neurons, chosen for what they carry: with an input, the most active
ones (times their outgoing weights); for the input column without an input, pixels that
vary in the training data; otherwise the largest weight norms. They keep their true
indices, and an ellipsis says how many are hidden ("2,492 more", data-size). With
trained weights an edge's color is its weight on a diverging scale symmetric about zero,
one scale per layer pair; with an input it is weight x activation, so the path that made
the answer shows. |value| also sets width and opacity, so sign is not color alone.
A network too deep for the page shows its first and last layers around a count of the
hidden ones. Each column is one <g class="layer"> named by its title; neurons and
colored edges carry a <title> with their values (a browser shows it on hover).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from nnstudio.draw.colors import (NEUTRAL_EDGE, activation_scale, diverging_rgb, draw_colorbar, scale_rgb,
                                  symmetric_limit, to_hex)
from nnstudio.draw.columns import (RADIUS, SPACING, Column, build_columns, check_limits, elide_columns,
                                   fit_gap, most_columns, place_columns)
from nnstudio.draw.functions import draw_probability_row
from nnstudio.draw.svg import MAX_WIDTH, MUTED_COLOR, Canvas, escape, fmt, fmt_value, text_width
from nnstudio.draw.view import NetView, Stage, square_side, stage_output
from nnstudio.spec import count_params

FILLS = {"input": "#e3e3e3", "flatten": "#e3e3e3", "hidden": "#ffffff", "output": "#fff1cc"}
BAR_WIDTH = 70.0
LABEL_SIZE = 11.0


def column_label(column: Column) -> list[str]:
    """Return the lines under a column: title, size, notes (one per line, so labels stay narrow)."""
    size = column.stage.size
    unit = "value" if column.role == "input" else "neuron"
    lines = [column.title, f"{size:,} {unit}{'' if size == 1 else 's'}"]
    side = square_side(size)
    if column.role == "input" and side:
        lines.append(f"({side}\u00d7{side})")
    return lines + column.stage.notes()


def neuron_name(column: Column, index: int) -> str:
    """Return how a tooltip names neuron `index` (0-based) of a column: x3, hidden 1 neuron 5."""
    if column.role == "input":
        return f"x{index + 1}"
    return f"{column.title} neuron {index + 1}"


def draw_edges(canvas: Canvas, view: NetView, a: Column, b: Column) -> tuple[float, str] | None:
    """Draw every edge between the shown neurons of `a` and `b`; return (vmax, what the
    color shows) when colored: the weight, or weight x activation with an input."""
    na, nb = len(a.shown), len(b.shown)
    ia = np.tile(np.arange(na), nb)  # pair k joins a.shown[ia[k]] to b.shown[jb[k]]
    jb = np.repeat(np.arange(nb), na)
    matrix = view.weight(b.stage.layer)
    x1, x2 = fmt(a.x + RADIUS), fmt(b.x - RADIUS)
    layer = b.stage.layer
    source = stage_output(view, a.stage)
    lines = []
    ya, yb = a.ys, b.ys
    dropped = view.dropped or {}
    if a.stage.layer in dropped or b.stage.layer in dropped:
        # A switched-off neuron takes no part in this step: no edge in or out of it.
        off_a = dropped.get(a.stage.layer, np.zeros(a.stage.size, dtype=bool))
        off_b = dropped.get(b.stage.layer, np.zeros(b.stage.size, dtype=bool))
        keep_pairs = ~(np.asarray(off_a)[a.shown][ia] | np.asarray(off_b)[b.shown][jb])
        ia, jb = ia[keep_pairs], jb[keep_pairs]
    if matrix is None:
        for k in range(ia.size):
            i, j = ia[k], jb[k]
            lines.append(f'<line class="edge" x1="{x1}" y1="{fmt(ya[i])}" x2="{x2}" '
                         f'y2="{fmt(yb[j])}" stroke="{NEUTRAL_EDGE}" stroke-width="0.6" '
                         f'data-layer="{layer}" data-from="{a.shown[i]}" '
                         f'data-to="{b.shown[j]}"/>')
        canvas.raw(lines)
        return None
    sub = np.asarray(matrix, dtype=float)[np.ix_(b.shown, a.shown)]  # (out, in) shown
    weights = sub[jb, ia]
    inputs = None if source is None else source.reshape(-1)[a.shown][ia]
    values = weights if inputs is None else weights * inputs
    vmax = symmetric_limit(values)
    magnitude = np.abs(values) / vmax
    colors = to_hex(diverging_rgb(values, vmax))
    for k in np.argsort(magnitude, kind="stable").tolist():  # strong edges drawn last, on top
        i, j = ia[k], jb[k]
        m = magnitude[k]
        tip = f"{neuron_name(a, int(a.shown[i]))} \u2192 {neuron_name(b, int(b.shown[j]))}: " \
              f"weight {fmt_value(weights[k])}"
        extra = ""
        if inputs is not None:
            tip += f" \u00d7 activation {fmt_value(inputs[k])} = {fmt_value(values[k])}"
            extra = f' data-contribution="{fmt_value(values[k])}"'
        lines.append(f'<line class="edge" x1="{x1}" y1="{fmt(ya[i])}" x2="{x2}" y2="{fmt(yb[j])}" '
                     f'stroke="{colors[k]}" stroke-width="{fmt(0.4 + 2.4 * m)}" '
                     f'stroke-opacity="{fmt(0.2 + 0.8 * m)}" data-layer="{layer}" '
                     f'data-from="{a.shown[i]}" data-to="{b.shown[j]}" '
                     f'data-weight="{fmt_value(weights[k])}"{extra}><title>{escape(tip)}</title></line>')
    canvas.raw(lines)
    return vmax, ("weight" if inputs is None else "weight \u00d7 activation")


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


def neuron_tip(view: NetView, column: Column, index: int, value: float | None) -> str:
    """Return a neuron's tooltip: its name (class name for outputs) and its value."""
    tip = neuron_name(column, index)
    if column.role == "output":
        tip += f" ({output_name(view, column, index)})"
    if value is None:
        return tip
    if column.role == "output" and column.stage.activation == "softmax":
        return tip + f": probability {100 * value:.1f}%"
    return tip + f": {'pixel' if column.role == 'input' else 'activation'} {fmt_value(value)}"


def draw_neurons(canvas: Canvas, view: NetView, column: Column) -> str:
    """Draw a column's neurons, index labels and ellipsis; return its value-scale note."""
    fills, values, note = neuron_fills(view, column)
    layer = column.stage.layer
    for k, index in enumerate(column.shown.tolist()):
        y = float(column.ys[k])
        value = None if values is None else float(values[k])
        extra: dict[str, Any] = {} if value is None else {"value": fmt_value(value)}
        off = (view.dropped or {}).get(layer)
        if off is not None and off[index]:
            canvas.circle(column.x, y, RADIUS, cls="neuron-dropped", fill="#f2f2f2",
                          stroke="#aaaaaa", layer=layer, index=index,
                          tip=neuron_name(column, index) + ": switched off by dropout")
            canvas.text(column.x, y + 4, "\u00d7", cls="dropped-mark", size=12, color="#aaaaaa")
        else:
            canvas.circle(column.x, y, RADIUS, cls="neuron", fill=fills[k], layer=layer,
                          index=index, tip=neuron_tip(view, column, index, value), **extra)
        if column.role in ("input", "flatten"):
            prefix = "x" if column.role == "input" else ""
            canvas.text(column.x - RADIUS - 4, y + 4, f"{prefix}{index + 1}", cls="index",
                        size=LABEL_SIZE, anchor="end", color=MUTED_COLOR)
    if column.ellipsis_y is not None:
        size = column.stage.size
        hidden = size - len(column.shown)
        canvas.element("text", {"class": "ellipsis", "x": column.x, "y": column.ellipsis_y - 2,
                                "font-size": 20, "text-anchor": "middle", "fill": MUTED_COLOR,
                                "data-layer": layer, "data-size": size,
                                "data-hidden": hidden}, "\u22ee")
    return note


def draw_hidden_count(canvas: Canvas, column: Column) -> None:
    """Write "N more" under a column's ellipsis on a white box, over any edge crossing it
    (drawn after every layer, so no later edge covers it)."""
    if column.ellipsis_y is None:
        return
    hidden = column.stage.size - len(column.shown)
    text = f"{hidden:,} more"
    width = text_width(text, LABEL_SIZE)
    canvas.rect(column.x - width / 2 - 2, column.ellipsis_y + 6, width + 4, 14,
                cls="more-box", fill="#ffffff")
    canvas.text(column.x, column.ellipsis_y + 17, text, cls="more", size=LABEL_SIZE,
                color=MUTED_COLOR, layer=column.stage.layer, hidden=hidden)


def text_color_on(fill: str) -> str:
    """Return a label color readable on `fill` ('#rrggbb'): white on dark, grey on light."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 128 else MUTED_COLOR


def output_name(view: NetView, column: Column, index: int) -> str:
    """Return output neuron `index`'s class name, or y1, y2, ... when the names are unknown."""
    names = view.class_names
    if names is not None and len(names) == column.stage.size:
        return str(names[index])
    return f"y{index + 1}"


def output_names(view: NetView, column: Column) -> list[str]:
    """Return the label of each shown output neuron: its class name, or y1, y2, ..."""
    return [output_name(view, column, i) for i in column.shown.tolist()]


def draw_output_labels(canvas: Canvas, view: NetView, column: Column) -> None:
    """Write class names right of the output neurons, and softmax bars for an input."""
    names = output_names(view, column)
    values = stage_output(view, column.stage)
    name_width = max(text_width(n, LABEL_SIZE) for n in names)
    best = int(np.argmax(values)) if values is not None else -1
    for k, name in enumerate(names):
        y = float(column.ys[k])
        canvas.text(column.x + RADIUS + 6, y + 4, name, cls="class-name", size=LABEL_SIZE,
                    anchor="start", weight="bold" if column.shown[k] == best else None)
        if values is not None and values.size > 1 and column.stage.activation == "softmax":
            # Bars of probabilities only (a softmax of one value is always 1; numbers are no shares)
            index = int(column.shown[k])
            draw_probability_row(canvas, column.x + RADIUS + 14 + name_width, y - 6,
                                 float(values[index]), index=index, bar_width=BAR_WIDTH,
                                 height=12, name=name, highlight=index == best)


def right_margin(view: NetView, column: Column) -> float:
    """Return the room the output labels (and bars) need right of the output column."""
    width = RADIUS + 14 + max(text_width(n, LABEL_SIZE) for n in output_names(view, column))
    values = stage_output(view, column.stage) if column.role == "output" else None
    if values is not None and values.size > 1:
        width += BAR_WIDTH + 50
    return width + 16


def draw_labels(canvas: Canvas, column: Column, top: float, note: str) -> float:
    """Write a column's label lines from `top` down; return the y below the lowest."""
    lines = column_label(column) + ([note] if note else [])
    for n, line in enumerate(lines):
        canvas.text(column.x, top + 14 * n, line, cls="layer-label", size=LABEL_SIZE if n else 12,
                    weight="bold" if n == 0 else None, color=MUTED_COLOR if n else "#222222",
                    layer=column.stage.layer)
    return top + 14 * len(lines)


def draw_layer_strip(canvas: Canvas, view: NetView, column: Column, top: float) -> float:
    """Under an elided column shown for an input, draw the whole layer's values as one thin
    strip (neuron 1 at the left, same colors as the neurons; a long layer shows the
    strongest of each run of neighbors), the shown ones ticked below; return the y below
    it (`top` when there is nothing to draw)."""
    values = stage_output(view, column.stage)
    if values is None or not column.elided:
        return top
    flat = values.reshape(-1)
    # At most 160 strip cells: each shows the strongest neuron of its run of neighbors.
    runs = np.array_split(np.arange(flat.size), min(flat.size, 160))
    picks = np.array([run[int(np.argmax(np.abs(flat[run])))] for run in runs])
    fills, _, _ = neuron_fills(view, dataclasses.replace(column, shown=picks))
    rgb = np.array([[int(f[i:i + 2], 16) for i in (1, 3, 5)] for f in fills], dtype=np.uint8)
    width, x, top = 80.0, column.x - 40.0, top + 2
    canvas.image(x, top, width, 8, rgb[None], cls="layer-strip", layer=column.stage.layer,
                 tip=f"{column.title}: all {flat.size:,} values, neuron 1 at the left; ticks: "
                     "the neurons drawn")
    canvas.rect(x, top, width, 8, cls="frame", fill="none", stroke="#999999", stroke_width=0.5)
    for index in column.shown.tolist():
        tx = x + (index + 0.5) / flat.size * width
        canvas.line(tx, top + 9, tx, top + 13, cls="strip-tick", stroke="#333333",
                    stroke_width=0.8)
    return top + 16


def draw_skipped(canvas: Canvas, a: Column, b: Column, view: NetView) -> None:
    """Write, between two columns, how many layers a too-deep network leaves out here."""
    middle = (a.x + b.x) / 2
    center = float(np.mean(b.ys)) if len(b.ys) else 0.0
    count = len(b.skipped)
    canvas.element("text", {"class": "ellipsis", "x": middle, "y": center + 7, "font-size": 20,
                            "text-anchor": "middle", "fill": MUTED_COLOR,
                            "data-layers": count}, "\u22ef",
                   tip=f"left out: {', '.join(b.skipped)}")
    canvas.text(middle, center + 26, f"{count} more", cls="more", size=LABEL_SIZE,
                color=MUTED_COLOR)
    canvas.text(middle, center + 40, "layer" if count == 1 else "layers", cls="more",
                size=LABEL_SIZE, color=MUTED_COLOR)


def draw_column_net(canvas: Canvas, view: NetView, columns: list[Column], *,
                    label_top: float, note_x: float | None = None) -> float:
    """Draw placed columns, each as one <g class="layer">: incoming edges, neurons, labels;
    then one colorbar per colored layer pair; return the bottom y."""
    limits: list[tuple[Column, Column, float, str]] = []
    bottom = label_top
    for n, column in enumerate(columns):
        canvas.open_group({"class": "layer", "data-layer": column.stage.layer,
                           "data-name": column.title})
        if n and not column.skipped:
            drawn = draw_edges(canvas, view, columns[n - 1], column)
            if drawn is not None:
                limits.append((columns[n - 1], column, *drawn))
        elif n:
            draw_skipped(canvas, columns[n - 1], column, view)
        note = draw_neurons(canvas, view, column)
        if column.role == "output":
            draw_output_labels(canvas, view, column)
        below = draw_labels(canvas, column, label_top, note)
        bottom = max(bottom, draw_layer_strip(canvas, view, column, below))
        canvas.close_group()
    for column in columns:
        draw_hidden_count(canvas, column)
    if not limits:
        return bottom
    gap = columns[1].x - columns[0].x
    rows = 2 if gap < 120 else 1  # narrow gaps: colorbars alternate between two rows
    for k, (a, b, vmax, _) in enumerate(limits):
        width = min(130.0, 2 * gap - 40 if rows == 2 else gap - 30)
        draw_colorbar(canvas, (a.x + b.x) / 2 - width / 2, bottom + 22 + 44 * (k % rows), width,
                      scale="diverging", vmax=vmax, title=f"into {b.title}",
                      layer=b.stage.layer)
    what = limits[0][3]
    bottom += 8 + 44 * rows
    canvas.text(columns[0].x if note_x is None else note_x, bottom + 8, f"edge color, width and opacity: {what}; one "
                "scale per layer pair, \u00b1 its largest |value|", cls="note",
                size=LABEL_SIZE, anchor="start", color=MUTED_COLOR)
    return bottom + 14


def draw_neuron_network(view: NetView, stages: list[Stage], *, max_neurons: int = 32,
                        keep: int = 4, left: float = 0.0) -> tuple[Canvas, list[Column]]:
    """Return the canvas of an all-vector network (an MLP) in neuron style, and its columns.

    `left` leaves room at the left edge for a caller's own drawing (the input image).
    """
    max_neurons, keep = check_limits(max_neurons, keep)
    columns = build_columns(stages, max_neurons, keep, view)
    label_room = max(text_width(f"x{i + 1}", LABEL_SIZE) for i in columns[0].shown.tolist())
    x_start = left + 40 + label_room
    room = MAX_WIDTH - 20 - x_start - right_margin(view, columns[-1])
    columns = elide_columns(columns, most_columns(room))
    tallest = max(column.slots for column in columns)
    center_y = 60 + (tallest - 1) / 2 * SPACING + RADIUS
    last_x = place_columns(columns, x_start, center_y, fit_gap(len(columns), room))
    canvas = Canvas(title=f"{view.spec.name} network")
    draw_title(canvas, view, view.outputs is not None)
    bottom = draw_column_net(canvas, view, columns,
                             label_top=center_y + (tallest - 1) / 2 * SPACING + RADIUS + 26)
    canvas.grow(last_x + right_margin(view, columns[-1]), bottom + 20)
    return canvas, columns


def draw_title(canvas: Canvas, view: NetView, with_input: bool) -> None:
    """Write the picture's title line: network name, parameter count, what is shown."""
    shown = ("activations for one input" if with_input
             else "trained weights" if view.weights is not None else "structure (untrained)")
    title = f"{view.spec.name}: {count_params(view.spec):,} parameters, {shown}"
    probabilities = None if view.outputs is None else view.outputs.get(len(view.spec.layers) - 1)
    classes = view.spec.layers[-1].get("activation") == "softmax"  # else the outputs are numbers
    if with_input and classes and probabilities is not None and np.size(probabilities) > 1:  # softmax of one is 1
        best = int(np.argmax(probabilities))
        names = view.class_names
        name = names[best] if names is not None and len(names) == len(probabilities) else f"y{best + 1}"
        title += f"; answer: {name} ({100 * float(probabilities[best]):.1f}%)"
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
