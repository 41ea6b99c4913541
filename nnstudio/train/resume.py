"""A run's state as checkpoint tensors and JSON, and the way back: what makes a resumed
run end on exactly the weights of an uninterrupted one, from any batch.

With several processes, the state of each process's own draws (augmentation) and of
its share of an unfinished epoch is gathered into the checkpoint under its rank
(``rng.augment.1``, ``partial.losses.1`` ...), so that every process resumes where it
stood; everything else is the same in every process and saved once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from nnstudio.errors import TrainingError, Where
from nnstudio.model.layout import arrange_optimizer_state
from nnstudio.train import checkpoint as ckpt
from nnstudio.train.callbacks import History
from nnstudio.train.checkpoint import CheckpointMeta, EarlyStoppingState, HistoryRow

if TYPE_CHECKING:
    from nnstudio.train.loop import Run

log = logging.getLogger(__name__)


@dataclass
class RunState:
    """Everything a resume needs: named tensors, the JSON record and the epochs so far."""

    tensors: dict[str, torch.Tensor]
    meta: CheckpointMeta
    history: list[HistoryRow] = field(default_factory=list)

    def cloned(self) -> RunState:
        """A copy whose tensors do not change as training goes on. The history's rows are
        shared: an epoch's row is never changed once the epoch has ended (copying them
        at every epoch made a run of many short epochs quadratic in its epochs)."""
        return RunState({k: v.detach().clone() for k, v in self.tensors.items()}, self.meta, list(self.history))


def _ranked(name: str, rank: int) -> str:
    return name if rank == 0 else f"{name}.{rank}"


def model_tensors(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The network's state_dict within a state's tensors (their "model." names)."""
    return {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}


def run_state(run: Run) -> RunState:
    """Return the state of run at its current batch (a collective call when several
    processes train: each one must call it)."""
    tensors = {f"model.{k}": v for k, v in run.network.state_dict().items()}
    opt_tensors, opt_json = ckpt.split_state(run.optimizer.state_dict(), "optimizer")
    tensors.update(opt_tensors)
    mid_epoch = run.batch > 0
    # Mid-epoch, the generators are saved as they were at the epoch's start, so that a
    # resume draws the same permutation and augmentation and skips the batches done.
    shuffle, augment = run.epoch_rng if mid_epoch and run.epoch_rng else (run.shuffle.get_state(),
                                                                          run.augment_rng.get_state())
    tensors["rng.shuffle"] = shuffle
    tensors["rng.torch"] = torch.get_rng_state()
    if run.device.type == "cuda":
        tensors["rng.cuda"] = torch.cuda.get_rng_state(run.device)
    own = {"rng.augment": augment}
    if mid_epoch:
        own["partial.losses"] = torch.stack(run.losses) if run.losses else torch.zeros(0)
        own["partial.correct"] = torch.stack(run.corrects).sum().reshape(1).cpu() + run.correct_before \
            if run.corrects else torch.tensor([run.correct_before], dtype=torch.int64)
    for name, tensor in own.items():
        for rank, part in enumerate(run.placement.gather(tensor)):
            tensors[_ranked(name, rank)] = part
    stopping: EarlyStoppingState | None = None
    if run.stopper is not None:
        stopping = run.stopper.state_dict()
        tensors.update({f"best.{k}": v for k, v in (run.stopper.best_weights or {}).items()})
    meta: CheckpointMeta = {
        "epoch": run.epoch - 1, "batch": run.batch,
        "seconds_in_epoch": run.seconds_before if mid_epoch else 0.0,
        "config": run.config.to_dict(), "finished": run.finished,
        "best_epoch": run.history.best_epoch, "stopped_early": run.history.stopped_early,
        "optimizer": opt_json, "scheduler": run.scheduler.state_dict() if run.scheduler else None,
        "early_stopping": stopping,
        "data": {"samples": len(run.train_ids), "validation_samples": len(run.val_ids),
                 "processes": run.placement.world}}
    return RunState(tensors, meta, list(run.history))  # rows shared: see RunState.cloned


def restore_run(run: Run) -> None:
    """Put run back where the checkpoint in run.folder left it."""
    if run.folder is None:
        raise TrainingError("resume=True needs a checkpoint_dir to resume from.")
    record, tensors = ckpt.load_checkpoint(run.folder)
    where = Path(run.folder) / ckpt.CHECKPOINT_JSON
    check_compatible(run, record, where)
    model = model_tensors(tensors)
    try:
        run.network.load_state_dict(model)
        run.optimizer.load_state_dict(ckpt.join_state_dict(record["optimizer"], tensors))
        arrange_optimizer_state(run.optimizer)  # the checkpoint holds them plain
        if run.scheduler is not None and record["scheduler"] is not None:
            run.scheduler.load_state_dict(record["scheduler"])
            if run.config.lr_decay == "cosine":
                run.scheduler.T_max = run.config.epochs  # type: ignore[attr-defined]  # the run may be longer
    except (RuntimeError, KeyError, ValueError) as err:
        raise TrainingError(f"{where}: the checkpoint does not fit this network and options ({err}).") from err
    rank = run.placement.rank
    run.shuffle.set_state(tensors["rng.shuffle"])
    run.augment_rng.set_state(tensors[_ranked("rng.augment", rank)])
    torch.set_rng_state(tensors["rng.torch"])
    if run.device.type == "cuda" and "rng.cuda" in tensors:
        torch.cuda.set_rng_state(tensors["rng.cuda"], run.device)
    stopping = record.get("early_stopping")
    if run.stopper is not None and stopping:
        best = {k[len("best."):]: v.to(run.device) for k, v in tensors.items() if k.startswith("best.")}
        run.stopper.load_state_dict(stopping, best or None)
    run.history = History(record["history"], best_epoch=record.get("best_epoch"),
                          stopped_early=bool(record.get("stopped_early")))
    run.epoch, run.batch = int(record["epoch"]) + 1, int(record.get("batch", 0))
    run.finished = bool(record.get("finished"))
    run.saved_at = (run.epoch, run.batch)
    if run.batch:
        run.epoch_rng = (tensors["rng.shuffle"], tensors[_ranked("rng.augment", rank)])
        run.losses = [t.to(run.device) for t in tensors[_ranked("partial.losses", rank)].unbind()]
        run.corrects = []
        run.correct_before = int(tensors[_ranked("partial.correct", rank)][0])
        run.seconds_before = float(record.get("seconds_in_epoch", 0.0))


def check_compatible(run: Run, record: ckpt.CheckpointRecord, where: Path) -> None:
    """TrainingError when the checkpoint was made with other data, options or process
    count that a resume cannot change; a warning for options it can."""
    saved = record.get("config", {})
    data = record.get("data", {})
    if data.get("samples") != len(run.train_ids) or data.get("validation_samples") != len(run.val_ids):
        raise TrainingError(
            f"{where}: the checkpoint was trained on {data.get('samples')} + {data.get('validation_samples')} "
            f"validation samples, this data gives {len(run.train_ids)} + {len(run.val_ids)}.",
            worded=True, given=[len(run.train_ids), len(run.val_ids)],
            allowed=f"{data.get('samples')} + {data.get('validation_samples')}",
            hint="resume with the same data and validation fraction, or start afresh.")
    processes = int(data.get("processes", 1))
    if processes != run.placement.world:
        raise TrainingError(
            f"{where}: the checkpoint was made by {processes} training process(es), this run has "
            f"{run.placement.world}.", worded=True, given=run.placement.world, allowed=str(processes),
            hint=f"resume with the same number of processes (--nproc {processes}).")
    for key in ("optimizer", "batch_size", "lr_decay", "augment"):
        if saved.get(key, "none" if key == "augment" else None) != getattr(run.config, key):
            raise TrainingError(f"{where}: the checkpoint used {key}={saved.get(key)!r}, now "
                                f"{getattr(run.config, key)!r}.", where=Where(option=key), worded=True,
                                given=getattr(run.config, key), allowed=repr(saved.get(key)),
                                hint=f"resume with the same {key}.")
    changed = [k for k, v in run.config.to_dict().items() if k not in ("epochs", "device") and saved.get(k) != v]
    if changed:
        log.warning("%s: resuming with changed options %s", where, ", ".join(changed))
