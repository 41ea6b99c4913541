"""Training: options, the fit loop, optimizers and decay, callbacks, checkpoints, evaluation."""

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
]
