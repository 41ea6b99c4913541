"""Synthetic letters A-Z: greyscale images, ink bright, rendered from bundled fonts.

Each letter is a glyph from fonts.py, moved by a random smooth warp (rotation,
scale, aspect, slant, shift and a mild elastic bend), given a random stroke
thickness and sometimes noise, then passed through the same `prepare_image` that
every prediction input goes through. Glyph warping is batched in one PyTorch
`grid_sample` call per chunk; preparation runs per image.

Parts: "train" and "test" use TRAIN_FONTS with independent random streams;
"unseen" uses the held-out UNSEEN_FONTS, drawn anywhere on a bigger canvas at any
size, so it measures recognition of letter shapes the network never saw.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from nnstudio.data.dataset import Dataset
from nnstudio.data.fonts import CELL, GLYPH_BOX, LETTERS, TRAIN_FONTS, UNSEEN_FONTS, WEIGHTS, Atlas, atlas
from nnstudio.data.handwriting import hand_letter, present
from nnstudio.data.prepare import Preparation, default_margin, prepare_codes
from nnstudio.errors import DataError

log = logging.getLogger(__name__)

# Default samples per letter for each part. The train default is what a small CNN
# needs to reach >= 99% on "test" and >= 97% on "unseen" in its 5 preset epochs
# (measured in bench/ACCURACY.md); more costs generation and training time for little gain.
LETTERS_TRAIN_PER_CLASS = 500
LETTERS_TEST_PER_CLASS = 100
LETTERS_UNSEEN_PER_CLASS = 100
LETTERS_SIZE = (50, 50)
LETTERS_PARTS = ("train", "test", "unseen")
# Share of each class in "train" and "test" drawn by the handwriting model
# (handwriting.py) rather than from fonts; "unseen" holds held-out fonts only.
HANDWRITING_SHARE = 0.5

_PART_STREAM = {"train": 0, "test": 1, "unseen": 2}
_CHUNK = 64  # letters warped per grid_sample call: enough to batch, small enough to stay in cache
_NODES = 5  # elastic-warp control points per side of the letter's region


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random variations (uniform unless said otherwise)."""

    canvas: int  # side of the square canvas the letter is drawn on, pixels
    size: tuple[float, float]  # longer side of the letter's ink box, pixels (log-uniform)
    rotation: float = 12.0  # degrees, +-
    aspect: float = 0.15  # log of width/height stretch, +-
    slant: float = 0.2  # horizontal shear, +-
    shift: float = 3.0  # pixels, +-; ignored when `anywhere`
    anywhere: bool = False  # place the letter anywhere it fits on the canvas
    elastic: float = 0.035  # largest std of control-point displacement, fraction of the letter
    noise_share: float = 0.3  # share of letters that get Gaussian noise
    noise: float = 0.025  # largest noise std: 6 std below the ink threshold, so no speck counts as ink


TRAIN_AUGMENTATION = Augmentation(canvas=64, size=(22.0, 50.0))
UNSEEN_AUGMENTATION = Augmentation(canvas=128, size=(18.0, 100.0), anywhere=True)


def letters_preparation(size: tuple[int, int] | None = None) -> Preparation:
    """Return the Preparation of the letters: crop to the ink, 50x50 with a 4 pixel margin
    (or `size` with a margin of about 8% of its smaller side)."""
    size = Preparation(size=LETTERS_SIZE if size is None else size, margin=0).size  # validates size
    return Preparation(size=size, margin=default_margin(size), crop=True)


def load_letters(part: str = "train", *, per_class: int | None = None, seed: int = 0,
                 size: tuple[int, int] | None = None) -> Dataset:
    """Return letters A-Z as a Dataset: x uint8 codes (26*per_class, 1, H, W), classes "A".."Z",
    samples in random order; the same arguments always give the same arrays."""
    if part not in LETTERS_PARTS:
        raise DataError(f"letters part must be one of {LETTERS_PARTS}, got {part!r}")
    default = {"train": LETTERS_TRAIN_PER_CLASS, "test": LETTERS_TEST_PER_CLASS,
               "unseen": LETTERS_UNSEEN_PER_CLASS}[part]
    n = _check_count(default if per_class is None else per_class)
    prep = letters_preparation(size)
    seed = _check_seed(seed)
    n_hand = 0 if part == "unseen" else int(round(n * HANDWRITING_SHARE))
    began = time.perf_counter()
    # One uint8 array (26n, 1, H, W) for all letters: font letters first, then
    # handwritten ones, then shuffled in place, so no second copy is ever made.
    x = np.empty((len(LETTERS) * n, 1, *prep.size), dtype=np.uint8)
    n_font = len(LETTERS) * (n - n_hand)
    labels = _font_letters(x[:n_font], part, n - n_hand, seed, prep)
    if n_hand:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_PART_STREAM[part], 1)))
        hy = _hand_letters(x[n_font:], rng, n_hand, prep)
        order = rng.permutation(len(labels) + len(hy))
        permute_rows(x, order)
        labels = np.concatenate([labels, hy])[order]
    log.debug("letters %s: %d images in %.2f s", part, len(labels), time.perf_counter() - began)
    return Dataset(x, labels, list(LETTERS), name="letters", preparation=prep)


def _font_letters(x: np.ndarray, part: str, n: int, seed: int, prep: Preparation) -> np.ndarray:
    """Draw n letters per class from the part's fonts into x, uint8 (26n, 1, H, W);
    return their labels (26n,)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    fonts = UNSEEN_FONTS if part == "unseen" else TRAIN_FONTS
    aug = UNSEEN_AUGMENTATION if part == "unseen" else TRAIN_AUGMENTATION
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_PART_STREAM[part],)))
    labels, cells = _choose_glyphs(rng, n, len(fonts))
    warp = _draw_warps(rng, atlas(fonts), cells, aug)
    for start in range(0, len(labels), _CHUNK):
        stop = min(start + _CHUNK, len(labels))
        canvases = _render(atlas(fonts), {k: v[start:stop] for k, v in warp.items()}, aug.canvas)
        for i, canvas in enumerate(canvases, start):
            x[i, 0] = prepare_codes(canvas, prep)
    return labels


def _hand_letters(x: np.ndarray, rng: np.random.Generator, n: int, prep: Preparation) -> np.ndarray:
    """Draw n handwritten letters per class into x, uint8 (26n, 1, H, W), in class order;
    return their labels (26n,)."""
    labels = np.repeat(np.arange(len(LETTERS)), n)
    for i, label in enumerate(labels):
        x[i, 0] = prepare_codes(present(hand_letter(LETTERS[label], rng), rng), prep)
    return labels


def permute_rows(x: np.ndarray, order: np.ndarray) -> None:
    """Reorder x in place so that x[i] becomes the old x[order[i]], one row held aside per
    cycle of the permutation (x[order] would make a second copy of the whole array)."""
    done = np.zeros(len(order), dtype=bool)
    for start in range(len(order)):
        if done[start]:
            continue
        held = x[start].copy()
        i = start
        while True:
            done[i] = True
            j = int(order[i])
            if j == start:
                x[i] = held
                break
            x[i] = x[j]
            i = j


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"per_class must be a positive whole number, got {n!r}")
    return int(n)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a whole number >= 0, got {seed!r}")
    return int(seed)


def _choose_glyphs(rng: np.random.Generator, n: int, n_fonts: int) -> tuple[np.ndarray, np.ndarray]:
    """Return labels (26n,) and atlas cells (26n,) in random order; every letter cycles
    through the fonts in its own random order, so fonts are balanced per letter."""
    labels = np.repeat(np.arange(len(LETTERS)), n)
    fonts = np.concatenate([np.resize(rng.permutation(n_fonts), n) for _ in LETTERS])
    weights = rng.integers(0, WEIGHTS, size=labels.size)
    order = rng.permutation(labels.size)
    labels, fonts, weights = labels[order], fonts[order], weights[order]
    return labels, Atlas.cell_index(fonts, labels, weights)


def _draw_warps(rng: np.random.Generator, at: Atlas, cells: np.ndarray, aug: Augmentation) -> dict[str, np.ndarray]:
    """Draw every random warp parameter at once: inverse matrices (N, 2, 2), canvas centers
    (N, 2), control-point regions, displacements and noise levels."""
    N = cells.size
    S = aug.canvas
    box = at.box[cells]  # (N, 4): glyph center x, y, width, height in atlas pixels
    size = np.exp(rng.uniform(math.log(aug.size[0]), math.log(aug.size[1]), N))
    theta = np.radians(rng.uniform(-aug.rotation, aug.rotation, N))
    stretch = np.exp(rng.uniform(-aug.aspect, aug.aspect, N))
    slant = rng.uniform(-aug.slant, aug.slant, N)
    # Forward map glyph -> canvas: scale * rotate @ shear @ stretch, (N, 2, 2).
    cos, sin = np.cos(theta), np.sin(theta)
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shear = np.zeros((N, 2, 2))
    shear[:, 0, 0] = stretch
    shear[:, 0, 1] = slant / stretch
    shear[:, 1, 1] = 1.0 / stretch
    fwd = rot @ shear * (size / GLYPH_BOX)[:, None, None]
    # Extent of the transformed ink box; shrink letters that would not fit the canvas.
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64) * 0.5
    pts = np.einsum("nij,nkj->nki", fwd, corners[None] * box[:, None, 2:4])
    extent = pts.max(axis=1) - pts.min(axis=1)  # (N, 2)
    fit = np.minimum(1.0, (S - 4.0) / extent.max(axis=1))
    fwd *= fit[:, None, None]
    extent *= fit[:, None]
    room = np.maximum(0.0, (S - extent) / 2 - 2.0)  # (N, 2) free space on each side
    reach = room if aug.anywhere else np.minimum(room, aug.shift)
    center = S / 2 + rng.uniform(-1.0, 1.0, (N, 2)) * reach
    # Control points cover the letter plus a margin; outside them the warp is constant,
    # which maps to background, so no ink can fold in from outside.
    half = 0.5 * extent.max(axis=1) * 1.3 + 2.0
    bend = rng.uniform(0.0, aug.elastic, N) * GLYPH_BOX  # displacement std, glyph pixels
    disp = rng.normal(size=(N, _NODES, _NODES, 2)) * bend[:, None, None, None]
    disp[:, [0, -1], :, :] = 0.0  # fixed border: only the inside of the letter bends
    disp[:, :, [0, -1], :] = 0.0
    noisy = rng.random(N) < aug.noise_share
    noise = np.where(noisy, rng.uniform(0.01, aug.noise, N), 0.0)
    noise_seed = rng.integers(0, 2**62, N)
    noise_at = rng.integers(0, S, (N, 2))
    return {"inv": np.linalg.inv(fwd), "center": center, "half": half, "disp": disp,
            "glyph": box[:, :2].astype(np.float64), "cell": cells, "noise": noise,
            "noise_seed": noise_seed, "noise_at": noise_at}


def _render(at: Atlas, w: dict[str, np.ndarray], S: int) -> np.ndarray:
    """Warp a chunk of glyphs onto (n, S, S) float32 canvases in [0, 1], ink bright."""
    import torch
    import torch.nn.functional as F

    n = w["cell"].size
    G = _NODES
    steps = np.linspace(-1.0, 1.0, G)
    # Control points on the canvas, as offsets from the letter's center: (n, G, G, 2) (x, y).
    reach = steps[None, :] * w["half"][:, None]  # (n, G)
    offset = np.stack(np.broadcast_arrays(reach[:, None, :], reach[:, :, None]), -1)
    src = np.einsum("nij,nabj->nabi", w["inv"], offset) + w["glyph"][:, None, None] + w["disp"]
    # Keep every control point inside its glyph's cell (whose border is empty); pixels
    # are convex combinations of control points, so they stay inside too and never
    # sample a neighbouring glyph of the atlas.
    lo = at.origin[w["cell"]][:, None, None, :] + 0.5
    np.clip(src, lo, lo + (CELL - 1.0), out=src)
    AH, AW = at.image.shape
    src = src * (2.0 / np.array([AW, AH])) - 1.0  # grid_sample's [-1, 1] coordinates
    # Interpolate control points to pixels: grid[n,r,c] = sum_ab wy[n,r,a] src[n,a,b] wx[n,c,b].
    # Small batched matrix products run in numpy: torch's thread pool costs more than they do.
    wy = _node_weights(w["center"][:, 1], w["half"], S, G)  # (n, S, G)
    wx = _node_weights(w["center"][:, 0], w["half"], S, G)
    rows = wy @ src.astype(np.float32).reshape(n, G, G * 2)  # (n, S, G*2)
    rows = rows.reshape(n, S, G, 2).transpose(0, 1, 3, 2).reshape(n, S * 2, G)
    grid = (rows @ wx.transpose(0, 2, 1)).reshape(n, S, 2, S).transpose(0, 1, 3, 2)  # (n, S, S, 2)
    grid_t = torch.from_numpy(np.ascontiguousarray(grid).reshape(1, n * S, S, 2))
    image = torch.from_numpy(at.image)[None, None]
    with torch.no_grad():
        sampled = F.grid_sample(image, grid_t, mode="bilinear", padding_mode="zeros", align_corners=False)
    out = sampled.reshape(n, S, S).numpy()
    noisy = np.flatnonzero(w["noise"])
    if noisy.size:
        # One noise field per chunk; each letter takes its own window of it.
        field = np.random.default_rng(int(w["noise_seed"][0])).standard_normal((2 * S, 2 * S), dtype=np.float32)
        for i in noisy:
            oy, ox = w["noise_at"][i]
            out[i] += field[oy:oy + S, ox:ox + S] * np.float32(w["noise"][i])
        np.clip(out, 0.0, 1.0, out=out)
    return out


def _node_weights(center: np.ndarray, half: np.ndarray, S: int, G: int) -> np.ndarray:
    """Bilinear weights (n, S, G) from G control points spread over center +- half to
    the S pixel centers; pixels beyond the end points take the end point's value."""
    pix = np.arange(S) + 0.5
    u = (pix[None, :] - (center - half)[:, None]) / (2 * half)[:, None] * (G - 1)  # (n, S)
    u = np.clip(u, 0.0, G - 1.0)
    i0 = np.minimum(np.floor(u).astype(np.int64), G - 2)
    f = u - i0
    wts = np.zeros((center.size, S, G), dtype=np.float32)
    np.put_along_axis(wts, i0[..., None], (1.0 - f)[..., None], axis=2)
    np.put_along_axis(wts, i0[..., None] + 1, f[..., None], axis=2)
    return wts
