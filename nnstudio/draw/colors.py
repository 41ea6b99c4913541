"""Color scales and the colorbar that states them.

Three scales, each a piecewise-linear ramp through fixed anchor colors:
- DIVERGING for signed values (weights, kernels): blue for negative, near-white at 0,
  red for positive, symmetric about zero. +vmax and -vmax get exactly the end colors.
- SEQUENTIAL for activations >= 0: white at 0 to deep purple at vmax.
- GREYS for pixel values in [0, 1]: white at 0 to black at 1 (ink drawn dark, as on paper).
All functions work on whole arrays at once.
"""

from __future__ import annotations

import numpy as np

from nnstudio.draw.svg import Canvas, MUTED_COLOR, fmt, text_width

DIVERGING = ("#2166ac", "#67a9cf", "#f7f7f7", "#ef8a62", "#b2182b")
SEQUENTIAL = ("#ffffff", "#dadaeb", "#9e9ac8", "#6a51a3", "#3f007d")
GREYS = ("#ffffff", "#000000")
NEUTRAL_EDGE = "#c2c2c2"  # #9a9a9a at 60% on white, opaque: about 10% faster to render
NEUTRAL_FILL = "#ffffff"

NEGATIVE_END = DIVERGING[0]
POSITIVE_END = DIVERGING[-1]


def _anchors_rgb(anchors: tuple[str, ...]) -> np.ndarray:
    return np.array([[int(a[i:i + 2], 16) for i in (1, 3, 5)] for a in anchors], dtype=float)


def ramp_rgb(t: np.ndarray, anchors: tuple[str, ...]) -> np.ndarray:
    """Return uint8 colors (..., 3) for positions `t` in [0, 1] along the anchor colors."""
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=float)), 0.0, 1.0)
    table = _anchors_rgb(anchors)
    stops = np.linspace(0.0, 1.0, len(anchors))
    channels = [np.interp(t, stops, table[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def to_hex(rgb: np.ndarray) -> list[str]:
    """Return '#rrggbb' strings for uint8 colors (N, 3)."""
    rgb = np.asarray(rgb, dtype=np.uint8).reshape(-1, 3)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb.tolist()]


def symmetric_limit(values: np.ndarray) -> float:
    """Return max |value| (1.0 when all values are 0 or there are none), the diverging vmax."""
    values = np.asarray(values, dtype=float)
    vmax = float(np.max(np.abs(values))) if values.size else 0.0
    return vmax if vmax > 0 and np.isfinite(vmax) else 1.0


def diverging_rgb(values: np.ndarray, vmax: float) -> np.ndarray:
    """Return uint8 colors for signed `values` on a scale from -vmax (blue) to +vmax (red)."""
    return ramp_rgb(0.5 + 0.5 * np.asarray(values, dtype=float) / vmax, DIVERGING)


def sequential_rgb(values: np.ndarray, vmax: float) -> np.ndarray:
    """Return uint8 colors for `values` on a scale from 0 (white) to vmax (deep purple)."""
    return ramp_rgb(np.asarray(values, dtype=float) / (vmax if vmax > 0 else 1.0), SEQUENTIAL)


def greys_rgb(values: np.ndarray) -> np.ndarray:
    """Return uint8 colors for pixel values in [0, 1]: 0 white, 1 black."""
    return ramp_rgb(values, GREYS)


def activation_scale(values: np.ndarray) -> tuple[str, float]:
    """Return ('sequential', max) for non-negative values, else ('diverging', max |value|)."""
    values = np.asarray(values, dtype=float)
    if values.size and float(values.min()) < 0:
        return "diverging", symmetric_limit(values)
    vmax = float(values.max()) if values.size else 0.0
    return "sequential", vmax if vmax > 0 else 1.0


def scale_rgb(values: np.ndarray, scale: str, vmax: float) -> np.ndarray:
    """Return uint8 colors of `values` on the named scale ('diverging' | 'sequential' | 'greys')."""
    if scale == "diverging":
        return diverging_rgb(values, vmax)
    if scale == "sequential":
        return sequential_rgb(values, vmax)
    return greys_rgb(values)


def draw_colorbar(canvas: Canvas, x: float, y: float, width: float, *, scale: str,
                  vmax: float, title: str, height: float = 10, steps: int = 40,
                  layer: int | None = None) -> float:
    """Draw a horizontal colorbar with its numeric ends and title; return its bottom y.

    The bar is `steps` flat rectangles (no gradient ids), so its bytes stay stable.
    """
    low = -vmax if scale == "diverging" else 0.0
    high = vmax if scale != "greys" else 1.0
    centers = low + (np.arange(steps) + 0.5) / steps * (high - low)
    # The end steps show the exact end colors, so the bar names what the extremes mean.
    centers[0], centers[-1] = low, high
    colors = to_hex(scale_rgb(centers, scale, vmax))
    step = width / steps
    if title:
        canvas.text(x + width / 2, y - 4, title, cls="colorbar-title", size=11, color=MUTED_COLOR)
    canvas.open_group({"class": "colorbar", "data-scale": scale, "data-min": fmt(low),
                       "data-max": fmt(high), "data-layer": layer})
    for i, color in enumerate(colors):
        canvas.rect(x + i * step, y, step + 0.3, height, cls="colorbar-step", fill=color)
    canvas.rect(x, y, width, height, cls="colorbar-frame", fill="none", stroke="#555555",
                stroke_width=0.5)
    canvas.close_group()
    ticks = [(low, "start"), (high, "end")]
    ends = text_width(number_label(low), 11) + text_width(number_label(high), 11)
    if scale == "diverging" and width > ends + 24:  # a 0 tick only where it has room
        ticks.insert(1, (0.0, "middle"))
    for value, anchor in ticks:
        tx = x + (value - low) / (high - low) * width
        canvas.text(tx, y + height + 12, number_label(value), cls="colorbar-tick", size=11,
                    anchor=anchor, color=MUTED_COLOR)
    return y + height + 16


def number_label(value: float) -> str:
    """Return a short human label for a tick value (3 significant digits, true minus sign)."""
    if value == 0:
        return "0"
    text = format(value, ".3g")
    return text.replace("-", "\u2212")
