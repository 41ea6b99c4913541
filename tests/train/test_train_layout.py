"""A network that convolves trains channels last and is given back in the plain layout."""

import numpy as np
import pytest
import torch

import nnstudio.train.loop as loop
from train_samples import TINY_CNN, TINY_MLP, bars
from nnstudio.data import Dataset
from nnstudio.model import build_model
from nnstudio.spec import load_spec
from nnstudio.train import Callback, TrainConfig, fit
from nnstudio.model.layout import PLAIN, arrange_inputs, arrange_optimizer_state, training_layout

# Two input channels and two convolutions: with one channel the two layouts of a tensor
# coincide, and nothing could be told apart.
TWO_CHANNEL_CNN = {
    "name": "two-channel-cnn",
    "input_shape": [2, 8, 8],
    "layers": [
        {"type": "Conv2D", "filters": 4, "kernel_size": [3, 3], "padding": "same", "use_bias": False},
        # (no bias before batch norm: its gradient is rounding noise, which Adam would scale up)
        {"type": "BatchNormalization"},
        {"type": "Activation", "activation": "relu"},
        {"type": "Conv2D", "filters": 6, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"},
        {"type": "Flatten"},
        {"type": "Dense", "units": 3, "activation": "softmax"},
    ],
}


def two_channel_images(n_per_class=8, seed=0):
    """(N, 2, 8, 8): class k has a bright row k+2 in channel 0 and column k+2 in channel 1."""
    rng = np.random.default_rng(seed)
    x = 0.1 * rng.random((3 * n_per_class, 2, 8, 8), dtype=np.float32)
    y = np.repeat(np.arange(3), n_per_class)
    for i, k in enumerate(y):
        x[i, 0, k + 2, :] = 1
        x[i, 1, :, k + 2] = 1
    return Dataset(x, y, ["a", "b", "c"], name="two-channel")


def conv_weights(network):
    return [m.weight for m in network.modules() if isinstance(m, torch.nn.Conv2d)]


class LayoutSeen(Callback):
    def __init__(self, network):
        self.network, self.seen = network, []

    def on_epoch_end(self, epoch, logs):
        self.seen.append([w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous()
                          for w in conv_weights(self.network)])


def test_a_convolutional_network_trains_channels_last_and_comes_back_plain():
    network = build_model(load_spec(TWO_CHANNEL_CNN), seed=0)
    seen = LayoutSeen(network)
    fit(network, two_channel_images(), TrainConfig(epochs=2, batch_size=8, validation=0.0), callbacks=[seen])
    assert seen.seen == [[True, True], [True, True]]
    assert all(t.is_contiguous() for t in network.state_dict().values())


def test_a_one_channel_first_layer_gets_channels_last_strides_too():
    # One channel: both layouts hold the same bytes, so only the strides tell the
    # convolution library which path to take.
    network = build_model(load_spec(TINY_CNN), seed=0)
    strides = []

    class Strides(Callback):
        def on_epoch_end(self, epoch, logs):
            strides.append(conv_weights(network)[0].stride())

    fit(network, bars(), TrainConfig(epochs=1, batch_size=8, validation=0.0), callbacks=[Strides()])
    assert strides == [(9, 1, 3, 1)]  # (4, 1, 3, 3) kernels, channel stride 1
    assert conv_weights(network)[0].stride() == (9, 9, 3, 1)


def test_networks_without_convolutions_keep_the_plain_layout():
    assert training_layout(build_model(load_spec(TINY_MLP), seed=0)) is PLAIN
    x = torch.rand(2, 3, 4, 5)
    assert arrange_inputs(x, PLAIN) is x


def test_the_layout_changes_storage_only_not_values():
    x = torch.rand(2, 3, 4, 5)
    arranged = arrange_inputs(x, torch.channels_last)
    assert arranged.is_contiguous(memory_format=torch.channels_last) and not arranged.is_contiguous()
    assert torch.equal(arranged, x)


def test_training_channels_last_gives_the_weights_of_plain_training_up_to_rounding(monkeypatch):
    data, config = two_channel_images(), TrainConfig(epochs=3, batch_size=8, validation=0.0, seed=3)
    last = build_model(load_spec(TWO_CHANNEL_CNN), seed=0)
    history_last = fit(last, data, config)
    monkeypatch.setattr(loop, "training_layout", lambda network: PLAIN)
    plain = build_model(load_spec(TWO_CHANNEL_CNN), seed=0)
    history_plain = fit(plain, data, config)
    for key, value in plain.state_dict().items():
        torch.testing.assert_close(last.state_dict()[key], value, rtol=1e-4, atol=1e-5)
    assert history_last[-1]["loss"] == pytest.approx(history_plain[-1]["loss"], rel=1e-4)


def test_optimizer_buffers_follow_their_parameters_layout():
    weight = torch.nn.Parameter(torch.rand(4, 3, 3, 3).contiguous(memory_format=torch.channels_last))
    optimizer = torch.optim.Adam([weight])
    weight.grad = torch.rand_like(weight)
    optimizer.step()
    plain_state = {k: v.contiguous() if v.dim() == 4 else v for k, v in optimizer.state[weight].items()}
    optimizer.state[weight] = dict(plain_state)
    arrange_optimizer_state(optimizer)
    for key in ("exp_avg", "exp_avg_sq"):
        buffer = optimizer.state[weight][key]
        assert buffer.is_contiguous(memory_format=torch.channels_last) and not buffer.is_contiguous()
        assert torch.equal(buffer, plain_state[key])
