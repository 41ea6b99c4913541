"""Whole jobs, from names and paths to results: one function per CLI verb.

The CLI and the studio only parse options, call one of these and show what comes back,
so a user can script exactly what the shell does:

    >>> import nnstudio
    >>> from nnstudio.workflows import train_model
    >>> model = train_model("shapes", out="runs/shapes")
    >>> nnstudio.load("runs/shapes").predict([nnstudio.data.BROKEN_SQUARE])[0].class_name
    'square'

The names below load on first use: `nnstudio summary PRESET` reads a spec and needs
neither torch nor the data code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnstudio.lazy import lazy_attributes

from nnstudio.errors import NnstudioError

if TYPE_CHECKING:
    from nnstudio.workflows.data import is_training_file, load_training_data, make_data
    from nnstudio.workflows.reports import evaluate_model, predict_inputs, test_report
    from nnstudio.workflows.summary import Summary, summarize
    from nnstudio.workflows.training import (check_nothing_lost, checkpoint_folder, choose_network,
                                             folder_default_size, plan_training, train_model)

# module that defines it -> public names
_SOURCES = {
    "data": ("is_training_file", "load_training_data", "make_data"),
    "reports": ("evaluate_model", "predict_inputs", "test_report"),
    "summary": ("Summary", "summarize"),
    "training": ("check_nothing_lost", "checkpoint_folder", "choose_network", "folder_default_size",
                 "plan_training", "train_model"),
}
_LAZY = {name: f"{__name__}.{module}" for module, names in _SOURCES.items() for name in names}

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
]  # NnstudioError and the names of _SOURCES (a test checks)


__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY)
