"""Training a network to give the next term of integer sequences: fit_sequences.

The network reads the prepared steps (data.sequence_prep) and answers with the weights of
the newest differences; their weighted sum is the next difference, trained with the
Regression task (mean squared error, in units of the sequence's largest difference) at
every place of the sequence where the weights can be checked, the next term included. A held-out
share of the sequences is scored after every epoch as the preparation predicts (weights
rounded when it says so), and the weights of the epoch with the most exact answers are
kept. Reports go through the usual callbacks (on_train_begin, on_epoch_end, on_train_end).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nnstudio.data.sequence_prep import SequencePreparation
from nnstudio.data.sequences import SequenceSet
from nnstudio.errors import TrainingError
from nnstudio.model import Network
from nnstudio.train.callbacks import call
from nnstudio.train.config import TrainConfig
from nnstudio.train.schedule import make_optimizer, make_scheduler
from nnstudio.train.task import Regression


@dataclass
class Prepared:
    """A SequenceSet as tensors, differences in units of each sequence's sd: inputs x, the
    next differences (target) and the tolerance (0.5 / sd) within which an answer rounds to
    the right term; and for every difference from the (order + 1)-th on, the next one
    included, the newest differences before it (windows), the difference itself (later)
    and 1 where the sequence has such a difference (mask)."""

    x: torch.Tensor  # (N, steps, features)
    target: torch.Tensor  # (N,)
    tolerance: torch.Tensor  # (N,)
    windows: torch.Tensor  # (N, steps - order, order)
    later: torch.Tensor  # (N, steps - order)
    mask: torch.Tensor  # (N, steps - order)


def prepared(data: SequenceSet, prep: SequencePreparation) -> Prepared:
    x, _, sds = prep.inputs(data.terms)
    slots, basis, span = prep.steps - prep.order, prep.basis, prep.order + 1
    windows = np.zeros((len(data), slots, prep.order), np.float32)
    later = np.zeros((len(data), slots), np.float32)
    mask = np.zeros((len(data), slots), np.float32)
    for i, (terms, target) in enumerate(zip(data.terms, data.targets)):
        whole = np.asarray([*terms, target], np.float64) / sds[i]
        count = len(whole) - span  # terms with order + 1 terms before them
        for slot, k in zip(range(slots - count, slots), range(span, len(whole))):
            windows[i, slot] = basis @ whole[k - span:k][::-1]
            later[i, slot], mask[i, slot] = whole[k] - whole[k - 1], 1.0
    step = np.array([target - terms[-1] for terms, target in zip(data.terms, data.targets)], np.float64)
    return Prepared(torch.from_numpy(x), torch.from_numpy((step / sds).astype(np.float32)),
                    torch.from_numpy((0.5 / sds).astype(np.float32)), torch.from_numpy(windows),
                    torch.from_numpy(later), torch.from_numpy(mask))


# Many weights give the same next term (an arithmetic sequence is continued by (2, -1, 0, 0)
# and by (1.5, 0, -0.5, 0) alike); this small pull towards whole numbers, sin^2(pi w), makes
# the network settle on whole-number weights, which rounding then makes exact. It grows from
# 0 to its full size over the first PULL_EPOCHS share of the epochs.
INTEGER_PULL = 1e-3
PULL_EPOCHS = 0.3


# From this share of the epochs on, the weights are rounded in the forward pass and the
# gradient passes the rounding as if it were not there (straight through), so that the last
# epochs train the answers as predict_next gives them. None: never.
ROUND_FROM: float | None = 0.5


def rounded(weights: torch.Tensor) -> torch.Tensor:
    """Return the weights rounded, with the gradient of the weights themselves."""
    return weights + (torch.round(weights) - weights).detach()


def integer_pull(weights: torch.Tensor) -> torch.Tensor:
    """Return the mean of sin^2(pi w) over the weights: 0 at whole numbers, 1 halfway between."""
    return torch.sin(math.pi * weights).pow(2).mean()


def predict_next(network: Network, prep: SequencePreparation, sequences: list[list[int]],
                 batch_size: int = 1024) -> np.ndarray:
    """Return the next term of each sequence (float64 (N,)) as the preparation turns the network's weights."""
    x, diffs, sds = prep.inputs(sequences)
    device = next(network.parameters()).device
    was_training = network.training
    network.eval()
    try:
        with torch.inference_mode():
            weights = np.concatenate([network(torch.from_numpy(x[i:i + batch_size]).to(device)).cpu().numpy()
                                      for i in range(0, len(x), batch_size)]) if len(x) else np.zeros((0, prep.order))
    finally:
        network.train(was_training)
    return prep.next_terms(weights, sequences, diffs, sds)


def fit_sequences(network: Network, data: SequenceSet, prep: SequencePreparation, config: TrainConfig,
                  callbacks: Any = ()) -> list[dict[str, float]]:
    """Train network on data; return one log per epoch (loss, accuracy, val_loss, val_accuracy, lr, seconds).

    accuracy: share of training answers right once rounded (the weights as the network gives
    them); val_accuracy: the same on the held-out share, as predict_next answers.
    """
    if tuple(network.spec.input_shape) != prep.input_shape or network.spec.layers[-1].get("units") != prep.order:
        raise TrainingError(f"network {network.spec.name!r} takes {list(network.spec.input_shape)} and gives "
                            f"{network.spec.layers[-1].get('units')} numbers; sequences need input "
                            f"{list(prep.input_shape)} and {prep.order} outputs. help: start from the "
                            "sequence-lstm preset")
    held = int(round(len(data) * config.validation))
    order = np.random.default_rng(config.seed).permutation(len(data))
    train, val = data.subset(order[held:]), data.subset(order[:held])
    if len(train) == 0:
        raise TrainingError(f"validation {config.validation} leaves no sequences to train on.")
    device = torch.device("cuda" if config.device in ("auto", "cuda") and torch.cuda.is_available() else "cpu")
    network.to(device)
    t = prepared(train, prep)
    t = Prepared(*(tensor.to(device) for tensor in (t.x, t.target, t.tolerance, t.windows, t.later, t.mask)))
    task = Regression()
    optimizer = make_optimizer(network.parameters(), config)
    scheduler = make_scheduler(optimizer, config)
    shuffle = torch.Generator().manual_seed(config.seed)
    call(callbacks, "on_train_begin", {"epochs": config.epochs, "start_epoch": 1, "start_batch": 0,
                                       "samples": len(train), "validation_samples": len(val),
                                       "batches_per_epoch": -(-len(train) // config.batch_size),
                                       "batch_size": config.batch_size, "device": str(device), "processes": 1,
                                       "parameters": sum(p.numel() for p in network.parameters()),
                                       "config": config.to_dict()})
    history: list[dict[str, float]] = []
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    for epoch in range(1, config.epochs + 1):
        start, lr = time.perf_counter(), optimizer.param_groups[0]["lr"]
        ramp = min(1.0, (epoch - 1) / max(PULL_EPOCHS * config.epochs, 1.0))
        pull = INTEGER_PULL * ramp if prep.round_weights else 0.0
        snap = prep.round_weights and ROUND_FROM is not None and epoch > ROUND_FROM * config.epochs
        loss_sum, right = _epoch(network, t, task, optimizer, config, shuffle, pull, snap)
        logs = {"epoch": epoch, "loss": loss_sum / len(train), "accuracy": right / len(train), "lr": lr}
        if len(val):
            answers = predict_next(network, prep, val.terms)
            sds = prep.inputs(val.terms)[2]
            logs["val_loss"] = float(np.mean(((answers - val.targets) / sds) ** 2))
            logs["val_accuracy"] = float(np.mean(np.rint(answers) == val.targets))
        logs["seconds"], logs["overfitting"] = time.perf_counter() - start, 0.0
        if not np.isfinite(logs["loss"]):
            raise TrainingError(f"epoch {epoch}: the loss is {logs['loss']}. help: try a smaller lr")
        history.append(logs)
        score = logs.get("val_accuracy", logs["accuracy"])
        if best is None or score > best[0]:
            best = (score, copy.deepcopy(network.state_dict()))
        if scheduler is not None:
            scheduler.step()
        call(callbacks, "on_epoch_end", epoch, logs)
    if best is not None:
        network.load_state_dict(best[1])
    network.eval()
    call(callbacks, "on_train_end", {"epochs_run": len(history), "best_epoch": None, "stopped_early": False})
    return history


def _epoch(network: torch.nn.Module, t: Prepared, task: Regression, optimizer: torch.optim.Optimizer,
           config: TrainConfig, shuffle: torch.Generator, pull: float, snap: bool) -> tuple[float, int]:
    network.train()
    losses, right = [], []
    perm = torch.randperm(len(t.x), generator=shuffle).to(t.x.device)
    for ids in perm.split(config.batch_size):
        weights = network(t.x[ids])
        used = rounded(weights) if snap else weights
        # The same weights must give every term from the order-th on, not only the next one:
        # (batch, slots) answers, scored where the sequence has a term; the last slot is the next term.
        answers = (used.unsqueeze(1) * t.windows[ids]).sum(dim=2)
        valid = t.mask[ids] > 0
        loss = task.loss(answers[valid], t.later[ids][valid])
        out = answers[:, -1]
        if pull:
            loss = loss + pull * integer_pull(weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(network.parameters(), config.clip_norm)
        optimizer.step()
        losses.append(loss.detach() * len(ids))
        right.append(task.correct(out.detach(), t.target[ids], t.tolerance[ids]))
    return float(torch.stack(losses).sum()), int(torch.stack(right).sum())
