"""Whole jobs, from names and paths to results: one function per CLI verb.

The CLI and the studio only parse options, call one of these and show what comes back,
so a user can script exactly what the shell does:

    >>> import nnstudio
    >>> from nnstudio.workflows import train_model
    >>> model = train_model("shapes", out="runs/shapes")
    >>> nnstudio.load("runs/shapes").predict([nnstudio.data.BROKEN_SQUARE])[0].class_name
    'square'
"""

from nnstudio.errors import NnstudioError
from nnstudio.workflows.data import is_training_file, load_training_data, make_data
from nnstudio.workflows.reports import Summary, evaluate_model, predict_inputs, summarize, test_report
from nnstudio.workflows.training import (check_nothing_lost, checkpoint_folder, choose_network,
                                         folder_default_size, plan_training, train_model)

__all__ = [
    "NnstudioError",
    "Summary",
    "check_nothing_lost",
    "checkpoint_folder",
    "choose_network",
    "evaluate_model",
    "folder_default_size",
    "is_training_file",
    "load_training_data",
    "make_data",
    "plan_training",
    "predict_inputs",
    "summarize",
    "test_report",
    "train_model",
]
