"""A tiny deterministic SVG writer.

Pictures are built element by element into a `Canvas`; `Canvas.to_string()` gives the
SVG text. The same calls always give the same bytes: numbers use one fixed format,
attributes keep the order they were given in, and nothing gets a generated id.
Styles are presentation attributes (fill, stroke, ...), never CSS, so every element
reads the same in a browser, in cairosvg and in a test parsing it with xml.etree.
Raster tiles (heatmaps, letter images) are embedded as PNG data URIs.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
TEXT_COLOR = "#222222"
MUTED_COLOR = "#666666"
MIN_FONT = 11.0  # smallest text drawn: readable when a 1,200 px picture fills a page
MAX_WIDTH = 1200.0  # widest picture the layouts aim for, at 1x


def fmt(value: Any) -> str:
    """Return `value` as SVG attribute text: floats with 2 decimals, trailing zeros trimmed."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = f"{float(value):.2f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_value(value: float) -> str:
    """Return a data value (weight, activation) with 4 significant digits, for data-* attributes."""
    text = format(float(value), ".4g")
    return "0" if text == "-0" else text


def escape(text: str) -> str:
    """Return `text` safe inside an XML attribute or element."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def text_width(text: str, size: float) -> float:
    """Return an estimate of the rendered width of `text` at font `size` (DejaVu Sans)."""
    return 0.62 * size * len(text)


def attributes(attrs: dict[str, Any]) -> str:
    """Return ` name="value"` pairs in the given order; None values are left out."""
    return "".join(f' {name}="{escape(fmt(value))}"' for name, value in attrs.items()
                   if value is not None)


def png_data_uri(rgb: np.ndarray, min_side: int = 0) -> str:
    """Return a data URI holding `rgb` (H, W, 3) uint8 as PNG, upscaled by pixel repetition.

    Upscaling by whole factors keeps cells crisp when the viewer enlarges the tile.
    """
    height, width = rgb.shape[:2]
    factor = max(1, -(-min_side // max(1, min(height, width)))) if min_side else 1
    if factor > 1:
        rgb = np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1)
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    buffer = io.BytesIO()
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        Image.fromarray(rgb[..., 0], "L").save(buffer, "PNG")  # greys: a third of the bytes
    else:
        Image.fromarray(rgb, "RGB").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class Canvas:
    """An SVG picture under construction; its size may grow while elements are added."""

    def __init__(self, width: float = 0, height: float = 0, *, title: str = "",
                 background: str = "#ffffff") -> None:
        self.width = float(width)
        self.height = float(height)
        self.title = title
        self.background = background
        self._parts: list[str] = []
        self._text_right = 0.0  # furthest text extent seen, so no label is cut off
        self._text_bottom = 0.0

    def element(self, tag: str, attrs: dict[str, Any], text: str | None = None,
                tip: str | None = None) -> None:
        """Append one element; `text` (escaped) becomes its content, `tip` a <title> child
        (the tooltip a browser shows on hover)."""
        if tag == "text" and text is not None and "transform" not in attrs:
            self.note_text(float(attrs.get("x", 0)), float(attrs.get("y", 0)), text,
                           float(attrs.get("font-size", MIN_FONT)),
                           str(attrs.get("text-anchor", "start")))
        inner = (escape(text) if text is not None else "") + (
            f"<title>{escape(tip)}</title>" if tip else "")
        if not inner:
            self._parts.append(f"<{tag}{attributes(attrs)}/>")
        else:
            self._parts.append(f"<{tag}{attributes(attrs)}>{inner}</{tag}>")

    def note_text(self, x: float, y: float, content: str, size: float, anchor: str) -> None:
        """Remember how far a text reaches, so the canvas grows to show all of it."""
        width = text_width(content, size)
        left = x - width * {"start": 0.0, "middle": 0.5, "end": 1.0}.get(anchor, 0.0)
        self._text_right = max(self._text_right, left + width + 4)
        self._text_bottom = max(self._text_bottom, y + 0.3 * size + 4)

    def raw(self, lines: Iterable[str]) -> None:
        """Append already formatted element lines (used by vectorized drawing code)."""
        self._parts.extend(lines)

    def open_group(self, attrs: dict[str, Any], tip: str | None = None) -> None:
        """Start a <g> group (with a <title> when `tip`); close it with `close_group`."""
        self._parts.append(f"<g{attributes(attrs)}>")
        if tip:
            self._parts.append(f"<title>{escape(tip)}</title>")

    def close_group(self) -> None:
        """End the innermost open group."""
        self._parts.append("</g>")

    def rect(self, x: float, y: float, w: float, h: float, *, cls: str, fill: str,
             stroke: str | None = None, stroke_width: float | None = None,
             tip: str | None = None, **data: Any) -> None:
        """Append a rectangle; keyword `data` become data-* attributes (underscores -> dashes)."""
        attrs = {"class": cls, "x": x, "y": y, "width": w, "height": h, "fill": fill,
                 "stroke": stroke, "stroke-width": stroke_width}
        attrs.update(data_attributes(data))
        self.element("rect", attrs, tip=tip)

    def circle(self, cx: float, cy: float, r: float, *, cls: str, fill: str,
               stroke: str | None = "#333333", stroke_width: float | None = 1,
               tip: str | None = None, **data: Any) -> None:
        """Append a circle (a neuron, a marker)."""
        attrs = {"class": cls, "cx": cx, "cy": cy, "r": r, "fill": fill,
                 "stroke": stroke, "stroke-width": stroke_width}
        attrs.update(data_attributes(data))
        self.element("circle", attrs, tip=tip)

    def line(self, x1: float, y1: float, x2: float, y2: float, *, cls: str,
             stroke: str = "#333333", stroke_width: float = 1, dash: str | None = None,
             tip: str | None = None, **data: Any) -> None:
        """Append a straight line."""
        attrs = {"class": cls, "x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": stroke,
                 "stroke-width": stroke_width, "stroke-dasharray": dash}
        attrs.update(data_attributes(data))
        self.element("line", attrs, tip=tip)

    def polyline(self, points: np.ndarray, *, cls: str, stroke: str, stroke_width: float = 2,
                 dash: str | None = None, **data: Any) -> None:
        """Append an open polyline through `points` (N, 2)."""
        text = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in np.asarray(points, dtype=float))
        attrs = {"class": cls, "points": text, "fill": "none", "stroke": stroke,
                 "stroke-width": stroke_width, "stroke-dasharray": dash,
                 "stroke-linejoin": "round"}
        attrs.update(data_attributes(data))
        self.element("polyline", attrs)

    def polygon(self, points: np.ndarray, *, cls: str, fill: str, stroke: str | None = None,
                stroke_width: float | None = None, **data: Any) -> None:
        """Append a closed polygon through `points` (N, 2)."""
        text = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in np.asarray(points, dtype=float))
        attrs = {"class": cls, "points": text, "fill": fill, "stroke": stroke,
                 "stroke-width": stroke_width}
        attrs.update(data_attributes(data))
        self.element("polygon", attrs)

    def text(self, x: float, y: float, content: str, *, cls: str = "label", size: float = 12,
             anchor: str = "middle", color: str = TEXT_COLOR, weight: str | None = None,
             **data: Any) -> None:
        """Append a text label; `y` is the baseline; never smaller than MIN_FONT."""
        size = max(float(size), MIN_FONT)
        attrs = {"class": cls, "x": x, "y": y, "font-size": size, "text-anchor": anchor,
                 "fill": color, "font-weight": weight}
        attrs.update(data_attributes(data))
        self.element("text", attrs, content)

    def image(self, x: float, y: float, w: float, h: float, rgb: np.ndarray, *, cls: str,
              tip: str | None = None, **data: Any) -> None:
        """Append a raster tile showing `rgb` (H, W, 3) uint8 stretched to w x h."""
        uri = png_data_uri(rgb, min_side=int(min(w, h)))
        attrs = {"class": cls, "x": x, "y": y, "width": w, "height": h,
                 "preserveAspectRatio": "none", "image-rendering": "optimizeSpeed"}
        attrs.update(data_attributes(data))
        attrs["href"] = uri
        self.element("image", attrs, tip=tip)

    def grow(self, width: float, height: float) -> None:
        """Make the canvas at least width x height."""
        self.width = max(self.width, float(width))
        self.height = max(self.height, float(height))

    def to_string(self) -> str:
        """Return the whole picture as SVG text (UTF-8, one element per line)."""
        self.grow(self._text_right, self._text_bottom)
        width, height = int(np.ceil(self.width)), int(np.ceil(self.height))
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}">')
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', head]
        if self.title:
            lines.append(f"<title>{escape(self.title)}</title>")
        lines.append(f'<rect class="background" x="0" y="0" width="{width}" '
                     f'height="{height}" fill="{self.background}"/>')
        lines.extend(self._parts)
        lines.append("</svg>")
        return "\n".join(lines) + "\n"


def data_attributes(data: dict[str, Any]) -> dict[str, Any]:
    """Return `data` keys as data-* attribute names (layer -> data-layer, min_value -> data-min-value)."""
    return {"data-" + key.replace("_", "-"): value for key, value in data.items()}
