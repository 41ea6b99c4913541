"""Experiments: each of the course's claims measured by a seeded, runnable experiment.

>>> from nnstudio.experiments import EXPERIMENTS, run_experiment
>>> result = run_experiment("optimizers", quick=True)   # doctest: +SKIP
>>> result.finding                                       # doctest: +SKIP

Each experiment is a small module (NAME, CLAIM, run); runner.py holds what they share.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

from nnstudio.errors import NnstudioError
from nnstudio.experiments.runner import Result, Settings, machine, write_result

# name -> module, in the order the course meets the claims
EXPERIMENTS = {
    "optimizers": "nnstudio.experiments.optimizers",
    "overfitting": "nnstudio.experiments.overfitting",
    "vanishing-gradient": "nnstudio.experiments.vanishing",
    "lr-decay": "nnstudio.experiments.decay",
    "dropout": "nnstudio.experiments.dropout",
    "activations": "nnstudio.experiments.activations",
    "mlp-vs-cnn": "nnstudio.experiments.mlp_vs_cnn",
    "stride-and-channels": "nnstudio.experiments.stride",
    "batchnorm": "nnstudio.experiments.batchnorm",
    "rnn-memory": "nnstudio.experiments.rnn_memory",
}


class ExperimentError(NnstudioError):
    """An unknown experiment name."""


def experiment_module(name: str) -> Any:
    """Return the module of experiment `name`; ExperimentError when unknown."""
    module = EXPERIMENTS.get(name)
    if module is None:
        raise ExperimentError(f"experiment {name!r} is not known; allowed: {', '.join(EXPERIMENTS)}")
    return importlib.import_module(module)


def claims() -> dict[str, str]:
    """Return experiment name -> the course's claim it measures."""
    return {name: experiment_module(name).CLAIM for name in EXPERIMENTS}


def run_experiment(name: str, *, quick: bool = False, seed: int = 0, out: str | Path | None = None,
                   png: bool = True, threads: int | None = 1) -> Result:
    """Run experiment `name` (quick: one seed, few epochs); with `out`, write its table,
    numbers and figures there. Return the Result.

    threads: torch threads during the run. One by default: these networks are so small that
    a second thread costs more in hand-overs than it saves (5-10x slower on a busy 2-core
    machine), and one thread makes the timings comparable. None keeps torch's setting.
    """
    import torch

    module = experiment_module(name)
    settings = Settings(quick=quick, seed=seed)
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        started = time.perf_counter()
        result: Result = module.run(settings)
        result.seconds = time.perf_counter() - started
        result.machine = machine()
    finally:
        torch.set_num_threads(before)
    result.settings = settings
    if out is not None:
        write_result(result, out, png=png)
    return result


__all__ = ["EXPERIMENTS", "ExperimentError", "Result", "Settings", "claims", "experiment_module",
           "run_experiment", "write_result"]
