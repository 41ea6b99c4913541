"""Readable at page width: every picture at most 1,200 px wide at 1x, no text under 11 px,
and no text running off the canvas, for every preset and for deep, wide, one-neuron and
one-filter networks (weights and activations are made up here: no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest

import nnstudio.draw as draw
from nnstudio.draw import NetView
from nnstudio.draw.svg import MAX_WIDTH, MIN_FONT, text_width
from nnstudio.spec import infer_shapes, load_spec, num_classes, preset_names

SVG = "{http://www.w3.org/2000/svg}"

GENERATED = {
    "deep-mlp": {"name": "deep-mlp", "input_shape": [64], "layers": [
        {"type": "Dense", "units": 32, "activation": "sigmoid"} for _ in range(12)]
        + [{"type": "Dense", "units": 10, "activation": "softmax"}]},
    "wide-mlp": {"name": "wide-mlp", "input_shape": [10000], "layers": [
        {"type": "Dense", "units": 4096, "activation": "relu"},
        {"type": "Dense", "units": 100, "activation": "softmax"}]},
    "one-neuron": {"name": "one", "input_shape": [1], "layers": [
        {"type": "Dense", "units": 1, "activation": "sigmoid"}]},
    "one-filter": {"name": "one-filter", "input_shape": [1, 8, 8], "layers": [
        {"type": "Conv2D", "filters": 1, "kernel_size": 3}, {"type": "Flatten"},
        {"type": "Dense", "units": 2, "activation": "softmax"}]},
    "deep-cnn": {"name": "deep-cnn", "input_shape": [3, 224, 224], "layers": [
        {"type": "Conv2D", "filters": 32 * (i + 1), "kernel_size": 3, "strides": 2,
         "padding": "same", "activation": "relu"} for i in range(7)]
        + [{"type": "Flatten"}, {"type": "Dense", "units": 512, "activation": "relu"},
           {"type": "Dense", "units": 1000, "activation": "softmax"}]},
    "seq-lstm": {"name": "seq-lstm", "input_shape": [6, 1], "layers": [
        {"type": "LSTM", "units": 4}, {"type": "Dense", "units": 1}]},
    "seq-long-wide": {"name": "seq-long-wide", "input_shape": [200, 40], "layers": [
        {"type": "LSTM", "units": 128, "return_sequences": True}, {"type": "Dropout", "rate": 0.3},
        {"type": "GRU", "units": 64}, {"type": "Dense", "units": 32, "activation": "relu"},
        {"type": "Dense", "units": 10, "activation": "softmax"}]},
    "seq-flat": {"name": "seq-flat", "input_shape": [50, 2], "layers": [
        {"type": "SimpleRNN", "units": 8, "return_sequences": True}, {"type": "Flatten"},
        {"type": "Dense", "units": 3, "activation": "softmax"}]},
    "seq-no-recurrent": {"name": "seq-no-recurrent", "input_shape": [8, 2], "layers": [
        {"type": "Flatten"}, {"type": "Dense", "units": 3, "activation": "softmax"}]},
}
NETWORKS = list(preset_names()) + list(GENERATED)


def spec_of(name: str):
    return load_spec(GENERATED.get(name, name))


def fake_view(name: str, *, with_input: bool) -> NetView:
    """Return a NetView with made-up weights of every Dense/Conv2D layer, and made-up
    outputs of every layer for one input when `with_input`."""
    spec = spec_of(name)
    rng = np.random.default_rng(0)
    weights, outputs = {}, {}
    if with_input:
        outputs[-1] = rng.random(tuple(spec.input_shape))
    for info in infer_shapes(spec):
        if info.type == "Dense":
            weights[f"layers.{info.index}.weight"] = rng.normal(
                size=(info.output_shape[0], info.input_shape[0]))
        elif info.type == "Conv2D":
            k = info.config["kernel_size"]
            weights[f"layers.{info.index}.weight"] = rng.normal(
                size=(info.output_shape[0], info.input_shape[0], k[0], k[1]))
        if with_input:
            value = np.maximum(rng.normal(size=tuple(info.output_shape)), 0)
            if info.type in ("SimpleRNN", "LSTM", "GRU"):  # every step's state, as the model reports
                value = np.tanh(rng.normal(size=(info.input_shape[0], info.config["units"])))
            if info.config.get("activation") == "softmax":
                value = np.exp(value) / np.exp(value).sum()
            outputs[info.index] = value
    names = tuple(f"class {i}" for i in range(num_classes(spec)))
    return NetView(spec, weights, names, outputs if with_input else None)


def check_readable(svg: str, parse) -> None:
    picture = parse(svg)
    root = picture.root
    width, height = float(root.get("width")), float(root.get("height"))
    assert width <= MAX_WIDTH, f"{width:.0f} px wide"
    for text in root.iter(SVG + "text"):
        size = float(text.get("font-size"))
        content = (text.text or "").strip()  # a <title> child is a tooltip, not drawn
        assert size >= MIN_FONT, f"{content!r} at {size} px"
        if text.get("transform") or not content:
            continue  # rotated axis labels are placed by their transform
        x, y = float(text.get("x")), float(text.get("y"))
        extent = text_width(content, size)
        left = x - extent * {"start": 0, "middle": 0.5, "end": 1}[text.get("text-anchor", "start")]
        assert left >= -0.5 and left + extent <= width + 0.5, f"{content!r} cut off at x {left:.0f}"
        assert y - 0.8 * size >= -0.5 and y <= height + 0.5, f"{content!r} cut off at y {y:.0f}"


@pytest.mark.parametrize("name", NETWORKS)
def test_structure_fits_the_page(name, parse):
    check_readable(draw.draw_network(spec_of(name)), parse)


@pytest.mark.parametrize("name", NETWORKS)
def test_trained_network_fits_the_page(name, parse):
    check_readable(draw.draw_network(fake_view(name, with_input=False)), parse)


@pytest.mark.parametrize("name", NETWORKS)
def test_network_with_an_input_fits_the_page(name, parse):
    view = fake_view(name, with_input=True)
    check_readable(draw.draw_network(view, input=view.outputs[-1]), parse)
    check_readable(draw.draw_activations(view, view.outputs[-1]), parse)


def test_data_and_function_pictures_fit_the_page(parse):
    from nnstudio.data import BROKEN_SQUARE, SHAPE_BITMAPS, SHAPES

    grids = np.stack([SHAPE_BITMAPS[n] for n in SHAPES] + [BROKEN_SQUARE])
    pictures = [draw.draw_grid(grids, titles=list(SHAPES) + ["broken square"]),
                draw.draw_vector(BROKEN_SQUARE, title="broken square", row_length=5),
                draw.draw_vector(np.random.default_rng(0).random(2500), title="a letter"),
                draw.draw_onehot(0, list(SHAPES)), draw.draw_onehot(3, [str(i) for i in range(10)]),
                draw.draw_softmax([2.0, 1.0, 0.1]),
                draw.draw_history([{"epoch": e, "loss": 1 / e, "accuracy": 0.5, "val_loss": 1.0,
                                    "val_accuracy": 0.4} for e in range(1, 20)])]
    pictures += [draw.draw_function(name) for name in draw.FUNCTION_NAMES]
    for svg in pictures:
        check_readable(svg, parse)


@pytest.mark.parametrize("name", ["letters-cnn", "seed-cnn", "digits-cnn", "one-filter"])
def test_kernels_fit_the_page(name, parse):
    view = fake_view(name, with_input=False)
    for layer, config in enumerate(view.spec.layers):
        if config["type"] == "Conv2D":
            check_readable(draw.draw_kernels(view, layer), parse)


@pytest.mark.parametrize("name", ["letters-mlp", "shapes-mlp", "digits-mlp"])
def test_first_layer_weights_fit_the_page(name, parse):
    check_readable(draw.draw_first_layer_weights(fake_view(name, with_input=False)), parse)


def test_concept_pictures_fit_the_page(parse):
    rng = np.random.default_rng(0)
    names = [chr(65 + i) for i in range(26)]
    pictures = [
        draw.draw_neuron(rng.random(2500), rng.normal(size=2500), 0.1, activation="relu"),
        draw.draw_cross_entropy(np.full(26, 1 / 26), 3, names),
        draw.draw_lr_schedules({"none": [0.01] * 30, "cosine": list(np.linspace(0.01, 0, 30))},
                               base_lr=0.01),
        draw.draw_vanishing_gradient({"sigmoid": list(np.logspace(-8, 0, 12)),
                                      "relu": [0.1] * 12}),
        draw.draw_training_line(rng.random(64), 3, [str(i) for i in range(10)]),
        draw.draw_training_line((rng.random(25) > 0.5).astype(float), 1,
                                ["square", "rhombus", "plus", "x", "line"]),
        draw.draw_dropout("letters-mlp"), draw.draw_dropout(GENERATED["deep-mlp"] | {
            "layers": GENERATED["deep-mlp"]["layers"][:3] + [{"type": "Dropout", "rate": 0.5}]
            + GENERATED["deep-mlp"]["layers"][3:]}),
        draw.draw_conv_zoom(rng.random((50, 50)), rng.normal(size=(2, 12, 12)), row=20, col=20,
                            stride=1, padding="same", steps=[[("leaky relu 0.1", 0.5)]] * 2),
        draw.draw_batchnorm(rng.normal(size=1000), 1.3, -0.2),
        draw.draw_lstm_cell(units=128, features=40), draw.draw_gru_cell(units=64, features=3),
        draw.draw_flattening(rng.random((28, 28)), rng.permutation(784),
                             accuracies={"MLP (digits-mlp)": (0.97, 0.97)}),
    ]
    for svg in pictures:
        check_readable(svg, parse)
