"""One step of an LSTM cell and of a GRU cell, with their gates, as diagrams.

LSTM: the cell state c runs along the top, the forget gate scales it (x), the input gate
times the candidate adds to it (+), and the output gate times tanh(c) gives the hidden
state h. GRU: the hidden state itself runs along the top; the update gate z mixes the
old state with the candidate n, whose view of the old state the reset gate r scales.
Below the gates, [h(t-1), x(t)] feeds every gate. The equations' short form stands
under each diagram, in the form torch and Keras compute (GRU: reset_after). Every gate
is a <g class="gate" data-gate="forget"> (input, candidate, output; update, reset), so
a test can find it.
"""

from __future__ import annotations

from nnstudio.draw.arrows import draw_arrow
from nnstudio.draw.svg import MUTED_COLOR, TEXT_COLOR, Canvas, text_width
from nnstudio.errors import DrawError

T, T1 = "\u209c", "\u209c\u208b\u2081"  # subscripts t and t-1
SIGMA = "\u03c3"
GATE_W, GATE_H = 78.0, 40.0
GATE_TOP = 196.0
STATE_Y = 100.0  # the line along the top: c (LSTM) or h (GRU)
BUS_Y = 300.0  # [h(t-1), x(t)] feeding the gates
LEFT, RIGHT = 40.0, 770.0
GATE_FILLS = {"forget": "#fde0dd", "input": "#deebf7", "candidate": "#fff7bc",
              "output": "#e5f5e0", "update": "#deebf7", "reset": "#fde0dd"}
LINE = "#444444"


def gate(canvas: Canvas, cx: float, name: str, function: str, symbol: str) -> None:
    """Draw a gate box at center x `cx`: its function (sigma, tanh) and its name."""
    canvas.open_group({"class": "gate", "data-gate": name, "data-function": function},
                      tip=f"{name} gate {symbol}: {function} of W x{T} + U h{T1} + b")
    canvas.element("rect", {"class": "gate-box", "x": cx - GATE_W / 2, "y": GATE_TOP,
                            "width": GATE_W, "height": GATE_H, "rx": 5,
                            "fill": GATE_FILLS[name], "stroke": "#555555", "stroke-width": 1})
    canvas.text(cx, GATE_TOP + 16, f"{function}  {symbol}", cls="gate-function", size=12,
                weight="bold")
    canvas.text(cx, GATE_TOP + 32, name if name == "candidate" else f"{name} gate",
                cls="gate-name", size=11, color=MUTED_COLOR)
    canvas.close_group()


def operation(canvas: Canvas, cx: float, cy: float, sign: str, name: str, r: float = 11) -> None:
    """Draw a pointwise operation: x (product), + (sum), 1- (one minus), tanh."""
    canvas.circle(cx, cy, r, cls="operation", fill="#ffffff", stroke=LINE, stroke_width=1.2,
                  operation=name)
    canvas.text(cx, cy + 4.5, sign, cls="operation-sign", size=13 if len(sign) == 1 else 11,
                weight="bold")


def state_line(canvas: Canvas, y: float, name: str, start: str, end: str) -> None:
    """Draw a state running through the cell left to right, named at both ends."""
    draw_arrow(canvas, [(LEFT, y), (RIGHT, y)], cls="state-line", width=2.2, color="#333333",
               state=name)
    canvas.text(LEFT, y - 8, start, cls="state-name", size=12, anchor="start", weight="bold")
    canvas.text(RIGHT, y - 8, end, cls="state-name", size=12, anchor="end", weight="bold")


def cell_frame(canvas: Canvas, title: str, kind: str, x2: float) -> None:
    """Write the title and draw the cell's rounded box (x from 100 to x2)."""
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
    canvas.element("rect", {"class": "cell-frame", "x": 100, "y": 62, "width": x2 - 100,
                            "height": 262, "rx": 14, "fill": "#f7fbf7" if kind == "LSTM" else "#fdf8f1",
                            "stroke": "#888888", "stroke-width": 1.2})
    canvas.text(x2 - 10, 82, f"{kind} cell", cls="cell-name", size=12, anchor="end",
                color=MUTED_COLOR)


def inputs(canvas: Canvas, bus_from: float, bus_to: float) -> None:
    """Draw x(t) coming in from below and joining h(t-1) on the bus that feeds the gates."""
    canvas.line(bus_from, BUS_Y, bus_to, BUS_Y, cls="bus", stroke=LINE, stroke_width=1.6)
    draw_arrow(canvas, [(150, 372), (150, BUS_Y + 1)], cls="input-line", width=1.6)
    canvas.text(150, 388, f"x{T}", cls="state-name", size=12, weight="bold")
    canvas.text(160, BUS_Y + 16, f"[h{T1}, x{T}]", cls="bus-label", size=11, anchor="start",
                color=MUTED_COLOR)


def feed(canvas: Canvas, cx: float, top: float = GATE_TOP + GATE_H) -> None:
    """Draw the bus feeding a gate (or operation) above it at x `cx`."""
    draw_arrow(canvas, [(cx, BUS_Y), (cx, top + 1)], cls="feed")


def equations(canvas: Canvas, top: float, lines: list[tuple[str, str, str]]) -> float:
    """Write (gate name, equation, meaning) lines in two aligned columns; return the bottom y."""
    canvas.text(20, top, "one step, for each unit (\u2299: product of matching entries)",
                cls="equations-title", size=12, anchor="start", weight="bold")
    width = max(text_width(equation, 12) for _, equation, _ in lines)
    for n, (name, equation, meaning) in enumerate(lines):
        y = top + 22 + 20 * n
        if name:
            canvas.rect(20, y - 10, 10, 10, cls="equation-key", fill=GATE_FILLS[name],
                        stroke="#555555", stroke_width=0.6)
        canvas.text(38, y, equation, cls="equation", size=12, anchor="start", gate=name or None)
        canvas.text(38 + width + 20, y, meaning, cls="equation-meaning", size=11, anchor="start",
                    color=MUTED_COLOR)
    return top + 22 + 20 * len(lines)


def positive(kind: str, name: str, value: object) -> int:
    """Return `value` when it is an integer >= 1, else raise DrawError naming it."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise DrawError(f"{kind} cell: {name}={value!r}; allowed: an integer >= 1 "
                        "(give both units and features, or neither)")
    return value


def sizes_note(canvas: Canvas, y: float, kind: str, gates: int, units: int | None,
               features: int | None) -> float:
    """With units and features, state each gate's weight shapes and the layer's count."""
    if units is None and features is None:
        return y
    units, features = (positive(kind, name, value) for name, value in
                       (("units", units), ("features", features)))
    params = gates * (features * units + units * units + 2 * units)
    text = (f"{units} units on {features} feature{'' if features == 1 else 's'}: each of the "
            f"{gates} gates has W ({units}\u00d7{features}), U ({units}\u00d7{units}) and two "
            f"bias vectors of {units}: {params:,} parameters")
    canvas.text(20, y + 10, text, cls="note", size=11, anchor="start", color=TEXT_COLOR)
    return y + 20


def draw_lstm_cell(*, units: int | None = None, features: int | None = None,
                   title: str = "LSTM cell: one time step") -> str:
    """Return SVG text of one LSTM step: the forget, input, candidate and output gates,
    the cell state c along the top, the hidden state h out, and the equations. With
    `units` and `features`, also each gate's weight shapes and the parameter count."""
    canvas = Canvas(title=title)
    cell_frame(canvas, title, "LSTM", 690)
    state_line(canvas, STATE_Y, "c", f"c{T1}", f"c{T}")
    centers = {"forget": 215.0, "input": 315.0, "candidate": 415.0, "output": 515.0}
    for name, function, symbol in (("forget", SIGMA, f"f{T}"), ("input", SIGMA, f"i{T}"),
                                   ("candidate", "tanh", f"g{T}"), ("output", SIGMA, f"o{T}")):
        gate(canvas, centers[name], name, function, symbol)
        feed(canvas, centers[name])
    # forget: c(t-1) x f
    operation(canvas, centers["forget"], STATE_Y, "\u00d7", "forget")
    draw_arrow(canvas, [(centers["forget"], GATE_TOP), (centers["forget"], STATE_Y + 12)], cls="gate-out")
    # input x candidate, added to the cell state
    product = (centers["candidate"], 152.0)
    operation(canvas, *product, "\u00d7", "input-candidate")
    draw_arrow(canvas, [(centers["input"], GATE_TOP), (centers["input"], product[1]),
                        (product[0] - 12, product[1])], cls="gate-out")
    draw_arrow(canvas, [(centers["candidate"], GATE_TOP), (product[0], product[1] + 12)], cls="gate-out")
    operation(canvas, centers["candidate"], STATE_Y, "+", "add")
    draw_arrow(canvas, [(product[0], product[1] - 12), (product[0], STATE_Y + 12)], cls="gate-out")
    # output: o x tanh(c) is h, which leaves to the right
    out_x = 615.0
    canvas.element("ellipse", {"class": "operation", "cx": out_x, "cy": 152, "rx": 22, "ry": 12,
                               "fill": "#ffffff", "stroke": LINE, "stroke-width": 1.2,
                               "data-operation": "tanh"})
    canvas.text(out_x, 156, "tanh", cls="operation-sign", size=11, weight="bold")
    canvas.circle(out_x, STATE_Y, 3, cls="junction", fill=LINE, stroke=None)
    draw_arrow(canvas, [(out_x, STATE_Y), (out_x, 140)], cls="gate-out")
    operation(canvas, out_x, GATE_TOP + GATE_H / 2, "\u00d7", "output")
    draw_arrow(canvas, [(out_x, 164), (out_x, GATE_TOP + GATE_H / 2 - 12)], cls="gate-out")
    draw_arrow(canvas, [(centers["output"] + GATE_W / 2, GATE_TOP + GATE_H / 2),
                        (out_x - 12, GATE_TOP + GATE_H / 2)], cls="gate-out")
    draw_arrow(canvas, [(out_x, GATE_TOP + GATE_H / 2 + 12), (out_x, BUS_Y + 40), (RIGHT, BUS_Y + 40)],
               cls="state-line", width=2.2, color="#333333", state="h")
    canvas.text(RIGHT, BUS_Y + 32, f"h{T}", cls="state-name", size=12, anchor="end", weight="bold")
    canvas.text(RIGHT, BUS_Y + 56, "to the next step and up", cls="note", size=11, anchor="end",
                color=MUTED_COLOR)
    draw_arrow(canvas, [(LEFT, BUS_Y), (centers["output"], BUS_Y)], cls="state-line", head=False,
               width=1.6, color=LINE, state="h-previous")
    canvas.text(LEFT, BUS_Y - 8, f"h{T1}", cls="state-name", size=12, anchor="start", weight="bold")
    inputs(canvas, LEFT, centers["output"])
    bottom = equations(canvas, 420, [
        ("forget", f"f{T} = {SIGMA}(W_f x{T} + U_f h{T1} + b_f)", f"forget gate: how much of c{T1} to keep"),
        ("input", f"i{T} = {SIGMA}(W_i x{T} + U_i h{T1} + b_i)", "input gate: how much of the candidate to add"),
        ("candidate", f"g{T} = tanh(W_g x{T} + U_g h{T1} + b_g)", "candidate values for the cell state"),
        ("output", f"o{T} = {SIGMA}(W_o x{T} + U_o h{T1} + b_o)", "output gate: how much of the cell to show"),
        ("", f"c{T} = f{T} \u2299 c{T1} + i{T} \u2299 g{T}", "new cell state"),
        ("", f"h{T} = o{T} \u2299 tanh(c{T})", "new hidden state: the output of this step"),
    ])
    bottom = sizes_note(canvas, bottom, "LSTM", 4, units, features)
    canvas.grow(RIGHT + 20, bottom + 12)
    return canvas.to_string()


def draw_gru_cell(*, units: int | None = None, features: int | None = None,
                  title: str = "GRU cell: one time step") -> str:
    """Return SVG text of one GRU step: the update and reset gates and the candidate, the
    hidden state h along the top, and the equations (torch's and Keras' reset_after form).
    With `units` and `features`, also each gate's weight shapes and the parameter count."""
    canvas = Canvas(title=title)
    cell_frame(canvas, title, "GRU", 620)
    state_line(canvas, STATE_Y, "h", f"h{T1}", f"h{T}")
    for n, line in enumerate(("to the next step", "and up")):
        canvas.text(RIGHT, STATE_Y + 18 + 14 * n, line, cls="note", size=11, anchor="end",
                    color=MUTED_COLOR)
    centers = {"update": 215.0, "reset": 325.0, "candidate": 545.0}
    for name, function, symbol in (("update", SIGMA, f"z{T}"), ("reset", SIGMA, f"r{T}"),
                                   ("candidate", "tanh", f"n{T}")):
        gate(canvas, centers[name], name, function, symbol)
        feed(canvas, centers[name])
    # The old state comes down to the bus that feeds the gates.
    branch = 70.0
    canvas.circle(branch, STATE_Y, 3, cls="junction", fill=LINE, stroke=None)
    canvas.line(branch, STATE_Y, branch, BUS_Y, cls="bus", stroke=LINE, stroke_width=1.6)
    inputs(canvas, branch, centers["candidate"])
    # update: z x h(t-1) on the state line, (1 - z) x n added to it
    keep_x, mix_y, one_minus = 300.0, 158.0, 455.0
    operation(canvas, keep_x, STATE_Y, "\u00d7", "keep")
    canvas.line(centers["update"], GATE_TOP, centers["update"], mix_y, cls="gate-out", stroke=LINE,
                stroke_width=1.4)
    draw_arrow(canvas, [(centers["update"], mix_y), (one_minus - 14, mix_y)], cls="gate-out")
    canvas.circle(keep_x, mix_y, 3, cls="junction", fill=LINE, stroke=None)
    draw_arrow(canvas, [(keep_x, mix_y), (keep_x, STATE_Y + 12)], cls="gate-out")
    operation(canvas, one_minus, mix_y, "1\u2212", "one-minus", r=14)
    operation(canvas, centers["candidate"], mix_y, "\u00d7", "mix")
    draw_arrow(canvas, [(one_minus + 14, mix_y), (centers["candidate"] - 12, mix_y)], cls="gate-out")
    draw_arrow(canvas, [(centers["candidate"], GATE_TOP), (centers["candidate"], mix_y + 12)], cls="gate-out")
    operation(canvas, centers["candidate"], STATE_Y, "+", "add")
    draw_arrow(canvas, [(centers["candidate"], mix_y - 12), (centers["candidate"], STATE_Y + 12)],
               cls="gate-out")
    # reset: r scales what the candidate sees of the old state
    scaled = (440.0, GATE_TOP + GATE_H / 2)
    operation(canvas, *scaled, "\u00d7", "reset")
    draw_arrow(canvas, [(centers["reset"] + GATE_W / 2, scaled[1]), (scaled[0] - 12, scaled[1])],
               cls="gate-out")
    feed(canvas, scaled[0], scaled[1] + 11)
    draw_arrow(canvas, [(scaled[0] + 12, scaled[1]), (centers["candidate"] - GATE_W / 2, scaled[1])],
               cls="gate-out")
    bottom = equations(canvas, 420, [
        ("update", f"z{T} = {SIGMA}(W_z x{T} + U_z h{T1} + b_z)", f"update gate: how much of h{T1} to keep"),
        ("reset", f"r{T} = {SIGMA}(W_r x{T} + U_r h{T1} + b_r)", f"reset gate: how much of h{T1} the candidate sees"),
        ("candidate", f"n{T} = tanh(W_n x{T} + r{T} \u2299 (U_n h{T1} + b_hn) + b_n)", "candidate state"),
        ("", f"h{T} = z{T} \u2299 h{T1} + (1 \u2212 z{T}) \u2299 n{T}", "new hidden state: the output of this step"),
    ])
    bottom = sizes_note(canvas, bottom, "GRU", 3, units, features)
    canvas.grow(RIGHT + 20, bottom + 12)
    return canvas.to_string()
