"""What every route needs, as one object on the app: workspace, job runner, loaded models.

Routes receive it with ``Depends(get_state)`` (dependencies.py) and hand it to the
services, which know nothing of HTTP.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.studio.runner import JobRunner
from nnstudio.studio.quick import QuickWork
from nnstudio.studio.workspace import NotFound, Workspace


class LoadedModels:
    """Models loaded from models/, kept while their model.json is unchanged, so a
    prediction does not read the folder again."""

    def __init__(self, space: Workspace) -> None:
        self.space = space
        self.cache: dict[str, tuple[int, Any]] = {}
        self.lock = threading.Lock()

    def get(self, name: str) -> Any:
        """Return the nnstudio.predict.Model saved as models/NAME (NotFound if missing)."""
        from nnstudio.predict import load

        path = self.space.model_dir(name)
        try:
            stamp = (path / "model.json").stat().st_mtime_ns
        except FileNotFoundError:  # deleted between the check and here
            raise NotFound(f"model {name!r}: no such model in {self.space.models}") from None
        with self.lock:
            hit = self.cache.get(name)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        model = load(path)
        with self.lock:
            self.cache[name] = (stamp, model)
        return model

    def forget(self, name: str) -> None:
        """Drop a model from the cache (it was deleted or replaced)."""
        with self.lock:
            self.cache.pop(name, None)


@dataclass
class StudioState:
    """The studio's parts, built once per app."""

    space: Workspace
    jobs: JobRunner = field(init=False)
    models: LoadedModels = field(init=False)
    threads: int | None = None  # torch threads of each training process
    parallel_runs: int | None = None  # runs that train at once (None: runner.default_parallel_runs())
    caches: dict[Any, Any] = field(default_factory=dict)
    quick: QuickWork = field(default_factory=QuickWork)  # predictions: inline or in a thread

    def __post_init__(self) -> None:
        self.jobs = JobRunner(self.space, self.parallel_runs)
        self.models = LoadedModels(self.space)

    @classmethod
    def open(cls, root: str | Path, threads: int | None = None, parallel_runs: int | None = None) -> StudioState:
        """Return the state of the workspace at root (created when missing); up to
        parallel_runs trainings at once, each with `threads` torch threads (None: the
        cores of training_threads() shared among the parallel runs)."""
        if threads is None:
            threads = max(1, training_threads() // (parallel_runs or 1))
        return cls(Workspace.open(root), threads=threads, parallel_runs=parallel_runs)


def training_threads(cores: int | None = None) -> int:
    """Return the torch threads of a training when none are asked for: every core but
    one, which stays free for the server's predictions. On 2 cores, a 2-thread training
    beside any other work ran 12x slower than a 1-thread one (digits-mlp, 100 epochs:
    167 s against 13 s), because each of its steps waits for a thread that is busy."""
    cores = cores if cores is not None else (os.cpu_count() or 1)
    return max(1, cores - 1)
