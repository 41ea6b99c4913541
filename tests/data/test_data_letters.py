import numpy as np
import pytest

from nnstudio.data import load_dataset, prepare_image
from nnstudio.data import letters as letters_mod
from nnstudio.data.fonts import LETTERS, TRAIN_FONTS, UNSEEN_FONTS, glyph
from nnstudio.errors import DataError


def test_shape_range_and_balance():
    data = load_dataset("letters", "train", per_class=3, seed=0)
    assert data.x.shape == (78, 1, 50, 50) and data.x.dtype == np.uint8  # codes: value = code / 255
    assert data.class_names == list(LETTERS)
    assert np.bincount(data.y).tolist() == [3] * 26
    values = data.floats()
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert np.allclose(values.max(axis=(1, 2, 3)), 1.0)  # every letter has full-strength ink
    assert (values[:, 0, :2, :].max(axis=(1, 2)) < 0.2).all()  # margin stays (nearly) empty
    assert data.preparation.size == (50, 50) and data.preparation.margin == 4 and data.preparation.crop
    assert len(set(data.y[:26].tolist())) > 5  # shuffled, not grouped by class


def test_same_seed_same_arrays_other_seed_or_part_differs():
    a = load_dataset("letters", "train", per_class=2, seed=11)
    b = load_dataset("letters", "train", per_class=2, seed=11)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, load_dataset("letters", "train", per_class=2, seed=12).x)
    assert not np.array_equal(a.x, load_dataset("letters", "test", per_class=2, seed=11).x)


def test_letters_are_already_prepared():
    data = load_dataset("letters", "test", per_class=1, seed=2)
    diffs = np.array([np.abs(prepare_image(img, data.preparation) - img).mean() for img in data.floats()[:, 0]])
    # Preparing again finds the same ink box for nearly all: nothing moves. A faint
    # edge column can fall below the ink threshold and rescale a letter by 1 pixel.
    assert np.median(diffs) < 1e-4 and diffs.max() < 0.06


def test_unseen_part_and_other_size():
    unseen = load_dataset("letters", "unseen", per_class=1, seed=0)
    assert unseen.x.shape == (26, 1, 50, 50) and unseen.name == "letters"
    small = load_dataset("letters", "train", per_class=1, size=(28, 28))
    assert small.x.shape == (26, 1, 28, 28) and small.preparation.margin == 2


def test_font_sets_mix_kinds_and_do_not_overlap():
    assert not set(TRAIN_FONTS) & set(UNSEEN_FONTS)
    for fonts in (TRAIN_FONTS, UNSEEN_FONTS):
        assert {f.kind for f in fonts} == {"ttf", "stroke"}


def test_glyphs_fit_their_cell():
    for font in (TRAIN_FONTS[0], UNSEEN_FONTS[-1]):
        pixels, (cx, cy, w, h) = glyph(font, "W", 3)
        assert max(w, h) == 44 and pixels.max() > 0.9
        assert pixels[:8].max() == 0 and pixels[-8:].max() == 0  # empty border


def test_defaults_and_bad_requests():
    assert letters_mod.LETTERS_TRAIN_PER_CLASS == 500
    with pytest.raises(DataError, match="part"):
        load_dataset("letters", "validation")
    with pytest.raises(DataError, match="per_class"):
        load_dataset("letters", per_class=-1)
    with pytest.raises(DataError, match="seed"):
        load_dataset("letters", per_class=1, seed=-5)
