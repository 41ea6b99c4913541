"""Training-time augmentation: named, seeded transformations of one epoch's samples.

Each entry maps a name to a function f(x, generator) -> tensor of x's shape, where x is
the epoch's training inputs (N, *input_shape) as a float32 CPU tensor. The function
draws its randomness from `generator` only, so the same seed gives the same epochs.

The image augmentations expect prepared images (N, C, H, W) with bright ink on black,
as every image dataset gives them: a letter moved or bent a little, its strokes a
little thicker or thinner, so that a network learns the shape of a letter rather than
the exact pixels of its training images. Inputs that are not images (N, D) pass
through unchanged.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from nnstudio.train.augment_names import AUGMENTATION_NAMES

Augmentation = Callable[[torch.Tensor, torch.Generator], torch.Tensor]

# Images per grid_sample call: the sampling grid of a chunk stays around 40 MB. The
# training loop streams an epoch through augmentation in blocks of this size.
CHUNK = 2048


@dataclass(frozen=True)
class Distortion:
    """Ranges of the random changes (uniform in +-range unless said otherwise)."""

    keep: float = 0.2  # share of images left as they are
    rotation: float = 10.0  # degrees
    scale: float = 0.08  # log of the size change
    aspect: float = 0.12  # log of width / height
    shear: float = 0.15  # horizontal shear
    shift: float = 0.06  # fraction of the half-width (0.06: 1.5 pixels of 50)
    elastic: float = 0.03  # std of the bend at each of 5x5 control points, fraction of the half-width
    thicker: float = 0.2  # share of images whose strokes grow by one pixel each side
    thinner: float = 0.2  # share whose strokes shrink by one pixel each side (where they can)


DISTORTION = Distortion()


def distort(x: torch.Tensor, generator: torch.Generator, d: Distortion = DISTORTION) -> torch.Tensor:
    """Return x with every image (but a `keep` share) moved by a random affine map and a
    smooth elastic bend, and some of them with thicker or thinner strokes; ink peak 1."""
    if x.dim() != 4:
        return x
    out = torch.empty_like(x)
    for start in range(0, x.shape[0], CHUNK):
        out[start:start + CHUNK] = _distort_chunk(x[start:start + CHUNK], generator, d)
    return out


def _distort_chunk(x: torch.Tensor, generator: torch.Generator, d: Distortion) -> torch.Tensor:
    n, _, h, w = x.shape
    u = torch.rand(n, 7, generator=generator) * 2 - 1  # (n, 7) in [-1, 1]
    moved = torch.rand(n, generator=generator) >= d.keep
    angle = u[:, 0] * math.radians(d.rotation)
    scale = torch.exp(u[:, 1] * d.scale)
    aspect = torch.exp(u[:, 2] * d.aspect)
    shear = u[:, 3] * d.shear
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Output -> input coordinates (grid_sample's direction): rotate @ shear @ stretch, / scale.
    theta = torch.zeros(n, 3, 2)  # transposed: points (h*w, 3) @ theta -> (h*w, 2)
    sx, sy = aspect / scale, 1 / (aspect * scale)
    theta[:, 0, 0], theta[:, 1, 0] = cos * sx, cos * shear * sy - sin * sy
    theta[:, 0, 1], theta[:, 1, 1] = sin * sx, sin * shear * sy + cos * sy
    theta[:, 2, :] = u[:, 4:6] * d.shift
    theta[~moved] = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    # A matrix product instead of F.affine_grid and a bicubic F.interpolate, which cost
    # ten times more on one CPU thread.
    grid = (_pixel_points(h, w) @ theta).view(n, h, w, 2)
    bend = torch.randn(n * 2, 5, 5, generator=generator) * d.elastic * moved.repeat_interleave(2)[:, None, None]
    grid += (_spread(h) @ bend @ _spread(w).T).view(n, 2, h, w).permute(0, 2, 3, 1)
    y = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    y = _change_thickness(y, (u[:, 6] + 1) / 2, d)
    peak = y.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    return (y / peak).clamp_(0.0, 1.0)


@functools.cache
def _pixel_points(h: int, w: int) -> torch.Tensor:
    """(h*w, 3): each pixel center as (x, y, 1) in grid_sample's [-1, 1] coordinates."""
    ys = (torch.arange(h) * 2 + 1) / h - 1
    xs = (torch.arange(w) * 2 + 1) / w - 1
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1), torch.ones(h * w)], dim=1)


@functools.cache
def _spread(size: int, nodes: int = 5) -> torch.Tensor:
    """(size, nodes) weights that interpolate `nodes` control values to `size` pixels
    smoothly (a cosine blend between neighbours, flat at each node)."""
    u = torch.linspace(0, nodes - 1, size)
    i = u.floor().clamp(max=nodes - 2).long()
    f = (1 - torch.cos(math.pi * (u - i))) / 2
    weights = torch.zeros(size, nodes)
    weights[torch.arange(size), i] = 1 - f
    weights[torch.arange(size), i + 1] = f
    return weights


def _grow(y: torch.Tensor) -> torch.Tensor:
    """3x3 max filter as four elementwise maxima (faster than max_pool2d on one thread)."""
    p = F.pad(y, (1, 1, 1, 1))
    rows = torch.maximum(torch.maximum(p[..., :-2, :], p[..., 1:-1, :]), p[..., 2:, :])
    return torch.maximum(torch.maximum(rows[..., :-2], rows[..., 1:-1]), rows[..., 2:])


def _change_thickness(y: torch.Tensor, pick: torch.Tensor, d: Distortion) -> torch.Tensor:
    """Grow (max filter) or shrink (min filter) the strokes of the images whose `pick`
    in [0, 1) says so; a letter that shrinking would mostly erase keeps its strokes,
    and one that already covers much of its box is not grown."""
    ink = y.mean(dim=(1, 2, 3))
    thick = (pick < d.thicker) & (ink < 0.18)
    thin = (pick >= d.thicker) & (pick < d.thicker + d.thinner)
    if thick.any():
        y[thick] = _grow(y[thick])
    if thin.any():
        before = y[thin]
        eroded = -_grow(-before)
        survives = eroded.sum(dim=(1, 2, 3)) > 0.35 * before.sum(dim=(1, 2, 3))
        y[thin] = torch.where(survives[:, None, None, None], eroded, before)
    return y


AUGMENTATIONS: dict[str, Augmentation | None] = {"none": None, "distort": distort}
if tuple(AUGMENTATIONS) != AUGMENTATION_NAMES:  # TrainConfig accepts the names listed there, torch-free
    raise RuntimeError(f"augment_names.AUGMENTATION_NAMES {AUGMENTATION_NAMES} must name {tuple(AUGMENTATIONS)}")
