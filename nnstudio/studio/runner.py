"""The run queue: which runs train now, which wait, and the processes of those that train.

A run's status in its run.json is the queue's only record. A "queued" run waits until
one of the runner's slots is free; waiting runs start oldest first (by the time they
were queued: their creation, or the resume that queued them again). A restarted studio
finds the runs still marked queued and starts them the same way. By default one run
trains at a time on a CPU machine (each run already uses every core but one), and one
per GPU where PyTorch sees GPUs, each placed on its own GPU through its device option.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from nnstudio.studio.jobs import (FINAL, MODEL_PART, RESUMABLE, STOP_FILE, end_run, pid_alive, read_events,
                                  train_in_child, update_run)
from nnstudio.errors import one_line
from nnstudio.studio.workspace import RUN_JSON, Conflict, Workspace, check_name, read_json, write_json

AUTO_DEVICES = (None, "auto", "cuda")  # device options the queue may turn into one GPU


def gpu_count() -> int:
    """Return how many CUDA GPUs this PyTorch sees (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def default_parallel_runs(gpus: int | None = None) -> int:
    """Return how many runs train at once by default: one per GPU, else one."""
    gpus = gpu_count() if gpus is None else gpus
    return max(1, gpus)


class JobRunner:
    """Queues runs and starts each in a child process ("spawn": a fresh interpreter, no
    state shared with the server's threads) when a slot is free; watches the children,
    so that a crashed child marks its run failed and its slot goes to the next run."""

    def __init__(self, space: Workspace, parallel_runs: int | None = None) -> None:
        self.space = space
        self.context = multiprocessing.get_context("spawn")
        self.processes: dict[str, Any] = {}  # run id -> process, for the runs training now
        self.slot_of: dict[str, int] = {}  # run id -> its slot (and its GPU, when there are GPUs)
        self.lock = threading.RLock()
        self.asked = parallel_runs
        self.gpus: int | None = None  # counted when the first run starts (it imports torch)
        self.closing = False

    @property
    def parallel_runs(self) -> int:
        """How many runs train at once (the asked number, else default_parallel_runs())."""
        if self.gpus is None:
            self.gpus = gpu_count()
        return self.asked if self.asked is not None else default_parallel_runs(self.gpus)

    def create(self, data: str, data_path: str, spec: dict[str, Any], options: dict[str, Any],
               model_name: str, threads: int | None = None, per_class: int | None = None) -> dict[str, Any]:
        """Write a new run folder (status queued), start it if a slot is free, and return its record."""
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
        run_dir = self.space.run_dir(run_id, must_exist=False)
        run_dir.mkdir(parents=True)
        now = time.time()
        record = {"id": run_id, "data": data, "data_path": data_path, "spec": spec, "options": options,
                  "model_name": check_name(model_name, "model"), "status": "queued", "pid": None,
                  "model": None, "error": None, "created": now, "queued_at": now, "resume": False,
                  "threads": threads, "per_class": per_class}
        write_json(run_dir / RUN_JSON, record)
        self.fill()
        return record

    def waiting(self) -> list[str]:
        """Return the ids of the runs waiting for a slot, the next to start first."""
        records = [read_json(path) for path in self.space.runs.glob(f"*/{RUN_JSON}")]
        with self.lock:
            queued = [r for r in records if r.get("status") == "queued" and r.get("id")
                      and r["id"] not in self.processes]
        queued.sort(key=lambda r: (r.get("queued_at") or r.get("created") or 0, r["id"]))
        return [r["id"] for r in queued]

    def positions(self) -> dict[str, int]:
        """Return each waiting run's place in the queue: 1 for the next to start."""
        return {run_id: n for n, run_id in enumerate(self.waiting(), start=1)}

    def fill(self) -> None:
        """Start waiting runs, oldest first, while slots are free."""
        if self.closing or not self.waiting():
            return
        slots = self.parallel_runs  # the first call imports torch: not while holding the lock
        with self.lock:
            waiting = self.waiting()
            if self.closing or not waiting:
                return
            free = slots - len(self.processes)
            for run_id in waiting[:max(0, free)]:
                self.launch(run_id)

    def launch(self, run_id: str) -> None:
        """Start the child process of a waiting run in the first free slot (lock held)."""
        run_dir = self.space.run_dir(run_id)
        slot = min(set(range(self.parallel_runs)) - set(self.slot_of.values()))
        record = read_json(run_dir / RUN_JSON)
        device = record.get("options", {}).get("device")
        placed = f"cuda:{slot % self.gpus}" if self.gpus and device in AUTO_DEVICES else None
        launch = secrets.token_hex(4)  # tells this start from the run's earlier ones
        update_run(run_dir, device=placed, slot=slot, launch=launch)  # before the child reads run.json
        (run_dir / STOP_FILE).unlink(missing_ok=True)
        process = self.context.Process(target=train_in_child, args=(str(run_dir), os.getpid()),
                                       name=f"nnstudio-run-{run_id}", daemon=False)
        try:
            process.start()
        except Exception as error:  # noqa: BLE001 - the run must not wait for ever
            end_run(run_dir, "failed", error=f"the training process could not start ({one_line(error)})",
                    reason="error")
            return
        self.processes[run_id] = process
        self.slot_of[run_id] = slot
        # The child writes its own pid and status: a write from here could race with it.
        threading.Thread(target=self.watch, args=(run_id, process, launch), daemon=True).start()

    def watch(self, run_id: str, process: Any, launch: str) -> None:
        """Wait for the child; a child that ended without a final status has crashed
        (unless the run was queued again meanwhile: a resume). Its slot then goes to the
        next waiting run."""
        process.join()
        run_dir = self.space.run_dir(run_id, must_exist=False)
        record = read_json(run_dir / RUN_JSON)
        if record.get("launch") == launch and record.get("status") not in FINAL:
            code = process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            message = f"the training process ended unexpectedly ({how}). help: resume the run from its checkpoint"
            end_run(run_dir, "failed", error=message, reason="crashed")
        with self.lock:
            if self.processes.get(run_id) is process:
                del self.processes[run_id]
                self.slot_of.pop(run_id, None)
        self.fill()

    def status(self, record: dict[str, Any]) -> str:
        """Return the run's status as it is now: a run marked running whose process is gone
        (the server that watched it was stopped) is interrupted; a queued run waits."""
        status = record.get("status", "failed")
        if status in FINAL or status == "queued":
            return status
        with self.lock:
            process = self.processes.get(record.get("id", ""))
        if process is not None:
            return status if process.is_alive() or process.exitcode is None else "failed"
        return status if pid_alive(record.get("pid")) else "interrupted"

    def stop(self, run_id: str) -> str:
        """Ask a training run to stop at its next batch (it keeps a checkpoint); a waiting
        run leaves the queue at once, never started. Return the run's status now."""
        run_dir = self.space.run_dir(run_id)
        with self.lock:
            record = read_json(run_dir / RUN_JSON)
            if record.get("status") == "queued" and run_id not in self.processes:
                end_run(run_dir, "stopped")
                return "stopped"
            (run_dir / STOP_FILE).write_text("stop\n", encoding="utf-8")
            return self.status(record)

    def resume(self, run_id: str) -> None:
        """Queue a stopped, interrupted or failed run again: it continues from its
        checkpoint, or starts from the beginning when it was stopped before it began."""
        run_dir = self.space.run_dir(run_id)
        with self.lock:
            record = read_json(run_dir / RUN_JSON)
            status = self.status(record)
            if status not in RESUMABLE:
                raise Conflict(f"run {run_id!r} is {status}; only a run that is {', '.join(RESUMABLE)} "
                               "can be resumed")
            checkpoint = (run_dir / (MODEL_PART + ".checkpoint")).is_dir()
            if not checkpoint and began(run_dir):
                raise Conflict(f"run {run_id!r} has no checkpoint to resume from. help: start a new run")
            update_run(run_dir, status="queued", error=None, reason=None, resume=checkpoint,
                       queued_at=time.time(), launch=None)
        self.fill()

    def delete(self, run_id: str) -> None:
        """Remove a finished or waiting run's folder (its model, if any, stays in models/)."""
        run_dir = self.space.run_dir(run_id)
        with self.lock:
            status = self.status(read_json(run_dir / RUN_JSON))
            if run_id in self.processes or status not in (*FINAL, "queued"):
                raise Conflict(f"run {run_id!r} is still training. help: stop it first")
            shutil.rmtree(run_dir)

    def stop_all(self, wait: float = 10.0) -> None:
        """Ask every run this server started to stop (server shutdown), and wait a while.
        Waiting runs stay queued: the next studio on this workspace starts them."""
        with self.lock:
            self.closing = True
            running = dict(self.processes)
        for run_id in running:
            try:
                self.stop(run_id)
            except Exception:  # noqa: BLE001 - a run deleted meanwhile
                pass
        deadline = time.monotonic() + wait
        for process in running.values():
            process.join(max(0.0, deadline - time.monotonic()))


def began(run_dir: Path) -> bool:
    """True when the run's training has started at least once (its log has a report)."""
    return any(event.get("kind") == "begin" for event in read_events(run_dir)[0])
