"""Training: options, the fit loop, optimizers and decay, callbacks, checkpoints, evaluation."""

from nnstudio.train.callbacks import Callback, EarlyStopping, History, Recorder, overfitting_flag
from nnstudio.train.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from nnstudio.train.config import DEFAULT_LR, LR_DECAYS, OPTIMIZERS, TrainConfig
from nnstudio.train.evaluate import Evaluation, evaluate
from nnstudio.train.loop import fit, stratified_split
from nnstudio.train.schedule import make_optimizer, make_scheduler

__all__ = [
    "DEFAULT_LR",
    "LR_DECAYS",
    "OPTIMIZERS",
    "Callback",
    "EarlyStopping",
    "Evaluation",
    "History",
    "Recorder",
    "TrainConfig",
    "evaluate",
    "fit",
    "has_checkpoint",
    "load_checkpoint",
    "make_optimizer",
    "make_scheduler",
    "overfitting_flag",
    "save_checkpoint",
    "stratified_split",
]
