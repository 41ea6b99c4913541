"""Data pictures: grids, vectors, one-hot codes, mosaics, kernels, first-layer weights."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from nnstudio.draw import NetView, draw_grid, draw_mosaic, draw_onehot, draw_vector
from nnstudio.draw.data import draw_first_layer_weights, draw_kernels
from nnstudio.errors import DrawError
from nnstudio.spec import get_preset

BROKEN_SQUARE = np.array([[1, 1, 1, 0, 1], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1],
                          [0, 0, 0, 0, 1], [1, 1, 1, 1, 1]], dtype=float)
SHAPES = ["square", "rhombus", "plus", "x", "line"]


def test_grid_has_one_cell_per_pixel_with_its_value(parse):
    picture = parse(draw_grid(BROKEN_SQUARE, titles=["broken square"]))
    cells = picture.all("cell")
    assert len(cells) == 25
    values = np.array([float(c.get("data-value")) for c in cells]).reshape(5, 5)
    assert np.array_equal(values, BROKEN_SQUARE)
    assert picture.texts("cell-value")[:5] == ["1", "1", "1", "0", "1"]
    assert {c.get("fill") for c in cells} == {"#000000", "#ffffff"}  # ink dark, paper white


def test_several_grids_side_by_side(parse):
    picture = parse(draw_grid(np.stack([BROKEN_SQUARE] * 3), titles=["a", "b", "c"]))
    assert len(picture.all("cell")) == 75
    assert len(picture.all("cell", group=2)) == 25


def test_vector_row_keeps_pixel_order_and_brackets_rows(parse):
    picture = parse(draw_vector(BROKEN_SQUARE, row_length=5))
    values = [float(c.get("data-value")) for c in picture.all("cell")]
    assert values == BROKEN_SQUARE.reshape(-1).tolist()
    assert len(picture.all("row-bracket")) == 5


def test_long_vector_is_elided_with_its_true_size(parse):
    picture = parse(draw_vector(np.zeros(2500)))
    ellipsis = picture.all("ellipsis")
    assert len(ellipsis) == 1 and ellipsis[0].get("data-size") == "2500"
    assert "x2500" in picture.texts("index")


def test_onehot_has_one_bit_set(parse):
    picture = parse(draw_onehot("x", SHAPES))
    bits = [int(c.get("data-value")) for c in picture.all("cell")]
    assert bits == [0, 0, 0, 1, 0]
    assert picture.texts("class-name") == SHAPES
    with pytest.raises(DrawError, match="not one of"):
        draw_onehot("circle", SHAPES)


def test_mosaic_shows_per_class_samples(parse):
    rng = np.random.default_rng(0)
    x = rng.random((30, 1, 8, 8)).astype(np.float32)
    y = np.repeat(np.arange(3), 10)
    dataset = SimpleNamespace(x=x, y=y, class_names=["A", "B", "C"], name="tiny")
    picture = parse(draw_mosaic(dataset, per_class=4))
    assert len(picture.all("sample")) == 12
    assert len(picture.all("sample", class_name="B")) == 4
    assert picture.texts("class-name") == ["A", "B", "C"]


def test_kernels_and_first_layer_weights_need_weights():
    with pytest.raises(DrawError, match="trained"):
        draw_kernels(NetView(get_preset("letters-cnn")))
    with pytest.raises(DrawError, match="trained"):
        draw_first_layer_weights(NetView(get_preset("shapes-mlp")))
    with pytest.raises(DrawError, match="no Conv2D"):
        draw_kernels(NetView(get_preset("shapes-mlp")))


def test_kernels_one_tile_per_filter_and_channel(parse):
    spec = get_preset("letters-cnn")
    rng = np.random.default_rng(0)
    weights = {"layers.0.weight": rng.normal(size=(16, 1, 5, 5)),
               "layers.3.weight": rng.normal(size=(32, 16, 5, 5))}
    view = NetView(spec, weights)
    assert len(parse(draw_kernels(view)).all("weights")) == 16
    assert len(parse(draw_kernels(view, 3)).all("weights")) == 16 * 8  # capped filters x channels
    with pytest.raises(DrawError, match="not a Conv2D"):
        draw_kernels(view, 1)


def test_first_layer_weights_as_images(parse):
    spec = get_preset("shapes-mlp")
    weights = {"layers.0.weight": np.random.default_rng(0).normal(size=(25, 25))}
    picture = parse(draw_first_layer_weights(NetView(spec, weights)))
    tiles = picture.all("weights")
    assert len(tiles) == 25
    assert tiles[0].get("href").startswith("data:image/png;base64,")


def test_grid_without_titles_and_from_a_vector(parse):
    picture = parse(draw_grid(BROKEN_SQUARE.reshape(-1)))
    assert len(picture.all("cell")) == 25
    assert picture.all("title") == []
