"""The training loop: fit(network, data, config) -> History.

Speed comes from doing per epoch what a naive loop does per batch: the data sit on the
device as one tensor (float32, or uint8 pixel codes at a quarter of the memory), each
batch gathers its rows and keeps only its (detached) loss and count of right answers,
and loss, accuracy and the NaN check are computed from them once per epoch, with one
wait for the device. Reports within an epoch (on_batch_end) are sent by time, not per
batch, and a checkpoint is written by time too, so neither costs anything noticeable.

Several processes (torchrun) train as one: see nnstudio.train.placement.
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

from nnstudio.errors import DivergenceError, TrainingError, Where
from nnstudio.model import Network
from nnstudio.model.layout import PLAIN, arrange_inputs, arrange_network, training_layout
from nnstudio.train.augment import AUGMENTATIONS
from nnstudio.train.batches import EpochBatches, as_float, loss_input
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
from nnstudio.train.checkpoint import CHECKPOINT_SECONDS, Checkpointer, clear_checkpoint
from nnstudio.train.config import TrainConfig
from nnstudio.train.placement import Placement
from nnstudio.train.resume import RunState, model_tensors, restore_run, run_state
from nnstudio.train.schedule import clip_gradients, make_optimizer, make_scheduler
from nnstudio.train.task import Task
from nnstudio.train.tensors import check_classes, input_tensors, named

log = logging.getLogger(__name__)

VAL_BATCH = 512  # validation runs without gradients, so larger batches are cheap
_NORMS = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)


def fit(network: Network, data: Any, config: TrainConfig | None = None, *, callbacks: Any = (),
        checkpoint_dir: str | Path | None = None, resume: bool = False, placement: Placement | None = None,
        checkpoint_seconds: float = CHECKPOINT_SECONDS) -> History:
    """Train network on data (a Dataset) as config says (None: the spec's training
    options over the defaults); return the History of epochs.

    With checkpoint_dir, a checkpoint is kept there (see nnstudio.train.checkpoint) at
    most every checkpoint_seconds; with resume=True, training continues from it and
    ends where an uninterrupted run would have. A stop request from a callback ends the
    run at the next batch, with a checkpoint to resume from; so does Ctrl-C, which then
    raises KeyboardInterrupt. placement (default: as torchrun's environment says, else
    one process on config.device) says where; with several processes, only the first
    one calls the callbacks and writes the checkpoint.
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
    place = placement if placement is not None else Placement.from_environment(config.device)
    shard = getattr(data, "shard", None)
    if shard is not None and tuple(shard) != (place.rank, place.world):
        raise TrainingError(f"{named(data)} holds the shard {tuple(shard)} (rank, processes) of its samples, but "
                            f"this is process {place.rank} of {place.world}. help: read the data with "
                            f"shard=({place.rank}, {place.world}).")
    network.to(place.device)
    if config.validation > 0:
        train_idx, val_idx = (torch.from_numpy(i) for i in stratified_split(data.y, config.validation, config.seed))
    else:
        train_idx, val_idx = torch.arange(len(y)), torch.arange(0)
    run = Run(network, config, place, Samples(x, y, train_idx, val_idx, shard is not None), checkpoint_dir,
              checkpoint_seconds)
    rng_devices = [place.device.index or 0] if place.device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=rng_devices):
            # Dropout draws from the global generator: seed it (the same in every process: the
            # shared batch draws one mask), and give the caller's back after.
            torch.manual_seed(config.seed)
            if resume:
                restore_run(run)
            elif run.folder is not None and place.is_main:
                clear_checkpoint(run.folder)
            with _ctrl_c_stops(run):
                return run.train(list(callbacks) if place.is_main else [])
    finally:
        place.unwrap(network)
        arrange_network(network, PLAIN)
        if placement is None:
            place.close()


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
            f"samples out of {len(y)}.", where=Where(option="validation"), worded=True, given=fraction,
            hint="use more data or set validation to 0.")
    return train_idx, val_idx


@contextlib.contextmanager
def _ctrl_c_stops(run: Run) -> Iterator[None]:
    """Inside, a first Ctrl-C asks the run to stop at the next batch (with a checkpoint);
    a second one interrupts at once. Only the main thread can take signals; torchrun's
    processes leave signals to torchrun."""
    if threading.current_thread() is not threading.main_thread() or run.placement.distributed:
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


@dataclasses.dataclass
class Samples:
    """The data as the loop holds them: x rows (this process's, when sharded) and the
    labels y of every sample, with the global ids of the training and held-out ones."""

    x: torch.Tensor  # (rows, *input_shape) float32 or uint8 codes, on the CPU
    y: torch.Tensor  # (N,) int64
    train_ids: torch.Tensor  # (T,)
    val_ids: torch.Tensor  # (V,)
    sharded: bool  # x holds only the samples i with i % world == rank, at row i // world


class Run:
    """The state of one training run: network, optimizer, schedule, RNG, history, and
    where it stands (epoch, batch), so that it can be saved and resumed anywhere."""

    def __init__(self, network: Network, config: TrainConfig, placement: Placement, samples: Samples,
                 checkpoint_dir: str | Path | None, checkpoint_seconds: float = CHECKPOINT_SECONDS) -> None:
        self.network, self.config, self.placement = network, config, placement
        self.device = device = placement.device
        self.task = Task(label_smoothing=config.label_smoothing)
        self.layout = training_layout(network)
        arrange_network(network, self.layout)  # fit gives it back plain
        self.model = placement.wrap(network)  # what trains: the network, or it wrapped for several processes
        self.sharded = samples.sharded
        self.x_cpu = samples.x  # augmentation works on the CPU copy
        self.x = samples.x.to(device)
        self.y = samples.y.to(device)
        self.train_ids, self.val_ids = samples.train_ids, samples.val_ids
        val_mine = self.val_ids[placement.mine(self.val_ids)]
        # Held-out rows are gathered a batch at a time when validating: a copy of them all
        # would cost a byte per pixel of the held-out share for the whole training.
        self.val_rows = self.rows(val_mine).to(device)  # (v,) rows of self.x
        self.val_y = self.y[val_mine.to(device)]
        self.folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.params = [p for p in network.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(self.params, config)
        self.scheduler = make_scheduler(self.optimizer, config)
        self.shuffle = torch.Generator().manual_seed(config.seed)
        self.augment = AUGMENTATIONS[config.augment]
        # Each process augments its own samples, from draws of its own.
        self.augment_rng = torch.Generator().manual_seed(config.seed + 1 + 1_000_003 * placement.rank)
        monitor = "val_loss" if len(self.val_ids) else "loss"
        self.stopper = EarlyStopping(config.patience, monitor) if config.patience else None
        self.checkpointer = (Checkpointer(self.folder, checkpoint_seconds)
                             if self.folder is not None and placement.is_main else None)
        self.autocast = _autocast(device, config.precision)
        self.history = History()
        self.epoch, self.batch = 1, 0  # the epoch under way and its batches done
        self.finished = False  # early stopping ended the run
        self.stopped = False  # a stop request or Ctrl-C ended it before its last epoch
        self.interrupted = False  # Ctrl-C seen
        self.used = _samples_per_epoch(network, len(self.train_ids), config.batch_size)
        n, b = self.used, config.batch_size
        # Samples per batch, to turn batch means back into sums. (batches,)
        sizes = [float(b)] * (n // b) + ([float(n % b)] if n % b else [])
        self.sizes = torch.tensor(sizes, dtype=torch.float64, device=device)
        self.epoch_rng: tuple[torch.Tensor, torch.Tensor] | None = None  # generator states at the epoch's start
        self.losses: list[torch.Tensor] = []  # this epoch's batch losses so far (means; sums with processes)
        self.corrects: list[torch.Tensor] = []  # this epoch's right answers per batch so far
        self.correct_before = 0  # correct answers of batches done before a resume
        self.seconds_before = 0.0  # time spent in this epoch before a resume
        self.saved_at: tuple[int, int] | None = None  # (epoch, batch) of the checkpoint on disk
        self.good_weights: dict[str, torch.Tensor] = {}
        self.good_state: RunState | None = None

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """Return the rows of x that hold the samples ids."""
        return ids // self.placement.world if self.sharded else ids

    def finish_early(self) -> None:
        """Called by early stopping: the run is complete after this epoch."""
        self.finished = self.history.stopped_early = True

    def state(self, clone: bool = False) -> RunState:
        """Return everything a resume needs (each process must call it: it gathers)."""
        state = run_state(self)
        return state.cloned() if clone else state

    # ---- the loop -------------------------------------------------------------------
    def train(self, user_callbacks: list[Any]) -> History:
        internal = [cb for cb in (self.stopper,) if cb is not None]
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
                "samples": self.used, "validation_samples": len(self.val_ids),
                "batches_per_epoch": len(self.sizes), "batch_size": config.batch_size,
                "device": str(self.device), "processes": self.placement.world,
                "parameters": sum(p.numel() for p in self.params), "config": config.to_dict()}

    def epoch_batches(self) -> EpochBatches:
        """The epoch's batches: the same permutation in every process, cut into batches."""
        perm = torch.randperm(len(self.train_ids), generator=self.shuffle)[: self.used]
        return EpochBatches(self.x, self.x_cpu, self.train_ids[perm], self.config.batch_size, self.rows,
                            self.placement.rank, self.placement.world, self.augment, self.augment_rng)

    def run_epoch(self, callbacks: list[Any]) -> None:
        """Train the epoch under way (from its first batch not done); on its end, report
        it. Returns early, the epoch unfinished, when a stop is requested."""
        started = time.perf_counter()
        if self.batch == 0:
            self.epoch_rng = (self.shuffle.get_state(), self.augment_rng.get_state())
            self.losses, self.corrects, self.correct_before, self.seconds_before = [], [], 0, 0.0
        elif self.epoch_rng is not None:  # resumed mid-epoch: the same permutation and augmentation
            self.shuffle.set_state(self.epoch_rng[0])
            self.augment_rng.set_state(self.epoch_rng[1])
        # Kept so that a diverging epoch can be undone, and written out if it does. With a
        # checkpoint folder the kept state already holds a copy of the weights: no second one.
        self.good_state = self.state(clone=True) if self.folder is not None else None
        self.good_weights = (model_tensors(self.good_state.tensors) if self.good_state is not None
                             else {k: v.detach().clone() for k, v in self.network.state_dict().items()})
        batches = self.epoch_batches()
        batches.skip_to(self.batch)
        lr = self.optimizer.param_groups[0]["lr"]
        done = self.train_batches(batches, callbacks)
        self.seconds_before += time.perf_counter() - started
        if not done:
            self.stopped = True
            return
        logs = self.epoch_logs()
        logs["lr"] = lr
        logs["overfitting"] = overfitting_flag(self.history[-1] if self.history else None, logs)
        logs["seconds"] = self.seconds_before
        self.history.append(logs)
        if self.scheduler is not None:
            self.scheduler.step()
        epoch, self.epoch, self.batch = self.epoch, self.epoch + 1, 0
        stop = call(callbacks, "on_epoch_end", epoch, dict(logs)) and not self.finished
        due = self.checkpointer is not None and self.checkpointer.due
        finished, stop, due = self.placement.main_says(self.finished, stop, due)
        if finished and not self.finished:
            self.finish_early()  # decided by the first process's clock (a time budget)
        if stop:
            self.stopped = self.epoch <= self.config.epochs
        if due and not self.finished and not self.stopped:
            self.save_checkpoint()

    def train_batches(self, batches: EpochBatches, callbacks: list[Any]) -> bool:
        """One optimizer step per batch not yet done; return False when a stop request
        or Ctrl-C ended the epoch early. Batch losses and counts stay on the device."""
        self.model.train()
        params, clip_norm, step = self.params, self.config.clip_norm, self.optimizer.step
        placement, world, task = self.placement, self.placement.world, self.task
        count = len(batches)
        next_report = time.monotonic() + BATCH_REPORT_SECONDS
        for index in range(self.batch, count):
            xb = arrange_inputs(batches.inputs(index), self.layout)  # (b, *input_shape) float
            yb = self.y[batches.ids(index)]
            if world > 1:
                placement.begin_batch(batches.positions(index), batches.global_sizes[index])
            with self.autocast():
                out = self.model(xb)  # (b, classes) logits
            if world == 1:
                loss = kept = task.loss(loss_input(out), yb)
            else:
                # The sum of this process's share, scaled so that DDP's mean of the processes'
                # gradients is the gradient of the whole batch's mean loss.
                kept = task.loss_sum(loss_input(out), yb)
                loss = kept * (world / batches.global_sizes[index])
            for p in params:  # optimizer.zero_grad(set_to_none=True), minus its profiling wrapper
                p.grad = None
            loss.backward()
            if clip_norm is not None:
                clip_gradients(params, clip_norm)
            step()
            self.losses.append(kept.detach())
            self.corrects.append(task.correct(out.detach(), yb))
            self.batch = index + 1
            if time.monotonic() >= next_report:
                call(callbacks, "on_batch_end", self.batch, self.batch_logs(batches))
                next_report = time.monotonic() + BATCH_REPORT_SECONDS
            stop = self.interrupted or (self.batch < count and stop_requested(callbacks))
            if world > 1:
                (stop,) = placement.main_says(stop)
            if stop:
                return self.batch == count
        return True

    def batch_logs(self, batches: EpochBatches) -> dict[str, Any]:
        """The epoch so far, for on_batch_end (waits for the device, a few times a second).
        With several processes, the figures are the first process's share."""
        done = self.batch
        losses = torch.stack(self.losses).double()
        if self.placement.world == 1:
            sizes = self.sizes[:done]
            loss = float((losses * sizes).sum() / sizes.sum())
            seen = min(done * self.config.batch_size, self.used)
        else:
            seen = max(sum(batches.counts[:done]), 1)
            loss = float(losses.sum()) / seen
        correct = int(torch.stack(self.corrects).sum()) if self.corrects else 0
        return {"epoch": self.epoch, "batch": done, "batches": len(self.sizes), "loss": loss,
                "accuracy": (correct + self.correct_before) / seen}

    def validation_sums(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(summed loss, right answers) of this process's held-out samples, on the device."""
        was_training = self.model.training
        self.network.eval()
        losses, corrects = [], []
        try:
            with torch.inference_mode(), self.autocast():
                for rows, yb in zip(self.val_rows.split(VAL_BATCH), self.val_y.split(VAL_BATCH)):
                    xb = self.x.index_select(0, rows)  # (B, ...) as stored
                    logits = loss_input(self.network(as_float(xb)))  # (B, classes)
                    losses.append(self.task.loss_sum(logits, yb))
                    corrects.append(self.task.correct(logits, yb))
        finally:
            self.network.train(was_training)
        zero = torch.zeros((), device=self.device)
        return (torch.stack(losses).sum() if losses else zero), (torch.stack(corrects).sum() if corrects else zero)

    def epoch_logs(self) -> dict[str, Any]:
        """Return the finished epoch's metrics, summed over the processes. Raises
        TrainingError on a NaN/inf loss."""
        batch_losses = torch.stack(self.losses)
        weights = self.sizes if self.placement.world == 1 else torch.ones_like(self.sizes)
        # Sums in float64: a float32 sum of huge but finite losses could overflow.
        sums = [(batch_losses.double() * weights).sum(), torch.stack(self.corrects).sum()]
        if len(self.val_ids):
            sums += list(self.validation_sums())
        totals = self.placement.sum(torch.stack([s.to(torch.float64) for s in sums]))
        values = totals.tolist()  # the epoch's one sync
        if not math.isfinite(values[0]):
            self.fail(batch_losses)
        if not all(math.isfinite(v) for v in values):
            self.fail_validation(values[2] / len(self.val_ids))
        correct_before = int(self.placement.sum(torch.tensor([self.correct_before], dtype=torch.float64))[0])
        logs: dict[str, Any] = {"epoch": self.epoch, "loss": values[0] / self.used,
                                "accuracy": (values[1] + correct_before) / self.used}
        if len(self.val_ids):
            logs["val_loss"], logs["val_accuracy"] = values[2] / len(self.val_ids), values[3] / len(self.val_ids)
        return logs

    def fail(self, batch_losses: torch.Tensor) -> None:
        finite = torch.isfinite(batch_losses)
        bad = int(torch.nonzero(~finite)[0, 0]) if not bool(finite.all()) else 0
        value = float(batch_losses[bad]) if len(batch_losses) else math.nan
        kept = self.undo_epoch()
        raise DivergenceError(
            f"epoch {self.epoch}, batch {bad + 1}: loss is {value} (the weights diverged); {kept}; the network "
            f"is back to its weights from before epoch {self.epoch}.",
            where=Where(option="lr"), worded=True, given=self.config.learning_rate,
            hint=f"lower the learning rate (lr is {self.config.learning_rate:g}) or set clip_norm.")

    def fail_validation(self, value: float) -> None:
        kept = self.undo_epoch()
        raise DivergenceError(
            f"epoch {self.epoch}: the validation loss is {value} (the weights diverged); {kept}.",
            where=Where(option="lr"), worded=True, given=self.config.learning_rate,
            hint=f"lower the learning rate (lr is {self.config.learning_rate:g}) or set clip_norm.")

    def undo_epoch(self) -> str:
        """Put the network back to the epoch's start, keep that state as the checkpoint,
        and say where it is."""
        self.network.load_state_dict(self.good_weights)
        if self.folder is None:
            return "no checkpoint was kept (no checkpoint_dir)"
        saver = self.checkpointer
        state = self.good_state
        weights = list(model_tensors(state.tensors).values()) if state else []
        if state is None or not all(bool(torch.isfinite(t).all()) for t in weights if t.is_floating_point()):
            saved = saver.saved_epoch if saver is not None else None
            if saved is None:
                return f"no checkpoint was written yet in {self.folder}"
            return f"the last good checkpoint (epoch {saved}) is kept in {self.folder}"
        if saver is not None:
            saver.save(state)
        if self.epoch == 1 and state.meta["batch"] == 0:
            return f"the checkpoint in {self.folder} holds the starting weights"
        return f"the last good checkpoint (epoch {self.epoch - 1}) is kept in {self.folder}"

    def save_checkpoint(self) -> None:
        """Write the run's state now, unless the checkpoint on disk already holds it
        (every process takes part; the first one writes)."""
        if self.folder is not None and self.saved_at != (self.epoch, self.batch):
            state = self.state()
            if self.checkpointer is not None:
                self.checkpointer.save(state)
            self.saved_at = (self.epoch, self.batch)

    def finish(self, callbacks: list[Any]) -> History:
        monitor = "val_loss" if len(self.val_ids) else "loss"
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


def _autocast(device: torch.device, precision: str) -> Any:
    """Return a context factory for the forward pass: bfloat16 autocast on CUDA unless
    float32 is asked for; on the CPU only when bfloat16 is asked for."""
    use = precision == "bfloat16" or (precision == "auto" and device.type == "cuda")
    if not use:
        return contextlib.nullcontext
    return lambda: torch.autocast(device.type, dtype=torch.bfloat16)


def _samples_per_epoch(network: torch.nn.Module, n: int, batch_size: int) -> int:
    """Return how many of the n shuffled samples an epoch uses: all, except that batch
    normalization cannot learn from a last batch of one sample, which is left out."""
    norms = [m for m in network.modules() if isinstance(m, _NORMS)]
    if not norms or n % batch_size != 1 or n == 1:
        if norms and batch_size == 1 and any(isinstance(m, torch.nn.BatchNorm1d) for m in norms):
            raise TrainingError(
                "The 'batch_size' option is 1, but BatchNormalization after a Dense layer needs at least 2 "
                "samples per batch.", where=Where(option="batch_size"), worded=True, given=batch_size,
                allowed="2 or more with BatchNormalization after a Dense layer",
                hint="use batch_size 2 or more.")
        return n
    return n - 1
