"""Recurrent layers in a spec: Keras' fields and defaults, shapes on sequences, errors
naming the layer and field."""

import pytest

from nnstudio.errors import SpecError
from nnstudio.spec import Spec, count_params, infer_shapes


def seq(*layers: dict, input_shape=(10, 3)) -> dict:
    return {"name": "s", "input_shape": list(input_shape), "layers": list(layers)}


OUT = {"type": "Dense", "units": 1}


def error_of(d: dict) -> str:
    with pytest.raises(SpecError) as info:
        Spec.from_dict(d)
    return str(info.value)


def test_defaults_are_keras_ones():
    spec = Spec.from_dict(seq({"type": "SimpleRNN", "units": 8}, {"type": "LSTM", "units": 8},
                              {"type": "GRU", "units": 8}, OUT, input_shape=(10, 3)) | {"layers": [
        {"type": "SimpleRNN", "units": 8, "return_sequences": True},
        {"type": "LSTM", "units": 8, "return_sequences": True}, {"type": "GRU", "units": 8}, OUT]})
    assert spec.layers[0] == {"type": "SimpleRNN", "units": 8, "return_sequences": True, "activation": "tanh"}
    assert spec.layers[2] == {"type": "GRU", "units": 8, "return_sequences": False}


@pytest.mark.parametrize("kind, gates", [("SimpleRNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_shapes_and_params(kind, gates):
    spec = Spec.from_dict(seq({"type": kind, "units": 5, "return_sequences": True}, {"type": kind, "units": 4},
                              OUT))
    infos = infer_shapes(spec)
    assert [info.output_shape for info in infos] == [(10, 5), (4,), (1,)]
    assert infos[0].params == gates * (3 * 5 + 5 * 5 + 2 * 5)
    assert count_params(spec) == gates * (15 + 25 + 10) + gates * (20 + 16 + 8) + 5


def test_flatten_after_whole_sequence():
    spec = Spec.from_dict(seq({"type": "GRU", "units": 2, "return_sequences": True}, {"type": "Flatten"}, OUT))
    assert infer_shapes(spec)[1].output_shape == (20,)


def test_errors_name_layer_and_field():
    message = error_of(seq({"type": "LSTM", "units": 0}, OUT))
    assert message.startswith("layer 0 (LSTM), field 'units': 0 is out of range")
    message = error_of(seq({"type": "SimpleRNN", "units": 3, "activation": "sigmoid"}, OUT))
    assert "layer 0 (SimpleRNN), field 'activation': unknown value 'sigmoid'; allowed: tanh, relu" in message
    message = error_of(seq({"type": "GRU", "units": 3, "return_sequences": "yes"}, OUT))
    assert "layer 0 (GRU), field 'return_sequences': expected true or false" in message
    message = error_of(seq({"type": "GRU", "units": 3, "dropout": 0.1}, OUT))
    assert "unknown field 'dropout'" in message and "units, return_sequences" in message


def test_recurrent_layer_needs_a_sequence():
    message = error_of(seq({"type": "LSTM", "units": 3}, OUT, input_shape=(10,)))
    assert message.startswith("layer 0 (LSTM): LSTM needs a 2-D input [steps, features] but gets shape [10]")
    message = error_of(seq({"type": "GRU", "units": 3}, {"type": "GRU", "units": 3}, OUT))
    assert message.startswith("layer 1 (GRU): GRU needs a 2-D input") and "return_sequences" in message
    message = error_of(seq({"type": "GRU", "units": 3, "return_sequences": True}, OUT))
    assert message.startswith("layer 1 (Dense): Dense needs a 1-D input but gets shape [10, 3]")
