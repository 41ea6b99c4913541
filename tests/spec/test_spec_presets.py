"""The presets: valid, fresh on every call, and shaped as the course describes them."""

from __future__ import annotations

import pytest

from nnstudio.spec import (
    DEFAULT_PRESETS,
    PRESETS,
    count_params,
    get_preset,
    infer_shapes,
    load_spec,
    num_classes,
    preset_names,
    same_padding,
)
from nnstudio.train.config import option_specs

# TrainConfig's declared options (nnstudio.train owns the rules for their values).
TRAIN_OPTIONS = {spec.name for spec in option_specs()}

# Keras' counts (BatchNormalization's moving mean and variance included).
PARAMS = {
    "shapes-mlp": 25 * 25 + 25 + 25 * 20 + 20 + 20 * 15 + 15 + 15 * 10 + 10 + 10 * 5 + 5,  # 1,700
    "letters-mlp": 2500 * 256 + 256 + 256 * 128 + 128 + 128 * 64 + 64 + 64 * 26 + 26,
    "letters-cnn": 25 * 16 + 4 * 16 + 25 * 16 * 32 + 4 * 32 + 25 * 32 * 64 + 4 * 64 + 3136 * 128 + 128 + 128 * 26 + 26,
    "digits-mlp": 64 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10,
    "digits-cnn": 9 * 32 + 4 * 32 + 9 * 32 * 64 + 4 * 64 + 1024 * 128 + 128 + 128 * 10 + 10,
    "mnist-cnn": 9 * 32 + 4 * 32 + 9 * 32 * 64 + 4 * 64 + 3136 * 128 + 128 + 128 * 10 + 10,
    "letter-paths-gru": 3 * (5 * 128 + 128 * 128 + 2 * 128) + 128 * 26 + 26,  # torch's two GRU biases
    "seed-cnn": 144 * 32 + 32 + 36 * 32 * 64 + 64 + 9 * 64 * 128 + 128 + 4608 * 128 + 128 + 128 * 26 + 26,
}


def test_names():
    assert preset_names() == ["shapes-mlp", "letters-mlp", "letters-cnn", "digits-mlp", "digits-cnn", "mnist-cnn",
                              "letter-paths-gru", "seed-cnn", "sequence-lstm"]
    assert set(DEFAULT_PRESETS.values()) <= set(PRESETS)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_is_valid_with_training_defaults(name):
    spec = get_preset(name)
    assert spec.name == name
    assert set(spec.training) <= TRAIN_OPTIONS
    assert {"epochs", "batch_size", "optimizer", "lr"} <= set(spec.training)
    assert load_spec(name) == spec
    assert count_params(spec) < 1_000_000  # all train in minutes on a laptop CPU


@pytest.mark.parametrize("name", [n for n in preset_names() if n != "seed-cnn"])  # the course's, kept as is
def test_same_convolutions_pad_symmetrically(name):
    # Our presets avoid TensorFlow's odd 'same' padding (extra row at the bottom), which costs
    # a padded copy per step; letters-cnn's first layer (one channel) is the accepted exception.
    spec = get_preset(name)
    for info in infer_shapes(spec):
        layer = info.config
        if layer["type"] == "Conv2D" and layer["padding"] == "same" and not (name == "letters-cnn" and info.index == 0):
            for axis in (0, 1):
                before, after = same_padding(info.input_shape[1 + axis], layer["kernel_size"][axis],
                                             layer["strides"][axis])
                assert before == after, (name, info.index)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_param_counts(name):
    assert count_params(get_preset(name)) == PARAMS[name]


def test_presets_are_fresh_objects():
    first = get_preset("letters-cnn")
    first.layers[0]["filters"] = 999
    first.training["epochs"] = 999
    second = get_preset("letters-cnn")
    assert second.layers[0]["filters"] == 16 and second.training["epochs"] != 999
    assert first is not second


def test_classes_match_the_datasets():
    assert num_classes(get_preset("shapes-mlp")) == 5
    assert all(num_classes(get_preset(n)) == 26 for n in ("letters-mlp", "letters-cnn", "seed-cnn"))
    assert all(num_classes(get_preset(n)) == 10 for n in ("digits-mlp", "digits-cnn", "mnist-cnn"))
    assert get_preset("digits-mlp").input_shape == (64,) and get_preset("digits-cnn").input_shape == (1, 8, 8)
    assert get_preset("mnist-cnn").input_shape == (1, 28, 28)


def test_shapes_mlp_is_the_course_sample():
    spec = get_preset("shapes-mlp")
    assert spec.input_shape == (25,)
    dense = [(layer["units"], layer["activation"]) for layer in spec.layers if layer["type"] == "Dense"]
    assert dense == [(25, "relu"), (20, "relu"), (15, "relu"), (10, "relu"), (5, "softmax")]
    assert [layer["rate"] for layer in spec.layers if layer["type"] == "Dropout"] == [0.2] * 4
    t = spec.training
    assert (t["optimizer"], t["lr"], t["clip_norm"], t["batch_size"], t["epochs"]) == ("sgd", 0.01, 1.0, 1, 80)


def test_letters_mlp_has_five_layers_in_all():
    spec = get_preset("letters-mlp")
    dense = [layer for layer in spec.layers if layer["type"] == "Dense"]
    assert spec.input_shape == (2500,) and len(dense) == 4  # input + 3 hidden + output
    assert dense[-1]["activation"] == "softmax"


def test_letters_cnn_follows_the_course_design():
    spec = get_preset("letters-cnn")
    infos = infer_shapes(spec)
    flatten = next(i for i, layer in enumerate(spec.layers) if layer["type"] == "Flatten")
    convs = [layer for layer in spec.layers if layer["type"] == "Conv2D"]
    assert all(c["kernel_size"] == [5, 5] and c["strides"] == [2, 2] and not c["use_bias"] for c in convs)
    assert all(c["activation"] == "linear" for c in convs)
    # Batch normalization sits between each convolution and its activation.
    for i, layer in enumerate(spec.layers[:flatten]):
        if layer["type"] == "Conv2D":
            assert spec.layers[i + 1]["type"] == "BatchNormalization"
            assert spec.layers[i + 2] == {"type": "Activation", "activation": "relu", "negative_slope": 0.2}
    # Maps halve while channels grow; no dropout among the convolutions.
    conv_shapes = [infos[i].output_shape for i, layer in enumerate(spec.layers) if layer["type"] == "Conv2D"]
    assert conv_shapes == [(16, 25, 25), (32, 13, 13), (64, 7, 7)]
    assert all(layer["type"] != "Dropout" for layer in spec.layers[:flatten])
    tail = [layer["type"] for layer in spec.layers[flatten:]]
    assert tail == ["Flatten", "Dense", "Dropout", "Dense"]
    assert spec.layers[-1]["units"] == 26 and spec.layers[-1]["activation"] == "softmax"


def test_seed_cnn_is_the_course_sample_cnn():
    spec = get_preset("seed-cnn")
    types = [layer["type"] for layer in spec.layers]
    block = ["Conv2D", "LeakyReLU", "MaxPooling2D", "Dropout"]
    assert types == block * 3 + ["Flatten", "Dense", "LeakyReLU", "Dropout", "Dense"]
    convs = [(layer["filters"], layer["kernel_size"], layer["padding"])
             for layer in spec.layers if layer["type"] == "Conv2D"]
    assert convs == [(32, [12, 12], "same"), (64, [6, 6], "same"), (128, [3, 3], "same")]
    assert [layer["rate"] for layer in spec.layers if layer["type"] == "Dropout"] == [0.25, 0.25, 0.4, 0.3]
    assert all(layer["negative_slope"] == 0.1 for layer in spec.layers if layer["type"] == "LeakyReLU")
    assert all(layer["pool_size"] == [2, 2] for layer in spec.layers if layer["type"] == "MaxPooling2D")
    assert spec.layers[13] == {"type": "Dense", "units": 128, "activation": "linear", "negative_slope": 0.2,
                               "use_bias": True}
    t = spec.training
    assert (t["optimizer"], t["batch_size"], t["epochs"], t["validation"]) == ("adam", 64, 60, 0.2)
