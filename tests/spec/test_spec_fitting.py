"""The default network, chosen by data size and input size (spec.fitting)."""

from __future__ import annotations

from nnstudio.spec import count_params
from nnstudio.spec.fitting import SMALL_DATA, choose_default_network, fit_spec_to_data, image_size
from nnstudio.spec.presets import get_preset


def test_a_few_images_get_a_small_cnn_at_a_small_size():
    assert image_size(60, (64, 64)) == (32, 32)
    assert image_size(60, (20, 24)) == (20, 24)  # smaller images keep their size
    choice = choose_default_network("my_images", (1, 32, 32), 3, 60)
    assert choice.spec.name == "small-cnn" and choice.params < 120_000
    assert choice.spec.layers[-1]["units"] == 3
    assert "60 samples" in choice.reason
    # Batch normalization follows each convolution, with moving statistics that settle fast.
    assert [layer["momentum"] for layer in choice.spec.layers if layer["type"] == "BatchNormalization"] == [0.9] * 3


def test_many_images_get_the_letters_cnn_at_its_size():
    assert image_size(SMALL_DATA, (64, 64)) == (50, 50)
    choice = choose_default_network("my_images", (1, 50, 50), 26, SMALL_DATA)
    assert choice.spec.name == "letters-cnn" and choice.params > 3 * count_params(
        choose_default_network("my_images", (1, 32, 32), 26, 60).spec)


def test_tiny_grids_get_an_mlp_and_vectors_their_preset_or_a_small_mlp():
    assert choose_default_network("grids", (1, 5, 5), 5, 50).spec.name == "small-mlp"
    assert choose_default_network("shapes.dat", (25,), 5, 200).spec.name == "shapes-mlp"
    small = choose_default_network("four.dat", (4,), 2, 8).spec
    assert small.name == "small-mlp" and small.input_shape == (4,)
    assert choose_default_network("digits", (1, 8, 8), 10).spec.name == "digits-cnn"


def test_a_preset_refitted_to_other_vectors_drops_the_options_tuned_for_its_data():
    spec = fit_spec_to_data(get_preset("letters-mlp"), [100], 3)
    assert spec.input_shape == (100,) and spec.layers[-1]["units"] == 3
    assert "epochs" not in spec.training and "batch_size" not in spec.training
    assert spec.training["optimizer"] == "adam"
