"""Image preparation: the one path from any picture to a network input.

Training images and every prediction input go through `prepare_image`, so a letter
drawn small in a corner of a transparent canvas, dark on light or light on dark,
reaches the network in the same form as the generated training letters:
greyscale, ink bright (1.0) on a black (0.0) background, cropped to the ink,
scaled to fit, centered.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from nnstudio.errors import DataError, Where

log = logging.getLogger(__name__)

# Largest image (width * height) we agree to decode. A small file can claim a huge
# size in its header (a "decompression bomb"); refusing it before decoding keeps
# memory bounded. 40 megapixels still admits photos from phone cameras.
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_KINDS = "PNG, JPEG, GIF or BMP"  # the kinds named to people; PIL reads a few more

# Below this brightness difference (on a 0..1 scale) between the background and the
# brightest ink, the picture counts as blank.
MIN_INK_CONTRAST = 0.08

# A pixel belongs to the ink box when it is brighter than this fraction of the ink
# peak (after the background was removed). High enough to ignore mild noise, low
# enough to keep the anti-aliased rim of strokes, so preparing a prepared image
# finds the same box and changes nothing.
INK_THRESHOLD = 0.15

_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Preparation:
    """How raw images become network inputs: target size (H, W), margin around the
    ink (pixels at target size) and whether to crop to the ink and re-center it."""

    size: tuple[int, int] = (50, 50)
    margin: int = 4
    crop: bool = True

    def __post_init__(self) -> None:
        size = _check_size(self.size, "preparation.size")
        object.__setattr__(self, "size", size)
        margin = self.margin
        if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)):
            raise DataError(f"preparation.margin must be a whole number of pixels, got {margin!r}")
        if margin < 0 or 2 * margin >= min(size):
            raise DataError(
                f"preparation.margin must be between 0 and {(min(size) - 1) // 2} "
                f"for size {size[0]}x{size[1]}, got {margin}"
            )
        object.__setattr__(self, "margin", int(margin))
        if not isinstance(self.crop, (bool, np.bool_)):
            raise DataError(f"preparation.crop must be true or false, got {self.crop!r}")
        object.__setattr__(self, "crop", bool(self.crop))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: {"size": [H, W], "margin": m, "crop": bool}."""
        return {"size": list(self.size), "margin": self.margin, "crop": self.crop}

    @classmethod
    def from_dict(cls, d: Any) -> Preparation:
        """Return the Preparation described by `d` (as written by to_dict); DataError if malformed."""
        if not isinstance(d, dict):
            raise DataError(f"preparation must be an object with size, margin, crop; got {d!r}")
        allowed = {"size", "margin", "crop"}
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise DataError(f"preparation has unknown field(s) {unknown}; allowed: {sorted(allowed)}")
        missing = sorted(allowed - set(d))
        if missing:
            raise DataError(f"preparation is missing field(s) {missing}")
        return cls(size=d["size"], margin=d["margin"], crop=d["crop"])


def default_margin(size: tuple[int, int]) -> int:
    """Return the margin used for a target size: about 8% of its smaller side."""
    return int(round(0.08 * min(size)))


def _check_size(size: Any, field: str) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    try:
        h, w = size
    except (TypeError, ValueError):
        raise DataError(f"{field} must be (height, width), got {size!r}") from None
    for v in (h, w):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= 4096:
            raise DataError(f"{field} must be two whole numbers from 1 to 4096, got {size!r}")
    return (int(h), int(w))


def open_image(path: str | Path) -> Image.Image:
    """Return the decoded image at `path`; DataError naming the file if it is missing,
    not an image, truncated, or larger than MAX_IMAGE_PIXELS."""
    path = Path(path)
    if not path.is_file():
        raise DataError("no such image file", where=Where(file=str(path)), given=str(path))
    return decode_image(path, str(path))


def decode_image(source: Path | io.BytesIO, where: str, formats: tuple[str, ...] | None = None) -> Image.Image:
    """Return the image decoded from source (a path or the bytes of a file), upright as
    its EXIF says; DataError starting with `where` if it is not an image (or not one of
    `formats`), truncated, or larger than MAX_IMAGE_PIXELS, checked before decoding."""
    with warnings.catch_warnings():
        # PIL only warns for moderately large images; make every bomb signal an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(source) as img:
                if formats is not None and img.format not in formats:
                    raise DataError(f"{where} is a {img.format} image; allowed: {', '.join(formats)}",
                                    where=Where(file=where), given=img.format, worded=True)
                pixels = img.width * img.height
                if pixels > MAX_IMAGE_PIXELS:
                    raise _bomb_error(where, f"{img.width}x{img.height}")
                img.load()
                if img.getexif().get(_EXIF_ORIENTATION, 1) != 1:
                    # Phone photos store their rotation in EXIF; show them upright.
                    return ImageOps.exif_transpose(img)
                return img
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb_error(where, str(exc).split(" pixels")[0]) from None
        except DataError:
            raise
        except UnidentifiedImageError:
            # PIL's own message names the file object ("<_io.BytesIO object at 0x...>"): not for people.
            raise DataError(f"{where} is not an image ({IMAGE_KINDS})", where=Where(file=where), worded=True) from None
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise DataError(f"{where} is a damaged or incomplete image ({exc}); allowed: a complete "
                            f"{IMAGE_KINDS} file", where=Where(file=where), worded=True) from None


def _bomb_error(where: str, given: str) -> DataError:
    return DataError(f"image too large ({given} pixels); at most {MAX_IMAGE_PIXELS:,} pixels are read "
                     "(it may be a decompression bomb).", where=Where(file=where), given=given,
                     hint="scale the image down")


def to_grey(image: Any) -> np.ndarray:
    """Return `image` (path, PIL image or 2-D array) as a float32 (H, W) greyscale array
    in [0, 1]; transparent pixels are composited on white."""
    if isinstance(image, (str, Path)):
        return _pil_to_grey(open_image(image))
    if isinstance(image, Image.Image):
        return _pil_to_grey(image)
    if isinstance(image, np.ndarray):
        return _array_to_grey(image)
    raise DataError(
        f"cannot prepare an image from a {type(image).__name__}; "
        "allowed: a file path, a PIL image or a 2-D numpy array"
    )


def _pil_to_grey(img: Image.Image) -> np.ndarray:
    if img.mode in ("P", "PA"):
        # A palette may mark one entry transparent: keep that as alpha.
        img = img.convert("RGBA" if img.mode == "PA" or "transparency" in img.info else "RGB")
    elif img.mode in ("La", "RGBa"):  # premultiplied alpha
        img = img.convert("LA" if img.mode == "La" else "RGBA")
    mode = img.mode
    if mode in ("RGBA", "LA"):
        alpha = np.asarray(img.getchannel("A"), dtype=np.float32) / 255.0
        grey = _pil_luma(img.getchannel("L") if mode == "LA" else img.convert("RGB"))
        return grey * alpha + (1.0 - alpha)  # composite on white paper
    if mode.startswith("I;16"):
        return np.asarray(img).astype(np.float32) / 65535.0
    if mode in ("I", "F"):
        return _array_to_grey(np.asarray(img))
    return _pil_luma(img)


def _pil_luma(img: Image.Image) -> np.ndarray:
    """8-bit image of any colour mode -> float32 luma in [0, 1]."""
    if img.mode != "L":
        try:
            img = img.convert("L")
        except ValueError:  # modes PIL cannot turn into L directly (HSV, LAB)
            try:
                img = img.convert("RGB").convert("L")
            except ValueError:
                raise DataError(f"cannot read images of mode {img.mode!r} as greyscale") from None
    return np.asarray(img, dtype=np.float32) / 255.0


def _array_to_grey(a: np.ndarray) -> np.ndarray:
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 3 and a.shape[2] in (1, 3, 4):
        if a.shape[2] == 1:
            a = a[:, :, 0]
        else:
            mode = "RGB" if a.shape[2] == 3 else "RGBA"
            return _pil_to_grey(Image.fromarray(np.ascontiguousarray(_to_uint8(a)), mode))
    if a.ndim != 2 or a.size == 0:
        raise DataError(f"an image array must be 2-D (height, width), got shape {a.shape}")
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    if a.dtype.kind not in "fiu":
        raise DataError(f"an image array must hold real numbers, got dtype {a.dtype}")
    g = np.asarray(a, dtype=np.float32)  # no copy for float32: later steps never write into it
    lo, hi = float(g.min()), float(g.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise DataError("an image array contains NaN or infinite values")
    if lo < 0.0 or hi > 65535.0:
        raise DataError(f"image values must lie in [0, 1], [0, 255] or [0, 65535]; got {lo:g}..{hi:g}")
    if hi <= 1.0:
        return g
    return g / (255.0 if hi <= 255.0 else 65535.0)


def _to_uint8(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    g = a.astype(np.float32)
    if g.max() <= 1.0:
        g = g * 255.0
    return np.clip(np.rint(g), 0, 255).astype(np.uint8)


SMALL_GRID = 8  # networks whose input is under this many pixels a side read pictures as grids


# Prepared pixels are multiples of 1/PIXEL_LEVELS, so a data set holds them as uint8
# codes (a quarter of float32's memory) and every path gives the same floats.
PIXEL_LEVELS = 255


def prepare_image(image: Any, prep: Preparation) -> np.ndarray:
    """Return `image` as a float32 (H, W) array in [0, 1] with bright ink on black,
    prepared as `prep` says, each value a multiple of 1/255 (see prepare_codes);
    DataError (naming the file when `image` is a path) if the image has no ink."""
    return code_values(prepare_codes(image, prep))


def prepare_codes(image: Any, prep: Preparation) -> np.ndarray:
    """Return `image` prepared as `prep` says, as uint8 (H, W) codes: value = code / 255.
    prepare_image is code_values of this, so a data set that stores codes and a
    prediction that prepares the picture again give bit-identical inputs."""
    if isinstance(image, (str, Path)):
        try:
            return pixel_codes(_prepare(image, prep))
        except DataError as error:
            if error.where.file is not None or error.worded:
                raise  # it names its file already
            raise DataError(error.problem or str(error), where=error.where.at(file=str(image)), given=error.given,
                            allowed=error.allowed, hint=error.hint) from None
    return pixel_codes(_prepare(image, prep))


def pixel_codes(values: np.ndarray) -> np.ndarray:
    """Return float values in [0, 1] as uint8 codes, rounded to the nearest 1/255."""
    return np.rint(np.clip(values, 0.0, 1.0) * np.float32(PIXEL_LEVELS)).astype(np.uint8)


def code_values(codes: np.ndarray) -> np.ndarray:
    """Return uint8 codes as float32 values code / 255. A true division (not a product
    with 1/255, which rounds differently for some codes): torch's `codes.float() / 255`
    gives the same bits."""
    return np.asarray(codes).astype(np.float32) / np.float32(PIXEL_LEVELS)


def _prepare(image: Any, prep: Preparation) -> np.ndarray:
    grey = to_grey(image)
    H, W = prep.size
    read_as_picture = not isinstance(image, np.ndarray)
    if not prep.crop and max(H, W) < SMALL_GRID and grey.shape != (H, W):
        # A small grid drawn larger (a 40x40 square outline): its strokes touch the
        # border, which then looks like paper; at the grid's own size grid_ink can tell.
        grey, read_as_picture = _resize(grey, W, H), True
    if not prep.crop and grey.shape == (H, W):
        # A grid at the network's own size (the 5x5 shapes): a square fills the border,
        # so the border cannot tell paper from ink. Arrays are data (ink bright);
        # pictures may be either way round, see grid_ink.
        ink = grid_ink(grey) if read_as_picture else grey.copy()
        peak = float(ink.max())
        if peak < MIN_INK_CONTRAST:
            raise DataError("the image has no ink: every pixel is blank")
    else:
        ink, peak = _ink_on_black(grey)
    if prep.crop:
        out = _crop_scale_center(ink, INK_THRESHOLD * peak, H, W, prep.margin)
    else:
        out = _resize(ink, W, H)
    peak = float(out.max())
    if peak <= 0.0:
        raise DataError("the image has no ink (it is blank after preparation)")
    # Resampling lowers thin strokes; keep the ink maximum at 1. Values are convex
    # combinations of [0, 1] inputs, so only rounding can leave that range.
    out *= 1.0 / peak
    np.minimum(out, 1.0, out=out)
    return out


def grid_ink(grey: np.ndarray) -> np.ndarray:
    """Return a small picture-grid's ink, bright on black, whichever way round it was
    drawn. Strokes are thin: the ink is the side (of the two split at mid-brightness)
    with fewer solid 2x2 blocks, and on a tie the sparser side. Neither the border nor
    the majority can tell: a square's outline fills the border and most of a 5x5 grid,
    and the rule reads all five course shapes right in both polarities."""
    dark = grey < 0.5 * (float(grey.min()) + float(grey.max()))
    if _solid_blocks(dark) != _solid_blocks(~dark):
        dark_is_ink = _solid_blocks(dark) < _solid_blocks(~dark)
    else:
        dark_is_ink = int(dark.sum()) <= int((~dark).sum())
    return 1.0 - grey if dark_is_ink else grey.copy()


def _solid_blocks(mask: np.ndarray) -> int:
    """Number of 2x2 windows of mask that are True throughout."""
    return int((mask[:-1, :-1] & mask[1:, :-1] & mask[:-1, 1:] & mask[1:, 1:]).sum())


def _ink_on_black(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """(H, W) grey in [0,1] -> (ink brightness >= 0 on a 0 background, its peak)."""
    # The background is what the outer ring of pixels mostly shows; paper can be
    # light (dark ink) or dark (chalk on a board, MNIST-style images).
    ring = np.concatenate((grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]))
    bg = float(np.partition(ring, ring.size // 2)[ring.size // 2])  # median, without np.median's overhead
    if bg > 0.5:
        ink = bg - grey  # inverted image minus inverted background: (1 - grey) - (1 - bg)
    else:
        ink = grey - bg
    peak = float(ink.max())
    if peak < MIN_INK_CONTRAST:
        raise DataError(
            "the image has no ink: every pixel is within "
            f"{MIN_INK_CONTRAST:g} of the background brightness {bg:.2f}"
        )
    np.maximum(ink, 0.0, out=ink)  # darker than the paper is still paper
    return ink, peak


def _crop_scale_center(ink: np.ndarray, threshold: float, H: int, W: int, margin: int) -> np.ndarray:
    rows = np.flatnonzero(ink.max(axis=1) > threshold)
    cols = np.flatnonzero(ink.max(axis=0) > threshold)
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    h, w = y1 - y0, x1 - x0
    # Keep the aspect ratio: the longer side of the ink box fills the space inside the margin.
    scale = min((H - 2 * margin) / h, (W - 2 * margin) / w)
    nh = min(H, max(1, int(round(h * scale))))
    nw = min(W, max(1, int(round(w * scale))))
    patch = _resample(ink, (y0, y1), (x0, x1), nh, nw)
    out = np.zeros((H, W), dtype=np.float32)
    oy, ox = (H - nh) // 2, (W - nw) // 2
    out[oy:oy + nh, ox:ox + nw] = patch
    return out


def _resize(ink: np.ndarray, W: int, H: int) -> np.ndarray:
    if ink.shape == (H, W):
        return ink.astype(np.float32, copy=True)
    return _resample(ink, (0, ink.shape[0]), (0, ink.shape[1]), H, W)


def _resample(a: np.ndarray, ys: tuple[int, int], xs: tuple[int, int], nh: int, nw: int) -> np.ndarray:
    """Resize the box a[ys[0]:ys[1], xs[0]:xs[1]] to (nh, nw) float32 as two small
    matrix products (area average when shrinking, bilinear when enlarging)."""
    ry, r0, r1 = _filter_matrix(nh, ys[0], ys[1], a.shape[0])
    rx, c0, c1 = _filter_matrix(nw, xs[0], xs[1], a.shape[1])
    return (ry @ a[r0:r1, c0:c1] @ rx.T).astype(np.float32, copy=False)


class _WeightCache:
    """The most recently used filter matrices, at most `budget` bytes of them. Bounded by
    bytes, not by count: every crop box size and place has its own matrix, so reading a
    large folder (or one of big photos, up to 4096 columns each) would otherwise keep
    tens to hundreds of MB of them."""

    def __init__(self, budget: int) -> None:
        self.budget, self.nbytes = budget, 0
        self.entries: OrderedDict[tuple[int, ...], tuple[np.ndarray, int, int]] = OrderedDict()
        self.lock = threading.Lock()  # the studio prepares images in several threads

    def get(self, key: tuple[int, int, int, int]) -> tuple[np.ndarray, int, int]:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                return found
        made = _make_filter_matrix(*key)
        with self.lock:
            if key not in self.entries:
                self.entries[key] = made
                self.nbytes += made[0].nbytes
            while self.nbytes > self.budget and len(self.entries) > 1:
                self.nbytes -= self.entries.popitem(last=False)[1][0].nbytes
        return made


_WEIGHTS = _WeightCache(4 * 2**20)


def _filter_matrix(n_out: int, start: int, stop: int, n_in: int) -> tuple[np.ndarray, int, int]:
    """The filter matrix of _make_filter_matrix, from the cache when it was made recently."""
    return _WEIGHTS.get((n_out, start, stop, n_in))


def _make_filter_matrix(n_out: int, start: int, stop: int, n_in: int) -> tuple[np.ndarray, int, int]:
    """Weights (n_out, k) mapping input pixels lo..lo+k to n_out outputs spanning [start, stop):
    the average over each output pixel's area when shrinking, bilinear when enlarging."""
    step = (stop - start) / n_out
    if step > 1.0:
        # Overlap of input pixel [j, j+1) with output pixel i's span, divided by the span.
        edges = start + np.arange(n_out + 1, dtype=np.float64) * step
        lo, hi = start, stop
        j = np.arange(lo, hi, dtype=np.float64)
        w = np.minimum(j[None, :] + 1, edges[1:, None]) - np.maximum(j[None, :], edges[:-1, None])
        np.maximum(w, 0.0, out=w)
    else:
        centers = start + (np.arange(n_out, dtype=np.float64) + 0.5) * step
        lo = max(0, int(np.floor(centers[0] - 1.0)))
        hi = min(n_in, int(np.ceil(centers[-1] + 1.0)) + 1)
        w = 1.0 - np.abs(np.arange(lo, hi, dtype=np.float64)[None, :] + 0.5 - centers[:, None])
        np.maximum(w, 0.0, out=w)
    w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    w = w.astype(np.float32)
    w.flags.writeable = False  # shared through the cache
    return w, lo, hi
