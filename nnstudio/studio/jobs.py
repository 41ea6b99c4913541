"""Trainings in child processes, reported through the run's files.

Each run is a folder (see workspace.py). The child process calls
``workflows.train_model`` with a ReportLog callback that appends every report (the
callback dicts of nnstudio.train.callbacks, tagged with their kind) to events.jsonl,
and that stops the run when a stop file appears or the server that started it is
gone. The server streams the log to the page, so a reopened tab replays the run and
then follows it live; nothing is lost when the server or the tab goes away.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import secrets
import shutil
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from nnstudio.errors import one_line
from nnstudio.files import append_line
from nnstudio.studio.workspace import RUN_JSON, Conflict, Workspace, check_name, read_json, write_json

log = logging.getLogger(__name__)

EVENTS = "events.jsonl"
STOP_FILE = "stop"
MODEL_PART = "model"  # runs/ID/model while training; its checkpoint is runs/ID/model.checkpoint
FINAL = ("done", "failed", "stopped", "interrupted")
RESUMABLE = ("stopped", "interrupted", "failed")


def write_event(run_dir: Path, kind: str, logs: dict[str, Any]) -> None:
    """Append one report, tagged with its kind and time, to the run's events.jsonl."""
    append_line(run_dir / EVENTS, json.dumps({"kind": kind, "time": time.time(), **logs}))


class StopRequested(Exception):
    """Raised at the end of a stopped training, so that train_model keeps the checkpoint
    for a resume instead of saving a half-trained model."""


class ReportLog:
    """The training callback of a studio run: appends each report to events.jsonl and
    asks the run to stop when the stop file exists or the parent process has exited."""

    stop_training = False

    def __init__(self, folder: Path, parent_pid: int) -> None:
        self.folder = folder
        self.parent_pid = parent_pid
        self.reason = ""

    def write(self, kind: str, logs: dict[str, Any]) -> None:
        write_event(self.folder, kind, logs)

    def check_stop(self) -> None:
        if (self.folder / STOP_FILE).exists():
            self.stop_training, self.reason = True, "stopped"
        elif os.getppid() != self.parent_pid:
            self.stop_training, self.reason = True, "interrupted"  # the server is gone

    def on_train_begin(self, info: dict[str, Any]) -> None:
        self.write("begin", dict(info))

    def on_batch_end(self, step: int, logs: dict[str, Any]) -> None:
        self.write("batch", dict(logs))
        self.check_stop()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.write("epoch", dict(logs))
        self.check_stop()

    def on_train_end(self, logs: dict[str, Any]) -> None:
        self.write("end", dict(logs))
        if logs.get("stop_requested"):
            raise StopRequested(self.reason or "stopped")


# ----------------------------------------------------------------------------- child side


def train_in_child(folder: str, parent_pid: int, resume: bool) -> None:
    """The child process: train the run in folder, then move the model into models/."""
    from nnstudio.threads import use_threads

    run_dir = Path(folder)
    record = read_json(run_dir / RUN_JSON)
    if record.get("threads"):
        use_threads(int(record["threads"]))
    update_run(run_dir, status="running", pid=os.getpid(), error=None)
    callback = ReportLog(run_dir, parent_pid)
    try:
        from nnstudio.workflows import train_model

        train_model(record["data_path"], out=run_dir / MODEL_PART, model=record["spec"], resume=resume,
                    per_class=record.get("per_class"), callbacks=[callback], **record["options"])
    except StopRequested as stop:
        update_run(run_dir, status=str(stop), pid=None)
        return
    except Exception as error:  # noqa: BLE001 - every failure must reach the page
        log.debug("run %s failed", run_dir.name, exc_info=True)
        message = one_line(error)
        callback.write("status", {"status": "failed", "error": message})
        update_run(run_dir, status="failed", pid=None, error=message,
                   trace=traceback.format_exc(limit=8))
        return
    name = publish_model(run_dir, record)
    callback.write("status", {"status": "done", "model": name})
    update_run(run_dir, status="done", pid=None, model=name)


def publish_model(run_dir: Path, record: dict[str, Any]) -> str:
    """Rename runs/ID/model to models/NAME (NAME-2, NAME-3... when taken); return NAME."""
    models = run_dir.parent.parent / "models"
    base = record["model_name"]
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        try:
            os.rename(run_dir / MODEL_PART, models / name)  # fails when the target exists and is not empty
        except OSError:
            if (models / name).exists():
                continue
            raise
        return name
    raise Conflict(f"model name {base!r}: every variant up to {base}-999 is taken")


def update_run(run_dir: Path, **changes: Any) -> dict[str, Any]:
    """Write changes into run.json (atomically) and return the new record."""
    record = read_json(run_dir / RUN_JSON)
    record.update(changes, updated=time.time())
    write_json(run_dir / RUN_JSON, record)
    return record


# ----------------------------------------------------------------------------- server side


class JobRunner:
    """Starts runs in child processes ("spawn": a fresh interpreter, no state shared with
    the server's threads) and watches them, so that a crashed child marks its run failed."""

    def __init__(self, space: Workspace) -> None:
        self.space = space
        self.context = multiprocessing.get_context("spawn")
        self.processes: dict[str, Any] = {}
        self.lock = threading.Lock()

    def create(self, data: str, data_path: str, spec: dict[str, Any], options: dict[str, Any],
               model_name: str, threads: int | None = None, per_class: int | None = None) -> dict[str, Any]:
        """Write a new run folder (status queued), start it, and return its record."""
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
        run_dir = self.space.run_dir(run_id, must_exist=False)
        run_dir.mkdir(parents=True)
        record = {"id": run_id, "data": data, "data_path": data_path, "spec": spec, "options": options,
                  "model_name": check_name(model_name, "model"), "status": "queued", "pid": None,
                  "model": None, "error": None, "created": time.time(), "threads": threads,
                  "per_class": per_class}
        write_json(run_dir / RUN_JSON, record)
        self.start(run_id, resume=False)
        return record

    def start(self, run_id: str, *, resume: bool) -> None:
        """Start the child process of run_id and a thread that waits for it."""
        run_dir = self.space.run_dir(run_id)
        (run_dir / STOP_FILE).unlink(missing_ok=True)
        process = self.context.Process(target=train_in_child, args=(str(run_dir), os.getpid(), resume),
                                       name=f"nnstudio-run-{run_id}", daemon=False)
        with self.lock:
            process.start()
            self.processes[run_id] = process
        # The child writes its own pid and status: a write from here could race with it.
        threading.Thread(target=self.watch, args=(run_id, process), daemon=True).start()

    def watch(self, run_id: str, process: Any) -> None:
        """Wait for the child; a child that ended without a final status has crashed."""
        process.join()
        run_dir = self.space.run_dir(run_id, must_exist=False)
        record = read_json(run_dir / RUN_JSON)
        if record.get("status") not in FINAL:
            code = process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            message = f"the training process ended unexpectedly ({how}). help: resume the run from its checkpoint"
            write_event(run_dir, "status", {"status": "failed", "error": message})
            update_run(run_dir, status="failed", pid=None, error=message)
        with self.lock:
            if self.processes.get(run_id) is process:
                del self.processes[run_id]

    def status(self, record: dict[str, Any]) -> str:
        """Return the run's status as it is now: a run marked queued or running whose
        process is gone (the server that watched it was stopped) is interrupted."""
        status = record.get("status", "failed")
        if status in FINAL:
            return status
        with self.lock:
            process = self.processes.get(record.get("id", ""))
        if process is not None:
            return status if process.is_alive() or process.exitcode is None else "failed"
        return status if pid_alive(record.get("pid")) else "interrupted"

    def stop(self, run_id: str) -> None:
        """Ask a running run to stop at its next batch (it keeps a checkpoint)."""
        run_dir = self.space.run_dir(run_id)
        (run_dir / STOP_FILE).write_text("stop\n", encoding="utf-8")

    def resume(self, run_id: str) -> None:
        """Continue a stopped, interrupted or failed run from its checkpoint."""
        run_dir = self.space.run_dir(run_id)
        record = read_json(run_dir / RUN_JSON)
        status = self.status(record)
        if status not in RESUMABLE:
            raise Conflict(f"run {run_id!r} is {status}; only a run that is {', '.join(RESUMABLE)} can be resumed")
        if not (run_dir / (MODEL_PART + ".checkpoint")).is_dir():
            raise Conflict(f"run {run_id!r} has no checkpoint to resume from. help: start a new run")
        update_run(run_dir, status="queued", error=None)
        self.start(run_id, resume=True)

    def delete(self, run_id: str) -> None:
        """Remove a finished run's folder (its model, if any, stays in models/)."""
        run_dir = self.space.run_dir(run_id)
        if self.status(read_json(run_dir / RUN_JSON)) not in FINAL:
            raise Conflict(f"run {run_id!r} is still training. help: stop it first")
        shutil.rmtree(run_dir)

    def stop_all(self, wait: float = 10.0) -> None:
        """Ask every run this server started to stop (server shutdown), and wait a while."""
        with self.lock:
            running = dict(self.processes)
        for run_id in running:
            try:
                self.stop(run_id)
            except Exception:  # noqa: BLE001 - a run deleted meanwhile
                pass
        deadline = time.monotonic() + wait
        for process in running.values():
            process.join(max(0.0, deadline - time.monotonic()))


def pid_alive(pid: Any) -> bool:
    """True when a process with that id exists (and is not a zombie)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def read_events(run_dir: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Return the complete report lines of events.jsonl from byte offset on, and the
    offset after the last complete line (a line being written is read next time)."""
    try:
        with open(run_dir / EVENTS, "rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except FileNotFoundError:
        return [], offset
    end = chunk.rfind(b"\n") + 1
    events = []
    for line in chunk[:end].splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events, offset + end
