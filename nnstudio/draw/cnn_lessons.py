"""The course's pictures of what happens inside a CNN, drawn from real numbers:

- one convolution output cell: the patch, the shared filter weights, their sum, the
  activation, for a few filters at once;
- batch normalization of one channel over one batch, as three histograms;
- flattening: a grid read row by row into a vector, and the same pixels shuffled.
Like nnstudio.draw.lessons, these only lay out numbers computed elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from nnstudio.draw.colors import diverging_rgb, greys_rgb, symmetric_limit, to_hex
from nnstudio.draw.svg import MUTED_COLOR, TEXT_COLOR, Canvas, fmt_value
from nnstudio.errors import DrawError


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
