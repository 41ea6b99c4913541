"""Shape inference and parameter counts follow Keras' rules; nnstudio.spec never loads torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nnstudio.spec import Spec, count_params, count_trainable_params, infer_shapes, output_size, same_padding


@pytest.mark.parametrize("size", range(1, 14))
@pytest.mark.parametrize("kernel", range(1, 7))
@pytest.mark.parametrize("stride", range(1, 5))
def test_window_sizes_match_counting_windows(size, kernel, stride):
    if kernel <= size:
        starts = range(0, size - kernel + 1, stride)  # every valid window position
        assert output_size(size, kernel, stride, "valid") == len(starts)
    out = output_size(size, kernel, stride, "same")
    assert out == -(-size // stride)
    before, after = same_padding(size, kernel, stride)
    # The padded axis gives exactly `out` windows, TensorFlow puts the odd pixel after.
    assert (size + before + after - kernel) // stride + 1 == out
    assert before <= after <= before + 1
    assert before + after < kernel or before + after == 0


def test_tensorflow_padding_examples():
    assert same_padding(50, 5, 2) == (1, 2)  # 50 -> 25: total (25-1)*2 + 5 - 50 = 3
    assert same_padding(25, 5, 2) == (2, 2)
    assert same_padding(4, 2, 1) == (0, 1)
    assert same_padding(50, 12, 1) == (5, 6)
    assert same_padding(7, 2, 2) == (0, 1)
    assert same_padding(8, 2, 2) == (0, 0)


def test_layer_infos_chain_input_and_output_shapes():
    spec = Spec.from_dict({"name": "t", "input_shape": [3, 28, 28], "layers": [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3},                                 # 26x26
        {"type": "MaxPooling2D", "pool_size": 2},                                          # 13x13
        {"type": "Conv2D", "filters": 4, "kernel_size": [3, 5], "strides": 2, "padding": "same"},  # 7x7
        {"type": "AveragePooling2D", "pool_size": 3, "strides": 1, "padding": "valid"},     # 5x5
        {"type": "BatchNormalization"},
        {"type": "Flatten"},
        {"type": "Dense", "units": 10, "use_bias": False},
        {"type": "BatchNormalization"},
    ]})
    infos = infer_shapes(spec)
    assert [i.output_shape for i in infos] == [(8, 26, 26), (8, 13, 13), (4, 7, 7), (4, 5, 5), (4, 5, 5), (100,),
                                               (10,), (10,)]
    assert infos[0].input_shape == (3, 28, 28)
    assert all(a.output_shape == b.input_shape for a, b in zip(infos, infos[1:]))
    assert [i.params for i in infos] == [3 * 3 * 3 * 8 + 8, 0, 3 * 5 * 8 * 4 + 4, 0, 16, 0, 1000, 40]
    assert [i.trainable_params for i in infos] == [224, 0, 484, 0, 8, 0, 1000, 20]
    assert count_params(spec) == 224 + 484 + 16 + 1000 + 40
    assert count_trainable_params(spec) == 224 + 484 + 8 + 1000 + 20
    assert [i.index for i in infos] == list(range(8))
    assert infos[2].config["strides"] == [2, 2] and infos[6].type == "Dense"


def test_flatten_of_a_vector_keeps_it():
    spec = Spec.from_dict({"input_shape": [7], "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 2}]})
    assert [i.output_shape for i in infer_shapes(spec)] == [(7,), (2,)]


def test_spec_package_does_not_import_torch():
    code = "import sys, nnstudio.spec; nnstudio.spec.get_preset('letters-cnn'); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
