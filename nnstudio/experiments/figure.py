"""Figures for experiments whose x axis is a measured setting (depth, width), drawn with
nnstudio.draw's plot axes so they look like the course's other pictures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nnstudio.draw.lessons import SERIES_COLORS
from nnstudio.draw.plot import Axes
from nnstudio.draw.svg import MUTED_COLOR, Canvas


def draw_xy(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, title: str, xlabel: str,
            ylabel: str, percent_y: bool = False, note: str | None = None, legend: str = "top-right") -> str:
    """Return SVG text of named (xs, ys) series with markers at the measured points."""
    xs_all = np.concatenate([np.asarray(xs, dtype=float) for xs, _ in series.values()])
    ys_all = np.concatenate([np.asarray(ys, dtype=float) for _, ys in series.values()])
    low = 0.0 if percent_y else min(0.0, float(ys_all.min()))
    high = 1.0 if percent_y else float(ys_all.max()) * 1.05 or 1.0
    canvas = Canvas(640, 420, title=title)
    axes = Axes(90, 50, 500, 290, float(xs_all.min()), float(xs_all.max()), low, high)
    xticks = np.unique(xs_all) if len(np.unique(xs_all)) <= 12 else None
    axes.draw_frame(canvas, xlabel=xlabel, ylabel=ylabel, title=title, xticks=xticks, percent_y=percent_y)
    entries: list[tuple[str, str, str | None]] = []
    for k, (name, (x_values, y_values)) in enumerate(series.items()):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        xs, ys = np.asarray(x_values, dtype=float), np.asarray(y_values, dtype=float)
        axes.draw_series(canvas, xs, ys, color=color, name=name)
        for x, y in zip(axes.px(xs), axes.py(ys)):
            canvas.circle(float(x), float(y), 4, cls="point", fill=color)
        entries.append((name, color, None))
    axes.draw_legend(canvas, entries, corner=legend)
    if note:
        canvas.text(20, 405, note, cls="note", size=11, anchor="start", color=MUTED_COLOR)
    return canvas.to_string()
