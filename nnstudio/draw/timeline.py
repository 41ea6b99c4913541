"""What stands along the time axis of an unrolled network: each recurrent layer's row of
cells (one per shown step, its units inside, the states passed from step to step), the
inputs x_t below, the top layer's outputs above, and the color scales of the states.
Which steps are shown and where the columns stand is decided in draw/unrolled.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.draw.arrows import draw_arrow
from nnstudio.draw.colors import activation_scale, draw_colorbar, scale_rgb, to_hex
from nnstudio.draw.columns import shown_indices
from nnstudio.draw.svg import MUTED_COLOR, Canvas, fmt_value, text_width
from nnstudio.draw.view import NetView, Stage, recurrent_states, stage_output

CELL_H = 46.0
ROW_GAP = 44.0  # vertical room between rows for the arrows carrying states up
UNIT_R = 5.0
UNIT_GAP = 13.0
FEATURE = 12.0  # side of one input value's square
MAX_FEATURES = 6
OUT_TOP = 62.0  # top of the output boxes; the bus that gathers them runs above
ELLIPSIS_W = 54.0
ARROW_ROOM = 36.0  # between two cells: the state arrow and its label
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


def start_label(lstm: bool) -> str:
    """Return the label of the state a row starts from."""
    return "h0, c0 = 0" if lstm else "h0 = 0"


def row_label(stage: Stage) -> list[str]:
    """Return the lines left of a recurrent row: type, units, notes."""
    units = int(stage.config["units"])
    return [str(stage.config["type"]), f"{units} unit{'' if units == 1 else 's'}"] + stage.notes()


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
        rows.append(Row(stage, row_top(position), shown, states))
    return rows


def row_top(position: int) -> float:
    """The top of the position-th row of cells from the output (0: just below it); the
    inputs sit where the row after the last would be."""
    return OUT_TOP + 22 + 30 + position * (CELL_H + ROW_GAP)


def unit_xs(row: Row, x: float, cell_w: float) -> np.ndarray:
    """Return the x of each shown unit circle in a cell at x (a gap where units are hidden)."""
    units = int(row.stage.config["units"])
    slots = np.arange(len(row.units), dtype=float)
    if len(row.units) < units:
        slots[len(row.units) // 2:] += 1.0  # room for the "..." between the halves
    width = (slots[-1] if len(slots) else 0.0) * UNIT_GAP
    return x + cell_w / 2 - width / 2 + slots * UNIT_GAP


def draw_row(canvas: Canvas, row: Row, shown: list[int | None], xs: list[float],
             cell_w: float, steps: int) -> None:
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
                xs: list[float], cell_w: float, top: float) -> float:
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
