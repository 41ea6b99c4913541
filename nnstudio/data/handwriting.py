"""Handwritten capitals A-Z from a seeded model of pen strokes (no font files).

Every letter has several forms as people write capitals (handforms.py: an A with a
pointed or a flat top, a G with or without its bar, an M with straight or slanted
legs, ...), each a few strokes of lines, arcs and Bezier curves in a box one unit high.
`hand_letter` turns one form into one drawing: the whole letter bends smoothly, every
stroke's ends move on their own (gaps and crossings at joins), strokes overshoot or
fall short, wobble along their length, the letter slants, rotates, squashes or
stretches, small strokes are sometimes left out or added, and a round pen from a
hairline to a marker draws it, antialiased (drawn at 4x, then area-averaged down).

`hand_strokes` gives the varied strokes themselves (pen paths, before any pen draws
them), for the letter-paths dataset. The drawing is returned as a picture (ink bright
on black); the letters dataset passes it, sometimes dark on light or on a transparent
canvas, through `prepare_image` like every other input. Same generator state, same
drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from nnstudio.data.handforms import FORMS, Stroke

_SUPERSAMPLE = 4  # drawn this many times larger, then area-averaged: antialiased edges
_STEP = 0.02  # distance between the points of a stroke, in letter heights


# ---------------------------------------------------------------- the sample model
@dataclass(frozen=True)
class HandStyle:
    """Ranges of the per-drawing variations, in letter heights unless said otherwise."""

    bend: float = 0.045  # std of the smooth whole-letter warp at its control points
    end_jitter: float = 0.03  # std of each stroke end's own displacement
    overshoot: tuple[float, float] = (-0.06, 0.08)  # stroke end extended (+) or cut short (-)
    wobble: float = 0.018  # largest amplitude of the slow waves along a stroke
    tremor: float = 0.004  # largest amplitude of the fast ones
    slant: float = 0.35  # horizontal shear, +-
    rotation: float = 10.0  # degrees, +-
    aspect: float = 0.35  # log of width/height, +-
    pen: tuple[float, float] = (0.012, 0.17)  # pen width (log-uniform)
    height: tuple[float, float] = (20.0, 72.0)  # letter height in pixels (log-uniform)
    drop: float = 0.5  # chance that a stroke marked optional is left out
    extra: float = 0.06  # chance of a small extra tick at a stroke end
    hook: float = 0.15  # chance of a hook or curl where the pen comes down or lifts
    pressure: float = 0.3  # chance that the width swells and thins along each stroke


HAND_STYLE = HandStyle()


def hand_letter(letter: str, rng: np.random.Generator, style: HandStyle = HAND_STYLE) -> np.ndarray:
    """Return one handwritten `letter` as a float32 (H, W) picture in [0, 1], ink bright,
    with a few pixels of empty border."""
    kept = hand_strokes(letter, rng, style)
    pen = float(np.exp(rng.uniform(*np.log(style.pen))))
    height = float(np.exp(rng.uniform(*np.log(style.height))))
    pressure = [_pressure(len(s), rng) for s in kept] if rng.random() < style.pressure else None
    return render_strokes(kept, height, pen, pressure)


def hand_strokes(letter: str, rng: np.random.Generator, style: HandStyle = HAND_STYLE) -> list[Stroke]:
    """Return one handwritten `letter` as the pen paths that draw it, before any pen
    touches paper: (k, 2) arrays of points (x, y), y down, about one unit high, centered
    on the origin, in the order and direction the form gives them."""
    forms = FORMS[letter]
    strokes, optional = forms[int(rng.integers(len(forms)))]
    kept = [s for s, opt in zip(strokes, optional) if not (opt and rng.random() < style.drop)]
    kept = [_resample(s) for s in kept]
    kept = _bend(kept, rng, style.bend)
    kept = [_wobble(_extend(_move_ends(s, rng, style.end_jitter), rng, style.overshoot), rng, style) for s in kept]
    if rng.random() < style.extra:
        kept.append(_tick(kept, rng))
    if rng.random() < style.hook:
        kept = _hook(kept, rng)
    return _transform(kept, rng, style)


def _pressure(n: int, rng: np.random.Generator) -> np.ndarray:
    """Width factors (n,) along a stroke of a brush or a felt pen: thin where the pen
    touches down and lifts, full in between."""
    t = np.linspace(0.0, 1.0, n)
    swell = np.sin(np.pi * t) ** rng.uniform(0.3, 1.5)
    return (rng.uniform(0.2, 0.6) + (1 - 0.4) * swell) * rng.uniform(0.8, 1.3)


def _hook(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """A small hook or curl where the pen comes down (the first stroke's start) or
    lifts (the last stroke's end), as a hurried or decorative hand leaves."""
    first = rng.random() < 0.6
    s = strokes[0] if first else strokes[-1][::-1]
    tangent = s[0] - s[min(3, len(s) - 1)]
    heading = np.arctan2(tangent[1], tangent[0])
    radius = rng.uniform(0.04, 0.1)
    turn = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.4) * np.pi
    side = heading + np.sign(turn) * np.pi / 2
    center = s[0] + radius * np.array([np.cos(side), np.sin(side)])
    angles = side + np.pi + np.linspace(0.0, turn, 10)  # from the stroke's start, around the center
    curl = center + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    s = np.concatenate([curl[::-1], s[1:]])
    out = list(strokes)
    if first:
        out[0] = s
    else:
        out[-1] = s[::-1]
    return out


def _resample(stroke: Stroke) -> Stroke:
    """Points every _STEP along the stroke (straight segments become many points)."""
    s = _arclength(stroke)
    if s[-1] <= 0:
        return stroke[:1].repeat(2, axis=0)
    n = max(2, int(np.ceil(s[-1] / _STEP)) + 1)
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, stroke[:, 0]), np.interp(t, s, stroke[:, 1])], axis=1)


def _bend(strokes: list[Stroke], rng: np.random.Generator, std: float) -> list[Stroke]:
    """Move every point by a smooth random field: a 3x3 grid of displacements over the
    letter's box, interpolated bilinearly, so nearby points move together."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), np.maximum(pts.max(axis=0), pts.min(axis=0) + 1e-6)
    grid = rng.normal(0.0, std, (3, 3, 2))
    out = []
    for s in strokes:
        u = (s - lo) / (hi - lo) * 2.0  # (k, 2) in [0, 2]
        i = np.minimum(u.astype(int), 1)
        f = u - i
        fx, fy = f[:, :1], f[:, 1:]
        ix, iy = i[:, 0], i[:, 1]
        d = (grid[iy, ix] * (1 - fx) * (1 - fy) + grid[iy, ix + 1] * fx * (1 - fy)
             + grid[iy + 1, ix] * (1 - fx) * fy + grid[iy + 1, ix + 1] * fx * fy)
        out.append(s + d)
    return out


def _move_ends(s: Stroke, rng: np.random.Generator, std: float) -> Stroke:
    """Move the two ends independently; points between follow in proportion (by arc length)."""
    t = _arclength(s)
    t = t / max(t[-1], 1e-9)
    a, b = rng.normal(0.0, std, (2, 2))
    return s + (1 - t)[:, None] * a + t[:, None] * b


def _extend(s: Stroke, rng: np.random.Generator, span: tuple[float, float]) -> Stroke:
    """Lengthen (overshoot) or shorten (fall short of a join) each end of the stroke."""
    length = _arclength(s)[-1]
    for end in (0, 1):
        d = float(rng.uniform(*span))
        d = max(d, -0.2 * length)  # never eat more than a fifth of a stroke from one end
        if end == 1:
            s = s[::-1]
        if d >= 0:
            tangent = s[0] - s[min(2, len(s) - 1)]
            norm = np.linalg.norm(tangent)
            if norm > 1e-9 and d > 0:
                s = np.concatenate([[s[0] + tangent / norm * d], s])
        else:
            t = _arclength(s)
            keep = t >= -d
            s = s[keep] if keep.sum() >= 2 else s[-2:]
        if end == 1:
            s = s[::-1]
    return _resample(s)


def _wobble(s: Stroke, rng: np.random.Generator, style: HandStyle) -> Stroke:
    """Offset the points across the stroke by slow waves and a faint tremor."""
    if len(s) < 3:
        return s
    t = _arclength(s)
    normal = np.gradient(s, axis=0)[:, ::-1] * np.array([1.0, -1.0])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    off = np.zeros(len(s))
    for amp, freq in ((style.wobble, (0.6, 2.0)), (style.wobble / 2, (2.0, 4.0)), (style.tremor, (8.0, 14.0))):
        off += rng.uniform(0, amp) * np.sin(2 * np.pi * rng.uniform(*freq) * t + rng.uniform(0, 2 * np.pi))
    return s + normal * off[:, None]


def _tick(strokes: list[Stroke], rng: np.random.Generator) -> Stroke:
    """A small extra stroke across one end of a stroke, as a serif or a slip of the pen."""
    s = strokes[int(rng.integers(len(strokes)))]
    end = s[0] if rng.random() < 0.5 else s[-1]
    near = s[1] if end is s[0] else s[-2]
    d = end - near
    d = d / max(float(np.linalg.norm(d)), 1e-9)
    across = np.array([-d[1], d[0]]) * rng.uniform(0.05, 0.12)
    return _resample(np.stack([end - across, end + across]))


def _transform(strokes: list[Stroke], rng: np.random.Generator, style: HandStyle) -> list[Stroke]:
    """Slant, squash or stretch, and rotate the letter about its center."""
    slant = rng.uniform(-style.slant, style.slant)
    stretch = np.exp(rng.uniform(-style.aspect, style.aspect))
    theta = np.radians(rng.uniform(-style.rotation, style.rotation))
    c, s = np.cos(theta), np.sin(theta)
    m = np.array([[c, -s], [s, c]]) @ np.array([[stretch, -slant], [0.0, 1.0 / stretch]])
    center = np.concatenate(strokes).mean(axis=0)
    return [(p - center) @ m.T for p in strokes]


def _arclength(s: Stroke) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))])


def render_strokes(strokes: list[Stroke], height: float, pen: float,
                   pressure: list[np.ndarray] | None = None) -> np.ndarray:
    """Draw strokes with a round pen: the letter `height` pixels tall (its ink box's
    longer side for wide letters), pen `pen` letter heights wide, times `pressure`
    (one factor per point of each stroke) when given; return float32 (H, W) in [0, 1],
    ink bright, antialiased."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    scale = height / max(float(hi[1] - lo[1]), 0.5 * float(hi[0] - lo[0]), 1e-6)
    k = _SUPERSAMPLE
    # A hairline is kept to a third of a pixel: drawn at k times the size, that is
    # still a line, and area-averaged down it becomes the faint line a thin pen leaves.
    width_px = max(0.35, pen * height) * k
    pad = width_px * (1.5 if pressure else 0.5) + 2 * k
    size = np.ceil((hi - lo) * scale * k + 2 * pad).astype(int)
    size = (size + k - 1) // k * k  # whole output pixels
    img = Image.new("L", (int(size[0]), int(size[1])), 0)
    draw = ImageDraw.Draw(img)
    for i, s in enumerate(strokes):
        xy = ((s - lo) * scale * k + pad).tolist()
        if pressure is None:
            draw.line([tuple(p) for p in xy], fill=255, width=max(1, int(round(width_px))))
            radii = [width_px / 2] * len(xy)
        else:
            radii = (width_px / 2 * pressure[i]).tolist()
            for p, q, r in zip(xy[:-1], xy[1:], radii):
                draw.line([tuple(p), tuple(q)], fill=255, width=max(1, int(round(2 * r))))
        # A round pen tip at every point closes the joins (PIL's own round joins cost
        # ten times more) and rounds the ends.
        for (x, y), r in zip(xy, radii):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    small = img.reduce(k)  # area average of each k x k block
    return np.asarray(small, dtype=np.float32) / 255.0


def present(picture: np.ndarray, rng: np.random.Generator) -> np.ndarray | Image.Image:
    """Return the drawing as a user might hand it over: mostly as it is (ink bright on
    black), sometimes dark ink on white paper, sometimes small somewhere on a bigger
    transparent canvas; `prepare_image` makes all three the same kind of input."""
    u = rng.random()
    if u < 0.6:
        return picture
    ink = np.rint(picture * 255).astype(np.uint8)
    if u < 0.8:
        return Image.fromarray(255 - ink, "L")
    h, w = ink.shape
    H, W = int(h * rng.uniform(1.2, 3.0)), int(w * rng.uniform(1.2, 3.0))
    y, x = int(rng.integers(0, H - h + 1)), int(rng.integers(0, W - w + 1))
    rgba = np.zeros((H, W, 4), dtype=np.uint8)  # transparent black, as a browser canvas starts
    rgba[y:y + h, x:x + w, 3] = ink  # black ink whose opacity is the coverage
    return Image.fromarray(rgba, "RGBA")
