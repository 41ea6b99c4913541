"""Arrows for the diagrams of data moving through a cell or through time.

An arrow is a polyline and a small filled triangle at its end, both plain elements
(no <marker>, whose id would make the bytes depend on what else is on the page).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnstudio.draw.svg import Canvas

ARROW_COLOR = "#555555"
HEAD = 6.0  # arrowhead length, px


def draw_arrow(canvas: Canvas, points: Sequence[tuple[float, float]], *, cls: str = "arrow",
               color: str = ARROW_COLOR, width: float = 1.4, dash: str | None = None,
               head: bool = True, **data: Any) -> None:
    """Draw a line through `points` ((x, y) pairs) with an arrowhead at the last point."""
    pts = np.asarray(points, dtype=float)
    if head:
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        angle = math.atan2(y1 - y0, x1 - x0)
        # The line stops at the head's base, so its end does not poke through the tip.
        base = pts[-1] - HEAD * np.array([math.cos(angle), math.sin(angle)])
        line = np.vstack([pts[:-1], base])
    else:
        line = pts
    if len(line) == 2:
        canvas.line(line[0, 0], line[0, 1], line[1, 0], line[1, 1], cls=cls, stroke=color,
                    stroke_width=width, dash=dash, **data)
    else:
        canvas.polyline(line, cls=cls, stroke=color, stroke_width=width, dash=dash, **data)
    if head:
        tip = pts[-1]
        left = angle + math.pi - 0.45
        right = angle + math.pi + 0.45
        triangle = np.array([tip, tip + HEAD * np.array([math.cos(left), math.sin(left)]),
                             tip + HEAD * np.array([math.cos(right), math.sin(right)])])
        canvas.polygon(triangle, cls=cls + "-head", fill=color)
