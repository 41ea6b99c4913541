"""The course's concept pictures, each drawn from real numbers handed in by the caller.

- one neuron: inputs x weights, + bias, through the activation, to its output;
- cross-entropy on one sample: one-hot target, softmax output, the loss;
- learning-rate decay: the rate per epoch for each decay kind;
- vanishing gradient: per-layer gradient size in deep sigmoid and relu networks;
- a training-file line: the pixels then the one-hot bits, beside the grid they came from;
- dropout: the same network with a random subset of neurons switched off.
The numbers come from a trained model, a torch scheduler or a backward pass computed
outside nnstudio.draw (see nnstudio.lessons); these functions only lay them out.
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
from nnstudio.draw.svg import Canvas, MUTED_COLOR, TEXT_COLOR, fmt_value, text_width
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



def padded_map(image: np.ndarray, window: Sequence[int], stride: int,
               padding: str) -> tuple[np.ndarray, int, int]:
    """Return (the map with its 'same' zero border, rows added before, columns before)."""
    from nnstudio.spec import same_padding

    if padding != "same":
        return image, 0, 0
    top, bottom = same_padding(image.shape[0], window[0], stride)
    left, right = same_padding(image.shape[1], window[1], stride)
    return np.pad(image, ((top, bottom), (left, right))), top, left


def _value_grid(canvas: Canvas, values: np.ndarray, x: float, y: float, cell: float, *,
                rgb: np.ndarray, cls: str, name: str) -> None:
    """Draw (h, w) values as colored cells with their numbers (2 decimals)."""
    fills = to_hex(rgb.reshape(-1, 3))
    h, w = values.shape
    for r in range(h):
        for c in range(w):
            v = float(values[r, c])
            fill = fills[r * w + c]
            dark = sum(int(fill[i:i + 2], 16) for i in (1, 3, 5)) < 360
            canvas.rect(x + c * cell, y + r * cell, cell, cell, cls=cls, fill=fill,
                        stroke="#999999", stroke_width=0.6, row=r, col=c, value=fmt_value(v),
                        tip=f"{name}[{r + 1},{c + 1}] = {fmt_value(v)}")
            if cell >= 34:  # two decimals at 11 px need the room; the tooltip has them anyway
                canvas.text(x + (c + 0.5) * cell, y + (r + 0.5) * cell + 4,
                            f"{v:.2f}".replace("-", "\u2212"), cls="cell-value", size=11,
                            color="#ffffff" if dark else TEXT_COLOR)


def draw_conv_zoom(image: ArrayLike, kernels: ArrayLike, *, row: int, col: int, stride: int,
                   padding: str, steps: Sequence[Sequence[tuple[str, float]]],
                   channel_names: Sequence[str] | None = None,
                   title: str = "one patch, shared weights, one output cell") -> str:
    """Return SVG text of one conv output cell being computed, for each of a few filters:
    the input map (its 'same' zero border grey), the patch of output cell (row, col),
    patch x the filter's weights, their sum, then `steps` (label, value) per filter
    (bias, batch norm, activation), ending in the output cell's value."""
    image = np.asarray(image, dtype=float)
    kernels = np.asarray(kernels, dtype=float)
    count, kh, kw = kernels.shape
    padded, top, left = padded_map(image, (kh, kw), stride, padding)
    y0, x0 = row * stride, col * stride  # in padded coordinates
    if y0 + kh > padded.shape[0] or x0 + kw > padded.shape[1]:
        raise DrawError(f"output cell ({row}, {col}) has no patch inside the map; allowed: a cell "
                        "of the layer's output")
    patch = padded[y0:y0 + kh, x0:x0 + kw]
    canvas = Canvas(0, 0, title=title)
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
    side = min(5.0, 200.0 / max(padded.shape))
    rgb = greys_rgb(padded)
    if top or left:
        border = np.ones(padded.shape, dtype=bool)
        border[top:top + image.shape[0], left:left + image.shape[1]] = False
        rgb[border] = (214, 224, 240)  # the zero border: zeros, drawn apart from the image
    canvas.image(20, 50, side * padded.shape[1], side * padded.shape[0], rgb, cls="input-image",
                 tip=f"input {image.shape[0]}\u00d7{image.shape[1]}" + (
                     f" with its 'same' zero border ({top} before, "
                     f"{padded.shape[0] - image.shape[0] - top} after)" if top or left else ""))
    canvas.element("rect", {"class": "kernel", "x": 20 + x0 * side, "y": 50 + y0 * side,
                            "width": kw * side, "height": kh * side, "fill": "none",
                            "stroke": "#e07b00", "stroke-width": 2, "data-x": x0 - left,
                            "data-y": y0 - top})
    map_bottom = 50 + side * padded.shape[0]
    canvas.text(20, map_bottom + 16, f"input {image.shape[0]}\u00d7{image.shape[1]}, stride "
                f"{stride}", cls="label", size=11, anchor="start", color=MUTED_COLOR)
    if top or left:
        canvas.text(20, map_bottom + 30, "blue-grey: 'same' zero border", cls="label", size=11,
                    anchor="start", color=MUTED_COLOR)
    cell = min(36.0, 300.0 / max(kh, kw))  # big kernels (12x12) draw smaller cells, no numbers
    grid_x = 40 + side * padded.shape[1]
    vmax = symmetric_limit(kernels)
    names = list(channel_names) if channel_names else [f"filter {f + 1}" for f in range(count)]
    y = 50.0
    for f in range(count):
        canvas.text(grid_x, y + 4, f"{names[f]}: patch \u00d7 its weights", cls="layer-label",
                    size=12, anchor="start", weight="bold")
        top_y = y + 14
        _value_grid(canvas, patch, grid_x, top_y, cell, rgb=greys_rgb(patch), cls="patch-cell",
                    name="patch")
        wx = grid_x + kw * cell + 30
        canvas.text(wx - 15, top_y + kh * cell / 2 + 5, "\u00d7", cls="op", size=16)
        _value_grid(canvas, kernels[f], wx, top_y, cell, rgb=diverging_rgb(kernels[f], vmax),
                    cls="weight-cell", name=f"w{f + 1}")
        total = float((patch * kernels[f]).sum())
        sx = wx + kw * cell + 20
        lines = [(f"\u03a3 patch \u00d7 w = {fmt_value(total)}", total)] + [
            (f"{label} = {fmt_value(value)}", value) for label, value in steps[f]]
        for n, (text, _) in enumerate(lines):
            canvas.text(sx, top_y + 16 + 18 * n, text, cls="step", size=12, anchor="start",
                        weight="bold" if n == len(lines) - 1 else None)
        out = lines[-1][1]
        canvas.rect(sx, top_y + 16 + 18 * len(lines) - 6, 22, 22, cls="output-cell",
                    fill="#6a51a3" if out > 0 else "#ffffff", stroke="#333333", stroke_width=1,
                    value=fmt_value(out), tip=f"{names[f]} output ({row + 1}, {col + 1}) = "
                                              f"{fmt_value(out)}")
        canvas.text(sx + 30, top_y + 16 + 18 * len(lines) + 10, f"output cell ({row + 1}, "
                    f"{col + 1}) of {names[f]}", cls="label", size=11, anchor="start",
                    color=MUTED_COLOR)
        y = top_y + max(kh * cell, 18 * len(lines) + 40) + 30
    canvas.text(20, y + 6, "the same weights slide over every patch (shared); each filter has "
                "its own weights and makes its own channel", cls="note", size=11, anchor="start",
                color=MUTED_COLOR)
    canvas.grow(0, max(y + 18, map_bottom + 40))
    return canvas.to_string()


def _histogram(canvas: Canvas, values: np.ndarray, x: float, y: float, w: float, h: float, *,
               title: str, color: str, low: float, high: float) -> None:
    """Draw a histogram of `values` over [low, high] with its mean and std written under it."""
    counts, edges = np.histogram(values, bins=24, range=(low, high))
    top = max(int(counts.max()), 1)
    canvas.text(x + w / 2, y - 8, title, cls="layer-label", size=12, weight="bold")
    step = w / len(counts)
    for k, n in enumerate(counts.tolist()):
        bar = h * n / top
        canvas.rect(x + k * step, y + h - bar, step - 1, bar, cls="bin", fill=color,
                    count=n, tip=f"{edges[k]:.2f} to {edges[k + 1]:.2f}: {n} values")
    canvas.line(x, y + h, x + w, y + h, cls="axis", stroke="#444444")
    for value, anchor in ((low, "start"), (high, "end")):
        canvas.text(x + (value - low) / (high - low) * w, y + h + 14, f"{value:.2g}".replace(
            "-", "\u2212"), cls="tick", size=11, anchor=anchor, color=MUTED_COLOR)
    mean = f"{values.mean():.2f}".replace("-0.00", "0.00")  # no minus sign on a rounded 0
    canvas.text(x + w / 2, y + h + 32, f"mean {mean}, std {values.std():.2f}",
                cls="stats", size=11, color=TEXT_COLOR, mean=fmt_value(values.mean()),
                std=fmt_value(values.std()))


def draw_batchnorm(before: ArrayLike, gamma: float, beta: float, *, eps: float = 1e-5,
                   title: str = "batch normalization of one channel over one batch") -> str:
    """Return SVG text of batch normalization on real values `before` (one channel, one
    batch): x, then x̂ = (x − mean) / √(var + ε), then γ·x̂ + β, as three histograms."""
    x = np.asarray(before, dtype=float).reshape(-1)
    if x.size < 2:
        raise DrawError("batch normalization needs at least 2 values")
    normalized = (x - x.mean()) / np.sqrt(x.var() + eps)
    after = gamma * normalized + beta
    canvas = Canvas(0, 0, title=title)
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
    panels = [(x, "before: x", "#9e9ac8"),
              (normalized, "x\u0302 = (x \u2212 mean) / \u221a(var + \u03b5)", "#67a9cf"),
              (after, f"after: \u03b3\u00b7x\u0302 + \u03b2 (\u03b3 {gamma:.2f}, \u03b2 {beta:.2f})",
               "#ef8a62")]
    for k, (values, head, color) in enumerate(panels):
        low, high = float(values.min()), float(values.max())
        _histogram(canvas, values, 30 + k * 310, 70, 260, 150, title=head, color=color,
                   low=low, high=high if high > low else low + 1)
    canvas.text(20, 290, f"{x.size:,} values of one channel; x\u0302 has mean 0 and std about 1 "
                "(\u03b5 keeps it a little under), then the learned \u03b3 and \u03b2 set the "
                "scale and shift", cls="note", size=11, anchor="start", color=MUTED_COLOR)
    canvas.grow(0, 302)
    return canvas.to_string()


def draw_flattening(image: ArrayLike, permutation: ArrayLike, *,
                    accuracies: Mapping[str, tuple[float, float]] | None = None,
                    title: str = "flattening: a grid becomes a vector") -> str:
    """Return SVG text of a 2-D image flattened row by row into a vector, and the same
    pixels in a fixed shuffled order; `accuracies` (network -> (original, shuffled)
    test accuracy) say which network can tell the difference."""
    picture = np.asarray(image, dtype=float)
    order = np.asarray(permutation, dtype=int).reshape(-1)
    h, w = picture.shape
    if sorted(order.tolist()) != list(range(h * w)):
        raise DrawError(f"permutation must hold each of 0..{h * w - 1} once")
    vector = picture.reshape(-1)
    shuffled = vector[order].reshape(h, w)
    canvas = Canvas(0, 0, title=title)
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
    side = 120.0
    canvas.image(20, 50, side, side, greys_rgb(picture), cls="input-image", tip="the image")
    canvas.rect(20, 50, side, side, cls="frame", fill="none", stroke="#888888", stroke_width=0.8)
    canvas.text(20 + side / 2, 50 + side + 16, "image", cls="label", size=11, color=MUTED_COLOR)
    strip_x, strip_w = 170.0, 760.0
    if vector.size <= 100:  # one cell per value, each with its index
        fills = to_hex(greys_rgb(vector))
        step = strip_w / vector.size
        for i, v in enumerate(vector.tolist()):
            canvas.rect(strip_x + i * step, 90, step, 18, cls="cell", fill=fills[i],
                        stroke="#bbbbbb", stroke_width=0.4, index=i, value=fmt_value(v),
                        tip=f"x{i + 1} = row {i // w + 1}, column {i % w + 1}: {v:g}")
    else:
        canvas.image(strip_x, 90, strip_w, 18, np.repeat(greys_rgb(vector)[None], 18, axis=0),
                     cls="vector", tip=f"{vector.size} values, row after row")
    for r in range(h):
        canvas.line(strip_x + r * w / vector.size * strip_w, 84, strip_x + r * w / vector.size *
                    strip_w, 114, cls="row-mark", stroke="#e07b00", stroke_width=1)
    canvas.text(strip_x, 78, f"the same {vector.size} values as one vector: row 1, then row 2, "
                f"... (orange: where each of the {h} rows starts)", cls="label", size=11,
                anchor="start", color=MUTED_COLOR)
    canvas.image(20, 210, side, side, greys_rgb(shuffled), cls="shuffled-image",
                 tip="the same pixels in a fixed shuffled order")
    canvas.rect(20, 210, side, side, cls="frame", fill="none", stroke="#888888", stroke_width=0.8)
    canvas.text(20 + side / 2, 210 + side + 16, "pixels shuffled", cls="label", size=11,
                color=MUTED_COLOR)
    canvas.text(170, 232, "an MLP sees only the vector: the same shuffle on every image "
                "loses nothing it uses", cls="label", size=12, anchor="start")
    canvas.text(170, 252, "a CNN's patches read neighboring pixels together: shuffling "
                "scatters them", cls="label", size=12, anchor="start")
    y = 282.0
    if accuracies:
        canvas.text(170, y, "test accuracy", cls="layer-label", size=12, anchor="start",
                    weight="bold")
        canvas.text(370, y, "original", cls="layer-label", size=12, anchor="end", weight="bold")
        canvas.text(470, y, "shuffled", cls="layer-label", size=12, anchor="end", weight="bold")
        for k, (name, (plain, mixed)) in enumerate(accuracies.items()):
            ry = y + 20 * (k + 1)
            canvas.text(170, ry, name, cls="label", size=12, anchor="start")
            canvas.text(370, ry, f"{100 * plain:.1f}%", cls="accuracy", size=12, anchor="end",
                        value=fmt_value(plain))
            canvas.text(470, ry, f"{100 * mixed:.1f}%", cls="accuracy", size=12, anchor="end",
                        value=fmt_value(mixed))
        y += 20 * (len(accuracies) + 1)
    canvas.grow(strip_x + strip_w + 20, max(y + 10, 210 + side + 30))
    return canvas.to_string()
