"""The child side of a training: the process that trains one run, reporting through its files.

Each run is a folder (see workspace.py); runner.py decides when its process starts.
The child process calls ``workflows.train_model`` with a ReportLog callback that
appends every report (the plan, then the callback dicts of nnstudio.train.callbacks,
tagged with their kind) to events.jsonl, and that stops the run when a stop file
appears, the server that started it is gone, or the training diverges. The server
streams the log to the page, so a reopened tab replays the run and then follows it
live; nothing is lost when the server or the tab goes away.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import traceback
from pathlib import Path
from typing import Any

from nnstudio.errors import one_line
from nnstudio.files import append_line
from nnstudio.studio.workspace import RUN_JSON, Conflict, read_json, write_json

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
    for a resume instead of saving a half-trained model. status is the run's status
    after it ("stopped", "interrupted", "failed"); error says why when it failed."""

    def __init__(self, status: str, error: str | None = None, reason: str | None = None) -> None:
        super().__init__(status)
        self.status, self.error, self.reason = status, error, reason


class CaughtWarnings(logging.Filter):
    """A filter that keeps the messages of the records it sees and drops the records."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.messages.append(record.getMessage())
        return False


class ReportLog:
    """The training callback of a studio run: appends each report to events.jsonl and
    asks the run to stop when the stop file exists, the parent process has exited, or
    the training diverges (a loss far above an untrained network's: the library's own
    DivergenceWatch decides, and its warning becomes the run's error)."""

    stop_training = False

    def __init__(self, folder: Path, parent_pid: int) -> None:
        self.folder = folder
        self.parent_pid = parent_pid
        self.stop: StopRequested | None = None
        self.watch: Any = None  # a train.callbacks.DivergenceWatch once the plan is known
        self.diverged = ""  # the watch's warning, once an epoch diverged

    def write(self, kind: str, logs: dict[str, Any]) -> None:
        write_event(self.folder, kind, logs)

    def check_stop(self) -> None:
        if self.stop is not None:
            return
        if (self.folder / STOP_FILE).exists():
            self.stop = StopRequested("stopped")
        elif os.getppid() != self.parent_pid:
            self.stop = StopRequested("interrupted")  # the server is gone
        self.stop_training = self.stop is not None

    def on_plan(self, plan: Any) -> None:
        """The options the run trains with, after the data-fitted defaults: the "plan" event."""
        self.write("plan", {"config": plan.config.to_dict(), "learning_rate": plan.config.learning_rate,
                            "reasons": dict(plan.reasons),
                            "given": list(plan.given), "lines": plan.lines()})
        from nnstudio.train.callbacks import DivergenceWatch  # the child imports torch anyway

        self.watch = DivergenceWatch(plan.dataset.num_classes)

    def on_train_begin(self, info: dict[str, Any]) -> None:
        self.write("begin", dict(info))
        if self.watch is not None:
            self.watch.on_train_begin(info)

    def on_batch_end(self, step: int, logs: dict[str, Any]) -> None:
        self.write("batch", dict(logs))
        self.check_stop()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.write("epoch", dict(logs))
        self.check_diverged(epoch, logs)
        self.check_stop()

    def check_diverged(self, epoch: int, logs: dict[str, Any]) -> None:
        """Note the warning the library logs for a diverging epoch (the trainer's own watch
        has logged it already; this copy's is caught, not logged twice). Whether the run
        failed is decided at its end: a small set can spike for an epoch and recover."""
        if self.watch is None or self.watch.warned:
            return
        caught = CaughtWarnings()
        logger = logging.getLogger("nnstudio.train")
        logger.addFilter(caught)
        try:
            self.watch.on_epoch_end(epoch, logs)
        finally:
            logger.removeFilter(caught)
        if self.watch.warned:
            self.diverged = caught.messages[-1] if caught.messages else f"epoch {epoch}: the loss is diverging"

    def still_diverged(self, logs: dict[str, Any]) -> bool:
        """True when the watch warned and the last epoch's loss is still far above an
        untrained network's."""
        from nnstudio.train.callbacks import DIVERGENCE_FACTOR

        last = logs.get("last") or {}
        loss = float(last.get("loss", math.nan))
        return bool(self.diverged) and self.watch is not None and not loss <= DIVERGENCE_FACTOR * self.watch.start

    def on_train_end(self, logs: dict[str, Any]) -> None:
        self.write("end", dict(logs))
        if logs.get("stop_requested"):
            raise self.stop or StopRequested("stopped")
        if self.still_diverged(logs):
            loss = float(logs["last"]["loss"])
            raise StopRequested("failed", f"{self.diverged} It ended at loss {loss:.3g}; its model was not saved.",
                                "diverged")


# ----------------------------------------------------------------------------- child side


def train_in_child(folder: str, parent_pid: int) -> None:
    """The child process: train the run in folder (continuing its checkpoint when run.json
    says resume), then move the model into models/."""
    from nnstudio.threads import use_threads

    run_dir = Path(folder)
    record = read_json(run_dir / RUN_JSON)
    if record.get("threads"):
        use_threads(int(record["threads"]))
    update_run(run_dir, status="running", pid=os.getpid(), error=None, reason=None)
    callback = ReportLog(run_dir, parent_pid)
    options = dict(record["options"])
    if record.get("device"):
        options["device"] = record["device"]  # the GPU the queue placed this run on
    try:
        from nnstudio.workflows import train_model

        train_model(record["data_path"], out=run_dir / MODEL_PART, model=record["spec"],
                    resume=bool(record.get("resume")), per_class=record.get("per_class"), callbacks=[callback],
                    **options)
    except StopRequested as stop:
        end_run(run_dir, stop.status, error=stop.error, reason=stop.reason)
        return
    except Exception as error:  # noqa: BLE001 - every failure must reach the page
        log.debug("run %s failed", run_dir.name, exc_info=True)
        end_run(run_dir, "failed", error=one_line(error), reason=failure_reason(error),
                trace=traceback.format_exc(limit=8))
        return
    name = publish_model(run_dir, record)
    callback.write("status", {"status": "done", "model": name})
    update_run(run_dir, status="done", pid=None, model=name)


def failure_reason(error: Exception) -> str:
    """Return a failure's short reason for the run's row: "diverged" for a loss that
    became NaN or infinite, "error" for anything else."""
    from nnstudio.errors import DivergenceError

    return "diverged" if isinstance(error, DivergenceError) else "error"


def end_run(run_dir: Path, status: str, *, error: str | None = None, reason: str | None = None,
            **more: Any) -> None:
    """Record how a run ended: a "status" event for the page, then run.json."""
    event: dict[str, Any] = {"status": status}
    if error:
        event.update(error=error, reason=reason)
    write_event(run_dir, "status", event)
    update_run(run_dir, status=status, pid=None, error=error, reason=reason, **more)


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
