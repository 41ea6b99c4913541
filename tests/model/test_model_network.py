"""build_model: torch modules that match the spec's shapes, counts, names and Keras semantics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnstudio.errors import DataError
from nnstudio.model import LayerActivation, Network, build_model
from nnstudio.spec import Spec, count_params, count_trainable_params, get_preset, infer_shapes, preset_names


def tiny(*layers: dict, input_shape=(1, 6, 6)) -> Spec:
    return Spec.from_dict({"name": "t", "input_shape": list(input_shape), "layers": list(layers)})


def layer_outputs(network: Network, x: torch.Tensor) -> list[torch.Tensor]:
    outputs = []
    for layer in network.layers:
        x = layer(x)
        outputs.append(x)
    return outputs


def bn_buffer_count(network: Network) -> int:
    return sum(b.numel() for name, b in network.named_buffers() if name.endswith(("running_mean", "running_var")))


@pytest.mark.parametrize("name", preset_names())
def test_presets_match_inferred_shapes_and_keras_counts(name):
    network = build_model(name, seed=0)
    infos = infer_shapes(network.spec)
    x = torch.rand(2, *network.spec.input_shape)
    for mode in (True, False):
        network.train(mode)
        outputs = layer_outputs(network, x)
        assert [tuple(o.shape[1:]) for o in outputs] == [i.output_shape for i in infos]
    trainable = sum(p.numel() for p in network.parameters())
    assert trainable == count_trainable_params(network.spec)
    assert trainable + bn_buffer_count(network) == count_params(network.spec)


def test_state_dict_keys_use_spec_indices():
    network = build_model("letters-cnn", seed=0)
    keys = list(network.state_dict())
    assert keys[:6] == ["layers.0.weight", "layers.1.weight", "layers.1.bias", "layers.1.running_mean",
                        "layers.1.running_var", "layers.1.num_batches_tracked"]
    assert "layers.10.weight" in keys and "layers.10.bias" in keys  # Dense after Flatten (index 9)
    assert network.state_dict()["layers.10.weight"].shape == (128, 3136)  # (out, in)
    assert network.state_dict()["layers.3.weight"].shape == (32, 16, 5, 5)  # (out_c, in_c, kh, kw)
    assert not any(k.startswith(("layers.2.", "layers.9.", "layers.11.")) for k in keys)  # no parameters


def test_build_model_accepts_a_dict_and_keeps_the_spec():
    spec = get_preset("shapes-mlp")
    assert build_model(spec.to_dict()).spec == spec
    assert build_model(spec).spec is spec


def test_same_seed_same_weights_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = build_model("digits-cnn", seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = build_model("digits-cnn", seed=7)
    c = build_model("digits-cnn", seed=8)
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key
    assert not torch.equal(a.state_dict()["layers.0.weight"], c.state_dict()["layers.0.weight"])


def test_keras_initial_values():
    network = build_model("shapes-mlp", seed=0)
    first = network.layers[0]
    limit = (6 / (25 + 25)) ** 0.5  # Glorot uniform
    assert first.weight.abs().max() <= limit and first.weight.abs().max() > limit * 0.8
    assert torch.count_nonzero(first.bias) == 0


def test_forward_gives_logits_and_predict_proba_softmax():
    network = build_model("shapes-mlp", seed=1)
    x = torch.rand(4, 25)
    network.eval()
    logits = network(x)
    probabilities = network.predict_proba(x)
    assert torch.allclose(probabilities, F.softmax(logits, dim=1))
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(4))
    assert not torch.allclose(logits.sum(dim=1), torch.ones(4))


def test_predict_proba_uses_eval_mode_and_restores_training():
    network = build_model("shapes-mlp", seed=1)
    network.train()
    x = torch.rand(8, 25)
    first, second = network.predict_proba(x), network.predict_proba(x.numpy())
    assert torch.equal(first, second)  # no dropout noise
    assert network.training
    assert network.predict_proba(x[0]).shape == (1, 5)  # one input without batch axis
    with pytest.raises(DataError, match=r"input of shape \[8, 24\]"):
        network.predict_proba(x[:, :24])


def test_activations_of_one_input():
    network = build_model("letters-cnn", seed=0)
    network.train()
    x = np.random.default_rng(0).random((1, 50, 50), dtype=np.float32)
    acts = network.activations(x)
    assert network.training
    infos = infer_shapes(network.spec)
    assert len(acts) == len(network.spec.layers)
    assert all(isinstance(a, LayerActivation) for a in acts)
    assert [a.output.shape for a in acts] == [i.output_shape for i in infos]
    assert [a.type for a in acts] == [i.type for i in infos]
    assert [a.index for a in acts] == list(range(len(acts)))
    assert acts[-1].output.sum() == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(acts[-1].output, network.predict_proba(x)[0].numpy(), atol=1e-6)
    assert (acts[1].output < 0).any() and (acts[2].output >= 0).all()  # BN output kept before relu
    assert len(network.activations(x[None])) == len(acts)
    with pytest.raises(DataError):
        network.activations(np.zeros((2, 1, 50, 50), np.float32))


def test_padding_same_puts_the_odd_pixel_bottom_right():
    # 4x4 input, 2x2 kernel of ones, stride 1: TensorFlow pads 0 before and 1 after.
    network = build_model(tiny({"type": "Conv2D", "filters": 1, "kernel_size": 2, "padding": "same",
                                "use_bias": False}, {"type": "Flatten"}, input_shape=(1, 4, 4)))
    with torch.no_grad():
        network.layers[0].weight.fill_(1.0)
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    out = network(x).reshape(4, 4)
    assert out[0, 0] == 0 + 1 + 4 + 5
    assert out[3, 3] == 15
    assert out[0, 3] == 3 + 7


def test_strided_same_convolution_window_alignment():
    # 50 -> 25 with 5x5 stride 2: pad 1 before, 2 after, so the first window covers rows -1..3.
    network = build_model(tiny({"type": "Conv2D", "filters": 1, "kernel_size": 5, "strides": 2, "padding": "same",
                                "use_bias": False}, {"type": "Flatten"}, input_shape=(1, 50, 50)))
    with torch.no_grad():
        network.layers[0].weight.fill_(1.0)
    x = torch.rand(1, 1, 50, 50)
    out = network(x).reshape(25, 25)
    assert torch.isclose(out[0, 0], x[0, 0, :4, :4].sum())
    assert torch.isclose(out[1, 1], x[0, 0, 1:6, 1:6].sum())
    assert torch.isclose(out[24, 24], x[0, 0, 47:, 47:].sum())


def test_same_pooling_ignores_padding():
    spec = tiny({"type": "AveragePooling2D", "pool_size": 2, "strides": 2, "padding": "same"},
                {"type": "Flatten"}, input_shape=(1, 5, 5))
    avg = build_model(spec)
    assert torch.allclose(avg(torch.ones(1, 1, 5, 5)), torch.ones(1, 9))  # padded cells not averaged in
    x = torch.rand(1, 1, 5, 5)
    assert torch.isclose(avg(x)[0, 8], x[0, 0, 4, 4])
    assert torch.isclose(avg(x)[0, 2], x[0, 0, :2, 4].mean())
    maxpool = build_model(tiny({"type": "MaxPooling2D", "pool_size": 3, "strides": 2, "padding": "same"},
                               {"type": "Flatten"}, input_shape=(1, 6, 6)))
    assert torch.equal(maxpool(-torch.ones(1, 1, 6, 6)), -torch.ones(1, 9))  # padding never wins
    symmetric = build_model(tiny({"type": "AveragePooling2D", "pool_size": 3, "strides": 1, "padding": "same"},
                                 {"type": "Flatten"}, input_shape=(1, 4, 4)))
    assert torch.allclose(symmetric(torch.ones(1, 1, 4, 4)), torch.ones(1, 16))


def test_batchnorm_leaky_and_dropout_settings():
    network = build_model(tiny(
        {"type": "BatchNormalization", "momentum": 0.9, "epsilon": 0.01},
        {"type": "Flatten"},
        {"type": "Dense", "units": 4, "activation": "leaky_relu", "negative_slope": 0.5},
        {"type": "BatchNormalization"},
        {"type": "LeakyReLU"},
        {"type": "Dropout", "rate": 0.4},
        {"type": "Dense", "units": 3},
    ))
    bn2d, _, dense, bn1d, leaky, dropout, _ = network.layers
    assert isinstance(bn2d, torch.nn.BatchNorm2d) and isinstance(bn1d, torch.nn.BatchNorm1d)
    assert bn2d.momentum == pytest.approx(0.1) and bn2d.eps == pytest.approx(0.01)
    assert bn1d.momentum == pytest.approx(0.01) and bn1d.eps == pytest.approx(0.001)
    assert leaky.negative_slope == pytest.approx(0.3) and dropout.p == pytest.approx(0.4)
    x = -torch.ones(1, 36)
    with torch.no_grad():
        assert torch.allclose(dense(x), F.leaky_relu(F.linear(x, dense.weight, dense.bias), 0.5))


@pytest.mark.parametrize("activation, function", [
    ("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("linear", lambda t: t),
])
def test_dense_applies_its_activation(activation, function):
    network = build_model(tiny({"type": "Dense", "units": 3, "activation": activation}, input_shape=(4,)), seed=0)
    x = torch.randn(5, 4)
    dense = network.layers[0]
    with torch.no_grad():
        assert torch.allclose(network(x), function(x @ dense.weight.T + dense.bias))


def test_training_steps_reduce_the_loss():
    torch.manual_seed(0)
    network = build_model(tiny(
        {"type": "Conv2D", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "use_bias": False},
        {"type": "BatchNormalization"}, {"type": "Activation", "activation": "relu"},
        {"type": "Flatten"}, {"type": "Dense", "units": 3, "activation": "softmax"},
    ), seed=0)
    x, y = torch.rand(30, 1, 6, 6), torch.randint(0, 3, (30,))
    losses = []
    for _ in range(30):
        network.zero_grad()
        loss = F.cross_entropy(network(x), y)
        loss.backward()
        with torch.no_grad():  # plain gradient descent (torch.optim's first step imports for seconds)
            for param in network.parameters():
                param -= 0.5 * param.grad
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.7
