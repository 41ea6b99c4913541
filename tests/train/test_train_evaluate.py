import math

import numpy as np
import pytest
import torch

from nnstudio.data import Dataset
from nnstudio.model import build_model
from nnstudio.spec import load_spec
from nnstudio.train import evaluate


def identity_net():
    """Logits = inputs: the predicted class is the largest input."""
    spec = load_spec({"name": "id", "input_shape": [3], "layers": [{"type": "Dense", "units": 3}]})
    net = build_model(spec)
    with torch.no_grad():
        net.layers[0].weight.copy_(torch.eye(3))
        net.layers[0].bias.zero_()
    return net


def test_evaluate_counts_per_class_and_confusion_by_hand():
    x = np.array([
        [5, 0, 0],  # a -> a
        [0, 5, 0],  # a -> b
        [0, 5, 0],  # b -> b
        [0, 5, 0],  # b -> b
        [0, 0, 5],  # b -> c
        [5, 0, 0],  # c -> a
    ], dtype=np.float32)
    y = np.array([0, 0, 1, 1, 1, 2])
    data = Dataset(x, y, ["a", "b", "c"], name="hand")
    result = evaluate(identity_net(), data, batch_size=4)
    assert result.samples == 6
    assert result.accuracy == pytest.approx(3 / 6)
    assert result.confusion == [[1, 1, 0], [0, 2, 1], [1, 0, 0]]
    assert result.per_class == pytest.approx({"a": 0.5, "b": 2 / 3, "c": 0.0})
    right = -math.log(math.exp(5) / (math.exp(5) + 2))
    wrong = -math.log(1 / (math.exp(5) + 2))
    assert result.loss == pytest.approx((3 * right + 3 * wrong) / 6, rel=1e-5)
    d = result.to_dict()
    assert d["class_names"] == ["a", "b", "c"] and d["confusion"][1] == [0, 2, 1]


def test_class_without_samples_has_no_accuracy():
    data = Dataset(np.array([[1, 0, 0]], np.float32), np.array([0]), ["a", "b", "c"])
    result = evaluate(identity_net(), data)
    assert result.per_class == {"a": 1.0, "b": None, "c": None}


def test_evaluate_keeps_the_training_mode():
    net = identity_net().train()
    evaluate(net, Dataset(np.eye(3, dtype=np.float32), np.arange(3), ["a", "b", "c"]))
    assert net.training
