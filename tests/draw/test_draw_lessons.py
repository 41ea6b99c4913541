"""The course's concept pictures, labels and tooltips (no torch: numbers are given here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnstudio.draw as draw
from nnstudio.draw import NetView
from nnstudio.errors import DrawError
from nnstudio.spec import get_preset

SVG = "{http://www.w3.org/2000/svg}"


def test_one_neuron_adds_products_and_bias(parse):
    x = np.array([1.0, 0.0, 1.0, 1.0])
    w = np.array([0.5, -2.0, 0.25, -0.125])
    picture = parse(draw.draw_neuron(x, w, 0.1, activation="relu"))
    bars = picture.all("bar")
    assert [float(b.get("data-value")) for b in bars] == pytest.approx(list(x * w))
    steps = picture.texts("step")
    assert "z = 0.725" in steps and "output = 0.725" in steps
    neuron = picture.all("neuron")[0]
    assert float(neuron.get("data-value")) == pytest.approx(0.725)


def test_one_neuron_with_many_inputs_keeps_the_exact_total(parse):
    rng = np.random.default_rng(0)
    x, w = rng.random(25), rng.normal(size=25)
    picture = parse(draw.draw_neuron(x, w, -0.5, activation="sigmoid", max_rows=6))
    shown = [float(b.get("data-value")) for b in picture.all("bar")]
    assert len(shown) == 6
    largest = np.sort(np.abs(x * w))[-6:]
    assert sorted(np.abs(shown)) == pytest.approx(list(largest), rel=1e-3)
    z = float((x * w).sum() - 0.5)
    assert f"output = {1 / (1 + math.exp(-z)):.4g}" in picture.texts("step")
    assert any(t.startswith("19 more inputs add") for t in picture.texts("rest"))


def test_one_neuron_needs_as_many_weights_as_inputs():
    with pytest.raises(DrawError, match="3 inputs and 2 weights"):
        draw.draw_neuron([1, 2, 3], [1, 2], 0.0)


def test_cross_entropy_is_minus_log_of_the_target_probability(parse):
    p = [0.1, 0.7, 0.2]
    picture = parse(draw.draw_cross_entropy(p, 1, ["a", "b", "c"]))
    loss = picture.all("loss")[0]
    assert float(loss.get("data-value")) == pytest.approx(-math.log(0.7), rel=1e-3)
    assert [c.get("data-value") for c in picture.all("cell")] == ["0", "1", "0"]


def test_schedules_and_gradients_draw_one_line_per_series(parse):
    picture = parse(draw.draw_lr_schedules({"none": [0.1] * 5, "exponential": [0.1, 0.05, 0.025,
                                                                             0.0125, 0.00625]},
                                           base_lr=0.1))
    assert [s.get("data-name") for s in picture.all("series")] == ["none", "exponential"]
    picture = parse(draw.draw_vanishing_gradient({"sigmoid": [1e-6, 1e-4, 1e-2],
                                                  "relu": [0.1, 0.2, 0.1]}))
    assert "1e-6" in picture.texts("tick") and "1e0" in picture.texts("tick")


def test_training_line_is_the_pixels_then_the_bits(parse):
    pixels = np.zeros(25)
    pixels[[0, 6, 12]] = 1
    picture = parse(draw.draw_training_line(pixels, 2, ["square", "rhombus", "plus", "x", "line"]))
    words = picture.texts("word")
    assert words == [str(int(v)) for v in pixels] + ["0", "0", "1", "0", "0"]
    assert len(picture.all("cell")) == 25


def test_dropout_switches_neurons_off_with_their_edges(parse):
    picture = parse(draw.draw_dropout("shapes-mlp", seed=3))
    dropped = picture.all("neuron-dropped")
    assert 0 < len(dropped) < 25 + 20 + 15 + 10
    off = {(d.get("data-layer"), d.get("data-index")) for d in dropped}
    for edge in picture.all("edge"):
        layer = int(edge.get("data-layer"))
        assert (str(layer), edge.get("data-to")) not in off
    assert draw.draw_dropout("shapes-mlp", seed=3) == draw.draw_dropout("shapes-mlp", seed=3)
    assert draw.draw_dropout("shapes-mlp", seed=3) != draw.draw_dropout("shapes-mlp", seed=4)
    with pytest.raises(DrawError, match="no Dropout"):
        draw.draw_dropout({"name": "n", "input_shape": [4], "layers": [
            {"type": "Dense", "units": 2, "activation": "softmax"}]})


def test_course_presets_name_their_classes(parse):
    assert parse(draw.draw_network("digits-mlp")).texts("class-name") == [str(i) for i in range(10)]
    assert parse(draw.draw_network("mnist-cnn")).texts("class-name") == [str(i) for i in range(10)]
    assert "1 neuron" in parse(draw.draw_network({"name": "one", "input_shape": [2], "layers": [
        {"type": "Dense", "units": 1, "activation": "sigmoid"}]})).texts("layer-label")


def test_layers_are_named_groups_with_tooltips(parse):
    spec = get_preset("shapes-mlp")
    rng = np.random.default_rng(0)
    weights = {f"layers.{i}.weight": rng.normal(size=(n, m)) for i, n, m in
               [(0, 25, 25), (2, 20, 25), (4, 15, 20), (6, 10, 15), (8, 5, 10)]}
    picture = parse(draw.draw_network(NetView(spec, weights, ("square", "rhombus", "plus", "x",
                                                              "line"))))
    groups = [g for g in picture.root.iter(SVG + "g") if g.get("class") == "layer"]
    assert [g.get("data-name") for g in groups] == ["input", "hidden 1", "hidden 2", "hidden 3",
                                                    "hidden 4", "output"]
    for neuron in picture.all("neuron"):
        assert neuron.find(SVG + "title") is not None
    edge = picture.all("edge", layer=8)[0]
    tip = edge.find(SVG + "title").text
    assert f"weight {edge.get('data-weight')}" in tip
    output = picture.all("neuron", layer=8, index=0)[0].find(SVG + "title").text
    assert "(square)" in output
    planes = parse(draw.draw_network("letters-cnn")).all("plane")
    assert all(p.find(SVG + "title") is not None for p in planes)


def test_first_layer_weights_mark_pixels_that_never_vary(parse):
    spec = get_preset("letters-mlp")
    rng = np.random.default_rng(0)
    weights = {"layers.0.weight": rng.normal(size=(256, 2500))}
    data = rng.random((10, 2500))
    data[:, :50] = 0.0  # the first image row is blank in every sample
    svg = draw.draw_first_layer_weights(NetView(spec, weights), data=data)
    assert "grey: pixels that never vary" in svg
    view = draw.resolve(NetView(spec, weights), data=data)
    assert view.input_spread is not None and (view.input_spread[:50] == 0).all()


def test_elided_inputs_are_pixels_that_vary_in_the_data(parse):
    spec = get_preset("letters-mlp")
    data = np.zeros((20, 2500))
    data[:, 1200:1260] = np.random.default_rng(0).random((20, 60))
    picture = parse(draw.draw_network(NetView(spec), data=data))
    shown = [int(n.get("data-index")) for n in picture.all("neuron", layer=-1)]
    assert len(shown) == 8 and all(1200 <= i < 1260 for i in shown)
    assert "2,492 more" in picture.texts("more")


def test_conv_zoom_draws_the_zero_border_and_sums_patch_times_weights(parse):
    image = np.arange(36, dtype=float).reshape(6, 6) / 36
    kernels = np.stack([np.eye(3), -np.ones((3, 3))])
    svg = draw.draw_conv_zoom(image, kernels, row=0, col=0, stride=1, padding="same",
                              steps=[[("relu", 0.1)], [("relu", 0.0)]])
    picture = parse(svg)
    patch = picture.all("kernel")[0]
    assert (patch.get("data-x"), patch.get("data-y")) == ("-1", "-1")  # it starts in the border
    cells = [float(c.get("data-value")) for c in picture.all("patch-cell")][:9]
    assert cells[:3] == [0, 0, 0] and cells[3] == 0  # the zero border
    padded = np.pad(image, 1)[0:3, 0:3]
    steps = picture.texts("step")
    assert f"\u03a3 patch \u00d7 w = {float((padded * np.eye(3)).sum()):.4g}" in steps
    with pytest.raises(DrawError, match="no patch"):
        draw.draw_conv_zoom(image, kernels, row=9, col=0, stride=1, padding="valid",
                            steps=[[], []])


def test_batchnorm_normalizes_then_scales_and_shifts(parse):
    values = np.random.default_rng(0).normal(3.0, 2.0, 500)
    picture = parse(draw.draw_batchnorm(values, 2.0, 0.5))
    means = [float(s.get("data-mean")) for s in picture.all("stats")]
    stds = [float(s.get("data-std")) for s in picture.all("stats")]
    assert means == pytest.approx([values.mean(), 0.0, 0.5], abs=1e-3)
    assert stds == pytest.approx([values.std(), 1.0, 2.0], abs=1e-3)


def test_flattening_keeps_every_pixel_in_row_order(parse):
    image = np.arange(16, dtype=float).reshape(4, 4) / 15
    picture = parse(draw.draw_flattening(image, np.arange(16)[::-1],
                                         accuracies={"MLP": (0.9, 0.9)}))
    values = [float(c.get("data-value")) for c in picture.all("cell")]
    assert values == pytest.approx(list(image.reshape(-1)), abs=1e-3)
    assert [a.get("data-value") for a in picture.all("accuracy")] == ["0.9", "0.9"]
    with pytest.raises(DrawError, match="permutation"):
        draw.draw_flattening(image, np.zeros(16))


def test_elided_layers_shown_for_an_input_get_a_strip_of_the_whole_layer(parse):
    spec = get_preset("letters-mlp")
    rng = np.random.default_rng(0)
    outputs = {-1: rng.random(2500), 1: rng.random(256), 3: rng.random(128), 4: rng.random(64),
               5: np.full(26, 1 / 26)}
    picture = parse(draw.draw_network(NetView(spec, None, None, outputs)))
    strips = picture.all("layer-strip")
    assert sorted(int(s.get("data-layer")) for s in strips) == [-1, 0, 2, 4]
    assert len(picture.all("strip-tick")) == 4 * 8
    # the drawn hidden neurons are the layer's most active ones
    shown = [int(n.get("data-index")) for n in picture.all("neuron", layer=0)]
    assert sorted(shown) == sorted(np.argsort(-outputs[1])[:8].tolist())
