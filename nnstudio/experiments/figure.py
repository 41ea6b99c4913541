"""Figures for experiments whose x axis is a measured setting (depth, width), drawn with
nnstudio.draw's plot axes so they look like the course's other pictures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nnstudio.draw.lessons import SERIES_COLORS
from nnstudio.draw.plot import Axes, nice_ticks
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


def draw_bars(groups: Sequence[str], series: Mapping[str, Sequence[float]], *, title: str, ylabel: str,
              percent_y: bool = True, note: str | None = None) -> str:
    """Return SVG text of grouped bars: one group per label in `groups`, one bar per named
    series in each, its value written above it."""
    values = np.array([list(v) for v in series.values()], dtype=float)  # (series, groups)
    # headroom above the bars for their values and the legend
    top = 1.0 if percent_y else float(np.nanmax(values)) or 1.0
    high = top * (1.2 + 0.1 * len(series))
    canvas = Canvas(640, 440, title=title)
    axes = Axes(90, 50, 520, 290, 0.0, float(len(groups)), 0.0, high)
    yticks = nice_ticks(0.0, top)
    axes.draw_frame(canvas, xlabel="", ylabel=ylabel, title=title, xticks=np.array([]), yticks=yticks,
                    percent_y=percent_y)
    slot = axes.w / len(groups)
    width = slot * 0.8 / len(series)
    for k, row in enumerate(values):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        for g, value in enumerate(row):
            left = axes.x + g * slot + slot * 0.1 + k * width
            top = float(axes.py(value))
            canvas.rect(left, top, width - 2, axes.y + axes.h - top, cls="bar", fill=color, stroke=None)
            label = f"{value:.0%}" if percent_y else f"{value:.3g}"
            canvas.text(left + width / 2 - 1, top - 4, label, cls="bar-value", size=10, color=MUTED_COLOR)
    for g, group in enumerate(groups):
        canvas.text(axes.x + (g + 0.5) * slot, axes.y + axes.h + 16, group, cls="tick", size=11)
    axes.draw_legend(canvas, [(name, SERIES_COLORS[k % len(SERIES_COLORS)], None) for k, name in enumerate(series)],
                     corner="top-right")
    if note:
        canvas.text(20, 425, note, cls="note", size=11, anchor="start", color=MUTED_COLOR)
    return canvas.to_string()
