"""What every experiment shares: data, seeds, repeated training, statistics, output files.

An experiment is a module with NAME, CLAIM and ``run(settings) -> Result``. It trains
through ``train_runs`` (one run per seed, timed, with the held-out data scored after every
epoch), summarizes with ``Stat`` (mean and spread over the seeds), and computes its
one-line finding from the numbers with a pure function, so the finding can be tested
on made-up numbers and always says what was measured, also when the course's claim fails.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.errors import DivergenceError

SEEDS = 3  # runs per setting in a full experiment; --quick uses one


@dataclass(frozen=True)
class Settings:
    """How to run an experiment: quick (one seed, few epochs) or full, and the first seed."""

    quick: bool = False
    seed: int = 0

    @property
    def seeds(self) -> list[int]:
        return [self.seed] if self.quick else [self.seed + k for k in range(SEEDS)]

    def pick(self, full: Any, quick: Any) -> Any:
        """Return `quick` in quick mode, else `full`."""
        return quick if self.quick else full


@dataclass(frozen=True)
class Stat:
    """Mean and spread (population standard deviation) of one number over the seeds."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        return cls(tuple(float(v) for v in values))

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def spread(self) -> float:
        return float(np.std(self.values)) if len(self.values) > 1 else 0.0

    def text(self, digits: int = 3, percent: bool = False) -> str:
        """Return "mean ± spread" (spread left out for one seed)."""
        scale, unit = (100.0, "%") if percent else (1.0, "")
        mean = f"{self.mean * scale:.{digits}f}{unit}"
        if len(self.values) < 2:
            return mean
        return f"{mean} ± {self.spread * scale:.{digits}f}"


def within_noise(a: Stat, b: Stat) -> bool:
    """Return True when two means differ by no more than their spreads together (with one
    seed there is no spread, so nothing counts as noise)."""
    return abs(a.mean - b.mean) <= a.spread + b.spread


@dataclass
class Result:
    """What an experiment measured: a table, figures (file suffix -> SVG), a finding, raw numbers."""

    name: str
    claim: str
    columns: list[str]
    rows: list[list[Any]]
    finding: str
    figures: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    settings: Settings = field(default_factory=Settings)
    machine: str = ""  # the machine line, taken while the run's thread setting is in force

    def table(self) -> str:
        """Return the table as markdown."""
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class Run:
    """One training run: per-epoch training logs, held-out loss and accuracy per epoch,
    the final held-out accuracy, seconds, trainable parameters."""

    history: list[dict[str, Any]]
    held_loss: list[float]
    held_accuracy: list[float]
    seconds: float
    parameters: int
    network: Any = None
    diverged: bool = False  # the loss turned NaN/inf; the curves stop there

    @property
    def accuracy(self) -> float:
        return self.held_accuracy[-1]

    def column(self, key: str) -> list[float]:
        return [float(row.get(key, math.nan)) for row in self.history]


class HeldOut:
    """Callback scoring the network on a held-out set after every epoch (eval mode: no
    dropout, batch norm on its running statistics)."""

    def __init__(self, x: Any, y: Any) -> None:
        from nnstudio.train.batches import as_float

        self.x, self.y = as_float(x), y  # uint8 pixel codes become their values
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.network: Any = None

    def bind(self, run: Any) -> None:
        self.network = run.network

    def on_epoch_end(self, epoch: int, logs: Any) -> None:
        import torch
        import torch.nn.functional as F

        network = self.network
        was_training = network.training
        network.eval()
        with torch.no_grad():
            logits = network(self.x)  # (N, classes)
            self.loss.append(float(F.cross_entropy(logits, self.y)))
            self.accuracy.append(float((logits.argmax(1) == self.y).float().mean()))
        network.train(was_training)


@lru_cache(maxsize=8)
def digits(part: str = "train", per_class: int | None = None) -> Any:
    """Return scikit-learn's 8x8 digits (1347 train, 450 test images), cached per process."""
    from nnstudio.data import load_dataset

    return load_dataset("digits", part, per_class=per_class)


@lru_cache(maxsize=4)
def letters(part: str = "train", per_class: int = 20) -> Any:
    """Return generated 50x50 letters, `per_class` per letter, cached per process."""
    from nnstudio.data import load_dataset

    return load_dataset("letters", part, per_class=per_class)


def train_once(spec: Mapping[str, Any], train: Any, held: Any, *, seed: int, keep: bool = False,
               **options: Any) -> Run:
    """Train a fresh network built from `spec` (a spec dict) on `train` with `options`
    (TrainConfig fields; no validation hold-out), scoring it on `held` after every epoch."""
    from nnstudio.model import build_model
    from nnstudio.train import Recorder, TrainConfig, fit
    from nnstudio.train.tensors import input_tensors

    network = build_model(dict(spec), seed=seed)
    config = TrainConfig.from_options(None, seed=seed, device="cpu", validation=0.0, **options)
    held_out = HeldOut(*input_tensors(network.spec, held))
    recorder = Recorder()  # its epochs survive a run that diverges
    started = time.perf_counter()
    diverged = False
    try:
        fit(network, train, config, callbacks=[held_out, recorder])
    except DivergenceError:
        # a diverging setting is a result here (too high a learning rate), not a failure
        diverged = True
        held_out.loss.append(math.inf)
        held_out.accuracy.append(1.0 / len(train.class_names))
    seconds = time.perf_counter() - started
    parameters = sum(p.numel() for p in network.parameters() if p.requires_grad)
    return Run([logs for _, logs in recorder.epochs], held_out.loss, held_out.accuracy, seconds, parameters,
               network if keep else None, diverged)


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Train a tiny network once, so the first timed run does not pay torch's start-up
    (about 3 s the first time a process builds and steps a network)."""
    from nnstudio.data import Dataset

    data = Dataset(np.zeros((8, 4), np.float32), np.arange(8) % 2, ["a", "b"])
    train_once(mlp(4, [4], 2), data, data, seed=0, epochs=1, batch_size=4)


def train_runs(spec: Mapping[str, Any], train: Any, held: Any, settings: Settings,
               **options: Any) -> list[Run]:
    """Return one Run per seed of `settings`."""
    warm_up()
    return [train_once(spec, train, held, seed=seed, **options) for seed in settings.seeds]


def stat(runs: Sequence[Run], measure: Callable[[Run], float]) -> Stat:
    """Return the Stat of measure(run) over runs."""
    return Stat.of([measure(run) for run in runs])


def mean_curve(runs: Sequence[Run], measure: Callable[[Run], Sequence[float]]) -> list[float]:
    """Return the per-epoch mean of a curve over runs (all runs the same length)."""
    return [float(v) for v in np.mean(np.array([list(measure(run)) for run in runs], dtype=float), axis=0)]


def epochs_text(hits: Sequence[int | None]) -> str:
    """Return the table cell for the epochs at which runs reached a target: the mean ± spread
    of the runs that did, and how many never did."""
    reached = [h for h in hits if h is not None]
    missed = len(hits) - len(reached)
    text = Stat.of(reached).text(1) if reached else "never"
    return text + (f" ({missed} of {len(hits)} never)" if missed and reached else "")


def first_epoch_reaching(curve: Sequence[float], target: float) -> int | None:
    """Return the first epoch (1-based) whose value is at least target, or None."""
    return next((i + 1 for i, v in enumerate(curve) if v >= target), None)


def mlp(input_size: int, hidden: Sequence[int], classes: int = 10, *, activation: str = "relu",
        dropout: float = 0.0, batchnorm: bool = False, name: str = "mlp") -> dict[str, Any]:
    """Return an MLP spec dict: Dense layers of `hidden` units (optionally followed by
    batch normalization before the activation, and dropout), then softmax over `classes`."""
    layers: list[dict[str, Any]] = []
    for units in hidden:
        if batchnorm:
            layers += [{"type": "Dense", "units": units, "activation": "linear", "use_bias": False},
                       {"type": "BatchNormalization", "momentum": 0.9},
                       {"type": "Activation", "activation": activation}]
        else:
            layers.append({"type": "Dense", "units": units, "activation": activation})
        if dropout:
            layers.append({"type": "Dropout", "rate": dropout})
    layers.append({"type": "Dense", "units": classes, "activation": "softmax"})
    return {"name": name, "input_shape": [input_size], "layers": layers}


def machine() -> str:
    """Return one line naming the machine and software a result came from."""
    import os

    import torch

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    return (f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs (load {load:.1f}), "
            f"torch threads: {torch.get_num_threads()}, Python {platform.python_version()}, "
            f"torch {torch.__version__}")


def write_result(result: Result, out: str | Path, *, png: bool = True) -> list[Path]:
    """Write NAME.md (claim, table, finding, settings), NAME.json, and each figure as
    NAME[-suffix].svg and .png into the folder `out`; return the paths written."""
    from nnstudio.draw import save

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix, svg in result.figures.items():
        stem = result.name + (f"-{suffix}" if suffix else "")
        for extension in (".svg", ".png") if png else (".svg",):
            paths.append(save(svg, folder / (stem + extension)))
    mode = "quick" if result.settings.quick else "full"
    seeds = ", ".join(str(s) for s in result.settings.seeds)
    text = (f"# {result.name}\n\nClaim: {result.claim}\n\n{result.table()}\n\n"
            f"Finding: {result.finding}\n\n"
            f"Run: `nnstudio experiment {result.name}{' --quick' if result.settings.quick else ''}"
            f"{'' if result.settings.seed == 0 else f' --seed {result.settings.seed}'}` ({mode}, seeds {seeds}; "
            f"mean ± standard deviation over the seeds), {result.seconds:.0f} s on {result.machine or machine()}.\n")
    md = folder / f"{result.name}.md"
    md.write_text(text, encoding="utf-8")
    data = folder / f"{result.name}.json"
    data.write_text(json.dumps({"name": result.name, "finding": result.finding, "columns": result.columns,
                                "rows": result.rows, "numbers": result.numbers, "seconds": result.seconds,
                                "machine": result.machine,
                                "quick": result.settings.quick, "seeds": result.settings.seeds},
                               indent=1, default=float) + "\n", encoding="utf-8")
    return [md, data, *paths]
