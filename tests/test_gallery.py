"""The gallery: every kind of picture written as SVG (and PNG) with a README showing them."""

from __future__ import annotations

import re

import pytest

from nnstudio.gallery import ORDER, build_gallery
from nnstudio.errors import DrawError

ALWAYS = ["network-shapes-mlp", "network-letters-mlp", "network-letters-cnn", "network-seed-cnn",
          "grid-shapes", "vector-broken-square", "onehot-square", "mosaic-letters",
          "function-sigmoid", "function-tanh", "function-relu", "function-leaky-relu",
          "function-softmax", "training-line-square", "network-sequence-lstm", "cell-lstm",
          "cell-gru", "activations-sequence-lstm"]
TRAINED = ["network-shapes-mlp-trained", "activations-broken-square",
           "network-letters-mlp-trained", "weights-letters-mlp", "history-letters-mlp",
           "network-letters-cnn-input", "activations-letters-cnn", "kernels-letters-cnn",
           "neuron-shapes-mlp", "cross-entropy-square", "dropout-shapes-mlp", "lr-decay",
           "vanishing-gradient", "flattening-digits", "conv-zoom-letters-cnn",
           "batchnorm-letters-cnn"]


def readme_images(readme: str) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)


def test_gallery_without_training_writes_every_untrained_picture(tmp_path):
    out = tmp_path / "gallery"
    build_gallery(out, train=False, png=False)
    for name in ALWAYS:
        assert (out / f"{name}.svg").is_file(), name
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert readme_images(readme) == [f"{name}.svg" for name in ORDER if name in ALWAYS]
    assert "train=False" in readme


def test_gallery_needs_an_existing_parent(tmp_path):
    with pytest.raises(DrawError, match="does not exist"):
        build_gallery(tmp_path / "missing" / "gallery", train=False, png=False)


@pytest.mark.slow
def test_full_gallery_with_trained_networks_and_pngs(tmp_path):
    paths = build_gallery(tmp_path)
    names = {path.name for path in paths}
    for name in ALWAYS + TRAINED:
        assert f"{name}.svg" in names and f"{name}.png" in names, name
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "Not drawn" not in readme
    assert readme_images(readme) == [f"{name}.png" for name in ORDER]
    assert sorted(ORDER) == sorted(ALWAYS + TRAINED)


def test_conv_zoom_picture_draws_the_numbers_of_the_zoom():
    import nnstudio.draw as draw
    from nnstudio.data import load_dataset
    from nnstudio.lessons import conv_zoom_numbers, conv_zoom_picture
    from nnstudio.model import build_model

    network = build_model("digits-cnn", seed=0)
    sample = load_dataset("digits", per_class=1).x[0]
    zoom = conv_zoom_numbers(network, sample)
    svg = conv_zoom_picture(network, sample)
    assert svg == draw.draw_conv_zoom(zoom["image"], zoom["kernels"], row=zoom["row"], col=zoom["col"],
                                      stride=zoom["stride"], padding=zoom["padding"], steps=zoom["steps"],
                                      channel_names=zoom["channel_names"])
    assert "filter 1" in svg and svg.count('class="patch-cell"') == 2 * 9
