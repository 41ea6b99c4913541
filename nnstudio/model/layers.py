"""One torch module per spec layer, with Keras' semantics.

Each class subclasses the torch module with the same parameters, so a state_dict reads
``layers.{i}.weight`` / ``layers.{i}.bias`` with nothing in between. Padding 'same'
follows TensorFlow: when the total padding is odd the extra row/column goes at the
bottom/right, which torch's symmetric `padding=` cannot express, so that one row/column
is added with F.pad in forward.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nnstudio.model.shared_batch import BatchShare, batch_norm_forward, dropout_forward
from nnstudio.spec import LayerInfo, same_padding

ActivationFn = Callable[[torch.Tensor], torch.Tensor]


def activation_function(name: str, negative_slope: float, *, inplace: bool = False) -> ActivationFn | None:
    """Return the function for activation `name` (None for linear; softmax is applied outside forward).

    `inplace` is only safe where nobody else holds the input (a layer's own pre-activation).
    """
    if name in ("linear", "softmax"):
        return None
    if name == "relu":
        return functools.partial(F.relu, inplace=inplace)
    if name == "leaky_relu":
        return functools.partial(F.leaky_relu, negative_slope=negative_slope, inplace=inplace)
    if name == "sigmoid":
        return torch.sigmoid
    if name == "tanh":
        return torch.tanh
    raise ValueError(f"activation {name!r} has no torch function")  # the spec schema prevents this


def _window_padding(info: LayerInfo, window: list[int]) -> tuple[tuple[int, int], tuple[int, int, int, int] | None]:
    """Return padding 'same' split in two: symmetric (top, left) that torch's `padding=` does, and
    the odd remainder F.pad must add at the bottom/right ((0, right, 0, bottom)), or None.

    Padding only the remainder explicitly keeps the padded copy (and its gradient) small.
    """
    if info.config["padding"] != "same":
        return (0, 0), None
    _, height, width = info.input_shape
    top, bottom = same_padding(height, window[0], info.config["strides"][0])
    left, right = same_padding(width, window[1], info.config["strides"][1])
    extra = (0, right - left, 0, bottom - top)
    return (top, left), (extra if any(extra) else None)


class Dense(nn.Linear):
    """Fully connected layer with its activation applied in forward: (N, in) -> (N, units)."""

    def __init__(self, info: LayerInfo):
        config = info.config
        super().__init__(info.input_shape[0], config["units"], bias=config["use_bias"])
        self.act = activation_function(config["activation"], config["negative_slope"], inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight, self.bias)
        return y if self.act is None else self.act(y)


class Conv2D(nn.Conv2d):
    """Convolution with Keras padding and its activation: (N, C, H, W) -> (N, filters, H', W')."""

    def __init__(self, info: LayerInfo):
        config = info.config
        symmetric, extra_pad = _window_padding(info, config["kernel_size"])
        super().__init__(
            info.input_shape[0],
            config["filters"],
            kernel_size=tuple(config["kernel_size"]),
            stride=tuple(config["strides"]),
            padding=symmetric,
            bias=config["use_bias"],
        )
        self.extra_pad = extra_pad
        self.act = activation_function(config["activation"], config["negative_slope"], inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.extra_pad is not None:
            x = F.pad(x, self.extra_pad)
        y = self._conv_forward(x, self.weight, self.bias)
        return y if self.act is None else self.act(y)

    def extra_repr(self) -> str:
        pad = f", extra_pad(l,r,t,b)={self.extra_pad}" if self.extra_pad is not None else ""
        return super().extra_repr() + pad


class MaxPooling2D(nn.Module):
    """Max pooling; padded cells never win (they are -inf), as in Keras."""

    def __init__(self, info: LayerInfo):
        super().__init__()
        self.kernel = tuple(info.config["pool_size"])
        self.stride = tuple(info.config["strides"])
        self.padding, self.extra_pad = _window_padding(info, info.config["pool_size"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.extra_pad is not None:
            x = F.pad(x, self.extra_pad, value=float("-inf"))
        return F.max_pool2d(x, self.kernel, self.stride, self.padding)

    def extra_repr(self) -> str:
        return _pool_repr(self)


class AveragePooling2D(nn.Module):
    """Average pooling; with padding 'same' each window averages only its real cells, as in Keras."""

    def __init__(self, info: LayerInfo):
        super().__init__()
        self.kernel = tuple(info.config["pool_size"])
        self.stride = tuple(info.config["strides"])
        self.padding, self.extra_pad = _window_padding(info, info.config["pool_size"])
        if self.extra_pad is not None:
            # Zero padding then a plain average; this factor (window size / real cells in the
            # window) turns it into the average of the real cells. (1, 1, H', W').
            ones = torch.ones(1, 1, *info.input_shape[1:])
            real = self._padded_average(ones)
            self.register_buffer("rescale", 1.0 / real, persistent=False)

    def _padded_average(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.extra_pad if self.extra_pad is not None else (0, 0, 0, 0)
        return F.avg_pool2d(F.pad(x, pad), self.kernel, self.stride, self.padding, count_include_pad=True)

    rescale: torch.Tensor  # registered as a buffer when extra_pad is set

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.extra_pad is not None:
            return self._padded_average(x) * self.rescale
        return F.avg_pool2d(x, self.kernel, self.stride, self.padding, count_include_pad=False)

    def extra_repr(self) -> str:
        return _pool_repr(self)


def _pool_repr(layer: MaxPooling2D | AveragePooling2D) -> str:
    extra = f", extra_pad(l,r,t,b)={layer.extra_pad}" if layer.extra_pad is not None else ""
    return f"pool_size={layer.kernel}, strides={layer.stride}, padding={layer.padding}{extra}"


class Flatten(nn.Flatten):
    """(N, C, H, W) -> (N, C*H*W), channel by channel, row by row."""

    def __init__(self, info: LayerInfo):
        super().__init__()


class Dropout(nn.Dropout):
    """Zeroes a fraction `rate` of values while training and rescales the rest."""

    batch_share: BatchShare | None = None  # set while a batch is shared by several processes

    def __init__(self, info: LayerInfo):
        super().__init__(info.config["rate"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout_forward(self, x)


def _torch_momentum(keras_momentum: float) -> float:
    # Keras keeps `momentum` of the old moving average; torch's momentum is the share of
    # the new batch statistic. Rounded so 0.99 gives 0.01, not 0.010000000000000009.
    return round(1.0 - keras_momentum, 12)


class BatchNorm1d(nn.BatchNorm1d):
    """Batch normalization of vectors (N, D), per feature."""

    batch_share: BatchShare | None = None  # set while a batch is shared by several processes

    def __init__(self, info: LayerInfo):
        config = info.config
        super().__init__(info.input_shape[0], eps=config["epsilon"], momentum=_torch_momentum(config["momentum"]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shared = batch_norm_forward(self, x)
        return super().forward(x) if shared is None else shared


class BatchNorm2d(nn.BatchNorm2d):
    """Batch normalization of images (N, C, H, W), per channel."""

    batch_share: BatchShare | None = None  # set while a batch is shared by several processes

    def __init__(self, info: LayerInfo):
        config = info.config
        super().__init__(info.input_shape[0], eps=config["epsilon"], momentum=_torch_momentum(config["momentum"]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shared = batch_norm_forward(self, x)
        return super().forward(x) if shared is None else shared


class Activation(nn.Module):
    """A separate activation layer; a final softmax is left to predict_proba (forward gives logits)."""

    def __init__(self, info: LayerInfo):
        super().__init__()
        self.name = info.config["activation"]
        # Not in place: the input is the previous layer's output, which activations() reports.
        self.act = activation_function(self.name, info.config["negative_slope"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.act is None else self.act(x)

    def extra_repr(self) -> str:
        return self.name


class LeakyReLU(nn.LeakyReLU):
    """max(x, negative_slope * x)."""

    def __init__(self, info: LayerInfo):
        super().__init__(info.config["negative_slope"])


class RecurrentLayer(nn.RNNBase):
    """What nnstudio's recurrent layers share: torch's module over (N, steps, features)
    with batch_first, passing on every step's state or only the last (return_sequences)."""

    return_sequences: bool

    def states(self, x: torch.Tensor) -> torch.Tensor:
        """Return the hidden state of every step (N, steps, units), whatever return_sequences says."""
        return super().forward(x)[0]

    def passed_on(self, states: torch.Tensor) -> torch.Tensor:
        """Return what the next layer gets of the states (N, steps, units): all, or the last step (N, units)."""
        return states if self.return_sequences else states[:, -1]

    def forward(self, x: torch.Tensor, hx: Any = None) -> torch.Tensor:  # type: ignore[override]
        return self.passed_on(super().forward(x, hx)[0])


class SimpleRNN(RecurrentLayer, nn.RNN):  # type: ignore[misc]  # forward gives one tensor
    """h_t = activation(W x_t + U h_(t-1) + b), activation tanh or relu: (N, steps, features) in."""

    def __init__(self, info: LayerInfo):
        config = info.config
        super().__init__(info.input_shape[1], config["units"], nonlinearity=config["activation"], batch_first=True)
        self.return_sequences = config["return_sequences"]


class LSTM(RecurrentLayer, nn.LSTM):  # type: ignore[misc]  # forward gives one tensor
    """Long short-term memory: input, forget, cell and output gates (torch's gate order)."""

    def __init__(self, info: LayerInfo):
        super().__init__(info.input_shape[1], info.config["units"], batch_first=True)
        self.return_sequences = info.config["return_sequences"]


class GRU(RecurrentLayer, nn.GRU):  # type: ignore[misc]  # forward gives one tensor
    """Gated recurrent unit: reset, update and new gates (Keras' reset_after=True form)."""

    def __init__(self, info: LayerInfo):
        super().__init__(info.input_shape[1], info.config["units"], batch_first=True)
        self.return_sequences = info.config["return_sequences"]


Generator = torch.Generator | None


def _init_kernel(layer: nn.Module, generator: Generator) -> None:
    """Keras' Dense and Conv2D start: Glorot-uniform kernel, zero bias."""
    nn.init.xavier_uniform_(layer.weight, generator=generator)  # type: ignore[arg-type]
    if layer.bias is not None:
        layer.bias.zero_()  # type: ignore[operator]


def _init_batch_norm(layer: nn.Module, generator: Generator) -> None:
    layer.reset_parameters()  # type: ignore[operator]


def _init_recurrent(layer: nn.Module, generator: Generator) -> None:
    """Keras' recurrent start: Glorot-uniform input kernel per gate, orthogonal recurrent
    kernel per gate, zero biases except an LSTM's forget gate bias of 1 (unit_forget_bias)."""
    units = int(layer.hidden_size)  # type: ignore[arg-type]
    for name, tensor in layer.named_parameters():
        if name.startswith("bias"):
            tensor.zero_()
            if isinstance(layer, nn.LSTM) and name.startswith("bias_ih"):
                tensor[units:2 * units] = 1.0
            continue
        for gate in tensor.split(units, dim=0):
            if name.startswith("weight_hh"):
                nn.init.orthogonal_(gate, generator=generator)
            else:
                nn.init.xavier_uniform_(gate, generator=generator)


def _no_init(layer: nn.Module, generator: Generator) -> None:
    pass


def _batch_norm(info: LayerInfo) -> nn.Module:
    return BatchNorm1d(info) if len(info.input_shape) == 1 else BatchNorm2d(info)


Builder = Callable[[LayerInfo], nn.Module]
Initializer = Callable[[nn.Module, Generator], None]

# Spec layer type -> (module builder, Keras' initial values); the same names as spec.LAYERS.
BUILDERS: dict[str, tuple[Builder, Initializer]] = {
    "Dense": (Dense, _init_kernel),
    "Conv2D": (Conv2D, _init_kernel),
    "MaxPooling2D": (MaxPooling2D, _no_init),
    "AveragePooling2D": (AveragePooling2D, _no_init),
    "Flatten": (Flatten, _no_init),
    "Dropout": (Dropout, _no_init),
    "BatchNormalization": (_batch_norm, _init_batch_norm),
    "Activation": (Activation, _no_init),
    "LeakyReLU": (LeakyReLU, _no_init),
    "SimpleRNN": (SimpleRNN, _init_recurrent),
    "LSTM": (LSTM, _init_recurrent),
    "GRU": (GRU, _init_recurrent),
}


def build_layer(info: LayerInfo) -> nn.Module:
    """Return the torch module for one spec layer, sized from its inferred input shape."""
    return BUILDERS[info.type][0](info)


def initialize_layer(layer: nn.Module, type_: str, generator: Generator) -> None:
    """Set one layer's parameters to Keras' initial values for its type, drawing from `generator`."""
    with torch.no_grad():
        BUILDERS[type_][1](layer, generator)
