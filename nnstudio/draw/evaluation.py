"""A test run as a picture: the confusion matrix beside the inputs the model got wrong.

Takes plain numbers (counts, images as arrays, class indices), never a model, so it
stays free of torch; workflows.test_picture gathers them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnstudio.draw.colors import greys_rgb, sequential_rgb, to_hex
from nnstudio.draw.svg import MUTED_COLOR, TEXT_COLOR, Canvas, text_width
from nnstudio.errors import DrawError

MAX_MISTAKES = 48  # tiles in the mosaic of wrong answers; the title says how many there were
PER_ROW = 8


def draw_test_report(confusion: Sequence[Sequence[int]], class_names: Sequence[str], *, title: str,
                     images: np.ndarray | None = None, true: Sequence[int] = (), predicted: Sequence[int] = (),
                     confidence: Sequence[float] = ()) -> str:
    """Return SVG text: the confusion matrix (rows: true class, columns: predicted) and
    a mosaic of the misclassified inputs, images (N, H, W) in [0, 1] ink bright (or uint8
    codes, value code / 255, as a Dataset holds them; only the drawn ones are converted), each
    captioned "predicted (confidence) / true"."""
    counts = np.asarray(confusion, dtype=int)
    names = [str(n) for n in class_names]
    if counts.shape != (len(names), len(names)):
        raise DrawError(f"confusion of shape {list(counts.shape)}; allowed: {len(names)}x{len(names)} "
                        "for the class names given")
    label_w = max(text_width(n, 12) for n in names) + 12
    cell = max(30.0, max(text_width(str(int(counts.max())), 12) + 10, 0))
    left, top = 30 + label_w, 70 + label_w * 0.75
    matrix_w = left + cell * len(names) + 30
    canvas = Canvas(matrix_w, top + cell * len(names) + 40, title=title)
    canvas.text(20, 26, title, cls="title", size=14, anchor="start", weight="bold")
    canvas.grow(40 + text_width(title, 14), 0)
    _draw_matrix(canvas, counts, names, left, top, cell)
    wrong = [i for i, (t, p) in enumerate(zip(true, predicted)) if t != p]
    if images is not None and wrong:
        _draw_mistakes(canvas, np.asarray(images), wrong, names, true, predicted, confidence,
                       x0=matrix_w + 10, y0=84)
    elif images is not None:
        canvas.text(matrix_w + 10, 60, "no misclassified inputs", cls="caption", size=12, anchor="start",
                    color=MUTED_COLOR)
        canvas.grow(matrix_w + 200, 80)
    return canvas.to_string()


def _draw_matrix(canvas: Canvas, counts: np.ndarray, names: list[str], left: float, top: float,
                 cell: float) -> None:
    n = len(names)
    canvas.text(left + cell * n / 2, 48, "predicted", cls="axis-label", size=12, color=MUTED_COLOR)
    canvas.text(14, top - 8, "true", cls="axis-label", size=12, anchor="start", color=MUTED_COLOR)
    # Each row in its own scale: how the samples of one true class were answered.
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fills = to_hex(sequential_rgb(shares.ravel(), 1.0))
    for j, name in enumerate(names):
        x = left + j * cell + cell / 2
        canvas.element("text", {"class": "class-name", "x": x, "y": top - 8, "font-size": 12,
                                "text-anchor": "start", "fill": TEXT_COLOR,
                                "transform": f"rotate(-45 {x:.1f} {top - 8:.1f})"}, name)
    for i, name in enumerate(names):
        y = top + i * cell
        canvas.text(left - 8, y + cell / 2 + 4, name, cls="class-name", size=12, anchor="end")
        for j in range(n):
            value = int(counts[i, j])
            canvas.rect(left + j * cell, y, cell, cell, cls="confusion-cell", fill=fills[i * n + j],
                        stroke="#ffffff" if i != j else TEXT_COLOR, stroke_width=1, true=names[i],
                        predicted=names[j], count=value)
            canvas.text(left + j * cell + cell / 2, y + cell / 2 + 4, str(value), cls="cell-value", size=12,
                        color="#ffffff" if shares[i, j] > 0.55 else TEXT_COLOR)


def _draw_mistakes(canvas: Canvas, images: np.ndarray, wrong: list[int], names: list[str], true: Sequence[int],
                   predicted: Sequence[int], confidence: Sequence[float], *, x0: float, y0: float) -> None:
    if images.ndim == 4:
        images = images[:, 0]
    if images.ndim != 3:
        raise DrawError(f"images of shape {list(images.shape)}; allowed: (N, H, W) or (N, 1, H, W)")
    shown = wrong[:MAX_MISTAKES]
    caption_w = max(text_width(f"{names[predicted[i]]} {confidence[i]:.0%}" if len(confidence) else
                               names[predicted[i]], 10) for i in shown)
    caption_w = max(caption_w, max(text_width(f"true {names[true[i]]}", 10) for i in shown))
    tile = 48.0
    step_x, step_y = max(tile, caption_w) + 12, tile + 34
    more = f" (the first {len(shown)})" if len(wrong) > len(shown) else ""
    caption = f"{len(wrong)} misclassified{more}: answer (confidence) / true class"
    canvas.text(x0, y0 - 20, caption, cls="caption", size=12, anchor="start", weight="bold")
    canvas.grow(x0 + text_width(caption, 12) + 20, 0)
    for k, index in enumerate(shown):
        x, y = x0 + (k % PER_ROW) * step_x, y0 + (k // PER_ROW) * step_y
        p, t = names[predicted[index]], names[true[index]]
        values = images[index] / 255.0 if images.dtype == np.uint8 else np.asarray(images[index], dtype=float)
        canvas.image(x, y, tile, tile, greys_rgb(np.clip(values, 0.0, 1.0)), cls="mistake",
                     index=index, predicted=p, true=t)
        canvas.rect(x, y, tile, tile, cls="frame", fill="none", stroke="#cccccc", stroke_width=1)
        answer = f"{p} {confidence[index]:.0%}" if len(confidence) else p
        canvas.text(x, y + tile + 12, answer, cls="answer", size=10, anchor="start", color="#b2182b")
        canvas.text(x, y + tile + 24, f"true {t}", cls="true-class", size=10, anchor="start", color=MUTED_COLOR)
    rows = (len(shown) + PER_ROW - 1) // PER_ROW
    canvas.grow(x0 + min(len(shown), PER_ROW) * step_x + 10, y0 + rows * step_y + 10)
