"""The layers that look across a batch, when a batch is shared by several processes.

Dropout draws one mask for the whole batch and batch normalization takes its mean and
variance over the whole batch; with the batch split over processes (see
nnstudio.train.placement), each process would otherwise draw masks for its share only
and normalize by its share's statistics, and N processes would train another network
than one. With a BatchShare attached, Dropout draws the whole batch's mask (every
process's generator is in the same state) and keeps its own rows, and batch
normalization sums its statistics over the processes with a differentiable all-reduce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


@dataclass
class BatchShare:
    """This process's part of the batch under way: positions (b,) within a batch of size."""

    group: Any = None  # the process group that sums the statistics
    positions: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.int64))
    size: int = 0


def attach_share(network: nn.Module, share: BatchShare) -> None:
    """Show every Dropout and batch normalization of network the shared batch."""
    for module in network.modules():
        if isinstance(module, (nn.Dropout, nn.modules.batchnorm._BatchNorm)):
            module.batch_share = share  # type: ignore[assignment]


def detach_share(network: nn.Module) -> None:
    """Undo attach_share."""
    for module in network.modules():
        if getattr(module, "batch_share", None) is not None:
            module.batch_share = None  # type: ignore[assignment]


def shared_dropout(x: torch.Tensor, rate: float, share: BatchShare) -> torch.Tensor:
    """Dropout as one process over the whole batch would draw it: the same mask (same
    generator calls as F.dropout), of which this process keeps its rows."""
    if rate == 0.0:
        return x
    if rate == 1.0:
        return x * 0.0
    mask = torch.empty((share.size, *x.shape[1:]), dtype=x.dtype, device=x.device)
    mask.bernoulli_(1.0 - rate).div_(1.0 - rate)  # F.dropout's own steps, in its order
    return x * mask[share.positions]


class _SumOverProcesses(torch.autograd.Function):
    """The sum of a tensor over the processes, differentiable: the gradient that reaches
    each process's share is the sum of every process's gradient of that sum."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, group: Any) -> torch.Tensor:
        ctx.group = group
        total = x.clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=group)
        return total

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        total = grad.clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=ctx.group)
        return total, None


def all_reduce(x: torch.Tensor, group: Any = None) -> torch.Tensor:
    """x summed over the processes of group, with gradients flowing back to every share."""
    return _SumOverProcesses.apply(x, group)


def shared_batch_norm(module: nn.modules.batchnorm._BatchNorm, x: torch.Tensor,
                      share: BatchShare) -> torch.Tensor:
    """Training-mode batch normalization with the mean and variance of the whole batch
    (x is this process's share, (b, C) or (b, C, H, W)); updates the running statistics
    as nn.BatchNorm does."""
    dims = [0, *range(2, x.dim())]
    shape = [1, -1] + [1] * (x.dim() - 2)
    per_channel = x.numel() // max(x.shape[1], 1)
    count = torch.full((1,), float(per_channel), dtype=x.dtype, device=x.device)
    totals = all_reduce(torch.cat([x.sum(dims), count]), group=share.group)
    n = totals[-1]
    mean = totals[:-1] / n  # (C,)
    centred = x - mean.view(shape)
    var = all_reduce((centred * centred).sum(dims), group=share.group) / n  # two passes, as torch does
    y = centred * torch.rsqrt(var + module.eps).view(shape)
    if module.affine:
        y = y * module.weight.view(shape) + module.bias.view(shape)
    if module.track_running_stats and module.running_mean is not None and module.running_var is not None:
        with torch.no_grad():
            tracked = module.num_batches_tracked
            if tracked is not None:
                tracked.add_(1)
            momentum = module.momentum if module.momentum is not None else 1.0 / float(tracked or 1)
            unbiased = var.detach() * (n / (n - 1)).detach()
            module.running_mean.mul_(1 - momentum).add_(mean.detach(), alpha=momentum)
            module.running_var.mul_(1 - momentum).add_(unbiased, alpha=momentum)
    return y


def dropout_forward(module: nn.Dropout, x: torch.Tensor) -> torch.Tensor:
    """Forward of nnstudio's Dropout: shared when a batch share is attached."""
    share = getattr(module, "batch_share", None)
    if share is not None and module.training:
        return shared_dropout(x, module.p, share)
    return F.dropout(x, module.p, module.training, module.inplace)


def batch_norm_forward(module: nn.modules.batchnorm._BatchNorm, x: torch.Tensor) -> torch.Tensor | None:
    """The shared forward of a batch normalization, or None when it is not shared."""
    share = getattr(module, "batch_share", None)
    if share is not None and module.training:
        return shared_batch_norm(module, x, share)
    return None
