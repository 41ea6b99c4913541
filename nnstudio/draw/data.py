"""Data pictures: a pixel grid with its values, the same sample as a vector row, a one-hot
code, a mosaic of samples per class, conv kernels, and first-layer weights as images.

Pixel values are drawn ink dark (1 = black), as a person sees the picture; weights use
the diverging scale (red positive, blue negative).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnstudio.draw.colors import (draw_colorbar, diverging_rgb, greys_rgb, symmetric_limit,
                                  to_hex)
from nnstudio.draw.svg import Canvas, MAX_WIDTH, MUTED_COLOR, TEXT_COLOR, fmt_value, text_width
from nnstudio.draw.view import NetView, square_side
from nnstudio.errors import DrawError

ON_COLOR = "#b2182b"
CONSTANT_RGB = (190, 190, 190)  # weights of pixels that never vary in the data


def sample_values(dataset: Any, rows: Sequence[int] | None = None) -> np.ndarray:
    """Return a dataset's samples (all, or those at `rows`) as float values: a Dataset's
    uint8 codes become code / 255 (Dataset.floats); other objects' x is taken as it is."""
    floats = getattr(dataset, "floats", None)
    if callable(floats):
        return floats(None if rows is None else np.asarray(rows, dtype=np.int64))
    x = np.asarray(dataset.x)
    return x if rows is None else x[np.asarray(rows, dtype=np.int64)]


def _as_images(array: Any) -> np.ndarray:
    """Return `array` as (N, H, W) floats: accepts (H, W), (N, H, W), (N, 1, H, W), or a square vector."""
    a = np.asarray(array, dtype=float)
    if a.ndim == 1 and (side := square_side(a.size)):
        a = a.reshape(side, -1)
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.size == 0:
        raise DrawError(f"grid of shape {list(np.shape(array))}; allowed: (H, W), (N, H, W), "
                        "(N, 1, H, W) or a vector whose length is a square")
    return a


def value_text(value: float, integers: bool) -> str:
    """Return a cell's value as written in the course: 0/1, or two decimals."""
    return str(int(round(value))) if integers else f"{value:.2f}"


def _cells(canvas: Canvas, values: np.ndarray, x: float, y: float, cell: float, *,
           show_values: bool, group: int) -> None:
    """Draw (H, W) values as grey cells with their numbers; cell rects carry row/col/value."""
    height, width = values.shape
    fills = to_hex(greys_rgb(values))
    integers = bool(np.all(np.equal(np.mod(values, 1), 0)))
    size = min(14.0, cell * 0.42) if integers else min(11.0, cell * 0.3)
    for r in range(height):
        for c in range(width):
            v = float(values[r, c])
            canvas.rect(x + c * cell, y + r * cell, cell, cell, cls="cell", fill=fills[r * width + c],
                        stroke="#999999", stroke_width=0.6, group=group, row=r, col=c,
                        value=fmt_value(v))
            if show_values and (integers or cell >= 30):  # decimals need the room
                canvas.text(x + (c + 0.5) * cell, y + (r + 0.5) * cell + size * 0.36,
                            value_text(v, integers), cls="cell-value", size=size,
                            color="#ffffff" if v > 0.5 else TEXT_COLOR)


def draw_grid(array: Any, *, titles: Sequence[str] | None = None, values: bool = True,
              cell: float | None = None) -> str:
    """Return SVG text of one or more pixel grids with their values (the course's 5x5 shapes).

    `array` is (H, W), (N, H, W), (N, 1, H, W) or a square-length vector; `titles` name
    each grid. Values are written in the cells when the cells are big enough.
    """
    images = _as_images(array)
    count, height, width = images.shape
    if titles is not None and len(titles) != count:
        raise DrawError(f"{len(titles)} titles for {count} grids; allowed: one title per grid")
    per_row = count if count <= 6 else 5  # the course's 5 shapes + broken square fit one row
    title_width = max((text_width(t, 13) for t in titles or []), default=0) + 10
    # Cells shrink so a row of grids fits the page (MAX_WIDTH), the titles keep their room.
    fit = ((MAX_WIDTH - 20) / per_row - 30) / width
    cell = cell or float(np.clip(min(200.0 / max(height, width), fit), 4.0, 36.0))
    show = values and cell >= 20
    block = max(cell * width, title_width)
    rows = -(-count // per_row)
    step_y = cell * height + 50
    canvas = Canvas(20 + per_row * (block + 30), 30 + rows * step_y,
                    title="pixel grid" if count == 1 else "pixel grids")
    for n in range(count):
        row, col = divmod(n, per_row)
        x = 20 + col * (block + 30) + (block - cell * width) / 2
        y = 20 + row * step_y
        _cells(canvas, images[n], x, y, cell, show_values=show, group=n)
        if titles is not None:
            canvas.text(x + cell * width / 2, y + cell * height + 24, titles[n], cls="title",
                        size=13, weight="bold")
    return canvas.to_string()


def draw_vector(array: Any, *, title: str | None = None, row_length: int | None = None,
                max_cells: int = 40, keep: int = 12) -> str:
    """Return SVG text of a sample as one row of values (the input vector x1..xD).

    `row_length` brackets each image row (5 for the 5x5 shapes); a vector longer than
    `max_cells` shows its first `keep` and last 4 values around a ⋯ carrying the true size.
    """
    vector = np.asarray(array, dtype=float).reshape(-1)
    size = vector.size
    if size == 0:
        raise DrawError("vector is empty; allowed: at least one value")
    shown = (np.arange(size) if size <= max_cells
             else np.concatenate([np.arange(keep), np.arange(size - 4, size)]))
    cell, x0, y0 = max(30.0, text_width(f"x{size}", 11) + 4), 30.0, 56.0
    gap = 0 if len(shown) == size else 1
    bracketed = bool(row_length) and not gap
    note_y = y0 + cell + (56 if bracketed else 28)
    canvas = Canvas(x0 * 2 + cell * (len(shown) + 2 * gap), note_y + 14,
                    title=title or "input vector")
    if title:
        canvas.text(x0, 22, title, cls="title", size=13, anchor="start", weight="bold")
    integers = bool(np.all(np.equal(np.mod(vector, 1), 0)))
    fills = to_hex(greys_rgb(vector[shown]))
    for k, index in enumerate(shown.tolist()):
        x = x0 + cell * (k + (2 * gap if k >= keep and gap else 0))
        v = float(vector[index])
        canvas.rect(x, y0, cell, cell, cls="cell", fill=fills[k], stroke="#999999",
                    stroke_width=0.6, index=index, value=fmt_value(v))
        canvas.text(x + cell / 2, y0 + cell / 2 + 4.5, value_text(v, integers), cls="cell-value",
                    size=12 if integers else 9, color="#ffffff" if v > 0.5 else TEXT_COLOR)
        canvas.text(x + cell / 2, y0 - 6, f"x{index + 1}", cls="index", size=11,
                    color=MUTED_COLOR)
    if gap:
        canvas.element("text", {"class": "ellipsis", "x": x0 + cell * (keep + 1), "y": y0 + cell / 2 + 6,
                                "font-size": 20, "text-anchor": "middle", "fill": MUTED_COLOR,
                                "data-size": size, "data-hidden": size - len(shown)}, "\u22ef")
    elif bracketed and row_length:
        _row_brackets(canvas, x0, y0 + cell + 6, cell, size, row_length)
    canvas.text(x0, note_y, f"{size:,} values", cls="note", size=11, anchor="start",
                color=MUTED_COLOR)
    return canvas.to_string()


def _row_brackets(canvas: Canvas, x0: float, y: float, cell: float, size: int, row: int) -> None:
    """Bracket each run of `row` cells under the vector: which image row it came from."""
    for r in range(math.ceil(size / row)):
        left, right = x0 + r * row * cell + 2, x0 + min(size, (r + 1) * row) * cell - 2
        canvas.polyline(np.array([[left, y], [left, y + 6], [right, y + 6], [right, y]]),
                        cls="row-bracket", stroke=MUTED_COLOR, stroke_width=1, row=r)
        canvas.text((left + right) / 2, y + 22, f"row {r + 1}", cls="label", size=11,
                    color=MUTED_COLOR)


def draw_onehot(index: int | str, class_names: Sequence[str]) -> str:
    """Return SVG text of the one-hot code of class `index` (or name): one bit per class."""
    names = [str(n) for n in class_names]
    if isinstance(index, str):
        if index not in names:
            raise DrawError(f"class {index!r} is not one of {names}")
        index = names.index(index)
    if not 0 <= int(index) < len(names):
        raise DrawError(f"class index {index}; allowed: 0 to {len(names) - 1}")
    cell = max(34.0, max(text_width(n, 11) for n in names) + 8)
    title = f"one-hot code of \u201c{names[index]}\u201d: bit {index + 1} of {len(names)} is 1"
    canvas = Canvas(max(40 + cell * len(names), text_width(title, 13) + 40), 120,
                    title=f"one-hot code of {names[index]}")
    canvas.text(20, 22, title, cls="title", size=13, anchor="start", weight="bold")
    for k, name in enumerate(names):
        x, on = 20 + k * cell, k == index
        canvas.text(x + cell / 2, 52, name, cls="class-name", size=11,
                    weight="bold" if on else None, color=TEXT_COLOR if on else MUTED_COLOR)
        canvas.rect(x, 60, cell, 34, cls="cell", fill=ON_COLOR if on else "#ffffff",
                    stroke="#999999", stroke_width=0.8, index=k, value=1 if on else 0,
                    class_name=name)
        canvas.text(x + cell / 2, 82, "1" if on else "0", cls="cell-value", size=14,
                    color="#ffffff" if on else TEXT_COLOR, weight="bold" if on else None)
    return canvas.to_string()


def draw_mosaic(dataset: Any, per_class: int = 25, *, tile: float = 28.0) -> str:
    """Return SVG text of `per_class` samples of every class, one row per class.

    `dataset` has x (N, C, H, W) or (N, D) with D square, y (N,) and class_names.
    """
    if not isinstance(per_class, int) or per_class < 1:
        raise DrawError(f"per_class={per_class!r}; allowed: an integer >= 1")
    labels = np.asarray(dataset.y)
    rows = {k: np.flatnonzero(labels == k)[:per_class].tolist() for k in range(len(dataset.class_names))}
    chosen = sorted(i for r in rows.values() for i in r)
    values = sample_values(dataset, chosen)  # only the samples drawn, as float values
    images = dict(zip(chosen, _as_images(values[:, :1] if values.ndim == 4 else values)))
    names = [str(n) for n in dataset.class_names]
    label_w = max(text_width(n, 12) for n in names) + 16
    step = tile + 2
    # The title states what is drawn: a class with fewer samples than per_class shows them all.
    shown = [min(per_class, int(np.count_nonzero(labels == k))) for k in range(len(names))]
    counts = f"{min(shown)}" if min(shown) == max(shown) else f"{min(shown)}-{max(shown)}"
    canvas = Canvas(20 + label_w + max(max(shown), 1) * step + 10, 50 + len(names) * step + 10,
                    title=f"{getattr(dataset, 'name', '') or 'dataset'} mosaic")
    canvas.text(20, 24, f"{getattr(dataset, 'name', '') or 'dataset'}: {counts} samples per "
                f"class, {len(names)} classes", cls="title", size=13, anchor="start", weight="bold")
    for k, name in enumerate(names):
        y = 44 + k * step
        canvas.text(20 + label_w - 10, y + tile / 2 + 4, name, cls="class-name", size=12,
                    anchor="end")
        for n, index in enumerate(rows[k]):
            canvas.image(20 + label_w + n * step, y, tile, tile, greys_rgb(images[index]),
                         cls="sample", class_name=name, index=index)
    return canvas.to_string()


def draw_weight_tiles(tiles: np.ndarray, *, title: str, caption: str, labels: list[str],
                      per_row: int, tile: float, constant: np.ndarray | None = None) -> str:
    """Return SVG text of weight maps (N, H, W) as diverging tiles on one scale, with a colorbar."""
    count = tiles.shape[0]
    rows = -(-count // per_row)
    step_x, step_y = tile + 8, tile + 22
    canvas = Canvas(max(40 + per_row * step_x, text_width(title, 13) + 40,
                        text_width(caption, 11) + 40), 110 + rows * step_y,
                    title=title)
    canvas.text(20, 24, title, cls="title", size=13, anchor="start", weight="bold")
    canvas.text(20, 42, caption, cls="note", size=11, anchor="start", color=MUTED_COLOR)
    vmax_all = symmetric_limit(tiles if constant is None else tiles[:, ~constant])
    for n in range(count):
        row, col = divmod(n, per_row)
        x, y = 20 + col * step_x, 58 + row * step_y
        rgb = diverging_rgb(tiles[n], vmax_all)
        if constant is not None:
            rgb[constant] = CONSTANT_RGB
        canvas.image(x, y, tile, tile, rgb, cls="weights", index=n,
                     min=fmt_value(tiles[n].min()), max=fmt_value(tiles[n].max()),
                     tip=f"{labels[n]}: weights {fmt_value(tiles[n].min())} to "
                         f"{fmt_value(tiles[n].max())}")
        canvas.text(x + tile / 2, y + tile + 13, labels[n], cls="index", size=10,
                    color=MUTED_COLOR)
    draw_colorbar(canvas, 20, 58 + rows * step_y + 16, 160, scale="diverging", vmax=vmax_all,
                  title="")
    return canvas.to_string()


def draw_kernels(view: NetView, layer: int | None = None, *, max_filters: int | None = None,
                 max_channels: int = 8) -> str:
    """Return SVG text of a Conv2D layer's kernels: one tile per (filter, input channel).

    `layer` is the spec index of a Conv2D layer (default: the first). One color scale
    for the whole layer, so kernels compare with each other.
    """
    convs = [i for i, layer in enumerate(view.spec.layers) if layer["type"] == "Conv2D"]
    if not convs:
        raise DrawError(f"network {view.spec.name!r} has no Conv2D layer; allowed: a CNN")
    layer = convs[0] if layer is None else layer
    if layer not in convs:
        raise DrawError(f"layer {layer} of {view.spec.name!r} is not a Conv2D layer; "
                        f"allowed: {', '.join(map(str, convs))}")
    weights = view.weight(layer)
    if weights is None:
        raise DrawError("kernels need a trained model's weights; allowed: a model folder or "
                        "a nnstudio.predict.Model, not a spec")
    filters, channels, kh, kw = weights.shape
    if max_filters is None:
        max_filters = 32 if channels == 1 else 16  # a row per filter when it has channels
    shown_f, shown_c = min(filters, max_filters), min(channels, max_channels)
    tiles = weights[:shown_f, :shown_c].reshape(-1, kh, kw)
    labels = ([f"{f + 1}" for f in range(shown_f)] if shown_c == 1
              else [f"{f + 1}.{c + 1}" for f in range(shown_f) for c in range(shown_c)])
    per_row = 8 if shown_c == 1 else shown_c
    title = f"{view.spec.name}, conv {convs.index(layer) + 1}: {filters} kernels of {kh}\u00d7{kw}" + (
        f" \u00d7 {channels} channels" if channels > 1 else "")
    caption = ("red: positive weight, blue: negative; one scale for the layer"
               + (f"; label filter.channel, first {shown_c} of {channels} input channels"
                  if channels > 1 else "")
               + (f"; first {shown_f} of {filters} filters" if shown_f < filters else ""))
    # A whole number of screen pixels per kernel cell keeps the cells even.
    tile = float(kh * max(1, round(48 / kh)))
    return draw_weight_tiles(tiles, title=title, caption=caption, labels=labels,
                             per_row=per_row, tile=tile)


def draw_first_layer_weights(view: NetView, *, max_neurons: int = 64) -> str:
    """Return SVG text of the first Dense layer's weights, each neuron's as an input-sized image."""
    dense = [i for i, layer in enumerate(view.spec.layers) if layer["type"] == "Dense"]
    weights = view.weight(dense[0]) if dense else None
    if weights is None:
        raise DrawError("first-layer weights need a trained model with a Dense layer; allowed: "
                        "a model folder or a nnstudio.predict.Model")
    inputs = weights.shape[1]
    shape = tuple(view.spec.input_shape)
    if len(shape) == 3 and shape[0] == 1 and shape[1] * shape[2] == inputs:
        height, width = shape[1], shape[2]
    elif side := square_side(inputs):
        height = width = side
    else:
        raise DrawError(f"the first Dense layer (layer {dense[0]}) has {inputs} inputs, not a "
                        "picture; allowed: an MLP whose input is a square image")
    shown = min(weights.shape[0], max_neurons)
    tiles = weights[:shown].reshape(shown, height, width)
    spread = view.input_spread
    constant = None
    if spread is not None and np.size(spread) == inputs and not np.all(np.asarray(spread) > 0):
        # Pixels the same in every training sample: their weights never moved from the start.
        constant = np.reshape(np.asarray(spread) <= 0, (height, width))
    title = (f"{view.spec.name}, hidden 1: the {inputs:,} input weights of each "
             f"neuron as a {height}\u00d7{width} image")
    # One scale for all neurons: a neuron that learned a pattern stands out from one that
    # kept its small random start (a per-neuron scale would blow that noise up).
    caption = ("red: positive weight, blue: negative; one scale for the layer"
               + (f"; first {shown} of {weights.shape[0]} neurons" if shown < weights.shape[0] else "")
               + ("; grey: pixels that never vary in the data (starting weights)"
                  if constant is not None else ""))
    tile = float(np.clip(4 * max(height, width), 40, 64))
    return draw_weight_tiles(tiles, title=title, caption=caption,
                             labels=[str(n + 1) for n in range(shown)], per_row=16 if tile < 60 else 12,
                             tile=tile, constant=constant)
