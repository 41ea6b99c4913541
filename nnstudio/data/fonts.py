"""Fonts for the synthetic letters, and their glyphs as small bitmaps.

Only fonts that ship inside installed Python packages are used, so generating letters
needs no download: matplotlib's bundled TrueType fonts (DejaVu, STIX, Computer
Modern) and the Hershey stroke fonts of the `Hershey-Fonts` package, which are pen
paths and so can be drawn at any pen width, like a hand-drawn letter.

Fonts are split in two sets: TRAIN_FONTS make the "train" and "test" parts; the
held-out UNSEEN_FONTS make the "unseen" part, to measure how well a network
recognizes letter shapes it never saw.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache, cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nnstudio.errors import DataError

log = logging.getLogger(__name__)

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

CELL = 64  # side of one glyph cell in the atlas, in pixels
GLYPH_BOX = 44  # a glyph's ink box is scaled so its longer side is this long
WEIGHTS = 4  # stroke-thickness variants rendered per glyph

_RENDER_PX = 160  # glyphs are drawn this tall first, then shrunk with antialiasing
# Extra outline (TrueType) or pen width (stroke fonts) per thickness variant, in
# pixels at _RENDER_PX. Stroke fonts have no width of their own, so their thinnest
# pen is still a visible line.
_TTF_OUTLINE = (0, 3, 6, 10)
_BOLD_TTF_OUTLINE = (0, 2, 3, 5)  # bold faces close their holes sooner
_PEN_WIDTH = (7, 12, 18, 25)


@dataclass(frozen=True)
class Font:
    """One font: `kind` is "ttf" (a matplotlib TrueType file) or "stroke" (a Hershey font)."""

    name: str
    kind: str


def _ttf(*names: str) -> tuple[Font, ...]:
    return tuple(Font(n, "ttf") for n in names)


def _stroke(*names: str) -> tuple[Font, ...]:
    return tuple(Font(n, "stroke") for n in names)


# Fonts whose A-Z are ordinary capital letters. Left out on purpose: the symbol
# fonts (cmex10, cmsy10, STIXSiz*, STIXNonUni*, LastResortHE, *Display), which have
# no Latin capitals or calligraphic ones, and the Hershey gothic, Greek, Cyrillic and
# symbol sets.
TRAIN_FONTS: tuple[Font, ...] = _ttf(
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique",
    "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic",
    "DejaVuSansMono", "DejaVuSansMono-Bold",
    "STIXGeneral", "STIXGeneralBol", "STIXGeneralItalic",
    "cmr10", "cmb10", "cmtt10", "cmti10", "cmmi10",
) + _stroke("futural", "rowmand", "rowmant", "timesr", "timesrb", "timesi", "scriptc")

UNSEEN_FONTS: tuple[Font, ...] = _ttf(
    "cmss10", "DejaVuSans-BoldOblique", "DejaVuSerif-BoldItalic",
    "DejaVuSansMono-Oblique", "STIXGeneralBolIta",
) + _stroke("futuram", "rowmans", "timesib")


def ttf_dir() -> Path:
    """Return the folder of matplotlib's bundled TrueType fonts."""
    import matplotlib  # only for its data path; matplotlib.pyplot is never imported here

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def _truetype(name: str) -> ImageFont.FreeTypeFont:
    path = ttf_dir() / f"{name}.ttf"
    try:
        return ImageFont.truetype(str(path), _RENDER_PX)
    except OSError as exc:
        raise DataError(f"font {path} cannot be loaded ({exc}); help: reinstall matplotlib") from None


@cache
def _hershey(name: str):
    from HersheyFonts import HersheyFonts  # imported late: it unpacks its fonts on import

    font = HersheyFonts()
    try:
        font.load_default_font(name)
    except ValueError:
        raise DataError(f"Hershey font {name!r} is not in the Hershey-Fonts package") from None
    return font


def _draw_ttf(name: str, letter: str, weight: int) -> Image.Image:
    bold = "Bol" in name or name == "cmb10"
    outline = (_BOLD_TTF_OUTLINE if bold else _TTF_OUTLINE)[weight]
    font = _truetype(name)
    left, top, right, bottom = font.getbbox(letter, stroke_width=outline)
    pad = 8
    img = Image.new("L", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), letter, font=font, fill=255,
                             stroke_width=outline, stroke_fill=255)
    return img


def _draw_stroke(name: str, letter: str, weight: int) -> Image.Image:
    pen = _PEN_WIDTH[weight]
    strokes = [np.asarray(s, dtype=np.float64) for s in _hershey(name).strokes_for_text(letter)]
    points = np.concatenate(strokes)
    unit = _RENDER_PX / 21.0  # Hershey capitals are 21 units from cap line to base line
    pad = pen + 4
    origin = points.min(axis=0)
    extent = (points.max(axis=0) - origin) * unit
    img = Image.new("L", (int(extent[0]) + 2 * pad + 1, int(extent[1]) + 2 * pad + 1), 0)
    draw = ImageDraw.Draw(img)
    r = pen / 2.0
    for s in strokes:
        xy = [(float(x), float(y)) for x, y in (s - origin) * unit + pad]
        if len(xy) > 1:
            draw.line(xy, fill=255, width=pen, joint="curve")
        for x, y in xy:  # round pen tip at every vertex, as a real pen leaves
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return img


def glyph(font: Font, letter: str, weight: int) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Return one glyph as a float32 (CELL, CELL) array in [0, 1] (ink bright, centered,
    longer side of its ink box GLYPH_BOX pixels) and its ink box (center x, center y,
    width, height) in cell pixels."""
    img = _draw_ttf(font.name, letter, weight) if font.kind == "ttf" else _draw_stroke(font.name, letter, weight)
    box = img.getbbox()
    if box is None:
        raise DataError(f"font {font.name!r} draws nothing for {letter!r}")
    img = img.crop(box)
    w, h = img.size
    scale = GLYPH_BOX / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = img.resize((nw, nh), Image.Resampling.BOX)  # area average: antialiased and quick
    cell = Image.new("L", (CELL, CELL), 0)
    left, top = (CELL - nw) // 2, (CELL - nh) // 2
    cell.paste(small, (left, top))
    # Ink box as (center x, center y, width, height) inside the cell.
    return np.asarray(cell, dtype=np.float32) / 255.0, (left + nw / 2, top + nh / 2, float(nw), float(nh))


@dataclass(frozen=True)
class Atlas:
    """Every glyph of a font set in one image, for one batched resampling call.

    image: float32 (rows*CELL, cols*CELL); cell k holds font k // (26*WEIGHTS),
    letter (k // WEIGHTS) % 26, weight k % WEIGHTS. origin: float32 (K, 2) top-left
    (x, y) of each cell in the atlas; box: float32 (K, 4) ink box of each glyph as
    (center x, center y, width, height), the center in atlas pixels.
    """

    image: np.ndarray
    origin: np.ndarray
    box: np.ndarray

    @staticmethod
    def cell_index(font: np.ndarray, letter: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """Return the cell numbers of (font index, letter index, weight) triples."""
        return (font * len(LETTERS) + letter) * WEIGHTS + weight


@lru_cache(maxsize=4)
def atlas(fonts: tuple[Font, ...]) -> Atlas:
    """Return the Atlas of all glyphs (every letter, every weight) of `fonts` (built once)."""
    count = len(fonts) * len(LETTERS) * WEIGHTS
    cols = 64
    rows = -(-count // cols)
    image = np.zeros((rows * CELL, cols * CELL), dtype=np.float32)
    origin = np.zeros((count, 2), dtype=np.float32)
    box = np.zeros((count, 4), dtype=np.float32)
    k = 0
    for font in fonts:
        for letter in LETTERS:
            for weight in range(WEIGHTS):
                r, c = divmod(k, cols)
                pixels, (cx, cy, w, h) = glyph(font, letter, weight)
                image[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL] = pixels
                origin[k] = (c * CELL, r * CELL)
                box[k] = (c * CELL + cx, r * CELL + cy, w, h)
                k += 1
    log.debug("built a glyph atlas of %d fonts (%d cells)", len(fonts), count)
    return Atlas(image, origin, box)
