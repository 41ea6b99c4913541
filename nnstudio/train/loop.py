"""The training loop: fit(network, data, config) -> History.

Speed comes from doing per epoch what a naive loop does per batch: the data sits on
the device as one tensor, is shuffled with one gather per epoch and cut into views;
each batch only keeps its (detached) loss and logits, and loss, accuracy and the
NaN check are computed from them once per epoch, with one wait for the device.
Reports within an epoch (on_batch_end) are sent by time, not per batch, and a
checkpoint is written by time too, so neither costs anything noticeable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nnstudio.errors import TrainingError
from nnstudio.model import Network
from nnstudio.train import checkpoint as ckpt
from nnstudio.train.augment import AUGMENTATIONS
from nnstudio.train.budget import held_out_count
from nnstudio.train.callbacks import (
    BATCH_REPORT_SECONDS,
    EarlyStopping,
    History,
    TrainBegin,
    call,
    overfitting_flag,
    stop_requested,
)
from nnstudio.train.config import TrainConfig
from nnstudio.train.evaluate import predict_tensors
from nnstudio.train.resume import restore_run, run_state
from nnstudio.train.schedule import clip_gradients, make_optimizer, make_scheduler
from nnstudio.train.tensors import check_classes, input_tensors, named

log = logging.getLogger(__name__)

VAL_BATCH = 512  # validation runs without gradients, so larger batches are cheap
_NORMS = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)


def fit(network: Network, data: Any, config: TrainConfig | None = None, *, callbacks: Any = (),
        checkpoint_dir: str | Path | None = None, resume: bool = False) -> History:
    """Train network on data (a Dataset) as config says (None: the spec's training
    options over the defaults); return the History of epochs.

    With checkpoint_dir, a checkpoint is kept there (see nnstudio.train.checkpoint);
    with resume=True, training continues from it and ends where an uninterrupted run
    would have. A stop request from a callback ends the run at the next batch, with a
    checkpoint to resume from; so does Ctrl-C, which then raises KeyboardInterrupt.
    Raises TrainingError for unusable options or data, and when the loss turns NaN/inf.
    """
    spec = network.spec
    config = TrainConfig.from_options(spec.training) if config is None else dataclasses.replace(config).validate()
    if resume and checkpoint_dir is None:
        raise TrainingError("resume=True needs a checkpoint_dir to resume from.")
    check_classes(spec, data)
    x, y = input_tensors(spec, data)
    if len(y) == 0:
        raise TrainingError(f"{named(data)} has no samples to train on.")
    device = torch.device(config.device)
    network.to(device)
    if config.validation > 0:
        train_idx, val_idx = (torch.from_numpy(i) for i in stratified_split(data.y, config.validation, config.seed))
        x, y, val_x, val_y = x[train_idx], y[train_idx], x[val_idx], y[val_idx]
    else:
        val_x, val_y = x[:0], y[:0]
    run = Run(network, config, device, (x, y, val_x, val_y), checkpoint_dir)
    rng_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=rng_devices):
        # Dropout draws from the global generator: seed it, and give the caller's back after.
        torch.manual_seed(config.seed)
        if resume:
            restore_run(run)
        elif run.folder is not None:
            ckpt.clear_checkpoint(run.folder)
        with _ctrl_c_stops(run):
            return run.train(list(callbacks))


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
        take = held_out_count(len(members), fraction)
        val.append(rng.permutation(members)[:take])
    val_idx = np.sort(np.concatenate(val)) if val else np.arange(0)
    train_idx = np.setdiff1d(np.arange(len(y)), val_idx)
    if len(val_idx) == 0 or len(train_idx) == 0:
        raise TrainingError(
            f"The 'validation' option {fraction} leaves {len(train_idx)} training and {len(val_idx)} validation "
            f"samples out of {len(y)}. help: use more data or set validation to 0.")
    return train_idx, val_idx


@contextlib.contextmanager
def _ctrl_c_stops(run: Run) -> Iterator[None]:
    """Inside, a first Ctrl-C asks the run to stop at the next batch (with a checkpoint);
    a second one interrupts at once. Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum: int, frame: Any) -> None:
        if run.interrupted:
            raise KeyboardInterrupt
        run.interrupted = True

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Run:
    """The state of one training run: network, optimizer, schedule, RNG, history, and
    where it stands (epoch, batch), so that it can be saved and resumed anywhere."""

    def __init__(self, network: Network, config: TrainConfig, device: torch.device,
                 tensors: tuple[torch.Tensor, ...], checkpoint_dir: str | Path | None) -> None:
        x, y, val_x, val_y = tensors
        self.network, self.config, self.device = network, config, device
        self.x_cpu = x  # augmentation works on the CPU copy
        self.x, self.y, self.val_x, self.val_y = x.to(device), y.to(device), val_x.to(device), val_y.to(device)
        self.folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.params = [p for p in network.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(self.params, config)
        self.scheduler = make_scheduler(self.optimizer, config)
        self.shuffle = torch.Generator().manual_seed(config.seed)
        self.augment = AUGMENTATIONS[config.augment]
        self.augment_rng = torch.Generator().manual_seed(config.seed + 1)
        self.stopper = EarlyStopping(config.patience, "val_loss" if len(val_y) else "loss") if config.patience else None
        self.checkpointer = ckpt.Checkpointer(self.folder) if self.folder is not None else None
        self.history = History()
        self.epoch, self.batch = 1, 0  # the epoch under way and its batches done
        self.finished = False  # early stopping ended the run
        self.stopped = False  # a stop request or Ctrl-C ended it before its last epoch
        self.interrupted = False  # Ctrl-C seen
        self.used = _samples_per_epoch(network, len(y), config.batch_size)
        n, b = self.used, config.batch_size
        # Samples per batch, to turn batch means back into sums. (batches,)
        sizes = [float(b)] * (n // b) + ([float(n % b)] if n % b else [])
        self.sizes = torch.tensor(sizes, dtype=torch.float64, device=device)
        self.epoch_rng: tuple[torch.Tensor, torch.Tensor] | None = None  # generator states at the epoch's start
        self.losses: list[torch.Tensor] = []  # this epoch's batch losses so far, (1,) each
        self.outputs: list[torch.Tensor] = []  # this epoch's logits so far, (B, classes) each
        self.y_epoch = self.y[:0]  # this epoch's labels in the order of its batches
        self.correct_before = 0  # correct answers of batches done before a resume
        self.seconds_before = 0.0  # time spent in this epoch before a resume
        self.saved_at: tuple[int, int] | None = None  # (epoch, batch) of the checkpoint on disk

    def finish_early(self) -> None:
        """Called by early stopping: the run is complete after this epoch."""
        self.finished = self.history.stopped_early = True

    def state(self, clone: bool = False) -> tuple[dict[str, torch.Tensor], dict[str, Any], list[dict[str, Any]]]:
        """Return (tensors, JSON-ready meta, history rows): everything a resume needs."""
        return run_state(self, clone)

    # ---- the loop -------------------------------------------------------------------
    def train(self, user_callbacks: list[Any]) -> History:
        internal = [cb for cb in (self.stopper, self.checkpointer) if cb is not None]
        callbacks = internal + user_callbacks
        for cb in callbacks:
            if hasattr(cb, "bind"):
                cb.bind(self)
        call(callbacks, "on_train_begin", self.begin_info())
        try:
            while self.epoch <= self.config.epochs and not (self.finished or self.stopped):
                self.run_epoch(callbacks)
        except KeyboardInterrupt:
            self.save_checkpoint()  # raised from a callback: the run is at a batch boundary
            raise
        if self.interrupted:
            self.save_checkpoint()
            raise KeyboardInterrupt
        return self.finish(callbacks)

    def begin_info(self) -> TrainBegin:
        config = self.config
        return {"epochs": config.epochs, "start_epoch": self.epoch, "start_batch": self.batch,
                "samples": self.used, "validation_samples": len(self.val_y),
                "batches_per_epoch": len(self.sizes), "batch_size": config.batch_size,
                "device": str(self.device), "parameters": sum(p.numel() for p in self.params),
                "config": config.to_dict()}

    def run_epoch(self, callbacks: list[Any]) -> None:
        """Train the epoch under way (from its first batch not done); on its end, report
        it. Returns early, the epoch unfinished, when a stop is requested."""
        started = time.perf_counter()
        if self.batch == 0:
            self.epoch_rng = (self.shuffle.get_state(), self.augment_rng.get_state())
            self.losses, self.outputs, self.correct_before, self.seconds_before = [], [], 0, 0.0
        elif self.epoch_rng is not None:  # resumed mid-epoch: the same permutation and augmentation
            self.shuffle.set_state(self.epoch_rng[0])
            self.augment_rng.set_state(self.epoch_rng[1])
        # Kept so that a diverging epoch can be undone, and written out if it does.
        self.good_weights = {k: v.detach().clone() for k, v in self.network.state_dict().items()}
        self.good_state = self.state(clone=True) if self.checkpointer is not None else None
        perm = torch.randperm(len(self.y), generator=self.shuffle)[: self.used]
        if self.augment is not None:
            xs = self.augment(self.x_cpu[perm], self.augment_rng).to(self.device)
        else:
            xs = self.x[perm.to(self.device)]  # one gather per epoch; batches are views
        ys = self.y_epoch = self.y[perm.to(self.device)]
        lr = self.optimizer.param_groups[0]["lr"]
        done = self.train_batches(xs, ys, callbacks)
        self.seconds_before += time.perf_counter() - started
        if not done:
            self.stopped = True
            return
        logs = self.epoch_logs(ys)
        logs["lr"] = lr
        logs["overfitting"] = overfitting_flag(self.history[-1] if self.history else None, logs)
        logs["seconds"] = self.seconds_before
        self.history.append(logs)
        if self.scheduler is not None:
            self.scheduler.step()
        epoch, self.epoch, self.batch = self.epoch, self.epoch + 1, 0
        if call(callbacks, "on_epoch_end", epoch, dict(logs)) and not self.finished:
            self.stopped = self.epoch <= self.config.epochs

    def train_batches(self, xs: torch.Tensor, ys: torch.Tensor, callbacks: list[Any]) -> bool:
        """One optimizer step per batch not yet done; return False when a stop request
        or Ctrl-C ended the epoch early. Batch losses and logits stay on the device."""
        self.network.train()
        params, clip_norm, step = self.params, self.config.clip_norm, self.optimizer.step
        smoothing = self.config.label_smoothing
        size, batches = self.config.batch_size, len(self.sizes)
        next_report = time.monotonic() + BATCH_REPORT_SECONDS
        for index in range(self.batch, batches):
            xb, yb = xs[index * size:(index + 1) * size], ys[index * size:(index + 1) * size]
            out = self.network(xb)  # (B, classes) logits
            loss = F.cross_entropy(out, yb, label_smoothing=smoothing)
            for p in params:  # optimizer.zero_grad(set_to_none=True), minus its profiling wrapper
                p.grad = None
            loss.backward()
            if clip_norm is not None:
                clip_gradients(params, clip_norm)
            step()
            self.losses.append(loss.detach())
            self.outputs.append(out.detach())
            self.batch = index + 1
            if time.monotonic() >= next_report:
                call(callbacks, "on_batch_end", self.batch, self.batch_logs(ys))
                next_report = time.monotonic() + BATCH_REPORT_SECONDS
            if self.interrupted or (self.batch < batches and stop_requested(callbacks)):
                return self.batch == batches
        return True

    def batch_logs(self, ys: torch.Tensor) -> dict[str, Any]:
        """The epoch so far, for on_batch_end (waits for the device, a few times a second)."""
        done = self.batch
        start = done - len(self.outputs)  # batches done before a resume keep no logits
        sizes = self.sizes[:done]
        loss = float((torch.stack(self.losses).double() * sizes).sum() / sizes.sum())
        size = self.config.batch_size
        correct = int((torch.cat(self.outputs).argmax(dim=1) == ys[start * size:done * size]).sum())
        seen = min(done * size, self.used)
        return {"epoch": self.epoch, "batch": done, "batches": len(self.sizes), "loss": loss,
                "accuracy": (correct + self.correct_before) / seen}

    def epoch_logs(self, ys: torch.Tensor) -> dict[str, Any]:
        """Return the finished epoch's metrics. Raises TrainingError on a NaN/inf loss."""
        batch_losses = torch.stack(self.losses)
        start = len(self.sizes) - len(self.outputs)  # batches whose logits were not kept (a resume)
        size = self.config.batch_size
        # Sums in float64: a float32 sum of huge but finite losses could overflow.
        sums = [(batch_losses.double() * self.sizes).sum(),
                (torch.cat(self.outputs).argmax(dim=1) == ys[start * size:]).sum()]
        if len(self.val_y):
            val_loss, val_correct, _ = predict_tensors(self.network, self.val_x, self.val_y, VAL_BATCH)
            sums += [val_loss, val_correct]
        values = torch.stack([s.to(torch.float64) for s in sums]).tolist()  # the epoch's one sync
        if not math.isfinite(values[0]):
            self.fail(batch_losses)
        if not all(math.isfinite(v) for v in values):
            self.fail_validation(values[2] / len(self.val_y))
        logs: dict[str, Any] = {"epoch": self.epoch, "loss": values[0] / self.used,
                                "accuracy": (values[1] + self.correct_before) / self.used}
        if len(self.val_y):
            logs["val_loss"], logs["val_accuracy"] = values[2] / len(self.val_y), values[3] / len(self.val_y)
        return logs

    def fail(self, batch_losses: torch.Tensor) -> None:
        bad = int(torch.nonzero(~torch.isfinite(batch_losses))[0, 0])
        value = float(batch_losses[bad])
        kept = self.undo_epoch()
        raise TrainingError(
            f"epoch {self.epoch}, batch {bad + 1}: loss is {value} (the weights diverged); {kept}; the network "
            f"is back to its weights from before epoch {self.epoch}. "
            f"help: lower the learning rate (lr is {self.config.learning_rate:g}) or set clip_norm.")

    def fail_validation(self, value: float) -> None:
        kept = self.undo_epoch()
        raise TrainingError(
            f"epoch {self.epoch}: the validation loss is {value} (the weights diverged); {kept}. "
            f"help: lower the learning rate (lr is {self.config.learning_rate:g}) or set clip_norm.")

    def undo_epoch(self) -> str:
        """Put the network back to the epoch's start, keep that state as the checkpoint,
        and say where it is."""
        self.network.load_state_dict(self.good_weights)
        if self.checkpointer is None:
            return "no checkpoint was kept (no checkpoint_dir)"
        weights = [t for k, t in self.good_state[0].items() if k.startswith("model.")] if self.good_state else []
        if not all(bool(torch.isfinite(t).all()) for t in weights if t.is_floating_point()):
            if self.checkpointer.saved_epoch is None:
                return f"no checkpoint was written yet in {self.folder}"
            return f"the last good checkpoint (epoch {self.checkpointer.saved_epoch}) is kept in {self.folder}"
        self.checkpointer.save(self.good_state)
        if self.epoch == 1 and self.good_state is not None and self.good_state[1]["batch"] == 0:
            return f"the checkpoint in {self.folder} holds the starting weights"
        return f"the last good checkpoint (epoch {self.checkpointer.saved_epoch}) is kept in {self.folder}"

    def save_checkpoint(self) -> None:
        """Write the run's state now, unless the checkpoint on disk already holds it."""
        if self.checkpointer is not None and self.saved_at != (self.epoch, self.batch):
            self.checkpointer.save()
            self.saved_at = (self.epoch, self.batch)

    def finish(self, callbacks: list[Any]) -> History:
        monitor = "val_loss" if len(self.val_y) else "loss"
        if self.stopper is not None:
            self.history.best_epoch = self.stopper.best_epoch
        elif self.history:
            self.history.best_epoch = min(self.history, key=lambda e: e[monitor])["epoch"]
        self.save_checkpoint()  # before the best weights are put back: the run goes on from here
        if self.stopper is not None and not self.stopped:
            self.stopper.restore(self.network)
        self.history.stop_requested = self.stopped
        call(callbacks, "on_train_end", {
            "epochs_run": len(self.history), "best_epoch": self.history.best_epoch,
            "stopped_early": self.history.stopped_early, "stop_requested": self.stopped,
            "restored_best": self.stopper is not None and not self.stopped,
            "last": dict(self.history[-1]) if self.history else {}})
        return self.history


def _samples_per_epoch(network: torch.nn.Module, n: int, batch_size: int) -> int:
    """Return how many of the n shuffled samples an epoch uses: all, except that batch
    normalization cannot learn from a last batch of one sample, which is left out."""
    norms = [m for m in network.modules() if isinstance(m, _NORMS)]
    if not norms or n % batch_size != 1 or n == 1:
        if norms and batch_size == 1 and any(isinstance(m, torch.nn.BatchNorm1d) for m in norms):
            raise TrainingError(
                "The 'batch_size' option is 1, but BatchNormalization after a Dense layer needs at least 2 "
                "samples per batch. help: use batch_size 2 or more.")
        return n
    return n - 1
