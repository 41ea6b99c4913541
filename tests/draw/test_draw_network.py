"""Neuron-style pictures: neurons per layer, edges, elision, weight colors (no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.draw import NetView, draw_network
from nnstudio.draw.colors import NEGATIVE_END, NEUTRAL_EDGE, POSITIVE_END, diverging_rgb
from nnstudio.errors import DrawError
from nnstudio.spec import get_preset, infer_shapes


def fake_weights(spec, seed: int = 0) -> dict[str, np.ndarray]:
    """Return random Dense weights (out, in) for every Dense layer of `spec`."""
    rng = np.random.default_rng(seed)
    weights = {}
    for info in infer_shapes(spec):
        if info.type == "Dense":
            weights[f"layers.{info.index}.weight"] = rng.normal(size=(info.output_shape[0], info.input_shape[0]))
    return weights


def neurons_per_layer(picture) -> dict[int, int]:
    counts: dict[int, int] = {}
    for neuron in picture.all("neuron"):
        layer = int(neuron.get("data-layer"))
        counts[layer] = counts.get(layer, 0) + 1
    return counts


def test_shapes_mlp_shows_every_neuron_and_every_edge(parse):
    picture = parse(draw_network("shapes-mlp"))
    # input (-1), then the Dense layers at spec indices 0, 2, 4, 6, 8
    assert neurons_per_layer(picture) == {-1: 25, 0: 25, 2: 20, 4: 15, 6: 10, 8: 5}
    edges = picture.all("edge")
    sizes = [25, 25, 20, 15, 10, 5]
    assert len(edges) == sum(a * b for a, b in zip(sizes, sizes[1:]))
    for layer, (a, b) in zip((0, 2, 4, 6, 8), zip(sizes, sizes[1:])):
        assert len(picture.all("edge", layer=layer)) == a * b
    assert {edge.get("stroke") for edge in edges} == {NEUTRAL_EDGE}
    assert picture.all("ellipsis") == []
    labels = picture.texts("layer-label")
    assert "relu" in labels and "dropout 0.2" in labels and "softmax" in labels


def test_letters_mlp_elides_big_layers_with_true_sizes_and_indices(parse):
    picture = parse(draw_network("letters-mlp", max_neurons=32, keep=4))
    assert neurons_per_layer(picture) == {-1: 8, 0: 8, 2: 8, 4: 8, 5: 26}
    sizes = {int(e.get("data-layer")): int(e.get("data-size")) for e in picture.all("ellipsis")}
    assert sizes == {-1: 2500, 0: 256, 2: 128, 4: 64}
    inputs = [int(n.get("data-index")) for n in picture.all("neuron", layer=-1)]
    assert inputs == [0, 1, 2, 3, 2496, 2497, 2498, 2499]
    index_labels = picture.texts("index")
    for label in ("x1", "x4", "x2497", "x2500"):
        assert label in index_labels
    assert "x5" not in index_labels
    assert len(picture.all("edge", layer=0)) == 8 * 8
    assert len(picture.all("edge", layer=5)) == 8 * 26
    assert "(50\u00d750)" in picture.texts("layer-label")


def test_max_neurons_and_keep_change_the_elision(parse):
    picture = parse(draw_network("letters-mlp", max_neurons=10, keep=2))
    assert neurons_per_layer(picture) == {-1: 4, 0: 4, 2: 4, 4: 4, 5: 4}
    assert len(picture.all("edge", layer=0)) == 16


def test_trained_weights_get_diverging_colors_with_extremes(parse):
    spec = get_preset("shapes-mlp")
    weights = fake_weights(spec)
    picture = parse(draw_network(NetView(spec, weights)))
    for layer in (0, 2, 4, 6, 8):
        edges = picture.all("edge", layer=layer)
        values = np.array([float(e.get("data-weight")) for e in edges])
        strongest = edges[int(np.argmax(np.abs(values)))]
        expected = POSITIVE_END if float(strongest.get("data-weight")) > 0 else NEGATIVE_END
        assert strongest.get("stroke") == expected
        # every edge's color is its weight on the symmetric scale of this layer pair,
        # so the strongest positive is the most positive color and vice versa
        vmax = float(picture.all("colorbar", layer=layer)[0].get("data-max"))
        expected_rgb = diverging_rgb(values, np.abs(values).max()).astype(int)
        drawn = np.array([[int(e.get("stroke")[i:i + 2], 16) for i in (1, 3, 5)] for e in edges])
        assert np.abs(drawn - expected_rgb).max() <= 2
        assert vmax == pytest.approx(np.abs(values).max(), abs=0.01)
        # |w| is also the width, so the sign is not carried by color alone
        widths = np.array([float(e.get("stroke-width")) for e in edges])
        assert widths[int(np.argmax(np.abs(values)))] == widths.max()
        colorbar = picture.all("colorbar", layer=layer)
        assert len(colorbar) == 1
        assert float(colorbar[0].get("data-max")) == pytest.approx(np.abs(values).max(), abs=0.01)


def test_symmetric_extremes_get_both_end_colors(parse):
    spec = get_preset("shapes-mlp")
    weights = fake_weights(spec, seed=1)
    w = weights["layers.8.weight"]  # (5, 10)
    w[:] = np.clip(w, -0.5, 0.5)
    w[0, 0], w[4, 9] = 0.9, -0.9
    picture = parse(draw_network(NetView(spec, weights)))
    edges = {(e.get("data-from"), e.get("data-to")): e for e in picture.all("edge", layer=8)}
    assert edges[("0", "0")].get("stroke") == POSITIVE_END
    assert edges[("9", "4")].get("stroke") == NEGATIVE_END


def test_edge_weights_are_the_shown_entries_of_the_matrix(parse):
    spec = get_preset("letters-mlp")
    weights = fake_weights(spec)
    picture = parse(draw_network(NetView(spec, weights)))
    matrix = weights["layers.0.weight"]
    for edge in picture.all("edge", layer=0):
        source, target = int(edge.get("data-from")), int(edge.get("data-to"))
        assert float(edge.get("data-weight")) == pytest.approx(matrix[target, source], rel=1e-3)


def test_same_call_gives_identical_bytes():
    spec = get_preset("letters-mlp")
    view = NetView(spec, fake_weights(spec), tuple(chr(65 + i) for i in range(26)))
    assert draw_network(view) == draw_network(view)
    assert draw_network("shapes-mlp") == draw_network("shapes-mlp")


def test_class_names_label_the_output(parse):
    names = ["square", "rhombus", "plus", "x", "line"]
    picture = parse(draw_network("shapes-mlp", class_names=names))
    assert picture.texts("class-name") == names


@pytest.mark.parametrize("kwargs, message", [
    ({"style": "planes"}, "style 'planes'"),
    ({"style": "boxes"}, "allowed: auto, neurons, planes"),
    ({"max_neurons": 2}, "max_neurons"),
    ({"keep": 0}, "keep"),
])
def test_bad_options_raise_draw_error(kwargs, message):
    with pytest.raises(DrawError, match=message):
        draw_network("shapes-mlp", **kwargs)


def test_neuron_style_refuses_a_cnn():
    with pytest.raises(DrawError, match="allowed: planes or auto"):
        draw_network("letters-cnn", style="neurons")


def test_input_needs_a_trained_model():
    with pytest.raises(DrawError, match="trained model"):
        draw_network("shapes-mlp", input=np.zeros(25))
