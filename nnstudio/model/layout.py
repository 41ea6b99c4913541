"""The memory layout a network trains in.

A network that convolves images trains with its 4-D weights and inputs stored channels
last (N, H, W, C in memory; the tensors keep their (N, C, H, W) shape and meaning). The
convolution library works in that order natively, so the plain (N, C, H, W) order costs
a reordering before and after every convolution. Measured with bench/layout.py on a
2-core Intel Xeon, in three runs: letters-cnn trains 1.09-1.12x, digits-cnn 1.06-1.09x,
mnist-cnn 1.35-1.41x and seed-cnn 1.18-1.23x faster, and letters-cnn answers 1.10x faster
(bench/RESULTS.md, section 3b). Values are the same up to rounding.

Training gives the network back in the plain layout, so that saving and export see
ordinary contiguous tensors; a model loaded for prediction is arranged in this layout
too (nnstudio.predict.load), since it answers faster in it.
"""

from __future__ import annotations

import torch
from torch import nn

CHANNELS_LAST = torch.channels_last
PLAIN = torch.contiguous_format


def training_layout(network: nn.Module) -> torch.memory_format:
    """channels_last for a network with a 2-D convolution, else the plain layout."""
    return CHANNELS_LAST if any(isinstance(m, nn.Conv2d) for m in network.modules()) else PLAIN


# With one channel both layouts hold the same bytes and differ only in the stride given
# for the channel axis. Kernels are restrided (Tensor.to), since the convolution library
# reads the layout from them: with .contiguous() a one-channel first layer kept the plain
# strides and ran its slower plain path. Inputs need no such push (.contiguous() leaves a
# one-channel batch as it is), and measured a little faster left so.


def arrange_network(network: nn.Module, layout: torch.memory_format) -> None:
    """Store network's 4-D parameters (convolution kernels) and their gradients in layout,
    in place: the parameters stay the same objects, so an optimizer keeps them."""
    for param in network.parameters():
        if param.dim() == 4:
            param.data = param.data.to(memory_format=layout)
            if param.grad is not None:
                param.grad = param.grad.to(memory_format=layout)


def arrange_inputs(x: torch.Tensor, layout: torch.memory_format) -> torch.Tensor:
    """x stored in layout (images only: other inputs are returned as they are)."""
    return x.contiguous(memory_format=layout) if layout is CHANNELS_LAST and x.dim() == 4 else x


def arrange_optimizer_state(optimizer: torch.optim.Optimizer) -> None:
    """Store each parameter's optimizer buffers (Adam's averages, momentum) in the layout
    of the parameter itself. A checkpoint holds them plain; left so, every step would
    mix layouts."""
    for group in optimizer.param_groups:
        for param in group["params"]:
            state = optimizer.state.get(param, {})
            for key, value in state.items():
                if isinstance(value, torch.Tensor) and value.shape == param.shape and value.dim() == 4:
                    state[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)
