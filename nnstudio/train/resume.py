"""A run's state as checkpoint tensors and JSON, and the way back: what makes a resumed
run end on exactly the weights of an uninterrupted one, from any batch."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from nnstudio.errors import TrainingError
from nnstudio.train import checkpoint as ckpt
from nnstudio.train.callbacks import History

log = logging.getLogger(__name__)


def run_state(run: Any, clone: bool = False) -> tuple[dict[str, torch.Tensor], dict[str, Any], list[dict[str, Any]]]:
    """Return (tensors, meta, history rows) of run at its current batch. clone=True
    copies the tensors, for a state kept in memory while training goes on."""
    tensors = {f"model.{k}": v for k, v in run.network.state_dict().items()}
    opt_tensors, opt_json = ckpt.split_state(run.optimizer.state_dict(), "optimizer")
    tensors.update(opt_tensors)
    mid_epoch = run.batch > 0
    # Mid-epoch, the generators are saved as they were at the epoch's start, so that a
    # resume draws the same permutation and augmentation and skips the batches done.
    shuffle, augment = run.epoch_rng if mid_epoch else (run.shuffle.get_state(), run.augment_rng.get_state())
    tensors["rng.shuffle"], tensors["rng.augment"] = shuffle, augment
    tensors["rng.torch"] = torch.get_rng_state()
    if run.device.type == "cuda":
        tensors["rng.cuda"] = torch.cuda.get_rng_state(run.device)
    stopping = None
    if run.stopper is not None:
        stopping = run.stopper.state_dict()
        tensors.update({f"best.{k}": v for k, v in (run.stopper.best_weights or {}).items()})
    if mid_epoch:
        tensors["partial.losses"] = torch.stack(run.losses)
        size = run.config.batch_size
        start = run.batch - len(run.outputs)
        correct = run.correct_before
        if run.outputs:
            labels = run.y_epoch[start * size:run.batch * size]
            correct += int((torch.cat(run.outputs).argmax(dim=1) == labels).sum())
        tensors["partial.correct"] = torch.tensor([correct], dtype=torch.int64)
    if clone:
        tensors = {k: v.detach().clone() for k, v in tensors.items()}
    meta = {"epoch": run.epoch - 1, "batch": run.batch, "seconds_in_epoch": run.seconds_before if mid_epoch else 0.0,
            "config": run.config.to_dict(), "finished": run.finished,
            "best_epoch": run.history.best_epoch, "stopped_early": run.history.stopped_early,
            "optimizer": opt_json, "scheduler": run.scheduler.state_dict() if run.scheduler else None,
            "early_stopping": stopping, "data": {"samples": len(run.y), "validation_samples": len(run.val_y)}}
    return tensors, meta, [dict(e) for e in run.history]


def restore_run(run: Any) -> None:
    """Put run back where the checkpoint in run.folder left it."""
    record, tensors = ckpt.load_checkpoint(run.folder)
    where = Path(run.folder) / ckpt.CHECKPOINT_JSON
    check_compatible(run, record, where)
    model = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        run.network.load_state_dict(model)
        run.optimizer.load_state_dict(ckpt.join_state(record["optimizer"], tensors))
        if run.scheduler is not None and record["scheduler"] is not None:
            run.scheduler.load_state_dict(record["scheduler"])
            if run.config.lr_decay == "cosine":
                run.scheduler.T_max = run.config.epochs  # the run may have been extended
    except (RuntimeError, KeyError, ValueError) as err:
        raise TrainingError(f"{where}: the checkpoint does not fit this network and options ({err}).") from err
    run.shuffle.set_state(tensors["rng.shuffle"])
    run.augment_rng.set_state(tensors["rng.augment"])
    torch.set_rng_state(tensors["rng.torch"])
    if run.device.type == "cuda" and "rng.cuda" in tensors:
        torch.cuda.set_rng_state(tensors["rng.cuda"], run.device)
    if run.stopper is not None and record.get("early_stopping"):
        best = {k[len("best."):]: v.to(run.device) for k, v in tensors.items() if k.startswith("best.")}
        run.stopper.load_state_dict(dict(record["early_stopping"]), best or None)
    run.history = History(record["history"], best_epoch=record.get("best_epoch"),
                          stopped_early=bool(record.get("stopped_early")))
    run.epoch, run.batch = int(record["epoch"]) + 1, int(record.get("batch", 0))
    run.finished = bool(record.get("finished"))
    run.saved_at = (run.epoch, run.batch)
    if run.batch:
        run.epoch_rng = (tensors["rng.shuffle"], tensors["rng.augment"])
        run.losses = [t.to(run.device) for t in tensors["partial.losses"].unbind()]
        run.outputs = []
        run.correct_before = int(tensors["partial.correct"][0])
        run.seconds_before = float(record.get("seconds_in_epoch", 0.0))


def check_compatible(run: Any, record: dict[str, Any], where: Path) -> None:
    """TrainingError when the checkpoint was made with other data or options that a
    resume cannot change; a warning for options it can."""
    saved = record.get("config", {})
    data = record.get("data", {})
    if data.get("samples") != len(run.y) or data.get("validation_samples") != len(run.val_y):
        raise TrainingError(
            f"{where}: the checkpoint was trained on {data.get('samples')} + {data.get('validation_samples')} "
            f"validation samples, this data gives {len(run.y)} + {len(run.val_y)}. "
            "help: resume with the same data and validation fraction, or start afresh.")
    for key in ("optimizer", "batch_size", "lr_decay", "augment"):
        if saved.get(key, "none" if key == "augment" else None) != getattr(run.config, key):
            raise TrainingError(f"{where}: the checkpoint used {key}={saved.get(key)!r}, now "
                                f"{getattr(run.config, key)!r}. help: resume with the same {key}.")
    changed = [k for k, v in run.config.to_dict().items() if k != "epochs" and saved.get(k) != v]
    if changed:
        log.warning("%s: resuming with changed options %s", where, ", ".join(changed))
