import pytest
import torch

from nnstudio.train import TrainConfig
from nnstudio.train.augment import AUGMENTATIONS, Distortion, distort


def letters_like(n: int = 40) -> torch.Tensor:
    """(n, 1, 50, 50) bars of ink (peak 1) on black, like prepared letters."""
    x = torch.zeros(n, 1, 50, 50)
    for i in range(n):
        x[i, 0, 4:46, 20 + i % 5:24 + i % 5] = 1.0
        x[i, 0, 4:8, 10:40] = 1.0
    return x


def test_distort_is_registered_and_a_training_choice():
    assert AUGMENTATIONS["distort"] is distort
    assert TrainConfig.from_options(augment="distort").augment == "distort"


def test_same_generator_same_images_other_seed_differs():
    x = letters_like()
    a = distort(x, torch.Generator().manual_seed(4))
    b = distort(x, torch.Generator().manual_seed(4))
    c = distort(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_shape_range_and_ink_are_kept():
    x = letters_like()
    y = distort(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.dtype == x.dtype
    assert y.min() >= 0 and torch.allclose(y.amax(dim=(1, 2, 3)), torch.ones(len(x)))
    changed = (y - x).abs().amax(dim=(1, 2, 3)) > 0.1
    assert 0.6 < changed.float().mean() < 1.0  # all but the `keep` share move
    assert torch.equal(x, letters_like())  # the input is not written into


def test_keep_all_changes_nothing_and_vectors_pass_through():
    x = letters_like(8)
    none = Distortion(keep=1.0, thicker=0.0, thinner=0.0)
    assert torch.allclose(distort(x, torch.Generator().manual_seed(0), none), x, atol=1e-5)
    v = torch.rand(5, 7)
    assert distort(v, torch.Generator()) is v


@pytest.mark.parametrize("which, sign", [("thicker", 1), ("thinner", -1)])
def test_strokes_grow_or_shrink(which, sign):
    x = letters_like(8)
    x[:, :, :, :] = 0
    x[:, 0, 5:45, 20:26] = 1.0  # one bar, 6 pixels wide
    only = Distortion(keep=1.0, thicker=1.0 if which == "thicker" else 0.0,
                      thinner=1.0 if which == "thinner" else 0.0)
    y = distort(x, torch.Generator().manual_seed(0), only)
    assert (sign * (y.sum(dim=(1, 2, 3)) - x.sum(dim=(1, 2, 3))) > 0).all()


def test_thinning_never_erases_a_hairline():
    x = torch.zeros(4, 1, 50, 50)
    x[:, 0, 5:45, 25] = 1.0
    y = distort(x, torch.Generator().manual_seed(0), Distortion(keep=1.0, thicker=0.0, thinner=1.0))
    assert torch.allclose(y, x, atol=1e-5)
