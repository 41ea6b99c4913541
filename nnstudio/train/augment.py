"""Training-time augmentation: named, seeded transformations of one epoch's samples.

Each entry maps a name to a function f(x, generator) -> tensor of x's shape, where x is
the epoch's training inputs (N, *input_shape) as a float32 CPU tensor. The function
draws its randomness from `generator` only, so the same seed gives the same epochs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Augmentation = Callable[[torch.Tensor, torch.Generator], torch.Tensor]

AUGMENTATIONS: dict[str, Augmentation | None] = {"none": None}
