"""Writing a picture to disk: SVG as is, PNG through cairosvg.

Files are written under a temporary name in the same folder and then renamed, so a
reader never sees half a picture and an old picture survives a failed write.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from PIL import Image

from nnstudio.errors import DrawError
from nnstudio.files import write_atomically

log = logging.getLogger(__name__)

EXTENSIONS = (".svg", ".png")
PNG_SCALE = 2.0  # PNGs at twice the SVG size: sharp on slides and high-density screens
PNG_COLORS = 256


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


def svg_to_png(svg: str, scale: float = PNG_SCALE, colors: int | None = PNG_COLORS) -> bytes:
    """Return PNG bytes rendered from SVG text; with `colors`, as a palette PNG of that many.

    A 256-color palette looks the same on these flat pictures and makes files 2-3x smaller.
    """
    try:
        import cairosvg
    except (ImportError, OSError) as error:  # OSError: the cairo library itself is missing
        raise DrawError(f"PNG output needs cairosvg and the cairo library ({error}); "
                        "allowed: save as .svg; help: pip install CairoSVG and "
                        "apt-get install libcairo2") from error
    data = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
    if colors is None:
        return data
    image = Image.open(io.BytesIO(data)).convert("RGB")  # pictures have an opaque background
    buffer = io.BytesIO()
    image.quantize(colors, method=Image.Quantize.MEDIANCUT).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def save(svg: str, path: str | Path, *, png_scale: float = PNG_SCALE,
         png_colors: int | None = PNG_COLORS) -> Path:
    """Write `svg` to `path` (.svg as text, .png rendered); return the path written.

    PNGs are rendered at `png_scale` times the SVG size, as a palette of `png_colors`
    colors (None: full color).
    """
    path = check_path(path)
    if path.suffix.lower() == ".svg":
        data = svg.encode("utf-8")
    else:
        data = svg_to_png(svg, png_scale, png_colors)
    write_atomically(path, data)
    log.info("wrote %s (%d bytes)", path, len(data))
    return path
