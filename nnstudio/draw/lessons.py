"""The course's concept pictures, each drawn from real numbers handed in by the caller.

- one neuron: inputs x weights, + bias, through the activation, to its output;
- cross-entropy on one sample: one-hot target, softmax output, the loss;
- learning-rate decay: the rate per epoch for each decay kind;
- vanishing gradient: per-layer gradient size in deep sigmoid and relu networks;
- a training-file line: the pixels then the one-hot bits, beside the grid they came from;
- dropout: the same network with a random subset of neurons switched off.
The numbers come from a trained model, a torch scheduler or a backward pass computed
outside nnstudio.draw (see nnstudio.lessons); these functions only lay them out. The
pictures of convolution, batch normalization and flattening are in draw.cnn_lessons.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from nnstudio.draw.colors import diverging_rgb, greys_rgb, symmetric_limit, to_hex
from nnstudio.draw.data import ON_COLOR, value_text
from nnstudio.draw.functions import draw_probability_row
from nnstudio.draw.plot import Axes
from nnstudio.draw.svg import MUTED_COLOR, TEXT_COLOR, Canvas, fmt_value, text_width
from nnstudio.draw.view import NetView
from nnstudio.errors import DrawError

SERIES_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
ROW = 22.0


def _activate(name: str, z: float) -> float:
    if name == "sigmoid":
        return float(1 / (1 + np.exp(-z)))
    if name == "tanh":
        return float(np.tanh(z))
    if name.startswith("leaky"):
        slope = float(name.split()[-1]) if name.split()[-1][0].isdigit() else 0.2
        return z if z > 0 else slope * z
    if name == "relu":
        return max(0.0, z)
    return z  # linear; softmax needs the whole layer and is given as `output`


def draw_neuron(inputs: ArrayLike, weights: ArrayLike, bias: float, *,
                activation: str = "relu", output: float | None = None, title: str = "one neuron",
                max_rows: int = 12) -> str:
    """Return SVG text of one neuron at work: each input x its weight, the sum + bias = z,
    the activation of z, the output. With more than `max_rows` inputs the largest
    |x * w| are listed and the rest summed in one row, so the total stays exact."""
    x = np.asarray(inputs, dtype=float).reshape(-1)
    w = np.asarray(weights, dtype=float).reshape(-1)
    if x.size != w.size or x.size == 0:
        raise DrawError(f"one neuron: {x.size} inputs and {w.size} weights; allowed: the same "
                        "number, at least 1")
    products = x * w
    z = float(products.sum() + bias)
    out = _activate(activation, z) if output is None else float(output)
    order = np.argsort(-np.abs(products), kind="stable")
    shown = np.sort(order[:max_rows]) if x.size > max_rows else np.arange(x.size)
    rest = products.sum() - products[shown].sum()
    vmax = symmetric_limit(products)
    inputs_text = [f"x{i + 1} = {value_text(x[i], float(x[i]).is_integer())}" for i in shown]
    weights_text = [f"\u00d7 {fmt_value(w[i])}" for i in shown]
    products_text = [f"= {fmt_value(products[i])}" for i in shown]
    # Right-aligned columns, each as wide as its longest entry.
    in_x = 20 + max(text_width(t, 11) for t in inputs_text + ["input x"])
    w_x = in_x + 16 + max(text_width(t, 11) for t in weights_text + ["weight w"])
    p_x = w_x + 16 + max(text_width(t, 11) for t in products_text + ["x \u00b7 w"])
    zero_x, neuron_x = p_x + 110, p_x + 290
    canvas = Canvas(0, 0, title=title)
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
    for hx, head in ((in_x, "input x"), (w_x, "weight w"), (p_x, "x \u00b7 w")):
        canvas.text(hx, 52, head, cls="column-head", size=12, anchor="end", weight="bold")
    colors = to_hex(diverging_rgb(products[shown], vmax))
    top = 64
    for k, i in enumerate(shown.tolist()):
        y = top + ROW * k
        canvas.text(in_x, y + 14, inputs_text[k], cls="input", size=11, anchor="end")
        canvas.text(w_x, y + 14, weights_text[k], cls="weight", size=11, anchor="end")
        canvas.text(p_x, y + 14, products_text[k], cls="product", size=11, anchor="end")
        width = abs(products[i]) / vmax * 90
        canvas.rect(zero_x - width if products[i] < 0 else zero_x, y + 3, width, 14, cls="bar",
                    fill=colors[k], index=i, value=fmt_value(products[i]),
                    tip=f"x{i + 1} \u00b7 w{i + 1} = {fmt_value(products[i])}")
    y = top + ROW * len(shown)
    if shown.size < x.size:
        canvas.text(p_x, y + 14, f"{x.size - shown.size} more inputs add {fmt_value(rest)}",
                    cls="rest", size=11, anchor="end", color=MUTED_COLOR)
        y += ROW
    canvas.line(zero_x, top - 4, zero_x, y, cls="axis", stroke="#444444")
    sum_y = top + ROW * len(shown) / 2
    lines = [f"\u03a3 x\u00b7w = {fmt_value(products.sum())}", f"+ bias {fmt_value(bias)}",
             f"z = {fmt_value(z)}", f"{activation}(z)", f"output = {fmt_value(out)}"]
    canvas.circle(neuron_x, sum_y, 34, cls="neuron", fill="#fff1cc", tip=f"z = {fmt_value(z)}, "
                  f"output {fmt_value(out)}", value=fmt_value(out))
    canvas.text(neuron_x, sum_y + 6, "\u03a3", cls="sigma", size=20, weight="bold")
    for n, line in enumerate(lines):
        canvas.text(neuron_x + 60, sum_y - 30 + 16 * n, line, cls="step", size=12,
                    anchor="start", weight="bold" if n == len(lines) - 1 else None)
    canvas.line(zero_x + 102, sum_y, neuron_x - 36, sum_y, cls="arrow", stroke="#444444")
    canvas.text(20, y + 28, "bar: x \u00b7 w, red adds to z, blue takes away; the activation "
                "turns z into the output", cls="note", size=11, anchor="start", color=MUTED_COLOR)
    canvas.grow(neuron_x + 200, y + 40)
    return canvas.to_string()


def draw_cross_entropy(probabilities: ArrayLike, target: int,
                       class_names: Sequence[str] | None = None, *,
                       title: str = "cross-entropy on one sample") -> str:
    """Return SVG text of the loss of one sample: its one-hot target, the softmax output
    and -log(p of the target class)."""
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    if not 0 <= target < p.size:
        raise DrawError(f"target {target}; allowed: 0 to {p.size - 1}")
    names = [str(n) for n in class_names] if class_names is not None else \
        [f"class {i + 1}" for i in range(p.size)]
    label_w = max(text_width(n, 12) for n in names) + 30
    canvas = Canvas(0, 0, title=title)
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
    canvas.text(label_w + 8, 52, "target (one-hot)", cls="column-head", size=12,
                anchor="start", weight="bold")
    canvas.text(label_w + 150, 52, "network output (softmax)", cls="column-head", size=12,
                anchor="start", weight="bold")
    for i, name in enumerate(names):
        y = 62 + ROW * i
        on = i == target
        canvas.text(label_w, y + 13, name, cls="class-name", size=12, anchor="end",
                    weight="bold" if on else None)
        canvas.rect(label_w + 8, y, 24, 18, cls="cell", fill=ON_COLOR if on else "#ffffff",
                    stroke="#999999", stroke_width=0.8, index=i, value=int(on))
        canvas.text(label_w + 20, y + 13, "1" if on else "0", cls="cell-value", size=11,
                    color="#ffffff" if on else TEXT_COLOR)
        draw_probability_row(canvas, label_w + 150, y + 2, float(p[i]), index=i, bar_width=200,
                             height=14, name=name, highlight=on)
    bottom = 62 + ROW * p.size + 16
    loss = max(0.0, -float(np.log(max(p[target], 1e-12))))  # p = 1 gives 0, not -0
    canvas.text(20, bottom + 4, f"loss = \u2212log(p of the target {names[target]}) = "
                f"\u2212log({p[target]:.4f}) = {loss:.4f}", cls="loss", size=13, anchor="start",
                weight="bold", value=fmt_value(loss))
    canvas.text(20, bottom + 24, "only the target's probability counts: 100% gives loss 0, "
                "a small one a large loss", cls="note", size=11, anchor="start", color=MUTED_COLOR)
    canvas.grow(0, bottom + 36)
    return canvas.to_string()


def draw_series_plot(series: Mapping[str, Sequence[float]], *, title: str, xlabel: str,
                     ylabel: str, log_y: bool = False, first_x: int = 1,
                     note: str | None = None, legend: str = "top-right") -> str:
    """Return SVG text of named series over x = first_x, first_x + 1, ... (one line each);
    with `log_y` the y axis is log10 with ticks at powers of ten."""
    if not series:
        raise DrawError("no series to plot; allowed: at least one named list of numbers")
    arrays = {name: np.asarray(values, dtype=float) for name, values in series.items()}
    if log_y:
        arrays = {name: np.log10(np.maximum(values, 1e-30)) for name, values in arrays.items()}
    length = max(values.size for values in arrays.values())
    low = min(float(np.min(v)) for v in arrays.values())
    high = max(float(np.max(v)) for v in arrays.values())
    if log_y:
        low, high = float(np.floor(low)), float(np.ceil(high))
    else:
        low, high = min(0.0, low), high * 1.05 if high > 0 else 1.0
    canvas = Canvas(640, 420, title=title)
    axes = Axes(90, 50, 500, 290, first_x, max(first_x + length - 1, first_x + 1), low,
                high if high > low else low + 1)
    yticks = np.arange(low, high + 0.5) if log_y and high - low <= 12 else None
    axes.draw_frame(canvas, xlabel=xlabel, ylabel=ylabel, title=title, yticks=yticks,
                    power_y=log_y)
    for k, (name, values) in enumerate(arrays.items()):
        axes.draw_series(canvas, np.arange(first_x, first_x + values.size), values,
                         color=SERIES_COLORS[k % len(SERIES_COLORS)], name=name)
    axes.draw_legend(canvas, [(name, SERIES_COLORS[k % len(SERIES_COLORS)], None)
                              for k, name in enumerate(arrays)], corner=legend)
    if note:
        canvas.text(20, 405, note, cls="note", size=11, anchor="start", color=MUTED_COLOR)
    return canvas.to_string()


def draw_lr_schedules(schedules: Mapping[str, Sequence[float]], *, base_lr: float) -> str:
    """Return SVG text of the learning rate per epoch for each decay kind (name -> rates)."""
    return draw_series_plot(schedules, title=f"learning-rate decay from {base_lr:g}",
                            xlabel="epoch", ylabel="learning rate",
                            note="the rate used in each epoch; decay makes late steps small "
                                 "and careful", legend="middle-right")


def draw_vanishing_gradient(norms: Mapping[str, Sequence[float]]) -> str:
    """Return SVG text of each layer's weight-gradient size (layer 1 = nearest the input),
    one line per network (name -> norms), on a log scale."""
    return draw_series_plot(norms, title="gradient size per layer, one batch",
                            xlabel="layer (1 = next to the input)",
                            ylabel="|gradient| (log scale)", log_y=True,
                            note="sigmoid's slope is at most 0.25: each layer back "
                                 "shrinks the gradient; relu passes it through",
                            legend="bottom-right")


def draw_training_line(pixels: ArrayLike, label: int, class_names: Sequence[str], *,
                       side: int | None = None, title: str | None = None) -> str:
    """Return SVG text of one training-file line (the pixels, then one bit per class)
    beside the grid it came from, the two parts of the line colored alike."""
    values = np.asarray(pixels, dtype=float).reshape(-1)
    side = side or int(round(np.sqrt(values.size)))
    if side * side != values.size:
        raise DrawError(f"{values.size} pixels are not a square grid; allowed: n*n values")
    names = [str(n) for n in class_names]
    bits = [1 if k == label else 0 for k in range(len(names))]
    words = [value_text(v, float(v).is_integer()) for v in values] + [str(b) for b in bits]
    title = title or f"a training-file line: {values.size} pixels, then {len(bits)} bits"
    canvas = Canvas(0, 0, title=title)
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
    cell = 26.0
    fills = to_hex(greys_rgb(values))
    for r in range(side):
        for c in range(side):
            v = float(values[r * side + c])
            canvas.rect(20 + c * cell, 44 + r * cell, cell, cell, cls="cell",
                        fill=fills[r * side + c], stroke="#999999", stroke_width=0.6,
                        index=r * side + c, value=fmt_value(v), tip=f"x{r * side + c + 1} = {v:g}")
    canvas.text(20 + side * cell / 2, 44 + side * cell + 18, names[label], cls="class-name",
                size=12, weight="bold")
    x0, per_line = 40 + side * cell, 30
    for n, word in enumerate(words):
        row, col = divmod(n, per_line)
        pixel = n < values.size
        canvas.text(x0 + col * 22 + 11, 64 + row * 22, word, cls="word", size=13,
                    weight=None if pixel else "bold",
                    color=TEXT_COLOR if pixel else ON_COLOR)
    rows = -(-len(words) // per_line)
    if len(words) <= per_line:  # one text line: bracket the pixels of each grid row under it
        for r in range(side):
            left, right = x0 + r * side * 22 + 3, x0 + (r + 1) * side * 22 - 3
            canvas.polyline(np.array([[left, 72], [left, 78], [right, 78], [right, 72]]),
                            cls="row-bracket", stroke=MUTED_COLOR, stroke_width=1, row=r)
            canvas.text((left + right) / 2, 94, f"row {r + 1}", cls="label", size=11,
                        color=MUTED_COLOR)
        rows += 1
    canvas.text(x0, 64 + rows * 22 + 8, f"black: the pixels row by row; red: one bit per class "
                f"({', '.join(names)}), bit {label + 1} set", cls="note", size=11,
                anchor="start", color=MUTED_COLOR)
    canvas.grow(x0 + min(len(words), per_line) * 22 + 20, max(44 + side * cell + 30, 64 + rows * 22 + 20))
    return canvas.to_string()


def dropout_masks(view: NetView, seed: int = 0) -> dict[int, np.ndarray]:
    """Return, per stage layer with dropout, which neurons one training step switches off
    (each independently with the spec's dropout rate; seeded)."""
    from nnstudio.draw.view import group_stages

    rng = np.random.default_rng(seed)
    return {stage.layer: rng.random(stage.size) < stage.dropout
            for stage in group_stages(view.spec) if stage.dropout and stage.is_vector}


def with_dropout(view: NetView, seed: int = 0) -> NetView:
    """Return `view` with one training step's dropout masks (see NetView.dropped)."""
    return dataclasses.replace(view, dropped=dropout_masks(view, seed))
