"""Plot axes drawn directly in SVG: frame, round-number ticks, grid, labels, series.

Used by the function curves and the training curves, so their bytes are as
deterministic as the rest of nnstudio's pictures (no plotting library in between).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.draw.colors import number_label
from nnstudio.draw.svg import Canvas, MUTED_COLOR, TEXT_COLOR

GRID_COLOR = "#e4e4e4"
AXIS_COLOR = "#444444"


def nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """Return round tick values (steps of 1, 2 or 5 x 10^k) covering [low, high]."""
    if not high > low:
        high = low + 1.0
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = np.arange(first, high + step * 1e-6, step)
    return np.round(ticks, 10)


@dataclass
class Axes:
    """A plotting area at (x, y) of size w x h showing [xmin, xmax] x [ymin, ymax]."""

    x: float
    y: float
    w: float
    h: float
    xmin: float
    xmax: float
    ymin: float
    ymax: float

    def px(self, values: np.ndarray | float) -> np.ndarray:
        """Return the canvas x of data x values."""
        return self.x + (np.asarray(values, dtype=float) - self.xmin) / (self.xmax - self.xmin) * self.w

    def py(self, values: np.ndarray | float) -> np.ndarray:
        """Return the canvas y of data y values (up is larger)."""
        return self.y + self.h - (np.asarray(values, dtype=float) - self.ymin) / (self.ymax - self.ymin) * self.h

    def draw_frame(self, canvas: Canvas, *, xlabel: str, ylabel: str, title: str,
                   xticks: np.ndarray | None = None, yticks: np.ndarray | None = None,
                   percent_y: bool = False, power_y: bool = False) -> None:
        """Draw grid, the zero axes or the frame, tick labels, axis labels and the title."""
        xticks = nice_ticks(self.xmin, self.xmax) if xticks is None else xticks
        yticks = nice_ticks(self.ymin, self.ymax) if yticks is None else yticks
        for tx in xticks:
            px = float(self.px(tx))
            canvas.line(px, self.y, px, self.y + self.h, cls="grid", stroke=GRID_COLOR,
                        stroke_width=1)
            canvas.text(px, self.y + self.h + 15, number_label(float(tx)), cls="tick",
                        size=11, color=MUTED_COLOR)
        for ty in yticks:
            py = float(self.py(ty))
            canvas.line(self.x, py, self.x + self.w, py, cls="grid", stroke=GRID_COLOR,
                        stroke_width=1)
            text = (f"{round(ty * 100):d}%" if percent_y
                    else f"1e{int(round(ty))}" if power_y else number_label(float(ty)))
            canvas.text(self.x - 6, py + 4, text, cls="tick", size=11, anchor="end",
                        color=MUTED_COLOR)
        canvas.rect(self.x, self.y, self.w, self.h, cls="frame", fill="none",
                    stroke=AXIS_COLOR, stroke_width=1)
        if self.xmin < 0 < self.xmax:
            px = float(self.px(0))
            canvas.line(px, self.y, px, self.y + self.h, cls="axis", stroke=AXIS_COLOR,
                        stroke_width=1)
        if self.ymin < 0 < self.ymax:
            py = float(self.py(0))
            canvas.line(self.x, py, self.x + self.w, py, cls="axis", stroke=AXIS_COLOR,
                        stroke_width=1)
        canvas.text(self.x + self.w / 2, self.y + self.h + 34, xlabel, cls="axis-label",
                    size=12, color=TEXT_COLOR)
        canvas.text(self.x + self.w / 2, self.y - 12, title, cls="title", size=14,
                    weight="bold")
        canvas.element("text", {"class": "axis-label", "x": 0, "y": 0, "font-size": 12,
                                "text-anchor": "middle", "fill": TEXT_COLOR,
                                "transform": f"translate({self.x - 44:.2f} "
                                             f"{self.y + self.h / 2:.2f}) rotate(-90)"}, ylabel)

    def draw_series(self, canvas: Canvas, xs: np.ndarray, ys: np.ndarray, *, color: str,
                    name: str, dash: str | None = None, width: float = 2.5) -> None:
        """Draw one data series as a polyline clipped to the y range."""
        ys = np.clip(np.asarray(ys, dtype=float), self.ymin, self.ymax)
        points = np.stack([self.px(xs), self.py(ys)], axis=1)
        canvas.polyline(points, cls="series", stroke=color, stroke_width=width, dash=dash,
                        name=name)

    def draw_legend(self, canvas: Canvas, entries: list[tuple[str, str, str | None]],
                    *, corner: str = "top-left") -> None:
        """Draw a legend box of (name, color, dash) entries in one corner of the axes."""
        width = 14 + 28 + max(len(name) for name, _, _ in entries) * 7.0
        height = 8 + 18 * len(entries)
        left = self.x + 10 if corner.endswith("left") else self.x + self.w - 10 - width
        top = (self.y + 10 if corner.startswith("top")
               else self.y + (self.h - height) / 2 if corner.startswith("middle")
               else self.y + self.h - 10 - height)
        canvas.rect(left, top, width, height, cls="legend", fill="#ffffff", stroke="#cccccc",
                    stroke_width=1)
        for i, (name, color, dash) in enumerate(entries):
            ly = top + 14 + 18 * i
            canvas.line(left + 8, ly - 4, left + 34, ly - 4, cls="legend-line", stroke=color,
                        stroke_width=2.5, dash=dash)
            canvas.text(left + 40, ly, name, cls="legend-label", size=11, anchor="start")
