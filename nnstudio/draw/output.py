"""Writing a picture to disk: SVG as is, PNG through cairosvg.

Files are written under a temporary name in the same folder and then renamed, so a
reader never sees half a picture and an old picture survives a failed write.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from nnstudio.errors import DrawError
from nnstudio.files import write_atomically

log = logging.getLogger(__name__)

EXTENSIONS = (".svg", ".png")
PNG_SCALE = 2.0  # PNGs at twice the SVG size: sharp on slides and high-density screens
PNG_COLORS = 256
PNG_COMPRESS_LEVEL = 3  # zlib level: level 6-9 saves a few percent for 2-6x the time
# Elements whose fill or stroke states a value on a color scale: a palette would shift them.
SCALE_MARKS = ('class="colorbar', 'class="heatmap"', 'class="feature-map"', 'class="weights"',
               'data-weight=', 'data-contribution=')


def has_color_scale(svg: str) -> bool:
    """Return True when the picture shows values as colors (weights, activations, a colorbar)."""
    return any(mark in svg for mark in SCALE_MARKS)


def check_path(path: str | Path) -> Path:
    """Return `path` as a Path after checking its extension and that its folder exists."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise DrawError(f"{path}: unknown picture extension {suffix or '(none)'!r}; "
                        f"allowed: {', '.join(EXTENSIONS)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise DrawError(f"{path}: folder {parent} does not exist; allowed: a path in an "
                        f"existing folder ending in {' or '.join(EXTENSIONS)}; "
                        f"help: create the folder first")
    return path


def svg_to_png(svg: str, scale: float = PNG_SCALE, colors: int | str | None = "auto") -> bytes:
    """Return PNG bytes rendered from SVG text.

    colors: None keeps every rendered color (RGB); an int makes a palette of that many
    (octree: rare saturated colors merge into their neighbors); "auto" keeps the
    colors exactly, as a palette when the picture has at most 256 of them (lossless),
    and only quantizes pictures that state no value as a color (structure, curves).
    """
    try:
        import cairosvg
    except (ImportError, OSError) as error:  # OSError: the cairo library itself is missing
        raise DrawError(f"PNG output needs cairosvg and the cairo library ({error}); "
                        "allowed: save as .svg; help: pip install CairoSVG and "
                        "apt-get install libcairo2") from error
    data = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
    image = Image.open(io.BytesIO(data)).convert("RGB")  # pictures have an opaque background
    buffer = io.BytesIO()
    if colors == "auto":
        # getcolors returns None beyond its limit: a cheap test for "fits a palette exactly".
        present = image.getcolors(PNG_COLORS)
        if present is not None:
            exact_palette(image, [rgb for _, rgb in present]).save(buffer, "PNG", optimize=True)
            return buffer.getvalue()
        colors = None if has_color_scale(svg) else PNG_COLORS
    if colors is None:
        image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        # Octree: 10x faster than median cut here and smaller files; only value-free
        # pictures (or an explicit `colors`) come this way, so no stated color shifts.
        image.quantize(int(colors), method=Image.Quantize.FASTOCTREE,
                       dither=Image.Dither.NONE).save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()


def exact_palette(image: Image.Image, rgbs: list) -> Image.Image:
    """Return `image` as a palette image of exactly the colors `rgbs` it holds (lossless)."""
    # PIL's own palette conversion looks colors up at reduced precision; map them exactly.
    pixels = np.asarray(image, dtype=np.uint32)
    keys = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    table = np.array(sorted((r << 16) | (g << 8) | b for r, g, b in rgbs), dtype=np.uint32)
    indexed = Image.fromarray(np.searchsorted(table, keys).astype(np.uint8), "P")
    indexed.putpalette([int(v >> shift) & 255 for v in table for shift in (16, 8, 0)])
    return indexed


def save(svg: str, path: str | Path, *, png_scale: float = PNG_SCALE,
         png_colors: int | str | None = "auto") -> Path:
    """Write `svg` to `path` (.svg as text, .png rendered); return the path written.

    PNGs are rendered at `png_scale` times the SVG size; `png_colors` as in svg_to_png
    ("auto": colors that carry values are kept exactly).
    """
    path = check_path(path)
    if path.suffix.lower() == ".svg":
        data = svg.encode("utf-8")
    else:
        data = svg_to_png(svg, png_scale, png_colors)
    write_atomically(path, data)
    log.info("wrote %s (%d bytes)", path, len(data))
    return path
