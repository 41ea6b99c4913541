"""Pictures from a torch model: real weights, one input's activations, softmax bars."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.draw import draw_activations, draw_kernels, draw_network
from nnstudio.draw.colors import NEGATIVE_END, POSITIVE_END
from nnstudio.errors import DataError

torch = pytest.importorskip("torch")
from nnstudio.model import build_model  # noqa: E402

BROKEN_SQUARE = np.array([[1, 1, 1, 0, 1], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1],
                          [0, 0, 0, 0, 1], [1, 1, 1, 1, 1]], dtype=np.float32)


def letter_t() -> np.ndarray:
    image = np.zeros((50, 50), dtype=np.float32)
    image[10:16, 12:38] = 1.0
    image[10:40, 22:28] = 1.0
    return image


def test_network_weights_come_from_the_model(parse):
    network = build_model("letters-mlp", seed=0)
    picture = parse(draw_network(network))
    matrix = network.state_dict()["layers.2.weight"].numpy()  # (128, 256)
    edges = picture.all("edge", layer=2)
    assert len(edges) == 64
    values = []
    for edge in edges:
        source, target = int(edge.get("data-from")), int(edge.get("data-to"))
        values.append(float(edge.get("data-weight")))
        assert values[-1] == pytest.approx(float(matrix[target, source]), rel=1e-3, abs=1e-6)
    strongest = edges[int(np.argmax(np.abs(values)))]
    assert strongest.get("stroke") == (POSITIVE_END if float(strongest.get("data-weight")) > 0
                                       else NEGATIVE_END)


def test_mlp_activations_color_neurons_and_show_softmax_bars(parse):
    network = build_model("shapes-mlp", seed=0)
    svg = draw_activations(network, BROKEN_SQUARE)
    picture = parse(svg)
    expected = {a.index: a.output for a in network.activations(BROKEN_SQUARE.reshape(25))}
    inputs = [float(n.get("data-value")) for n in picture.all("neuron", layer=-1)]
    assert inputs == BROKEN_SQUARE.reshape(-1).tolist()
    # the first hidden column shows the output after dropout (index 1), i.e. the relu values
    hidden = [float(n.get("data-value")) for n in picture.all("neuron", layer=0)]
    assert hidden == pytest.approx(expected[1].tolist(), rel=1e-3, abs=1e-6)
    bars = picture.all("bar")
    assert len(bars) == 5
    assert sum(float(b.get("data-value")) for b in bars) == pytest.approx(1.0, abs=1e-3)
    assert len(picture.all("input-image")) == 1
    assert svg == draw_activations(network, BROKEN_SQUARE)


def test_cnn_activations_have_a_heatmap_per_channel(parse):
    network = build_model("letters-cnn", seed=0)
    picture = parse(draw_activations(network, letter_t()))
    for layer, channels in ((0, 16), (3, 32), (6, 32)):  # 64 channels are capped at 32
        assert len(picture.all("heatmap", layer=layer)) == channels
    assert len(picture.all("bar")) == 26
    assert len(picture.all("neuron", layer=12)) == 26


def test_plane_picture_with_an_input_shows_feature_maps(parse):
    network = build_model("letters-cnn", seed=0)
    picture = parse(draw_network(network, input=letter_t()))
    assert len(picture.all("feature-map")) == 1 + 3 * 5
    assert len(picture.all("kernel")) == 6


def test_kernels_of_a_model(parse):
    network = build_model("seed-cnn", seed=0)
    picture = parse(draw_kernels(network))
    assert len(picture.all("weights")) == 32


def test_wrong_input_size_is_a_data_error_as_in_predict():
    network = build_model("shapes-mlp", seed=0)
    with pytest.raises(DataError, match="25 values"):
        draw_activations(network, np.zeros(24))


def test_missing_image_file_is_a_data_error_as_in_predict(tmp_path):
    network = build_model("letters-cnn", seed=0)
    with pytest.raises(DataError, match="no such image"):
        draw_activations(network, tmp_path / "missing.png")



def test_every_heatmap_row_is_one_named_layer_group():
    import xml.etree.ElementTree as ET

    svg = draw_activations(build_model("letters-cnn", seed=0), letter_t())
    ns = "{http://www.w3.org/2000/svg}"
    groups = [g for g in ET.fromstring(svg).iter(f"{ns}g") if g.get("class") == "layer"]
    rows = {int(g.get("data-layer")): g for g in groups if g.find(f"{ns}image[@class='heatmap']") is not None}
    assert sorted(rows) == [0, 3, 6]
    for layer, group in rows.items():
        assert group.get("data-name", "").startswith("conv")
        assert all(int(tile.get("data-layer")) == layer for tile in group.iter(f"{ns}image"))
