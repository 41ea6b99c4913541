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

import numpy as np

from nnstudio.draw.arrows import draw_arrow
from nnstudio.draw.columns import (RADIUS, SPACING, Column, build_columns, check_limits, elide_columns,
                                   fit_gap, most_columns, place_columns)
from nnstudio.draw.network import draw_column_net, draw_title, right_margin
from nnstudio.draw.svg import MAX_WIDTH, Canvas, text_width
from nnstudio.draw.timeline import (ARROW_ROOM, CELL_H, ELLIPSIS_W, LABEL, OUT_TOP, Row, build_rows,
                                    draw_inputs, draw_outputs, draw_row, draw_state_scales, draw_up_links,
                                    row_label, row_top, start_label)
from nnstudio.draw.view import NetView, Stage
from nnstudio.errors import DrawError

HEAD_STEPS, TAIL_STEPS = 3, 2  # a long sequence shows steps 1-3, an ellipsis, the last 2
HEAD_GAP = 64.0  # from the last cell to the first neuron column
MIN_PITCH = 84.0  # narrowest step: a cell of 48 px (three units) and its state arrow


def shown_steps(steps: int, most: int) -> list[int | None]:
    """Return the 0-based steps drawn, None where the ellipsis stands: every step up to
    `most` (and up to 6, whatever `most` says), else `most` slots, the ellipsis one of
    them, the first steps a little more than the last (6: steps 1-3, ..., the last 2)."""
    most = max(most, HEAD_STEPS + TAIL_STEPS + 1)
    if steps <= most:
        return list(range(steps))
    tail = max(TAIL_STEPS, (most - 1) // 2)
    head = most - 1 - tail
    return list(range(head)) + [None] + list(range(steps - tail, steps))


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
    steps = stages[0].shape[0]
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
    room = MAX_WIDTH - 20 - x0 - head_room
    # No more steps than fit the page at the narrowest pitch, the ellipsis included.
    shown = shown_steps(steps, min(max_steps, int((room - ELLIPSIS_W) // MIN_PITCH)))
    cells = [t for t in shown if t is not None]
    room -= ELLIPSIS_W if None in shown else 0
    pitch = float(np.clip(room / max(len(cells), 1), MIN_PITCH, 150 if rows_stages else 100))
    cell_w = pitch - ARROW_ROOM
    xs = step_positions(shown, x0, pitch)
    rows = build_rows(view, rows_stages, cell_w)
    canvas = Canvas(title=f"{view.spec.name} network, unrolled in time")
    draw_title(canvas, view, view.outputs is not None)
    input_top = row_top(len(rows))
    bottom = draw_inputs(canvas, view, stages[0], shown, xs, cell_w, input_top)
    for row in rows:
        draw_row(canvas, row, shown, xs, cell_w, steps)
    draw_up_links(canvas, rows, shown, xs, cell_w, input_top)
    out_right = draw_outputs(canvas, rows, shown, xs, cell_w, steps)
    if columns:
        bottom = max(bottom, draw_head(canvas, view, columns, rows, out_right, xs, cell_w, shown,
                                       input_top))
    bottom = draw_state_scales(canvas, view, stages[0], rows, bottom + 10)
    canvas.grow(canvas.width, bottom + 14)
    return canvas


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
    elif abs(target[1] - (OUT_TOP + 11)) < 8:  # the column's top neuron is level with the box
        draw_arrow(canvas, [(out_right, OUT_TOP + 11), target], cls="to-head")
    else:
        draw_arrow(canvas, [(out_right, OUT_TOP + 11), (turn, OUT_TOP + 11), (turn, target[1]),
                            target], cls="to-head")
    label_top = center_y + half + 26
    return draw_column_net(canvas, view, columns, label_top=max(label_top, area_bottom + 20),
                           note_x=20)
