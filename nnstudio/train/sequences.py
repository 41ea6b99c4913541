"""Training a network to give the next term of integer sequences: fit_sequences.

The network reads the prepared steps (data.sequence_prep) and answers with the weights of
the newest differences; their weighted sum is the next difference, trained with the
Regression task's robust loss (in units of the sequence's largest difference, bending from
squared to absolute error at the rounding tolerance) at every place of the sequence where
the weights can be checked, the next term included. A held-out
share of the sequences is scored after every epoch as the preparation predicts (weights
rounded when it says so), and the weights of the epoch with the most exact answers are
kept. Reports go through the usual callbacks (on_train_begin, on_epoch_end, on_train_end).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nnstudio.data.sequence_prep import SequencePreparation
from nnstudio.data.sequences import SequenceSet
from nnstudio.errors import DivergenceError, TrainingError
from nnstudio.model import Network
from nnstudio.train.callbacks import call
from nnstudio.train.config import TrainConfig
from nnstudio.train.placement import resolve_device
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


# Several weights can fit one sequence (a geometric sequence of ratio 2 has d2 = d1 / 2, so
# 2 d1 and d1 + 2 d2 give the same next difference); only some are whole numbers. A small
# cost on what the higher differences add, c_k |w_k d_k| with c = 0, 1, 10, ..., settles the
# choice on the weights of the lowest differences, whole-numbered for every family of the
# set. It is a share of what they add, not of the weights, so that a difference that is
# needed (the 2 of squares) is never worth dropping; and c grows fast, so that a Fibonacci
# sequence is continued by 2 d1 - d2 rather than by 5/3 d1 - 1/3 d3, which rounding breaks.
HIGHER_COST = 2e-2
# The cost falls to 0 over the first COST_EPOCHS share of the epochs: by then the choice is
# made (nothing pulls a weight along a direction that changes no answer), and the last
# epochs fit the needed higher differences (the third of cubes) free of it.
COST_EPOCHS = 0.5


def higher_cost(weights: torch.Tensor, differences: torch.Tensor) -> torch.Tensor:
    """Return the mean over samples of sum_k c_k |w_k d_k| (c = 0, 1, 10, ...): 0 when only d1 counts."""
    ranks = torch.tensor([0.0] + [10.0 ** k for k in range(weights.shape[1] - 1)], device=weights.device)
    return (weights * differences).abs().mul(ranks).sum(dim=1).mean()


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
    them); val_accuracy: the same on the held-out share, as predict_next answers. The weights
    of the epoch with the best val_accuracy (accuracy without a held-out share) are kept.
    """
    _check_network(network, prep)
    train, val = _split(data, config)
    device = resolve_device(config.device)
    network.to(device)
    t = prepared(train, prep)
    t = Prepared(*(tensor.to(device) for tensor in (t.x, t.target, t.tolerance, t.windows, t.later, t.mask)))
    optimizer = make_optimizer(network.parameters(), config)
    scheduler = make_scheduler(optimizer, config)
    shuffle = torch.Generator().manual_seed(config.seed)
    call(callbacks, "on_train_begin", {"epochs": config.epochs, "start_epoch": 1, "start_batch": 0,
                                       "samples": len(train), "validation_samples": len(val),
                                       "batches_per_epoch": -(-len(train) // config.batch_size),
                                       "batch_size": config.batch_size, "device": str(device), "processes": 1,
                                       "parameters": sum(p.numel() for p in network.parameters()),
                                       "config": config.to_dict()})
    val_sds = prep.inputs(val.terms)[2] if len(val) else np.ones(0)  # the held-out scales, for every epoch
    history: list[dict[str, float]] = []
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    for epoch in range(1, config.epochs + 1):
        start, lr = time.perf_counter(), optimizer.param_groups[0]["lr"]
        cost = HIGHER_COST * max(0.0, 1.0 - (epoch - 1) / max(COST_EPOCHS * config.epochs, 1.0))
        loss_sum, right = _epoch(network, t, optimizer, config, shuffle, cost)
        logs = {"epoch": epoch, "loss": loss_sum / len(train), "accuracy": right / len(train), "lr": lr,
                **_held_out_logs(network, prep, val, val_sds)}
        logs["seconds"], logs["overfitting"] = time.perf_counter() - start, 0.0
        if not np.isfinite(logs["loss"]):
            raise DivergenceError(f"epoch {epoch}: the loss is {logs['loss']}. help: try a smaller lr")
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


def _check_network(network: Network, prep: SequencePreparation) -> None:
    spec = network.spec
    if tuple(spec.input_shape) != prep.input_shape or spec.layers[-1].get("units") != prep.order:
        raise TrainingError(f"network {spec.name!r} takes {list(spec.input_shape)} and gives "
                            f"{spec.layers[-1].get('units')} numbers; sequences need input "
                            f"{list(prep.input_shape)} and {prep.order} outputs. help: start from the "
                            "sequence-lstm preset")


def _split(data: SequenceSet, config: TrainConfig) -> tuple[SequenceSet, SequenceSet]:
    """Return (training, held-out) sequences: a `validation` share drawn with the seed."""
    held = int(round(len(data) * config.validation))
    order = np.random.default_rng(config.seed).permutation(len(data))
    if held >= len(data):
        raise TrainingError(f"validation {config.validation} leaves no sequences to train on.")
    return data.subset(order[held:]), data.subset(order[:held])


def _held_out_logs(network: Network, prep: SequencePreparation, val: SequenceSet,
                   sds: np.ndarray) -> dict[str, float]:
    if not len(val):
        return {}
    answers = predict_next(network, prep, val.terms)
    return {"val_loss": float(np.mean(((answers - val.targets) / sds) ** 2)),
            "val_accuracy": float(np.mean(np.rint(answers) == val.targets))}


def _epoch(network: torch.nn.Module, t: Prepared, optimizer: torch.optim.Optimizer, config: TrainConfig,
           shuffle: torch.Generator, cost: float) -> tuple[float, int]:
    network.train()
    task = Regression()
    losses, right = [], []
    perm = torch.randperm(len(t.x), generator=shuffle).to(t.x.device)
    for ids in perm.split(config.batch_size):
        weights = network(t.x[ids])
        # The same weights must give every term from the order-th on, not only the next one:
        # (batch, slots) answers, scored where the sequence has a term; the last slot is the next term.
        answers = (weights.unsqueeze(1) * t.windows[ids]).sum(dim=2)
        valid = t.mask[ids] > 0
        tolerance = t.tolerance[ids].unsqueeze(1).expand_as(answers)
        loss = task.robust_loss(answers[valid], t.later[ids][valid], tolerance[valid])
        out = answers[:, -1]
        if cost:
            loss = loss + cost * higher_cost(weights, t.windows[ids][:, -1])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(network.parameters(), config.clip_norm)
        optimizer.step()
        losses.append(loss.detach() * len(ids))
        right.append(task.correct(out.detach(), t.target[ids], t.tolerance[ids]))
    return float(torch.stack(losses).sum()), int(torch.stack(right).sum())
