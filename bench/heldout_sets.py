"""Held-out letter sets for bench/letters_heldout.py, built in memory by means that
share nothing with nnstudio's training generator (nnstudio.data.letters, .fonts,
.handwriting): other fonts rendered another way, and letters drawn from this file's
own path skeletons with this file's own pen and distortions.

Every set is a list of (letter, PIL image) pairs: the raw canvas a user would hand
over (280x280 and bigger, dark on light, light on dark, transparent), which the model
prepares itself. The same seed always gives the same sets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CANVAS = 280

# ------------------------------------------------------------------ skeletons
# Paths on a grid 6 wide and 8 tall (y down), in a small SVG-like language:
# "M x,y" moves the pen, "L x,y" draws a line, "Q cx,cy x,y" a quadratic curve.
_O = "M3,0 Q0,0 0,4 Q0,8 3,8 Q6,8 6,4 Q6,0 3,0"
_P = "M0,8 L0,0 L3.5,0 Q6,0 6,2.25 Q6,4.5 3.5,4.5 L0,4.5"
MAIN = {
    "A": "M0,8 L3,0 L6,8 M1.2,5 L4.8,5",
    "B": "M0,0 L0,8 M0,0 L3.5,0 Q5.5,0 5.5,2 Q5.5,4 3.5,4 L0,4 M3.5,4 Q6,4 6,6 Q6,8 3.5,8 L0,8",
    "C": "M6,1.5 Q5,0 3,0 Q0,0 0,4 Q0,8 3,8 Q5,8 6,6.5",
    "D": "M0,0 L0,8 L2.5,8 Q6,8 6,4 Q6,0 2.5,0 L0,0",
    "E": "M5.5,0 L0,0 L0,8 L5.5,8 M0,4 L4.5,4",
    "F": "M5.5,0 L0,0 L0,8 M0,4 L4.5,4",
    "G": "M6,1.5 Q5,0 3,0 Q0,0 0,4 Q0,8 3,8 Q6,8 6,4.5 L3.5,4.5",
    "H": "M0,0 L0,8 M6,0 L6,8 M0,4 L6,4",
    "I": "M3,0 L3,8",
    "J": "M5,0 L5,5.5 Q5,8 2.5,8 Q0.5,8 0,6",
    "K": "M0,0 L0,8 M5.5,0 L0,5 M1.8,3.4 L6,8",
    "L": "M0,0 L0,8 L5,8",
    "M": "M0,8 L0,0 L3.5,5 L7,0 L7,8",
    "N": "M0,8 L0,0 L6,8 L6,0",
    "O": _O,
    "P": _P,
    "Q": _O + " M3.5,5.5 L6.5,8.5",
    "R": _P + " M2.5,4.5 L6,8",
    "S": "M5.8,1 Q5,0 3,0 Q0.2,0 0.2,2 Q0.2,3.8 3,4 Q5.8,4.2 5.8,6 Q5.8,8 3,8 Q1,8 0,7",
    "T": "M0,0 L6,0 M3,0 L3,8",
    "U": "M0,0 L0,5 Q0,8 3,8 Q6,8 6,5 L6,0",
    "V": "M0,0 L3,8 L6,0",
    "W": "M0,0 L2,8 L4,2.5 L6,8 L8,0",
    "X": "M0,0 L6,8 M6,0 L0,8",
    "Y": "M0,0 L3,4 L6,0 M3,4 L3,8",
    "Z": "M0,0 L6,0 L0,8 L6,8",
}
# Other ways people write the same capitals.
OTHER = {
    "A": "M0,8 L2,0 L4,0 L6,8 M1,5 L5,5",
    "E": "M5.5,1 Q4.5,0 3,0 Q0.5,0 0.5,2 Q0.5,4 3,4 Q0,4 0,6 Q0,8 3,8 Q5,8 6,7",
    "G": "M6,1.5 Q5,0 3,0 Q0,0 0,4 Q0,8 3,8 Q6,8 6,5 M4,5 L6,5 L6,8",
    "I": "M3,0 L3,8 M1.5,0 L4.5,0 M1.5,8 L4.5,8",
    "J": "M5,0 L5,5.5 Q5,8 2.5,8 Q0.5,8 0,6 M3,0 L7,0",
    "K": "M0,0 L0,8 M5.5,0 L0.2,4 L5.5,8",
    "M": "M0,8 L1,0 L3,6 L5,0 L6,8",
    "R": "M0,8 L0,0 L3.5,0 Q6,0 6,2.25 Q6,4.5 3.5,4.5 L0,4.5 L6,8",
    "U": "M0,0 L0,5 Q0,8 3,8 Q6,8 6,5 L6,0 L6,8",
    "W": "M0,0 L1.5,8 L3,0 L4.5,8 L6,0",
    "Y": "M0,0 L3,4 M6,0 L1,8",
    "Z": "M0,0 L6,0 L0,8 L6,8 M1.5,4 L4.5,4",
    "Q": _O + " M4,7 Q5,9 7,8.5",
    "D": "M0,0 L0,8 M0,0 Q8,0 8,4 Q8,8 0,8",
}


def parse_path(path: str) -> list[np.ndarray]:
    """Return the strokes of a path as (k, 2) arrays of points."""
    strokes: list[list[tuple[float, float]]] = []
    for op, args in re.findall(r"([MLQ])([^MLQ]+)", path):
        pts = [_xy(a) for a in args.split()]
        if op == "M":
            strokes.append(pts)
        elif op == "L":
            strokes[-1] += pts
        else:  # quadratic: control point, end point
            p0, c, p1 = (np.array(p) for p in (strokes[-1][-1], *pts))
            strokes[-1] += [tuple((1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t ** 2 * p1)
                            for t in np.linspace(0, 1, 13)[1:]]
    return [np.asarray(s, dtype=np.float64) for s in strokes]


def _xy(token: str) -> tuple[float, float]:
    x, y = token.split(",")
    return float(x), float(y)


def densify(stroke: np.ndarray, step: float = 0.15) -> np.ndarray:
    """Points every `step` grid units along the stroke."""
    d = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))])
    n = max(2, int(d[-1] / step) + 1)
    t = np.linspace(0, d[-1], n)
    return np.stack([np.interp(t, d, stroke[:, 0]), np.interp(t, d, stroke[:, 1])], 1)


# ------------------------------------------------------------------ pens and canvases
def fit_to_box(strokes: list[np.ndarray], box: tuple[float, float, float, float]) -> list[np.ndarray]:
    """Scale (keeping the aspect) and move the strokes into box (left, top, right, bottom)."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(0), pts.max(0)
    span = np.maximum(hi - lo, 1e-6)
    scale = min((box[2] - box[0]) / span[0], (box[3] - box[1]) / span[1])
    center = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    return [(s - (lo + hi) / 2) * scale + center for s in strokes]


def round_pen(draw: ImageDraw.ImageDraw, strokes: list[np.ndarray], width: float, ink) -> None:
    """A round pen of constant width, as a drawing canvas's line tool."""
    r = width / 2
    for s in strokes:
        pts = [tuple(p) for p in s.tolist()]
        draw.line(pts, fill=ink, width=max(1, int(round(width))), joint="curve")
        for x, y in (pts[0], pts[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)


def pressure_pen(draw: ImageDraw.ImageDraw, strokes: list[np.ndarray], width: float, ink,
                 rng: np.random.Generator) -> None:
    """A brush whose width swells and thins along each stroke (pressure)."""
    for s in strokes:
        s = densify(s, 0.5) if len(s) < 200 else s
        t = np.linspace(0, 1, len(s))
        w = width * (0.45 + 0.8 * np.sin(np.pi * t) ** rng.uniform(0.5, 2)) * rng.uniform(0.8, 1.2)
        for (x, y), r in zip(s.tolist(), w / 2):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)


def chisel_pen(draw: ImageDraw.ImageDraw, strokes: list[np.ndarray], width: float, angle: float, ink) -> None:
    """A flat marker tip held at `angle`: thick across, thin along it."""
    t = np.array([math.cos(angle), math.sin(angle)]) * width / 2
    for s in strokes:
        for p, q in zip(s[:-1], s[1:]):
            draw.polygon([tuple(p - t), tuple(p + t), tuple(q + t), tuple(q - t)], fill=ink)


def on_canvas(style: str, size: int = CANVAS) -> tuple[Image.Image, object]:
    """Return a blank canvas and its ink: 'dark' (black on white), 'light' (white on
    black) or 'clear' (black on a transparent canvas, as a browser draws)."""
    if style == "dark":
        return Image.new("L", (size, size), 255), 0
    if style == "light":
        return Image.new("L", (size, size), 0), 255
    return Image.new("RGBA", (size, size), (0, 0, 0, 0)), (0, 0, 0, 255)


# ------------------------------------------------------------------ distortions
def affine(strokes: list[np.ndarray], slant: float = 0.0, aspect: float = 1.0,
           degrees: float = 0.0) -> list[np.ndarray]:
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    m = rot @ np.array([[aspect, -slant], [0.0, 1.0]])
    c = np.concatenate(strokes).mean(0)
    return [(s - c) @ m.T + c for s in strokes]


def jitter_walk(strokes: list[np.ndarray], rng: np.random.Generator, amount: float) -> list[np.ndarray]:
    """Shaky hand: a smoothed random walk added along every stroke (grid units)."""
    out = []
    for s in strokes:
        s = densify(s)
        walk = np.cumsum(rng.normal(0, amount, s.shape), axis=0)
        walk -= np.linspace(0, 1, len(s))[:, None] * walk[-1]  # ends stay near their place
        kernel = np.ones(5) / 5
        smooth = np.stack([np.convolve(walk[:, k], kernel, mode="same") for k in range(2)], 1)
        out.append(s + smooth)
    return out


def ends(strokes: list[np.ndarray], rng: np.random.Generator, lo: float, hi: float) -> list[np.ndarray]:
    """Each stroke end pushed past its join or stopped short of it (grid units)."""
    out = []
    for s in strokes:
        s = densify(s)
        for flip in (False, True):
            s = s[::-1] if flip else s
            d = rng.uniform(lo, hi)
            if d > 0:
                v = s[0] - s[1]
                s = np.concatenate([[s[0] + v / max(np.linalg.norm(v), 1e-9) * d], s])
            else:
                drop = min(int(-d / 0.15), len(s) // 3)
                s = s[drop:]
            s = s[::-1] if flip else s
        out.append(s)
    return out


def bend(strokes: list[np.ndarray], rng: np.random.Generator, amount: float) -> list[np.ndarray]:
    """A casual hand's curvature: x and y move by random smooth (quadratic) functions."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(0), pts.max(0)
    a = rng.normal(0, amount, (2, 3))
    out = []
    for s in strokes:
        s = densify(s)
        u = (s - lo) / np.maximum(hi - lo, 1e-6) - 0.5
        dx = a[0, 0] * u[:, 1] ** 2 + a[0, 1] * u[:, 0] * u[:, 1] + a[0, 2] * np.sin(np.pi * u[:, 1])
        dy = a[1, 0] * u[:, 0] ** 2 + a[1, 1] * u[:, 0] * u[:, 1] + a[1, 2] * np.sin(np.pi * u[:, 0])
        out.append(s + np.stack([dx, dy], 1) * (hi - lo))
    return out


def flourish(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Script-like: a small curl leading into the first stroke, a hook out of the last."""
    out = [densify(s) for s in strokes]
    first = out[0]
    d = first[min(3, len(first) - 1)] - first[0]
    heading = math.atan2(d[1], d[0])
    r = rng.uniform(0.5, 1.0)
    turn = rng.choice([-1, 1])
    angles = heading - turn * np.linspace(1.5 * math.pi, 0, 14)
    center = first[0] + r * np.array([math.cos(heading + turn * math.pi / 2), math.sin(heading + turn * math.pi / 2)])
    curl = center - r * np.stack([np.cos(angles + turn * math.pi / 2), np.sin(angles + turn * math.pi / 2)], 1)
    out[0] = np.concatenate([curl, first])
    last = out[-1]
    v = last[-1] - last[-4] if len(last) > 4 else np.array([1.0, 0.0])
    v = v / max(np.linalg.norm(v), 1e-9)
    hook = last[-1] + np.outer(np.linspace(0, 1, 6), np.array([v[0] + 0.6, v[1] - 0.8])) * rng.uniform(0.5, 1.0)
    out[-1] = np.concatenate([last, hook])
    return out


# ------------------------------------------------------------------ the sets
def printed_fonts() -> list[tuple[str, str]]:
    """(name, file) of fonts never used to train: matplotlib's held-out ones and, where
    the system has them, Liberation and the DejaVu condensed and light faces."""
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    found = [(n, str(ttf / f"{n}.ttf")) for n in ("cmss10", "DejaVuSans-BoldOblique", "DejaVuSerif-BoldItalic",
                                                 "DejaVuSansMono-Oblique", "STIXGeneralBolIta")]
    system = Path("/usr/share/fonts/truetype")
    for pattern in ("liberation/Liberation*.ttf", "dejavu/DejaVu*Condensed*.ttf", "dejavu/DejaVuSans-ExtraLight.ttf"):
        found += [(p.stem, str(p)) for p in sorted(system.glob(pattern))]
    return found


def printed_set(rng: np.random.Generator) -> Iterator[tuple[str, Image.Image]]:
    """Each held-out font's A-Z in three presentations, each slightly rotated: dark ink
    on white, light ink on black, small and off-centre on a big transparent canvas."""
    for _, file in printed_fonts():
        font = ImageFont.truetype(file, 160)
        for letter in LETTERS:
            glyph = Image.new("L", (260, 260), 0)
            ImageDraw.Draw(glyph).text((130, 130), letter, font=font, fill=255, anchor="mm")
            for style in ("dark", "light", "clear"):
                g = glyph.rotate(rng.uniform(-6, 6), resample=Image.Resampling.BICUBIC)
                g = g.crop(g.getbbox())
                if style == "clear":
                    size = int(rng.integers(24, 70))
                    g = g.resize((max(1, round(g.width * size / g.height)), size), Image.Resampling.LANCZOS)
                    canvas = Image.new("RGBA", (600, 450), (0, 0, 0, 0))
                    x, y = int(rng.integers(0, 600 - g.width)), int(rng.integers(0, 450 - g.height))
                    layer = Image.new("RGBA", g.size, (20, 20, 60, 255))
                    layer.putalpha(g)
                    canvas.alpha_composite(layer, (x, y))
                else:
                    canvas = Image.new("L", (CANVAS, CANVAS), 255 if style == "dark" else 0)
                    ink = Image.new("L", g.size, 0 if style == "dark" else 255)
                    canvas.paste(ink, (int((CANVAS - g.width) / 2), int((CANVAS - g.height) / 2)), g)
                yield letter, canvas


def draw_letter(strokes: list[np.ndarray], rng: np.random.Generator, *, width: float, style: str = "clear",
                box: tuple[float, float, float, float] | None = None, pen: str = "round",
                size: int = CANVAS) -> Image.Image:
    """Draw grid strokes into box (default: a random box of 55-85% of the canvas)."""
    if box is None:
        h = rng.uniform(0.55, 0.85) * size
        x0, y0 = rng.uniform(0.05 * size, size - 0.05 * size - h, 2)
        box = (x0, y0, x0 + h, y0 + h)
    canvas, ink = on_canvas(style, size)
    draw = ImageDraw.Draw(canvas)
    placed = fit_to_box(strokes, box)
    if pen == "round":
        round_pen(draw, placed, width, ink)
    elif pen == "pressure":
        pressure_pen(draw, placed, width, ink, rng)
    else:
        chisel_pen(draw, placed, width, rng.uniform(0.5, 1.1), ink)
    return canvas


def clean_set(rng: np.random.Generator, per_letter: int = 40) -> Iterator[tuple[str, Image.Image]]:
    """The plain skeletons drawn with a round pen on 280x280, 4-20 px wide, any canvas."""
    for letter in LETTERS:
        for i in range(per_letter):
            strokes = parse_path(MAIN[letter] if i % 4 or letter not in OTHER else OTHER[letter])
            yield letter, draw_letter(strokes, rng, width=rng.uniform(4, 20), style=("dark", "light", "clear")[i % 3])


def sloppy_set(rng: np.random.Generator, per_letter: int = 60) -> Iterator[tuple[str, Image.Image]]:
    """Shaky strokes that overshoot or stop short, strong slant and squash, hairline
    and very thick pens, and the other forms of the letters."""
    for letter in LETTERS:
        for i in range(per_letter):
            path = OTHER[letter] if letter in OTHER and i % 2 else MAIN[letter]
            strokes = parse_path(path)
            strokes = jitter_walk(strokes, rng, rng.uniform(0.02, 0.07))
            strokes = ends(strokes, rng, -0.5, 0.8)
            strokes = affine(strokes, slant=rng.uniform(-0.45, 0.45), aspect=math.exp(rng.uniform(-0.6, 0.6)),
                             degrees=rng.uniform(-12, 12))
            width = [rng.uniform(1.5, 3), rng.uniform(8, 16), rng.uniform(26, 38)][i % 3]
            yield letter, draw_letter(strokes, rng, width=width, style=("clear", "dark", "light")[i % 3])


def handwriting_set(rng: np.random.Generator, per_letter: int = 60) -> Iterator[tuple[str, Image.Image]]:
    """Handwriting-like styles: casual (curved, pressure brush), marker (flat chisel tip,
    thick) and script-like (curls in and hooks out, slanted)."""
    for letter in LETTERS:
        for i in range(per_letter):
            path = OTHER[letter] if letter in OTHER and rng.random() < 0.4 else MAIN[letter]
            strokes = parse_path(path)
            kind = i % 3
            if kind == 0:  # casual
                strokes = bend(jitter_walk(strokes, rng, 0.03), rng, 0.12)
                strokes = affine(strokes, slant=rng.uniform(-0.3, 0.3), aspect=math.exp(rng.uniform(-0.4, 0.4)))
                yield letter, draw_letter(strokes, rng, width=rng.uniform(6, 16), pen="pressure", style="clear")
            elif kind == 1:  # marker
                strokes = ends(jitter_walk(strokes, rng, 0.03), rng, -0.3, 0.5)
                strokes = affine(strokes, slant=rng.uniform(-0.25, 0.25), degrees=rng.uniform(-8, 8))
                yield letter, draw_letter(strokes, rng, width=rng.uniform(18, 30), pen="chisel", style="dark")
            else:  # script-like
                strokes = flourish(bend(strokes, rng, 0.08), rng)
                strokes = affine(strokes, slant=rng.uniform(0.15, 0.5), aspect=math.exp(rng.uniform(-0.3, 0.2)))
                yield letter, draw_letter(strokes, rng, width=rng.uniform(3, 10), style="light")


Samples = list[tuple[str, Image.Image]]


def sweep_sets(rng: np.random.Generator, per_letter: int = 8) -> dict[str, list[tuple[str, Samples]]]:
    """Clean letters with one thing changed at a time: {sweep: [(setting, samples)]}."""
    def letters(**kw) -> Samples:
        out: Samples = []
        for letter in LETTERS:
            for _ in range(per_letter):
                strokes = parse_path(MAIN[letter])
                if "degrees" in kw:
                    strokes = affine(strokes, degrees=kw["degrees"] * rng.choice([-1, 1]))
                style = ("dark", "light", "clear")[len(out) % 3]
                out.append((letter, draw_letter(strokes, rng, width=kw.get("width", 10), box=kw.get("box"),
                                                style=style, size=kw.get("size", CANVAS))))
        return out

    sweeps: dict[str, list[tuple[str, Samples]]] = {"shift": [], "scale": [], "rotation": [], "pen width": []}
    for shift in (0, 40, 80, 120):  # letter 100 px tall on 280, centre moved right and down
        c = 140 + shift / math.sqrt(2)
        sweeps["shift"].append((f"{shift} px", letters(box=(c - 50, c - 50, c + 50, c + 50))))
    for h in (12, 20, 40, 100, 250, 560):  # letter height in px on a canvas of 600
        sweeps["scale"].append((f"{h} px", letters(box=(300 - h / 2, 300 - h / 2, 300 + h / 2, 300 + h / 2),
                                                   width=max(1.5, h / 20), size=600)))
    for deg in (0, 10, 20, 30, 45):
        sweeps["rotation"].append((f"{deg} deg", letters(degrees=deg)))
    for w in (1, 3, 8, 16, 28, 40):  # on a letter about 200 px tall
        sweeps["pen width"].append((f"{w} px", letters(width=w, box=(40, 40, 240, 240))))
    return sweeps
