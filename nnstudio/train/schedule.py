"""Optimizers (SGD, Adam), gradient clipping and the learning-rate decay applied after every epoch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from nnstudio.train.config import TrainConfig


def make_optimizer(params: Iterable[torch.nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    """Return the optimizer named by config.optimizer over params."""
    params = list(params)
    if config.optimizer == "sgd":
        # torch's default SGD (one small update per tensor) was measured fastest for the
        # small networks here; its fused kernel enters a thread pool even for tiny
        # tensors, which costs much more than the arithmetic on a busy 2-core CPU.
        return torch.optim.SGD(params, lr=config.learning_rate, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    # Adam does several operations per tensor; the fused kernel does them in one call
    # (measured 3-4x faster per step than the default on the course's networks).
    return torch.optim.Adam(params, lr=config.learning_rate, weight_decay=config.weight_decay,
                            fused=True if _fused_ok(params) else None)


def make_scheduler(optimizer: torch.optim.Optimizer,
                   config: TrainConfig) -> torch.optim.lr_scheduler.LRScheduler | None:
    """Return the per-epoch learning-rate schedule, or None for a constant rate."""
    if config.lr_decay == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=config.decay_rate)
    if config.lr_decay == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.decay_every, gamma=config.decay_rate)
    if config.lr_decay == "cosine":
        # Down to zero at the end of the last epoch.
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    return None


def clip_gradients(params: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients together so that their joint L2 norm is at most max_norm;
    return that norm before scaling (a device tensor: reading it would wait for the device).

    Same arithmetic as torch.nn.utils.clip_grad_norm_, without its per-call grouping
    of tensors by device and dtype, which costs more than the maths for small networks.
    The private torch._foreach_* calls are kept for that reason: measured on the shapes
    MLP's 10 tensors (2 cores, torch 2.13), 50 us per call here against 90 us for
    clip_grad_norm_, at batch size 1 a step of its own.
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    torch._foreach_mul_(grads, (max_norm / (total + 1e-6)).clamp_(max=1.0))
    return total


def _fused_ok(params: Sequence[torch.Tensor]) -> bool:
    """Fused optimizers need floating tensors on one CPU or CUDA device."""
    devices = {p.device.type for p in params}
    return bool(params) and len(devices) == 1 and devices <= {"cpu", "cuda"} and all(
        p.is_floating_point() for p in params)
