"""Random valid MLP/CNN specs: JSON round trip, and torch output shapes/counts equal the inferred ones."""

from __future__ import annotations

import json

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnstudio.model import build_model
from nnstudio.spec import Spec, count_params, count_trainable_params, infer_shapes, output_size

ACTIVATIONS = ["linear", "relu", "leaky_relu", "sigmoid", "tanh"]


def size_field(draw, low: int, high: int) -> int | list[int]:
    """An int or an [h, w] pair, as users write them."""
    h, w = draw(st.integers(low, high)), draw(st.integers(low, high))
    return h if h == w and draw(st.booleans()) else [h, w]


def pair(value: int | list[int]) -> list[int]:
    return [value, value] if isinstance(value, int) else value


@st.composite
def image_layers(draw, shape: list[int]) -> list[dict]:
    """A few convolution/pooling/normalization layers that fit `shape` ([C, H, W]), then Flatten."""
    layers = []
    _, height, width = shape
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["Conv2D", "Conv2D", "MaxPooling2D", "AveragePooling2D", "BatchNormalization",
                                     "LeakyReLU", "Activation", "Dropout"]))
        if kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
            padding = draw(st.sampled_from(["valid", "same"]))
            limit = 6 if padding == "same" else min(6, height, width)
            window = size_field(draw, 1, limit)
            if padding == "valid":
                window = [min(pair(window)[0], height), min(pair(window)[1], width)]
            layer = {"type": kind, "padding": padding}
            if kind == "Conv2D":
                layer |= {"filters": draw(st.integers(1, 6)), "kernel_size": window,
                          "activation": draw(st.sampled_from(ACTIVATIONS)), "use_bias": draw(st.booleans())}
            else:
                layer["pool_size"] = window
            strides = size_field(draw, 1, 3) if kind == "Conv2D" or draw(st.booleans()) else None
            if strides is not None:
                layer["strides"] = strides
            step = pair(strides) if strides is not None else (pair(window) if kind != "Conv2D" else [1, 1])
            height = output_size(height, pair(window)[0], step[0], padding)
            width = output_size(width, pair(window)[1], step[1], padding)
            layers.append(layer)
        else:
            layers.append(other_layer(draw, kind))
    return layers + [{"type": "Flatten"}]


def other_layer(draw, kind: str) -> dict:
    if kind == "Dropout":
        return {"type": kind, "rate": draw(st.floats(0.0, 0.9))}
    if kind == "Activation":
        return {"type": kind, "activation": draw(st.sampled_from(ACTIVATIONS))}
    if kind == "LeakyReLU":
        return {"type": kind, "negative_slope": draw(st.floats(0.0, 1.0))}
    return {"type": kind, "momentum": draw(st.floats(0.0, 0.999)), "epsilon": draw(st.floats(1e-5, 0.1))}


@st.composite
def specs(draw) -> dict:
    """A random valid spec as a user-written dict."""
    if draw(st.booleans()):
        shape = [draw(st.integers(1, 3)), draw(st.integers(1, 14)), draw(st.integers(1, 14))]
        layers = draw(image_layers(shape))
    else:
        shape = [draw(st.integers(1, 40))]
        layers = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["Dense", "Dense", "Dropout", "BatchNormalization", "LeakyReLU", "Activation"]))
        if kind == "Dense":
            layers.append({"type": "Dense", "units": draw(st.integers(1, 20)),
                           "activation": draw(st.sampled_from(ACTIVATIONS)), "use_bias": draw(st.booleans())})
        else:
            layers.append(other_layer(draw, kind))
    layers.append({"type": "Dense", "units": draw(st.integers(2, 10)),
                   "activation": draw(st.sampled_from(["softmax", "linear"]))})
    return {"name": "random", "input_shape": shape, "layers": layers,
            "training": {"epochs": draw(st.integers(1, 5))}}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_round_trip_through_json(d):
    spec = Spec.from_dict(d)
    assert Spec.from_dict(spec.to_dict()) == spec
    assert Spec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(), st.integers(0, 2**31 - 1))
def test_torch_shapes_and_counts_equal_inferred(d, seed):
    spec = Spec.from_dict(d)
    network = build_model(spec, seed=seed)
    infos = infer_shapes(spec)
    x = torch.rand(3, *spec.input_shape)
    for mode in (True, False):
        network.train(mode)
        with torch.no_grad():
            h = x
            for layer, info in zip(network.layers, infos):
                h = layer(h)
                assert tuple(h.shape[1:]) == info.output_shape, (info, spec.layers)
            assert torch.isfinite(h).all()
    trainable = sum(p.numel() for p in network.parameters())
    buffers = sum(b.numel() for n, b in network.named_buffers() if n.endswith(("running_mean", "running_var")))
    assert trainable == count_trainable_params(spec)
    assert trainable + buffers == count_params(spec)
    assert len(network.activations(x[0])) == len(spec.layers)


def reference_same(x: torch.Tensor, kind: str, window: list[int], strides: list[int], weight=None) -> torch.Tensor:
    """TensorFlow's padding 'same' done the obvious way: pad fully, then slide a valid window."""
    from nnstudio.spec import same_padding

    top, bottom = same_padding(x.shape[2], window[0], strides[0])
    left, right = same_padding(x.shape[3], window[1], strides[1])
    pad = (left, right, top, bottom)
    if kind == "Conv2D":
        return torch.nn.functional.conv2d(torch.nn.functional.pad(x, pad), weight, None, strides)
    if kind == "MaxPooling2D":
        return torch.nn.functional.max_pool2d(torch.nn.functional.pad(x, pad, value=float("-inf")), window, strides)
    total = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(x, pad), window, strides, divisor_override=1)
    count = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(torch.ones_like(x), pad), window, strides,
                                           divisor_override=1)
    return total / count


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["Conv2D", "MaxPooling2D", "AveragePooling2D"]),
    st.integers(1, 12), st.integers(1, 12),
    st.lists(st.integers(1, 6), min_size=2, max_size=2),
    st.lists(st.integers(1, 3), min_size=2, max_size=2),
)
def test_same_padding_values_equal_full_padding(kind, height, width, window, strides):
    layer = {"type": kind, "padding": "same", "strides": strides}
    layer |= {"filters": 2, "kernel_size": window, "use_bias": False} if kind == "Conv2D" else {"pool_size": window}
    spec = Spec.from_dict({"input_shape": [2, height, width], "layers": [layer, {"type": "Flatten"}]})
    network = build_model(spec, seed=0).eval()
    x = torch.randn(3, 2, height, width)
    with torch.no_grad():
        ours = network.layers[0](x)
        expected = reference_same(x, kind, window, strides, getattr(network.layers[0], "weight", None))
    assert torch.allclose(ours, expected, atol=1e-5)
