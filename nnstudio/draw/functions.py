"""Function plots: activation curves, a softmax worked on real numbers, training curves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from nnstudio.draw.colors import DIVERGING, to_hex, diverging_rgb, symmetric_limit
from nnstudio.draw.plot import Axes
from nnstudio.draw.svg import Canvas, MUTED_COLOR, fmt_value, text_width
from nnstudio.errors import DrawError

FUNCTION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "softmax")
CURVE_COLOR = "#1f5fa8"
SLOPE_COLOR = "#d1762c"
TRAIN_COLOR = "#1f5fa8"
VAL_COLOR = "#d1495b"
BAR_COLOR = "#6a51a3"


def _curve(name: str, x: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray, str]:
    """Return (f(x), f'(x), formula) for one activation function."""
    if name == "sigmoid":
        y = 1.0 / (1.0 + np.exp(-x))
        return y, y * (1.0 - y), "sigmoid(x) = 1 / (1 + e\u207b\u02e3)"
    if name == "tanh":
        y = np.tanh(x)
        return y, 1.0 - y * y, "tanh(x) = (e\u02e3 \u2212 e\u207b\u02e3) / (e\u02e3 + e\u207b\u02e3)"
    if name == "relu":
        return np.maximum(x, 0.0), (x > 0).astype(float), "relu(x) = max(0, x)"
    return (np.where(x > 0, x, slope * x), np.where(x > 0, 1.0, slope),
            f"leaky relu(x) = x if x > 0 else {slope:g}\u00b7x")


def draw_function(name: str, *, negative_slope: float = 0.1) -> str:
    """Return SVG text plotting an activation function (solid) and its slope (dashed).

    `name` is one of sigmoid, tanh, relu, leaky_relu, or softmax (a worked example).
    """
    if name == "softmax":
        return draw_softmax([2.0, 1.0, 0.1, -1.0, 0.5],
                            ["square", "rhombus", "plus", "x", "line"])
    if name not in FUNCTION_NAMES:
        raise DrawError(f"function {name!r} is not known; allowed: {', '.join(FUNCTION_NAMES)}")
    x = np.linspace(-5.0, 5.0, 201)
    y, slope, formula = _curve(name, x, negative_slope)
    low = -1.1 if name == "tanh" else (-0.6 if name == "leaky_relu" else -0.1)
    high = 1.1 if name in ("sigmoid", "tanh") else 5.0
    canvas = Canvas(560, 400, title=formula)
    axes = Axes(80, 50, 440, 280, -5.0, 5.0, low, high)
    axes.draw_frame(canvas, xlabel="x (weighted sum + bias)", ylabel="output",
                    title=formula)
    axes.draw_series(canvas, x, slope, color=SLOPE_COLOR, name="slope", dash="6 4", width=2)
    axes.draw_series(canvas, x, y, color=CURVE_COLOR, name=name)
    axes.draw_legend(canvas, [(name.replace("_", " "), CURVE_COLOR, None),
                              ("slope (derivative)", SLOPE_COLOR, "6 4")])
    if name in ("sigmoid", "tanh"):
        canvas.text(280, 385, "flat ends: slope near 0, the gradient vanishes in deep stacks",
                    cls="note", size=11, color=MUTED_COLOR)
    return canvas.to_string()


def softmax(values: np.ndarray) -> np.ndarray:
    """Return the softmax of a 1-D array (shifted by its max for stability)."""
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


def draw_softmax(values: Sequence[float], class_names: Sequence[str] | None = None) -> str:
    """Return SVG text working softmax on `values`: scores, e^score, probabilities as bars."""
    scores = np.asarray(values, dtype=float).reshape(-1)
    if scores.size == 0 or not np.all(np.isfinite(scores)):
        raise DrawError(f"softmax values {list(values)!r}: need at least one finite number")
    names = _names(class_names, scores.size)
    exps = np.exp(scores - scores.max()) * np.exp(scores.max())
    probs = softmax(scores)
    label_w = max(60.0, max(text_width(n, 12) for n in names) + 10)
    row, top, half = 26.0, 70.0, 70.0
    num_x = label_w + 60
    zero_x = num_x + 16 + half
    exp_x = zero_x + half + 50
    prob_x = exp_x + 70
    canvas = Canvas(prob_x + 290, top + row * scores.size + 60,
                    title="softmax on real numbers")
    canvas.text(num_x + 16 + half - 30, 28, "score z (weighted sum)", cls="title", size=12,
                weight="bold")
    canvas.text(exp_x, 28, "e\u1dbb", cls="title", size=12, weight="bold")
    canvas.text(prob_x + 110, 28, "softmax = e\u1dbb / \u03a3 e\u1dbb", cls="title", size=12,
                weight="bold")
    vmax = symmetric_limit(scores)
    colors = to_hex(diverging_rgb(scores, vmax))
    canvas.line(zero_x, top - 8, zero_x, top + row * scores.size, cls="axis", stroke="#444444")
    for i, name in enumerate(names):
        y = top + row * i
        canvas.text(label_w, y + 12, name, cls="label", size=12, anchor="end")
        canvas.text(num_x, y + 12, f"{scores[i]:.2f}".replace("-", "\u2212"), cls="value",
                    size=11, anchor="end", color=MUTED_COLOR)
        w = abs(scores[i]) / vmax * half
        canvas.rect(zero_x - w if scores[i] < 0 else zero_x, y, w, 16, cls="bar",
                    fill=colors[i], index=i, value=fmt_value(scores[i]), role="score")
        canvas.text(exp_x, y + 12, f"{exps[i]:.3g}", cls="value", size=11)
        draw_probability_row(canvas, prob_x, y, probs[i], index=i, bar_width=200)
    total_y = top + row * scores.size + 20
    canvas.text(exp_x, total_y, f"\u03a3 = {exps.sum():.3g}", cls="value", size=11,
                weight="bold")
    canvas.text(prob_x + 110, total_y, "sum = 100%", cls="value", size=11, weight="bold")
    return canvas.to_string()


def draw_probability_row(canvas: Canvas, x: float, y: float, p: float, *, index: int,
                         bar_width: float, height: float = 16, name: str | None = None,
                         highlight: bool = False) -> None:
    """Draw one probability as a bar from x (0%) to x + bar_width (100%) with its percent."""
    canvas.rect(x, y, bar_width, height, cls="bar-track", fill="#f0f0f0")
    canvas.rect(x, y, max(0.0, float(p)) * bar_width, height, cls="bar",
                fill=DIVERGING[-1] if highlight else BAR_COLOR, index=index,
                value=fmt_value(p), class_name=name)
    canvas.text(x + bar_width + 6, y + height - 4, f"{100 * float(p):.1f}%", cls="value",
                size=11, anchor="start", weight="bold" if highlight else None)


def _names(class_names: Sequence[str] | None, count: int) -> list[str]:
    if class_names is None:
        return [f"class {i + 1}" for i in range(count)]
    names = [str(n) for n in class_names]
    if len(names) != count:
        raise DrawError(f"class names: {len(names)} given for {count} values; "
                        "allowed: one name per value")
    return names


def history_rows(history: Any) -> list[dict[str, float]]:
    """Return the per-epoch rows of a History: a list of dicts, a dict of lists, History.to_dict()
    ({"epochs": [...]}) or a loaded Model (its saved training history)."""
    if not isinstance(history, (Mapping, list, tuple)) and hasattr(history, "history"):
        history = history.history  # a nnstudio.predict.Model
    if isinstance(history, Mapping) and isinstance(history.get("epochs"), list):
        history = history["epochs"]
    if isinstance(history, Mapping):
        length = len(history.get("loss", []))
        rows = [{key: values[i] for key, values in history.items()
                 if isinstance(values, Sequence) and len(values) == length}
                for i in range(length)]
    else:
        rows = [dict(row) for row in history if isinstance(row, Mapping) and "loss" in row]
    if not rows:
        raise DrawError("training history has no epoch with a 'loss'; allowed: the History "
                        "returned by nnstudio.train.fit or a model's training history")
    return rows


def overfitting_epoch(rows: list[dict[str, float]]) -> int | None:
    """Return the epoch of lowest validation loss when validation loss rose after it, else None."""
    if any(row.get("val_loss") is None for row in rows):
        return None
    val = [float(row["val_loss"]) for row in rows]
    best = int(np.argmin(val))
    if best == len(val) - 1 or not max(val[best + 1:]) > val[best]:
        return None
    return int(rows[best].get("epoch", best + 1))


def draw_history(history: Iterable[Mapping[str, Any]] | Mapping[str, Sequence[float]]) -> str:
    """Return SVG text of loss and accuracy per epoch, training vs validation.

    A dashed vertical line marks the epoch of lowest validation loss when validation
    loss rises afterwards: from there on the network overfits.
    """
    rows = history_rows(history)
    epochs = np.array([row.get("epoch", i + 1) for i, row in enumerate(rows)], dtype=float)
    marked = overfitting_epoch(rows)
    canvas = Canvas(980, 400, title="training curves")
    xmax = max(float(epochs[-1]), float(epochs[0]) + 1)
    panels = (("loss", "cross-entropy loss", False), ("accuracy", "accuracy", True))
    for p, (key, title, percent) in enumerate(panels):
        series = [(name, np.array([row.get(k, np.nan) for row in rows], dtype=float), color, dash)
                  for name, k, color, dash in (("training", key, TRAIN_COLOR, None),
                                               ("validation", "val_" + key, VAL_COLOR, "7 4"))]
        series = [s for s in series if np.isfinite(s[1]).all()]
        top = max(float(np.nanmax(s[1])) for s in series)
        ymax = 1.0 if percent else max(top * 1.08, 1e-3)
        ymin = 0.0 if not percent else min(0.9, float(min(np.nanmin(s[1]) for s in series)))
        ymin = float(np.floor(ymin * 10) / 10)
        axes = Axes(90 + p * 490, 50, 380, 270, float(epochs[0]), xmax, ymin, ymax)
        axes.draw_frame(canvas, xlabel="epoch", ylabel=title, title=title, percent_y=percent)
        for name, ys, color, dash in series:
            axes.draw_series(canvas, epochs, ys, color=color, name=f"{name} {key}", dash=dash)
        if marked is not None:
            _mark_epoch(canvas, axes, marked, label=p == 0)
        axes.draw_legend(canvas, [(n, c, d) for n, _, c, d in series],
                         corner="top-right" if not percent else "bottom-right")
    if marked is None:
        canvas.text(490, 388, "no overfitting marked: no validation loss, or it never rose "
                    "after its lowest point", cls="note", size=11, color=MUTED_COLOR)
    return canvas.to_string()


def _mark_epoch(canvas: Canvas, axes: Axes, epoch: int, *, label: bool) -> None:
    x = float(axes.px(epoch))
    canvas.line(x, axes.y, x, axes.y + axes.h, cls="overfitting", stroke="#333333",
                stroke_width=1.5, dash="3 3", epoch=epoch)
    if label:
        canvas.text(axes.x + axes.w / 2, axes.y + axes.h + 52,
                    f"dashed line: lowest validation loss at epoch {epoch}; "
                    "overfitting after it", cls="note", size=11, color=MUTED_COLOR)
