"""Sequence networks unrolled in time: each recurrent layer as a row of cells, one per step.

Time runs left to right. The inputs x1, x2, ... stand under the bottom row, each step's
cell passes its hidden state (an LSTM: its cell state too) to the next step's cell,
starting from zero, and a recurrent layer that returns sequences hands every step's state
up to the layer above. The top layer's output stands above it: every step's state, or
the last step's alone, which the dense layers after it (drawn as neurons, network.py)
read. A long sequence shows its first and last steps around an ellipsis. Each cell's
circles are its units; with one input they are filled with that step's hidden state
(one color scale per layer, stated by a colorbar). Every cell is one
<g class="rnn-cell" data-layer data-step> (step 1-based), so a test can count them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.draw.arrows import draw_arrow
from nnstudio.draw.colors import activation_scale, draw_colorbar, scale_rgb, to_hex
from nnstudio.draw.columns import (RADIUS, SPACING, Column, build_columns, check_limits, elide_columns,
                                   fit_gap, most_columns, place_columns, shown_indices)
from nnstudio.draw.network import draw_column_net, draw_title, right_margin
from nnstudio.draw.svg import MAX_WIDTH, MUTED_COLOR, Canvas, fmt_value, text_width
from nnstudio.draw.view import NetView, Stage, recurrent_states, stage_output
from nnstudio.errors import DrawError

HEAD_STEPS, TAIL_STEPS = 3, 2  # a long sequence shows steps 1-3, an ellipsis, the last 2
CELL_H = 46.0
ROW_GAP = 44.0  # vertical room between rows for the arrows carrying states up
UNIT_R = 5.0
UNIT_GAP = 13.0
FEATURE = 12.0  # side of one input value's square
MAX_FEATURES = 6
OUT_TOP = 62.0  # top of the output boxes; the bus that gathers them runs above
ELLIPSIS_W = 54.0
ARROW_ROOM = 36.0  # between two cells: the state arrow and its label
HEAD_GAP = 64.0  # from the last cell to the first neuron column
CELL_FILLS = {"SimpleRNN": "#eaf1fb", "LSTM": "#e9f5ea", "GRU": "#fdf1e2"}
CELL_NAMES = {"SimpleRNN": "RNN"}  # inside a cell: short enough for a narrow one
LABEL = 11.0


@dataclass
class Row:
    """One recurrent layer drawn as a row of cells."""

    stage: Stage
    top: float
    units: np.ndarray  # unit indices shown in each cell
    states: np.ndarray | None  # (steps, units) hidden states for the view's input

    @property
    def type(self) -> str:
        return str(self.stage.config["type"])


def shown_steps(steps: int, most: int) -> list[int | None]:
    """Return the 0-based steps drawn, None where the ellipsis stands (first 3, last 2)."""
    if steps <= max(most, HEAD_STEPS + TAIL_STEPS + 1):
        return list(range(steps))
    return list(range(HEAD_STEPS)) + [None] + list(range(steps - TAIL_STEPS, steps))


def split_stages(stages: list[Stage]) -> tuple[list[Stage], list[Stage]]:
    """Return (recurrent stages drawn as rows, stages drawn as neuron columns). A layer
    that returns its last step only is both: its row, then that state as a column."""
    rows: list[Stage] = []
    for position, stage in enumerate(stages[1:], start=1):
        if stage.kind != "recurrent":
            return rows, stages[position:]
        rows.append(stage)
        if len(stage.shape) == 1:
            return rows, stages[position:]
    return rows, []


def head_columns(view: NetView, head: list[Stage], steps: int, max_neurons: int,
                 keep: int) -> list[Column]:
    """Return the neuron columns after the unrolled part, titled for what they hold."""
    columns = build_columns(head, max_neurons, keep, view)
    hidden = 0
    for column in columns:
        if column.stage.kind == "recurrent":
            column.title = f"h{steps} ({column.stage.config['type']})"
        elif column.role == "hidden":
            hidden += 1
            column.title = f"hidden {hidden}"
    return columns


def draw_unrolled_network(view: NetView, stages: list[Stage], *, max_neurons: int = 32,
                          keep: int = 4, max_steps: int = 6) -> Canvas:
    """Return the canvas of a network on sequences: its recurrent layers unrolled in time,
    then its dense layers as neurons. Shows activations when the view holds an input."""
    max_neurons, keep = check_limits(max_neurons, keep)
    if not isinstance(max_steps, int) or max_steps < 1:
        raise DrawError(f"max_steps={max_steps!r}; allowed: an integer >= 1")
    steps, features = stages[0].shape
    shown = shown_steps(steps, max_steps)
    rows_stages, head = split_stages(stages)
    columns = head_columns(view, head, steps, max_neurons, keep) if head else []
    left = 20 + max([text_width(line, LABEL) for stage in rows_stages for line in row_label(stage)]
                    + [text_width("input", 12)]) + 14
    lstm = any(s.config["type"] == "LSTM" for s in rows_stages)
    x0 = left + text_width(start_label(lstm), LABEL) + 56
    head_room = 0.0
    if columns:
        columns = elide_columns(columns, most_columns(MAX_WIDTH / 2))
        head_room = HEAD_GAP + 100 * (len(columns) - 1) + right_margin(view, columns[-1])
    cells = [t for t in shown if t is not None]
    room = MAX_WIDTH - 20 - x0 - head_room - (ELLIPSIS_W if None in shown else 0)
    pitch = float(np.clip(room / max(len(cells), 1), 84, 150 if rows_stages else 100))
    cell_w = pitch - ARROW_ROOM
    xs = step_positions(shown, x0, pitch)
    rows = build_rows(view, rows_stages, cell_w)
    canvas = Canvas(title=f"{view.spec.name} network, unrolled in time")
    draw_title(canvas, view, view.outputs is not None)
    input_top = OUT_TOP + 22 + 30 + len(rows) * (CELL_H + ROW_GAP) if rows else OUT_TOP + 22 + 30
    bottom = draw_inputs(canvas, view, stages[0], shown, xs, cell_w, input_top, left)
    for row in rows:
        draw_row(canvas, row, shown, xs, cell_w, left, steps)
    draw_up_links(canvas, rows, shown, xs, cell_w, input_top)
    out_right = draw_outputs(canvas, rows, shown, xs, cell_w, steps)
    if columns:
        bottom = max(bottom, draw_head(canvas, view, columns, rows, out_right, xs, cell_w, shown,
                                       input_top))
    bottom = draw_state_scales(canvas, view, stages[0], rows, bottom + 10)
    canvas.grow(canvas.width, bottom + 14)
    return canvas


def start_label(lstm: bool) -> str:
    """Return the label of the state a row starts from."""
    return "h0, c0 = 0" if lstm else "h0 = 0"


def row_label(stage: Stage) -> list[str]:
    """Return the lines left of a recurrent row: type, units, notes."""
    units = int(stage.config["units"])
    return [str(stage.config["type"]), f"{units} unit{'' if units == 1 else 's'}"] + stage.notes()


def step_positions(shown: list[int | None], x0: float, pitch: float) -> list[float]:
    """Return the left x of each shown step's cell (the ellipsis slot: its center)."""
    xs, x = [], x0
    for step in shown:
        if step is None:
            xs.append(x - ARROW_ROOM / 2 + ELLIPSIS_W / 2)
            x += ELLIPSIS_W
        else:
            xs.append(x)
            x += pitch
    return xs


def build_rows(view: NetView, stages: list[Stage], cell_w: float) -> list[Row]:
    """Return the rows, the last recurrent layer on top, each with the units its cells show."""
    fit = max(1, int((cell_w - 10) // UNIT_GAP))
    rows = []
    for position, stage in enumerate(reversed(stages)):
        units = int(stage.config["units"])
        states = recurrent_states(view, stage)
        scores = None if states is None else np.abs(states).max(axis=0)
        keep = max(1, (fit - 1) // 2)
        shown = shown_indices(units, fit, keep, scores)
        top = OUT_TOP + 22 + 30 + position * (CELL_H + ROW_GAP)
        rows.append(Row(stage, top, shown, states))
    return rows


def unit_xs(row: Row, x: float, cell_w: float) -> np.ndarray:
    """Return the x of each shown unit circle in a cell at x (a gap where units are hidden)."""
    units = int(row.stage.config["units"])
    slots = np.arange(len(row.units), dtype=float)
    if len(row.units) < units:
        slots[len(row.units) // 2:] += 1.0  # room for the "..." between the halves
    width = (slots[-1] if len(slots) else 0.0) * UNIT_GAP
    return x + cell_w / 2 - width / 2 + slots * UNIT_GAP


def draw_row(canvas: Canvas, row: Row, shown: list[int | None], xs: list[float],
             cell_w: float, left: float, steps: int) -> None:
    """Draw one layer's cells, the states passed between them and the row's label."""
    stage, top = row.stage, row.top
    for n, line in enumerate(row_label(stage)):
        canvas.text(20, top + 14 + 14 * n, line, cls="layer-label", size=12 if n == 0 else LABEL,
                    anchor="start", weight="bold" if n == 0 else None,
                    color="#222222" if n == 0 else MUTED_COLOR, layer=stage.layer)
    scale, vmax = activation_scale(row.states) if row.states is not None else ("", 1.0)
    lstm = row.type == "LSTM"
    lanes = [(top + CELL_H * 0.3, "c"), (top + CELL_H * 0.7, "h")] if lstm else [(top + CELL_H / 2, "h")]
    first = xs[0]
    canvas.text(first - 50, top + CELL_H / 2 + 4, start_label(lstm), cls="state-start",
                size=LABEL, anchor="end", color=MUTED_COLOR)
    for y, _ in lanes:
        draw_arrow(canvas, [(first - 46, y), (first, y)], cls="state", layer=stage.layer, step=0)
    for k, step in enumerate(shown):
        x = xs[k]
        if step is None:
            canvas.text(x, top + CELL_H / 2 + 6, "\u22ef", cls="ellipsis", size=20,
                        color=MUTED_COLOR, layer=stage.layer, hidden_steps=steps - len(shown) + 1)
            continue
        draw_cell(canvas, row, step, x, cell_w, scale, vmax)
        if k + 1 < len(shown):
            nxt = xs[k + 1]
            gap_end = nxt - 10 if shown[k + 1] is None else nxt
            for y, name in lanes:
                draw_arrow(canvas, [(x + cell_w, y), (gap_end, y)], cls="state", layer=stage.layer,
                           step=step + 1, dash="4 3" if shown[k + 1] is None else None)
                if shown[k + 1] is not None:
                    canvas.text((x + cell_w + nxt) / 2, y - 4, f"{name}{step + 1}", cls="state-label",
                                size=LABEL, color=MUTED_COLOR)
            if shown[k + 1] is None:  # after the ellipsis, the state comes back in
                after = xs[k + 2]
                for y, _ in lanes:
                    draw_arrow(canvas, [(nxt + 10, y), (after, y)], cls="state", layer=stage.layer,
                               step=int(shown[k + 2] or 0), dash="4 3")


def draw_cell(canvas: Canvas, row: Row, step: int, x: float, cell_w: float, scale: str,
              vmax: float) -> None:
    """Draw one step's cell as a <g class="rnn-cell">: its box, type and unit circles."""
    stage, top = row.stage, row.top
    values = None if row.states is None else row.states[step]
    tip = f"{row.type} (layer {stage.layer}), step {step + 1}"
    if values is not None:
        tip += ": h = [" + ", ".join(fmt_value(v) for v in values[:8]) + \
               (", ...]" if values.size > 8 else "]")
    canvas.open_group({"class": "rnn-cell", "data-layer": stage.layer, "data-step": step + 1,
                       "data-type": row.type}, tip=tip)
    canvas.element("rect", {"class": "cell-box", "x": x, "y": top, "width": cell_w, "height": CELL_H,
                            "rx": 7, "fill": CELL_FILLS.get(row.type, "#eeeeee"),
                            "stroke": "#555555", "stroke-width": 1})
    canvas.text(x + cell_w / 2, top + 15, CELL_NAMES.get(row.type, row.type), cls="cell-type",
                size=LABEL, color="#333333")
    fills = ["#ffffff"] * len(row.units) if values is None else \
        to_hex(scale_rgb(values[row.units], scale, vmax))
    cxs = unit_xs(row, x, cell_w)
    for n, unit in enumerate(row.units.tolist()):
        extra = {} if values is None else {"value": fmt_value(values[unit])}
        canvas.circle(float(cxs[n]), top + 32, UNIT_R, cls="unit", fill=fills[n], stroke="#444444",
                      stroke_width=0.8, layer=stage.layer, step=step + 1, index=unit, **extra)
    if len(row.units) < int(stage.config["units"]):
        middle = float(cxs[len(row.units) // 2 - 1] + UNIT_GAP) if len(row.units) > 1 else x + 8
        canvas.text(middle, top + 36, "\u2026", cls="more-units", size=LABEL, color=MUTED_COLOR)
    canvas.close_group()


def draw_inputs(canvas: Canvas, view: NetView, stage: Stage, shown: list[int | None],
                xs: list[float], cell_w: float, top: float, left: float) -> float:
    """Draw each shown step's input x_t as a row of value squares; return the bottom y."""
    values = stage_output(view, stage)  # (steps, features) or None
    steps, features = stage.shape
    count = max(1, min(features, MAX_FEATURES, int((cell_w - 10) // FEATURE)))
    scale, vmax = activation_scale(values) if values is not None else ("", 1.0)
    canvas.text(20, top + 15, "input", cls="layer-label", size=12, anchor="start", weight="bold")
    canvas.text(20, top + 29, f"{steps} steps \u00d7 {features}", cls="layer-label", size=LABEL,
                anchor="start", color=MUTED_COLOR)
    for k, step in enumerate(shown):
        x = xs[k]
        if step is None:
            canvas.text(x, top + 16, "\u22ef", cls="ellipsis", size=20, color=MUTED_COLOR,
                        hidden_steps=steps - len(shown) + 1)
            hidden = steps - len(shown) + 1
            canvas.text(x, top + 44, f"{hidden} more", cls="more", size=LABEL, color=MUTED_COLOR)
            continue
        width = count * FEATURE
        bx = x + cell_w / 2 - width / 2
        row = None if values is None else values[step]
        fills = ["#e3e3e3"] * count if row is None else to_hex(scale_rgb(row[:count], scale, vmax))
        canvas.open_group({"class": "rnn-input", "data-step": step + 1})
        for f in range(count):
            extra = {} if row is None else {"value": fmt_value(row[f])}
            canvas.rect(bx + f * FEATURE, top, FEATURE, FEATURE, cls="input-value", fill=fills[f],
                        stroke="#777777", stroke_width=0.6, step=step + 1, feature=f, **extra,
                        tip=f"x{step + 1}, feature {f + 1}" + ("" if row is None else f": {fmt_value(row[f])}"))
        canvas.close_group()
        if features > count:
            canvas.text(bx + width + 3, top + 10, "\u2026", cls="more-features", size=LABEL,
                        anchor="start", color=MUTED_COLOR)
        canvas.text(x + cell_w / 2, top + FEATURE + 16, f"x{step + 1}", cls="step-label", size=LABEL,
                    color=MUTED_COLOR, step=step + 1)
    return top + FEATURE + 30


def draw_up_links(canvas: Canvas, rows: list[Row], shown: list[int | None], xs: list[float],
                  cell_w: float, input_top: float) -> None:
    """Draw, at every shown step, x_t up into the bottom row and each row's state up into the next."""
    for k, step in enumerate(shown):
        if step is None:
            continue
        cx = xs[k] + cell_w / 2
        below = input_top
        for row in reversed(rows):  # bottom row first
            draw_arrow(canvas, [(cx, below - 2), (cx, row.top + CELL_H + 1)], cls="step-input",
                       step=step + 1, layer=row.stage.layer)
            below = row.top


def draw_outputs(canvas: Canvas, rows: list[Row], shown: list[int | None], xs: list[float],
                 cell_w: float, steps: int) -> float:
    """Draw the top layer's output boxes: every step, or the last one; return their right x."""
    if not rows:
        return xs[-1] + cell_w
    top = rows[0]
    every = len(top.stage.shape) == 2
    right = 0.0
    for k, step in enumerate(shown):
        if step is None or (not every and step != steps - 1):
            continue
        cx = xs[k] + cell_w / 2
        draw_arrow(canvas, [(cx, top.top - 1), (cx, OUT_TOP + 23)], cls="output-link", step=step + 1)
        canvas.open_group({"class": "rnn-output", "data-step": step + 1, "data-layer": top.stage.layer})
        canvas.element("rect", {"class": "output-box", "x": cx - 20, "y": OUT_TOP, "width": 40,
                                "height": 22, "rx": 4, "fill": "#fff1cc", "stroke": "#555555",
                                "stroke-width": 1})
        canvas.text(cx, OUT_TOP + 15, f"h{step + 1}", cls="output-label", size=LABEL)
        canvas.close_group()
        right = cx + 20
    if not every:
        canvas.text(right + 4, OUT_TOP - 6, "the last step's state", cls="note", size=LABEL,
                    anchor="start", color=MUTED_COLOR)
    return right


def draw_head(canvas: Canvas, view: NetView, columns: list[Column], rows: list[Row],
              out_right: float, xs: list[float], cell_w: float, shown: list[int | None],
              input_top: float) -> float:
    """Draw the neuron columns right of the unrolled part, fed by the top outputs (the
    inputs themselves when no recurrent layer comes first); return the bottom y."""
    tallest = max(column.slots for column in columns)
    half = (tallest - 1) / 2 * SPACING + RADIUS
    area_bottom = rows[-1].top + CELL_H if rows else OUT_TOP + 60
    center_y = max((OUT_TOP + area_bottom) / 2, OUT_TOP + half)
    head_x = xs[-1] + cell_w + HEAD_GAP
    room = MAX_WIDTH - 20 - head_x - right_margin(view, columns[-1])
    last_x = place_columns(columns, head_x, center_y, fit_gap(len(columns), max(room, 0.0)))
    canvas.grow(last_x + right_margin(view, columns[-1]), 0)
    first = columns[0]
    # Into the column's middle, or its top neuron when an ellipsis stands in the middle;
    # left of the index labels a flatten column writes beside its neurons.
    target = (first.x - RADIUS - (24 if first.role == "flatten" else 6),
              float(first.ys[0] if first.elided else np.mean(first.ys)))
    turn = first.x - 44
    if not rows or len(rows[0].stage.shape) == 2:  # every step's output, gathered by one bus
        box_top = OUT_TOP if rows else input_top
        bus_y = box_top - 12
        boxes = [xs[k] + cell_w / 2 for k, s in enumerate(shown) if s is not None]
        for cx in boxes:
            canvas.line(cx, box_top, cx, bus_y, cls="output-bus", stroke="#888888", stroke_width=1)
        draw_arrow(canvas, [(boxes[0], bus_y), (turn, bus_y), (turn, target[1]), target],
                   cls="output-bus", color="#888888")
    else:
        draw_arrow(canvas, [(out_right, OUT_TOP + 11), (turn, OUT_TOP + 11), (turn, target[1]),
                            target], cls="to-head")
    label_top = center_y + half + 26
    return draw_column_net(canvas, view, columns, label_top=max(label_top, area_bottom + 20),
                           note_x=20)


def draw_state_scales(canvas: Canvas, view: NetView, stage: Stage, rows: list[Row],
                      top: float) -> float:
    """With an input, state each color scale: the input values and every row's states."""
    values = stage_output(view, stage)
    if values is None:
        return top
    scales = [("input x", *activation_scale(values))]
    scales += [(f"{row.type} states h (layer {row.stage.layer})", *activation_scale(row.states))
               for row in reversed(rows) if row.states is not None]
    x = 20.0
    for title, scale, vmax in scales:
        width = max(130.0, text_width(title, LABEL) + 10)
        draw_colorbar(canvas, x, top + 18, width, scale=scale, vmax=vmax, title=title)
        x += width + 30
    return top + 48
