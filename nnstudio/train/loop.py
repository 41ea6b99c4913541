"""The training loop: fit(network, data, config) -> History.

Speed comes from doing per epoch what a naive loop does per batch: the data sits on
the device as one tensor, is shuffled with one gather per epoch and cut into views;
each batch only keeps its (detached) loss and logits, and loss, accuracy and the
NaN check are computed from them once per epoch, with one wait for the device.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nnstudio.errors import TrainingError
from nnstudio.train import checkpoint as ckpt
from nnstudio.train.callbacks import EarlyStopping, History, call, overfitting_flag
from nnstudio.train.config import TrainConfig
from nnstudio.train.evaluate import predict_tensors
from nnstudio.train.schedule import clip_gradients, make_optimizer, make_scheduler

log = logging.getLogger(__name__)

VAL_BATCH = 512  # validation runs without gradients, so larger batches are cheap


def fit(network: torch.nn.Module, data, config: TrainConfig | None = None, *, callbacks=(),
        checkpoint_dir: str | Path | None = None, resume: bool = False) -> History:
    """Train network on data (a Dataset) as config says (None: the spec's training
    options over the defaults); return the History of epochs.

    With checkpoint_dir, a checkpoint is written after every epoch; with resume=True,
    training continues from it and ends where an uninterrupted run would have.
    Raises TrainingError for unusable options or data, and when the loss turns NaN/inf.
    """
    spec = network.spec
    config = TrainConfig.from_options(spec.training) if config is None else dataclasses.replace(config).validate()
    if resume and checkpoint_dir is None:
        raise TrainingError("resume=True needs a checkpoint_dir to resume from.")
    callbacks = list(callbacks)
    check_classes(spec, data)
    x, y = input_tensors(spec, data)
    if len(y) == 0:
        raise TrainingError(f"{_named(data)} has no samples to train on.")
    device = torch.device(config.device)
    network.to(device)
    if config.validation > 0:
        train_idx, val_idx = (torch.from_numpy(i) for i in stratified_split(data.y, config.validation, config.seed))
        x, y, val_x, val_y = x[train_idx], y[train_idx], x[val_idx], y[val_idx]
    else:
        val_x, val_y = x[:0], y[:0]
    run = _Run(network, config, device, x.to(device), y.to(device), val_x.to(device), val_y.to(device),
               checkpoint_dir)
    rng_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=rng_devices):
        # Dropout draws from the global generator: seed it, and give the caller's back after.
        torch.manual_seed(config.seed)
        if resume:
            run.restore()
        return run.train(callbacks)


def check_classes(spec, data) -> int:
    """Return the number of classes; TrainingError when data and spec disagree on it."""
    from nnstudio.spec import num_classes

    units = num_classes(spec)
    if data.num_classes != units:
        names = ", ".join(data.class_names[:8]) + (", ..." if data.num_classes > 8 else "")
        raise TrainingError(
            f"{_named(data)} has {data.num_classes} classes ({names}) but the last Dense layer of "
            f"spec {spec.name!r} has {units} units. help: give the spec one output unit per class "
            f"(with_classes(spec, {data.num_classes})).")
    return units


def input_tensors(spec, data) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (x (N, *spec.input_shape) float32, y (N,) int64) as CPU tensors; samples
    whose value count equals the spec's input size are reshaped to its input_shape."""
    shape = tuple(int(s) for s in spec.input_shape)
    x = np.asarray(data.x, dtype=np.float32)
    if tuple(x.shape[1:]) != shape:
        if math.prod(x.shape[1:]) != math.prod(shape):
            raise TrainingError(
                f"{_named(data)} has samples of shape {list(x.shape[1:])} "
                f"({math.prod(x.shape[1:])} values) but spec {spec.name!r} takes input_shape {list(shape)} "
                f"({math.prod(shape)} values). help: choose a spec for this data or set its input_shape.")
        x = x.reshape((len(x),) + shape)
    if not np.isfinite(x).all():
        raise TrainingError(f"{_named(data)} contains NaN or infinite values.")
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.asarray(data.y, dtype=np.int64))


def _named(data) -> str:
    return f"The data {data.name!r}" if getattr(data, "name", "") else "The data"


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train indices, validation indices): round(fraction * count) samples of
    every class go to validation (at least one when fraction > 0 and the class has two)."""
    y = np.asarray(y)
    if fraction <= 0:
        return np.arange(len(y)), np.arange(0)
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        take = min(max(int(round(fraction * len(members))), 1), len(members) - 1)
        val.append(rng.permutation(members)[:take])
    val_idx = np.sort(np.concatenate(val)) if val else np.arange(0)
    train_idx = np.setdiff1d(np.arange(len(y)), val_idx)
    if len(val_idx) == 0 or len(train_idx) == 0:
        raise TrainingError(
            f"The 'validation' option {fraction} leaves {len(train_idx)} training and {len(val_idx)} validation "
            f"samples out of {len(y)}. help: use more data or set validation to 0.")
    return train_idx, val_idx


class _Run:
    """The state of one training run: network, optimizer, schedule, RNG, history."""

    def __init__(self, network, config: TrainConfig, device, x, y, val_x, val_y, checkpoint_dir):
        self.network, self.config, self.device = network, config, device
        self.x, self.y, self.val_x, self.val_y = x, y, val_x, val_y
        self.folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.params = [p for p in network.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(self.params, config)
        self.scheduler = make_scheduler(self.optimizer, config)
        monitor = "val_loss" if len(val_y) else "loss"
        self.stopper = EarlyStopping(config.patience, monitor) if config.patience else None
        self.shuffle = torch.Generator().manual_seed(config.seed)
        self.history = History()
        self.start_epoch = 1
        self.saved_epoch: int | None = None  # epoch of the checkpoint on disk
        self.finished = False
        self.used = _samples_per_epoch(network, len(y), config.batch_size)
        n, b = self.used, config.batch_size
        # Samples per batch, to turn batch means back into sums. (batches,)
        sizes = [float(b)] * (n // b) + ([float(n % b)] if n % b else [])
        self.sizes = torch.tensor(sizes, dtype=torch.float64, device=device)

    # ---- the loop -------------------------------------------------------------------
    def train(self, callbacks: list) -> History:
        config = self.config
        info = {"epochs": config.epochs, "start_epoch": self.start_epoch, "samples": self.used,
                "validation_samples": len(self.val_y), "batches_per_epoch": len(self.sizes),
                "batch_size": config.batch_size, "device": str(self.device), "config": config.to_dict(),
                "parameters": sum(p.numel() for p in self.params)}
        call(callbacks, "on_train_begin", info)
        epoch = self.start_epoch
        while epoch <= config.epochs and not self.finished:
            started = time.perf_counter()
            lr = self.optimizer.param_groups[0]["lr"]
            logs = self.run_epoch(epoch)
            logs["lr"] = lr
            logs["overfitting"] = overfitting_flag(self.history[-1] if self.history else None, logs)
            logs["seconds"] = time.perf_counter() - started
            self.history.append(logs)
            if self.stopper is not None and self.stopper.update(epoch, logs, self.network):
                self.finished = self.history.stopped_early = True
            if self.scheduler is not None:
                self.scheduler.step()
            if self.folder is not None:
                self.save(epoch)  # before the callbacks: a stop request is not a finished run
            if call(callbacks, "on_epoch_end", epoch, dict(logs)):
                self.finished = True
            epoch += 1
        return self.finish(callbacks)

    def run_epoch(self, epoch: int) -> dict[str, float]:
        """Train one epoch; return its metrics. Raises TrainingError on a NaN/inf loss."""
        # Kept so that a diverging epoch can be undone (a copy per epoch, not per batch).
        self.good_weights = {k: v.detach().clone() for k, v in self.network.state_dict().items()}
        perm = torch.randperm(len(self.y), generator=self.shuffle)[: self.used].to(self.device)
        xs, ys = self.x[perm], self.y[perm]  # one gather per epoch; batches are views
        batch_losses, logits = self.train_batches(xs, ys)
        # Sums in float64: a float32 sum of huge but finite losses could overflow.
        sums = [(batch_losses.double() * self.sizes).sum(), (logits.argmax(dim=1) == ys).sum()]
        if len(self.val_y):
            val_loss, val_correct, _ = predict_tensors(self.network, self.val_x, self.val_y, VAL_BATCH)
            sums += [val_loss, val_correct]
        values = torch.stack([s.to(torch.float64) for s in sums]).tolist()  # the epoch's one sync
        if not math.isfinite(values[0]):
            self.fail(epoch, batch_losses)
        if not all(math.isfinite(v) for v in values):
            self.network.load_state_dict(self.good_weights)
            raise TrainingError(
                f"epoch {epoch}: the validation loss is {values[2] / len(self.val_y)} (the weights diverged). "
                f"help: lower the learning rate (lr is {self.config.learning_rate:g}) or set clip_norm.")
        logs = {"epoch": epoch, "loss": values[0] / self.used, "accuracy": values[1] / self.used}
        if len(self.val_y):
            logs["val_loss"], logs["val_accuracy"] = values[2] / len(self.val_y), values[3] / len(self.val_y)
        return logs

    def train_batches(self, xs: torch.Tensor, ys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step per batch; return (mean loss of each batch (batches,),
        logits of every sample (N, classes)), left on the device: no per-batch sync."""
        self.network.train()
        params, clip_norm, step = self.params, self.config.clip_norm, self.optimizer.step
        losses, outputs = [], []
        for xb, yb in zip(xs.split(self.config.batch_size), ys.split(self.config.batch_size)):
            out = self.network(xb)  # (B, classes) logits
            loss = F.cross_entropy(out, yb)
            for p in params:  # optimizer.zero_grad(set_to_none=True), minus its profiling wrapper
                p.grad = None
            loss.backward()
            if clip_norm is not None:
                clip_gradients(params, clip_norm)
            step()
            losses.append(loss.detach())
            outputs.append(out.detach())
        return torch.stack(losses), torch.cat(outputs)

    def fail(self, epoch: int, batch_losses: torch.Tensor) -> None:
        bad = int(torch.nonzero(~torch.isfinite(batch_losses))[0, 0])
        value = float(batch_losses[bad])
        if self.saved_epoch is not None:
            kept = f"the last good checkpoint (epoch {self.saved_epoch}) is kept in {self.folder}"
        elif self.folder is not None:
            kept = f"no checkpoint was written yet in {self.folder}"
        else:
            kept = "no checkpoint was kept (no checkpoint_dir)"
        self.network.load_state_dict(self.good_weights)
        raise TrainingError(
            f"epoch {epoch}, batch {bad + 1}: loss is {value} (the weights diverged); {kept}; the network "
            f"is back to its weights from before epoch {epoch}. "
            f"help: lower the learning rate (lr is {self.config.learning_rate:g}) or set clip_norm.")

    def finish(self, callbacks: list) -> History:
        monitor = "val_loss" if len(self.val_y) else "loss"
        if self.stopper is not None:
            self.history.best_epoch = self.stopper.restore(self.network)
        elif self.history:
            self.history.best_epoch = min(self.history, key=lambda e: e[monitor])["epoch"]
        last = dict(self.history[-1]) if self.history else {}
        call(callbacks, "on_train_end", {**last, "epochs_run": len(self.history), "best_epoch": self.history.best_epoch,
                                         "stopped_early": self.history.stopped_early,
                                         "restored_best": self.stopper is not None})
        return self.history

    # ---- checkpoints ---------------------------------------------------------------
    def save(self, epoch: int) -> None:
        tensors = {f"model.{k}": v for k, v in self.network.state_dict().items()}
        opt_tensors, opt_json = ckpt.split_state(self.optimizer.state_dict(), "optimizer")
        tensors.update(opt_tensors)
        tensors["rng.shuffle"] = self.shuffle.get_state()
        tensors["rng.torch"] = torch.get_rng_state()
        if self.device.type == "cuda":
            tensors["rng.cuda"] = torch.cuda.get_rng_state(self.device)
        stopping = None
        if self.stopper is not None:
            stopping = self.stopper.state_dict()
            stopping["best"] = stopping["best"] if math.isfinite(stopping["best"]) else None
            tensors.update({f"best.{k}": v for k, v in (self.stopper.best_weights or {}).items()})
        meta = {"config": self.config.to_dict(), "history": self.history.to_dict(), "finished": self.finished,
                "optimizer": opt_json, "scheduler": self.scheduler.state_dict() if self.scheduler else None,
                "early_stopping": stopping,
                "data": {"samples": len(self.y), "validation_samples": len(self.val_y)}}
        ckpt.save_checkpoint(self.folder, epoch, tensors, meta)
        self.saved_epoch = epoch

    def restore(self) -> None:
        """Continue from the checkpoint in self.folder."""
        record, tensors = ckpt.load_checkpoint(self.folder)
        where = self.folder / ckpt.CHECKPOINT_JSON
        self._check_compatible(record, where)
        model = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
        try:
            self.network.load_state_dict(model)
            self.optimizer.load_state_dict(ckpt.join_state(record["optimizer"], tensors))
            if self.scheduler is not None and record["scheduler"] is not None:
                self.scheduler.load_state_dict(record["scheduler"])
                if self.config.lr_decay == "cosine":
                    self.scheduler.T_max = self.config.epochs  # the run may have been extended
        except (RuntimeError, KeyError, ValueError) as err:
            raise TrainingError(f"{where}: the checkpoint does not fit this network and options ({err}).") from err
        self.shuffle.set_state(tensors["rng.shuffle"])
        torch.set_rng_state(tensors["rng.torch"])
        if self.device.type == "cuda" and "rng.cuda" in tensors:
            torch.cuda.set_rng_state(tensors["rng.cuda"], self.device)
        if self.stopper is not None and record.get("early_stopping"):
            state = dict(record["early_stopping"])
            state["best"] = math.inf if state["best"] is None else state["best"]
            best = {k[len("best."):]: v.to(self.device) for k, v in tensors.items() if k.startswith("best.")}
            self.stopper.load_state_dict(state, best or None)
        self.history = History.from_dict(record["history"])
        self.start_epoch = int(record["epoch"]) + 1
        self.saved_epoch = int(record["epoch"])
        self.finished = bool(record.get("finished"))

    def _check_compatible(self, record: dict[str, Any], where: Path) -> None:
        saved = record.get("config", {})
        data = record.get("data", {})
        if data.get("samples") != len(self.y) or data.get("validation_samples") != len(self.val_y):
            raise TrainingError(
                f"{where}: the checkpoint was trained on {data.get('samples')} + {data.get('validation_samples')} "
                f"validation samples, this data gives {len(self.y)} + {len(self.val_y)}. "
                "help: resume with the same data and validation fraction, or start afresh.")
        for key in ("optimizer", "batch_size", "lr_decay"):
            if saved.get(key) != getattr(self.config, key):
                raise TrainingError(f"{where}: the checkpoint used {key}={saved.get(key)!r}, now "
                                    f"{getattr(self.config, key)!r}. help: resume with the same {key}.")
        changed = [k for k, v in self.config.to_dict().items() if k != "epochs" and saved.get(k) != v]
        if changed:
            log.warning("%s: resuming with changed options %s", where, ", ".join(changed))


def _samples_per_epoch(network: torch.nn.Module, n: int, batch_size: int) -> int:
    """Return how many of the n shuffled samples an epoch uses: all, except that batch
    normalization cannot learn from a last batch of one sample, which is left out."""
    norms = [m for m in network.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms or n % batch_size != 1 or n == 1:
        if norms and batch_size == 1 and any(isinstance(m, torch.nn.BatchNorm1d) for m in norms):
            raise TrainingError(
                "The 'batch_size' option is 1, but BatchNormalization after a Dense layer needs at least 2 "
                "samples per batch. help: use batch_size 2 or more.")
        return n
    return n - 1
