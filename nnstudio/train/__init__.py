"""Training: options, the fit loop, optimizers and decay, callbacks, checkpoints, evaluation.

The names below load on first use, so the options (nnstudio.train.config) and commands
that only read them (`nnstudio train --help`) do not wait for torch.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from nnstudio.lazy import lazy_attributes

if TYPE_CHECKING:
    from nnstudio.train.callbacks import (
        BatchLogs,
        Callback,
        EarlyStopping,
        EpochLogs,
        History,
        Recorder,
        TrainBegin,
        TrainEnd,
        overfitting_flag,
    )
    from nnstudio.train.checkpoint import Checkpointer, has_checkpoint, load_checkpoint, save_checkpoint
    from nnstudio.train.config import DEFAULT_LR, LR_DECAYS, OPTIMIZERS, OptionSpec, TrainConfig, option_specs
    from nnstudio.train.evaluate import Evaluation, evaluate
    from nnstudio.train.loop import fit, stratified_split
    from nnstudio.train.schedule import make_optimizer, make_scheduler

# module that defines it -> public names
_SOURCES = {
    "callbacks": ("BatchLogs", "Callback", "EarlyStopping", "EpochLogs", "History", "Recorder", "TrainBegin",
                  "TrainEnd", "overfitting_flag"),
    "checkpoint": ("Checkpointer", "has_checkpoint", "load_checkpoint", "save_checkpoint"),
    "config": ("DEFAULT_LR", "LR_DECAYS", "OPTIMIZERS", "OptionSpec", "TrainConfig", "option_specs"),
    "evaluate": ("Evaluation", "evaluate"),
    "loop": ("fit", "stratified_split"),
    "schedule": ("make_optimizer", "make_scheduler"),
}
_LAZY = {name: f"{__name__}.{module}" for module, names in _SOURCES.items() for name in names}

__all__ = [
    "DEFAULT_LR",
    "LR_DECAYS",
    "OPTIMIZERS",
    "BatchLogs",
    "Callback",
    "Checkpointer",
    "EarlyStopping",
    "EpochLogs",
    "Evaluation",
    "History",
    "OptionSpec",
    "Recorder",
    "TrainBegin",
    "TrainConfig",
    "TrainEnd",
    "evaluate",
    "fit",
    "has_checkpoint",
    "load_checkpoint",
    "make_optimizer",
    "make_scheduler",
    "option_specs",
    "overfitting_flag",
    "save_checkpoint",
    "stratified_split",
]  # the names of _SOURCES (a test checks), written out for type checkers


__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY)


class _Package(types.ModuleType):
    """This package, keeping `nnstudio.train.evaluate` the function: importing the module
    nnstudio.train.evaluate sets the package's attribute of that name to the module."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
