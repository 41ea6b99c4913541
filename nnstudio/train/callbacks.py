"""What training reports, declared once, and the decisions taken from those reports.

A callback is any object with some of these methods (missing ones are skipped):
``on_train_begin(info: TrainBegin)``, ``on_batch_end(step: int, logs: BatchLogs)``
(at most about BATCH_REPORT_SECONDS apart, so a long epoch still reports several times
a second), ``on_epoch_end(epoch: int, logs: EpochLogs)`` and ``on_train_end(logs:
TrainEnd)``. Setting ``stop_training = True`` on a callback asks the run to stop at the
next batch; the run saves a checkpoint there, so it can be resumed to the very weights
an uninterrupted run reaches. A callback with a ``bind(run)`` method is handed the run
before training starts (early stopping and checkpoints use it to reach the weights).

``workflows.train_model`` also calls ``on_plan(plan)`` with the TrainingPlan (network,
data, options and why) before the first step.

The CLI's progress bar, the studio's event stream, tests and benchmarks all read the
key names below, so a report means the same everywhere.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import torch

from nnstudio.train.config import DEFAULT_LR

if TYPE_CHECKING:
    from nnstudio.train.checkpoint import EarlyStoppingState

BATCH_REPORT_SECONDS = 0.25


class TrainBegin(TypedDict):
    """on_train_begin's info: the run's shape before the first step."""

    epochs: int  # the last epoch the run will reach (not the number still to run)
    start_epoch: int  # 1, or the epoch a resumed run continues with
    start_batch: int  # batches of start_epoch already done (a run resumed mid-epoch)
    samples: int  # training samples used per epoch
    validation_samples: int
    batches_per_epoch: int
    batch_size: int
    device: str
    processes: int  # training processes (torchrun's world size; 1 for one process)
    parameters: int  # trainable parameters
    config: dict[str, Any]  # TrainConfig.to_dict()


class BatchLogs(TypedDict):
    """on_batch_end's logs: the epoch so far."""

    epoch: int
    batch: int  # batches done in this epoch, 1..batches
    batches: int
    loss: float  # mean training loss of this epoch's batches so far
    accuracy: float  # training accuracy of this epoch's samples so far


class EpochLogs(TypedDict):
    """on_epoch_end's logs, also one row of the History and of metrics.csv."""

    epoch: int
    loss: float
    accuracy: float
    val_loss: NotRequired[float]  # only with validation
    val_accuracy: NotRequired[float]
    lr: float  # the learning rate used during this epoch
    seconds: float
    overfitting: float  # 1.0 when val_loss rose while loss fell, else 0.0


class TrainEnd(TypedDict):
    """on_train_end's logs: the last epoch's metrics and how the run ended."""

    epochs_run: int
    best_epoch: int | None
    stopped_early: bool  # early stopping ended the run (it is finished)
    stop_requested: bool  # a callback asked to stop (the run can be resumed)
    restored_best: bool  # the network holds best_epoch's weights
    last: EpochLogs | dict[str, Any]


EPOCH_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds", "overfitting")


class History(list):
    """Per-epoch EpochLogs, plus what happened at the end: best_epoch (lowest val_loss,
    or loss without validation; with early stopping the network ends on that epoch's
    weights) and stopped_early; stop_requested when a stop request or Ctrl-C ended the
    run before its last epoch (its checkpoint can resume it)."""

    def __init__(self, epochs=(), *, best_epoch: int | None = None, stopped_early: bool = False,
                 stop_requested: bool = False):
        super().__init__(epochs)
        self.best_epoch = best_epoch
        self.stopped_early = stopped_early
        self.stop_requested = stop_requested

    def to_dict(self) -> dict[str, Any]:
        """Return {"epochs": [...], "best_epoch": ..., "stopped_early": ...} (JSON-ready)."""
        return {"epochs": [dict(e) for e in self], "best_epoch": self.best_epoch, "stopped_early": self.stopped_early}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """Return the History that to_dict wrote."""
        return cls(d.get("epochs", []), best_epoch=d.get("best_epoch"), stopped_early=bool(d.get("stopped_early")))

    def column(self, key: str) -> list[float]:
        """Return one metric over the epochs (NaN where an epoch lacks it)."""
        return [float(e.get(key, math.nan)) for e in self]


class Callback:
    """Do-nothing base; subclass and override what you need (duck typing works too)."""

    stop_training = False

    def on_train_begin(self, info: TrainBegin) -> None:
        pass

    def on_batch_end(self, step: int, logs: BatchLogs) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: EpochLogs) -> None:
        pass

    def on_train_end(self, logs: TrainEnd) -> None:
        pass


class Recorder(Callback):
    """Keeps every report it receives (tests, notebooks)."""

    def __init__(self) -> None:
        self.info: dict[str, Any] | None = None
        self.batches: list[tuple[int, dict[str, Any]]] = []
        self.epochs: list[tuple[int, dict[str, Any]]] = []
        self.end: dict[str, Any] | None = None

    def on_train_begin(self, info: TrainBegin) -> None:
        self.info = dict(info)

    def on_batch_end(self, step: int, logs: BatchLogs) -> None:
        self.batches.append((step, dict(logs)))

    def on_epoch_end(self, epoch: int, logs: EpochLogs) -> None:
        self.epochs.append((epoch, dict(logs)))

    def on_train_end(self, logs: TrainEnd) -> None:
        self.end = dict(logs)


def overfitting_flag(previous: dict[str, float] | None, logs: dict[str, float]) -> float:
    """Return 1.0 when the validation loss rose while the training loss fell, else 0.0."""
    if previous is None or "val_loss" not in logs or "val_loss" not in previous:
        return 0.0
    return 1.0 if logs["val_loss"] > previous["val_loss"] and logs["loss"] < previous["loss"] else 0.0


# An epoch's loss this many times an untrained network's (ln of the class count: even
# guesses) means the weights are running away, most often from a learning rate too large.
DIVERGENCE_FACTOR = 3.0


class DivergenceWatch(Callback):
    """Logs one warning, naming the learning rate, when an epoch's training loss grows
    far above where an untrained network starts (DIVERGENCE_FACTOR x ln(classes)) and
    above the first epoch's; the run goes on (a NaN loss stops it in the loop)."""

    def __init__(self, classes: int) -> None:
        self.start = math.log(max(classes, 2))
        self.first: float | None = None
        self.lr: float | None = None
        self.warned = False

    def on_train_begin(self, info: TrainBegin) -> None:
        config = info.get("config", {})
        lr = config.get("lr")
        self.lr = float(lr) if lr is not None else DEFAULT_LR.get(config.get("optimizer", ""))

    def on_epoch_end(self, epoch: int, logs: EpochLogs) -> None:
        loss = float(logs["loss"])
        if self.first is None:
            self.first = loss
        if self.warned or not math.isfinite(loss):
            return
        if loss > DIVERGENCE_FACTOR * self.start and loss > self.first * 1.5 or loss > 10 * self.start:
            self.warned = True
            lr = f"{self.lr:g}" if self.lr is not None else "in use"
            logging.getLogger("nnstudio.train").warning(
                "epoch %d: the loss is %.3g, far above the %.3g of an untrained network: training is "
                "diverging. help: lower the learning rate (lr is %s; try --lr %g).",
                epoch, loss, self.start, lr, (self.lr or 1e-2) / 10)


class TimeLimit(Callback):
    """Ends the run, complete as early stopping ends it, after the epoch during which its
    training time passed `seconds`, and logs a warning saying so: the time budget of
    training options fitted to the data holds even on a machine busier than measured."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = 0.0
        self.run: Any = None

    def bind(self, run: Any) -> None:
        self.run = run

    def on_train_begin(self, info: TrainBegin) -> None:
        self.started = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: EpochLogs) -> None:
        last = self.run.config.epochs
        if epoch < last and time.monotonic() - self.started > self.seconds:
            self.run.finish_early()
            logging.getLogger("nnstudio.train").warning(
                "training ended after epoch %d of %d: its time budget of %.0f s is spent (this machine is "
                "slower or busier than measured). help: give the epochs (--epochs) to train longer.",
                epoch, last, self.seconds)


class EarlyStopping(Callback):
    """Ends the run when the monitored loss has not improved for `patience` epochs, and
    keeps a copy of the best weights, which the network gets back at the end."""

    def __init__(self, patience: int, monitor: str = "val_loss") -> None:
        self.patience = patience
        self.monitor = monitor
        self.best = math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.run: Any = None

    def bind(self, run: Any) -> None:
        self.run = run

    def on_epoch_end(self, epoch: int, logs: EpochLogs) -> None:
        value = float(logs[self.monitor])  # type: ignore[literal-required]
        if value < self.best:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_weights = {k: v.detach().clone() for k, v in self.run.network.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.run.finish_early()

    def restore(self, network: torch.nn.Module) -> int | None:
        """Load the best weights into network; return their epoch (None if nothing recorded)."""
        if self.best_weights is not None:
            network.load_state_dict(self.best_weights)
        return self.best_epoch

    def state_dict(self) -> EarlyStoppingState:
        """Return the JSON part of the state (best weights are saved as tensors apart)."""
        return {"patience": self.patience, "monitor": self.monitor,
                "best": self.best if math.isfinite(self.best) else None,
                "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, state: EarlyStoppingState, best_weights: dict[str, torch.Tensor] | None) -> None:
        """Restore what state_dict returned plus the best weights."""
        self.best = math.inf if state["best"] is None else float(state["best"])
        self.best_epoch = state["best_epoch"]
        self.wait = int(state["wait"])
        self.best_weights = best_weights


def call(callbacks: list[Any], method: str, *args: Any) -> bool:
    """Invoke method on each callback that has it; return True when one asks to stop."""
    for cb in callbacks:
        fn = getattr(cb, method, None)
        if fn is not None:
            fn(*args)
    return stop_requested(callbacks)


def stop_requested(callbacks: list[Any]) -> bool:
    """Return True when a callback has set stop_training."""
    return any(getattr(cb, "stop_training", False) for cb in callbacks)
