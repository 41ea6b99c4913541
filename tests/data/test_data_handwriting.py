import numpy as np
import pytest
from PIL import Image

from nnstudio.data import prepare_image
from nnstudio.data import handwriting as hw
from nnstudio.data.fonts import LETTERS
from nnstudio.data.letters import _hand_letters, letters_preparation


def test_every_letter_has_several_forms_that_draw():
    assert set(hw.FORMS) == set(LETTERS)
    assert all(len(forms) >= 2 for forms in hw.FORMS.values())
    rng = np.random.default_rng(0)
    for letter in LETTERS:
        for _ in range(6):  # several forms, pens and sizes per letter
            img = hw.hand_letter(letter, rng)
            assert img.dtype == np.float32 and img.ndim == 2
            assert img.min() >= 0.0 and img.max() <= 1.0
            assert img.max() > 0.5  # ink
            assert img[0].max() == 0 and img[:, 0].max() == 0  # empty border: nothing is cut off


def test_same_seed_same_drawing_other_seed_differs():
    a = hw.hand_letter("G", np.random.default_rng(5))
    b = hw.hand_letter("G", np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    c = hw.hand_letter("G", np.random.default_rng(6))
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_pen_widths_range_from_hairline_to_marker():
    style = hw.HandStyle(pen=(0.02, 0.02), height=(60.0, 60.0))
    thin = hw.hand_letter("L", np.random.default_rng(1), style)
    style = hw.HandStyle(pen=(0.16, 0.16), height=(60.0, 60.0))
    thick = hw.hand_letter("L", np.random.default_rng(1), style)
    assert thick.sum() > 3 * thin.sum()


def test_render_draws_round_ends_inside_the_picture():
    img = hw.render_strokes([np.array([[0.0, 0.0], [0.0, 1.0]])], height=40, pen=0.1)
    rows = np.flatnonzero(img.max(axis=1) > 0.5)
    assert 40 <= rows[-1] - rows[0] + 1 <= 46  # the stroke plus its round caps
    assert img[0].max() == 0 and img[-1].max() == 0


def test_presentations_prepare_to_the_same_input():
    prep = letters_preparation()
    picture = hw.hand_letter("R", np.random.default_rng(3))
    plain = prepare_image(picture, prep)
    kinds = set()
    rng = np.random.default_rng(0)
    for _ in range(30):
        shown = hw.present(picture, rng)
        kinds.add(shown.mode if isinstance(shown, Image.Image) else "array")
        assert np.abs(prepare_image(shown, prep) - plain).mean() < 0.01
    assert kinds == {"array", "L", "RGBA"}  # ink bright, dark on white, on a transparent canvas


def test_hand_letters_cover_every_class_prepared_and_seeded():
    prep = letters_preparation()
    x, x2 = (np.zeros((52, 1, 50, 50), dtype=np.uint8) for _ in range(2))
    y = _hand_letters(x, np.random.default_rng(2), 2, prep)
    assert np.bincount(y).tolist() == [2] * 26
    assert (x.max(axis=(1, 2, 3)) == 255).all()  # every letter filled in, ink at full strength
    _hand_letters(x2, np.random.default_rng(2), 2, prep)
    np.testing.assert_array_equal(x, x2)


@pytest.mark.parametrize("part", ["train", "test"])
def test_letters_parts_mix_fonts_and_handwriting(part, monkeypatch):
    from nnstudio.data import letters

    calls = []
    real = letters._hand_letters
    monkeypatch.setattr(letters, "_hand_letters", lambda x, rng, n, prep: calls.append(n) or real(x, rng, n, prep))
    data = letters.load_letters(part, per_class=4, seed=1)
    assert calls == [round(4 * letters.HANDWRITING_SHARE)]
    assert np.bincount(data.y).tolist() == [4] * 26


def test_unseen_part_is_fonts_only(monkeypatch):
    from nnstudio.data import letters

    monkeypatch.setattr(letters, "_hand_letters", lambda *a: pytest.fail("unseen must hold held-out fonts only"))
    assert letters.load_letters("unseen", per_class=1).x.shape == (26, 1, 50, 50)
