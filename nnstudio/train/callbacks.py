"""What training reports and the decisions taken from those reports.

A callback is any object with some of these methods (missing ones are skipped):
``on_train_begin(info: dict)``, ``on_epoch_end(epoch: int, logs: dict[str, float])``,
``on_train_end(logs: dict)``. A callback may set ``stop_training = True`` to end
training after the current epoch (the studio's stop button does).
"""

from __future__ import annotations

import math
from typing import Any

import torch


class History(list):
    """Per-epoch flat dicts (epoch, loss, accuracy, val_loss, val_accuracy, lr, seconds,
    overfitting), plus what happened at the end: best_epoch (lowest val_loss, or loss
    without validation; with early stopping the network ends on that epoch's weights)
    and stopped_early."""

    def __init__(self, epochs=(), *, best_epoch: int | None = None, stopped_early: bool = False):
        super().__init__(epochs)
        self.best_epoch = best_epoch
        self.stopped_early = stopped_early

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

    def on_train_begin(self, info: dict[str, Any]) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, logs: dict[str, Any]) -> None:
        pass


class Recorder(Callback):
    """Keeps every report it receives (tests, notebooks)."""

    def __init__(self) -> None:
        self.info: dict[str, Any] | None = None
        self.epochs: list[tuple[int, dict[str, float]]] = []
        self.end: dict[str, Any] | None = None

    def on_train_begin(self, info: dict[str, Any]) -> None:
        self.info = dict(info)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochs.append((epoch, dict(logs)))

    def on_train_end(self, logs: dict[str, Any]) -> None:
        self.end = dict(logs)


def overfitting_flag(previous: dict[str, float] | None, logs: dict[str, float]) -> float:
    """Return 1.0 when the validation loss rose while the training loss fell, else 0.0."""
    if previous is None or "val_loss" not in logs or "val_loss" not in previous:
        return 0.0
    return 1.0 if logs["val_loss"] > previous["val_loss"] and logs["loss"] < previous["loss"] else 0.0


class EarlyStopping:
    """Stops when the monitored loss has not improved for `patience` epochs and keeps
    a copy of the best weights so that training can end on them."""

    def __init__(self, patience: int, monitor: str = "val_loss") -> None:
        self.patience = patience
        self.monitor = monitor
        self.best = math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self.best_weights: dict[str, torch.Tensor] | None = None

    def update(self, epoch: int, logs: dict[str, float], network: torch.nn.Module) -> bool:
        """Record this epoch; return True when training should stop."""
        value = logs[self.monitor]
        if value < self.best:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_weights = {k: v.detach().clone() for k, v in network.state_dict().items()}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, network: torch.nn.Module) -> int | None:
        """Load the best weights into network; return their epoch (None if nothing recorded)."""
        if self.best_weights is not None:
            network.load_state_dict(self.best_weights)
        return self.best_epoch

    def state_dict(self) -> dict[str, Any]:
        """Return the JSON part of the state (best weights are saved as tensors apart)."""
        return {"patience": self.patience, "monitor": self.monitor, "best": self.best,
                "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any], best_weights: dict[str, torch.Tensor] | None) -> None:
        """Restore what state_dict returned plus the best weights."""
        self.best = float(state["best"])
        self.best_epoch = state["best_epoch"]
        self.wait = int(state["wait"])
        self.best_weights = best_weights


def call(callbacks, method: str, *args) -> bool:
    """Invoke method on each callback that has it; return True when one asks to stop."""
    for cb in callbacks:
        fn = getattr(cb, method, None)
        if fn is not None:
            fn(*args)
    return any(getattr(cb, "stop_training", False) for cb in callbacks)
