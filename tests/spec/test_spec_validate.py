"""Spec validation: every bad spec a user can write gives one SpecError naming where, what and what is allowed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from nnstudio.errors import SpecError
from nnstudio.spec import Spec, load_spec, num_classes, with_classes, with_input_shape


def mlp(*layers: dict, input_shape=(25,)) -> dict:
    return {"name": "t", "input_shape": list(input_shape), "layers": list(layers)}


def cnn(*layers: dict, input_shape=(1, 5, 5)) -> dict:
    return mlp(*layers, input_shape=input_shape)


DENSE5 = {"type": "Dense", "units": 5, "activation": "softmax"}
FLAT = {"type": "Flatten"}


def error_of(d: dict, source: str = "<dict>") -> str:
    with pytest.raises(SpecError) as caught:
        Spec.from_dict(d, source=source)
    return str(caught.value)


# --- defaults and normalization -------------------------------------------------------

def test_defaults_are_filled_and_sizes_become_lists():
    spec = Spec.from_dict(cnn(
        {"type": "Conv2D", "filters": 4, "kernel_size": 3},
        {"type": "MaxPooling2D", "pool_size": [2, 1]},
        {"type": "AveragePooling2D"},
        FLAT,
        {"type": "Dense", "units": 5},
        input_shape=(1, 9, 9),
    ))
    conv, maxpool, avgpool, _, dense = spec.layers
    assert conv == {"type": "Conv2D", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
                    "activation": "linear", "negative_slope": 0.2, "use_bias": True}
    assert maxpool == {"type": "MaxPooling2D", "pool_size": [2, 1], "strides": [2, 1], "padding": "valid"}
    assert avgpool["pool_size"] == [2, 2] and avgpool["strides"] == [2, 2]
    assert dense == {"type": "Dense", "units": 5, "activation": "linear", "negative_slope": 0.2, "use_bias": True}
    assert spec.input_shape == (1, 9, 9)
    assert spec.training == {}


def test_other_layer_defaults():
    spec = Spec.from_dict(mlp(
        {"type": "BatchNormalization"},
        {"type": "LeakyReLU"},
        {"type": "Activation", "activation": "leaky_relu"},
        {"type": "Dropout", "rate": 0},
        DENSE5,
    ))
    bn, leaky, act, drop, _ = spec.layers
    assert bn == {"type": "BatchNormalization", "momentum": 0.99, "epsilon": 0.001}
    assert leaky == {"type": "LeakyReLU", "negative_slope": 0.3}  # Keras' default for the layer
    assert act == {"type": "Activation", "activation": "leaky_relu", "negative_slope": 0.2}
    assert drop == {"type": "Dropout", "rate": 0.0}


def test_keras_spellings_are_accepted():
    spec = Spec.from_dict(cnn(
        {"type": "Conv2D", "filters": 2, "kernel_size": (3, 3), "padding": "SAME", "activation": None},
        {"type": "LeakyReLU", "alpha": 0.1},
        {"type": "MaxPool2D"},
        FLAT, DENSE5,
    ))
    assert spec.layers[0]["padding"] == "same" and spec.layers[0]["activation"] == "linear"
    assert spec.layers[1] == {"type": "LeakyReLU", "negative_slope": 0.1}
    assert spec.layers[2]["type"] == "MaxPooling2D"


def test_normalized_specs_compare_equal_and_round_trip():
    short = Spec.from_dict(cnn({"type": "Conv2D", "filters": 2, "kernel_size": 3}, FLAT, DENSE5))
    long = Spec.from_dict(cnn({"type": "Conv2D", "filters": 2, "kernel_size": [3, 3], "strides": 1,
                               "padding": "valid", "use_bias": True}, FLAT, DENSE5))
    assert short == long
    assert Spec.from_dict(short.to_dict()) == short
    assert Spec.from_dict(json.loads(json.dumps(short.to_dict()))) == short


def test_spec_is_frozen_and_replace_revalidates():
    spec = Spec.from_dict(mlp(DENSE5))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]
    with pytest.raises(SpecError, match="input_shape"):
        dataclasses.replace(spec, input_shape=(0,))


def test_direct_construction_normalizes():
    spec = Spec("x", [4], [{"type": "Dense", "units": 3}])
    assert spec.input_shape == (4,)
    assert spec.layers[0]["use_bias"] is True


def test_training_section_is_kept():
    spec = Spec.from_dict({**mlp(DENSE5), "training": {"epochs": 3, "optimizer": "adam", "clip_norm": None}})
    assert spec.training == {"epochs": 3, "optimizer": "adam", "clip_norm": None}
    assert "training" in error_of({**mlp(DENSE5), "training": [1]})
    assert "option 'lr'" in error_of({**mlp(DENSE5), "training": {"lr": [0.1]}})


# --- messages --------------------------------------------------------------------------

def test_unknown_layer_type_suggests_the_closest_name():
    message = error_of(mlp({"type": "Dense", "units": 4}, {"type": "Dropout", "rate": 0.1},
                           {"type": "Dence", "units": 5}))
    assert message.startswith("layer 2: unknown layer type 'Dence'; allowed: Dense, Conv2D")
    assert "did you mean 'Dense'?" in message


def test_unknown_field_is_named_with_the_allowed_fields():
    message = error_of(mlp({"type": "Dense", "unit": 5}))
    assert "layer 0 (Dense)" in message
    assert "unknown field 'unit'" in message
    assert "allowed: units, activation, negative_slope, use_bias" in message
    assert "did you mean 'units'?" in message


def test_missing_required_field():
    assert "layer 0 (Dropout), field 'rate': missing required field" in error_of(mlp({"type": "Dropout"}, DENSE5))
    assert "field 'type'" in error_of(mlp({"units": 5}))


def test_kernel_bigger_than_input_names_layer_field_and_sizes():
    message = error_of(cnn({"type": "Conv2D", "filters": 2, "kernel_size": 3},
                           {"type": "Conv2D", "filters": 2, "kernel_size": 7}, FLAT, DENSE5,
                           input_shape=(1, 7, 7)))
    assert message == ("layer 1 (Conv2D), field 'kernel_size': 7x7 is bigger than its input 5x5; "
                       "allowed: at most 5x5 with padding 'valid' (help: use padding 'same' or a smaller kernel)")


def test_pool_bigger_than_input():
    assert "field 'pool_size'" in error_of(cnn({"type": "MaxPooling2D", "pool_size": 6}, FLAT, DENSE5))
    Spec.from_dict(cnn({"type": "MaxPooling2D", "pool_size": 6, "padding": "same"}, FLAT, DENSE5))


@pytest.mark.parametrize("units", [0, -3])
def test_sizes_must_be_positive(units):
    message = error_of(mlp({"type": "Dense", "units": units}))
    assert "field 'units'" in message and "out of range" in message and "allowed: an integer >= 1" in message


@pytest.mark.parametrize("value", [True, False, 5.0, "5", None])
def test_bool_float_or_string_is_not_an_int(value):
    message = error_of(mlp({"type": "Dense", "units": value}))
    assert "layer 0 (Dense), field 'units'" in message
    assert "expected an integer" in message


def test_bool_is_not_a_kernel_size_or_input_size():
    assert "kernel_size" in error_of(cnn({"type": "Conv2D", "filters": 1, "kernel_size": [True, 2]}, FLAT, DENSE5))
    assert "input_shape" in error_of(mlp(DENSE5, input_shape=(True,)))


def test_use_bias_must_be_a_bool():
    assert "expected true or false" in error_of(mlp({"type": "Dense", "units": 5, "use_bias": 1}))


@pytest.mark.parametrize("rate", [1.0, 1.5, -0.1, float("nan")])
def test_dropout_rate_outside_zero_one(rate):
    message = error_of(mlp({"type": "Dropout", "rate": rate}, DENSE5))
    assert "field 'rate'" in message and "allowed: a number >= 0 and < 1" in message


def test_unknown_activation_and_padding_suggest():
    assert "did you mean 'relu'?" in error_of(mlp({"type": "Dense", "units": 5, "activation": "rellu"}))
    message = error_of(cnn({"type": "Conv2D", "filters": 1, "kernel_size": 2, "padding": "smae"}, FLAT, DENSE5))
    assert "did you mean 'same'?" in message and "allowed: 'valid', 'same'" in message


def test_dense_after_an_image_needs_flatten():
    message = error_of(cnn({"type": "Conv2D", "filters": 2, "kernel_size": 3}, DENSE5))
    assert message.startswith("layer 1 (Dense): Dense needs a 1-D input but gets shape [2, 3, 3]")
    assert "(help: add a Flatten layer before it)" in message


def test_conv_and_pooling_need_an_image():
    assert "needs a 3-D input" in error_of(mlp({"type": "Conv2D", "filters": 2, "kernel_size": 3}, DENSE5))
    assert "needs a 3-D input" in error_of(mlp({"type": "MaxPooling2D"}, DENSE5))


def test_empty_layers():
    assert "spec field 'layers'" in error_of(mlp())
    assert "field 'layers'" in error_of({"input_shape": [3], "layers": "Dense"})


def test_last_layer_must_be_one_dimensional():
    message = error_of(cnn({"type": "Conv2D", "filters": 2, "kernel_size": 3}))
    assert "layer 0 (Conv2D): the network ends with shape [2, 3, 3]" in message
    assert "help: end with Flatten" in message


def test_softmax_only_at_the_end():
    message = error_of(mlp({"type": "Dense", "units": 8, "activation": "softmax"}, DENSE5))
    assert "layer 0 (Dense), field 'activation': 'softmax' is only allowed in the last layer" in message
    assert "softmax" in error_of(mlp({"type": "Activation", "activation": "softmax"}, DENSE5))
    Spec.from_dict(mlp({"type": "Dense", "units": 5}, {"type": "Activation", "activation": "softmax"}))


def test_absurd_sizes():
    assert "out of range" in error_of(mlp({"type": "Dense", "units": 100_001}))
    assert "out of range" in error_of(mlp(DENSE5, input_shape=(200_000,)))
    message = error_of(mlp({"type": "Dense", "units": 20_000}, {"type": "Dense", "units": 20_000}, DENSE5,
                           input_shape=(1000,)))
    assert "parameters" in message and "at most 200,000,000" in message
    assert "values per input" in error_of(cnn({"type": "Conv2D", "filters": 5000, "kernel_size": 1,
                                               "padding": "same"}, FLAT, DENSE5, input_shape=(1, 100, 100)))


@pytest.mark.parametrize("shape, fragment", [
    ([], "0 dimensions"),
    ([1, 0, 5], "out of range"),
    ([-2], "out of range"),
    ([2.5], "expected integer sizes"),
    ("25", "expected a list"),
])
def test_input_shape_must_be_vector_or_image(shape, fragment):
    message = error_of(mlp(DENSE5, input_shape=()) | {"input_shape": shape})
    assert "field 'input_shape'" in message and fragment in message


def test_top_level_keys():
    assert "unknown key 'layer'" in error_of({"input_shape": [2], "layer": []})
    assert "field 'input_shape': missing required field" in error_of({"layers": [DENSE5]})
    assert "field 'name'" in error_of(mlp(DENSE5) | {"name": 3})
    assert "expected an object" in error_of([DENSE5])  # type: ignore[arg-type]


# --- files and references -----------------------------------------------------------------

def test_bad_json_file_names_file_line_and_column(tmp_path: Path):
    path = tmp_path / "net.json"
    path.write_text('{\n  "input_shape": [25],\n  "layers": [\n    {"type": "Dense" "units": 5}\n  ]\n}\n')
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}:4:22: malformed JSON")


def test_errors_from_a_file_name_the_file(tmp_path: Path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(mlp({"type": "Dence", "units": 5})))
    with pytest.raises(SpecError) as caught:
        load_spec(str(path))
    assert str(caught.value).startswith(f"{path}: layer 0: unknown layer type 'Dence'")


def test_spec_file_without_name_takes_the_file_name(tmp_path: Path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({"input_shape": [3], "layers": [DENSE5]}))
    assert load_spec(path).name == "tiny"


def test_model_json_and_model_folder_are_read(tmp_path: Path):
    spec = Spec.from_dict(mlp(DENSE5))
    (tmp_path / "model.json").write_text(json.dumps({"format_version": 1, "spec": spec.to_dict()}))
    assert load_spec(tmp_path / "model.json") == spec
    assert load_spec(tmp_path) == spec


def test_missing_file_or_unknown_preset():
    with pytest.raises(SpecError, match="no such preset or .json file.*did you mean 'letters-cnn'"):
        load_spec("letters-cnnn")
    with pytest.raises(SpecError, match="cannot read a spec"):
        load_spec(42)  # type: ignore[arg-type]


def test_binary_file_is_a_spec_error(tmp_path: Path):
    path = tmp_path / "x.json"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SpecError, match="UTF-8"):
        load_spec(path)


def test_load_spec_passes_specs_and_dicts():
    spec = Spec.from_dict(mlp(DENSE5))
    assert load_spec(spec) is spec
    assert load_spec(spec.to_dict()) == spec


# --- helpers ---------------------------------------------------------------------------------

def test_with_classes_and_num_classes():
    spec = Spec.from_dict(mlp({"type": "Dense", "units": 8}, {"type": "Dense", "units": 5},
                              {"type": "Activation", "activation": "softmax"}))
    assert num_classes(spec) == 5
    resized = with_classes(spec, 3)
    assert num_classes(resized) == 3 and resized.layers[0]["units"] == 8
    assert num_classes(spec) == 5  # the original is untouched
    with pytest.raises(SpecError):
        with_classes(spec, 0)
    with pytest.raises(SpecError, match="no Dense layer"):
        with_classes(Spec.from_dict(mlp({"type": "Dropout", "rate": 0.1})), 3)


def test_with_input_shape_revalidates():
    spec = Spec.from_dict(cnn({"type": "Conv2D", "filters": 2, "kernel_size": 3}, FLAT, DENSE5))
    assert with_input_shape(spec, [1, 9, 9]).input_shape == (1, 9, 9)
    with pytest.raises(SpecError, match="bigger than its input 2x2"):
        with_input_shape(spec, (1, 2, 2))


def test_two_dimensions_are_a_sequence_and_dense_says_what_fits():
    message = error_of(mlp(DENSE5, input_shape=()) | {"input_shape": [50, 50]})
    assert message.startswith("layer 0 (Dense): Dense needs a 1-D input but gets shape [50, 50]")
    assert "recurrent layer" in message and "use [1, 50, 50] for a grey image" in message
