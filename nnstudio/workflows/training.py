"""Training jobs: choose the network, plan the run, train and save, keep nothing lost."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nnstudio.data import DATASET_NAMES, Dataset
from nnstudio.data.folders import find_images, native_size
from nnstudio.errors import TrainingError, Where
from nnstudio.model import build_model
from nnstudio.predict import Model, load
from nnstudio.spec import Spec, load_spec
from nnstudio.spec.fitting import choose_default_network, image_size
from nnstudio.store import save_model, training_record
from nnstudio.train import TrainConfig, fit
from nnstudio.train.budget import DECIDED, TIME_BUDGET_SECONDS, fit_training, measure_step_seconds
from nnstudio.train.callbacks import DivergenceWatch, TimeLimit, call
from nnstudio.train.checkpoint import CHECKPOINT_SECONDS, has_checkpoint
from nnstudio.train.placement import Placement, restart_count
from nnstudio.train.plan import TrainingPlan
from nnstudio.train.tensors import check_classes
from nnstudio.workflows.data import read_data_and_skipped

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- spec


def choose_network(model: str | Path | dict | Spec | None, data: str | Path, *, per_class: int | None = None,
                   seed: int = 0, skip_bad: bool = False) -> tuple[Spec, Dataset]:
    """Return (network spec, training data). A chosen network (preset, JSON file, dict,
    Spec) decides the data's image size and is checked, not changed, by the trainer;
    without one, the default network is fitted to the data (see spec.fitting)."""
    pick = _pick_network(model, data, per_class=per_class, seed=seed, skip_bad=skip_bad)
    return pick[0], pick[2]


def _pick_network(model: str | Path | dict | Spec | None, data: str | Path, *, per_class: int | None,
                  seed: int, skip_bad: bool,
                  shard: tuple[int, int] | None = None) -> tuple[Spec, str, Dataset, list[str]]:
    """Return (spec, why this network, data, images left out); with shard = (rank, world)
    the data are that process's shard (an image folder opens only its own images)."""
    if model is not None:
        spec = load_spec(model)
        dataset, skipped = read_data_and_skipped(data, spec, per_class=per_class, seed=seed, skip_bad=skip_bad,
                                                 shard=shard)
        return spec, "your choice", dataset, skipped
    source = str(data)
    size = None
    if Path(source).is_dir() and source not in DATASET_NAMES:
        size = folder_default_size(source, per_class)[0]
    dataset, skipped = read_data_and_skipped(data, None, per_class=per_class, seed=seed, skip_bad=skip_bad, size=size,
                                             shard=shard)
    choice = choose_default_network(source, dataset.input_shape, dataset.num_classes, len(dataset))
    return choice.spec, choice.reason, dataset, skipped


def folder_default_size(folder: str | Path, per_class: int | None = None) -> tuple[tuple[int, int], int, int]:
    """Return (the size an image folder's images are read at for its default network,
    how many images it trains on, its classes). The size depends on how many images
    there are (spec.fitting.image_size), so they are counted first: file names and
    image headers only, no pixels."""
    names, items = find_images(folder)  # DataError when a class has no image yet
    count = len(items) if per_class is None else min(len(items), per_class * len(names))
    return image_size(count, native_size([path for path, _ in items])), count, len(names)


def plan_training(data: str | Path, *, model: str | Path | dict | Spec | None = None,
                  per_class: int | None = None, skip_bad: bool = False,
                  measure: bool = True, placement: Placement | None = None,
                  **options: Any) -> tuple[TrainingPlan, Any]:
    """Return (the TrainingPlan, the network built for it): the network (chosen or fitted
    to the data), the data as it will see them, and every training option with where its
    value comes from. Options that neither the caller nor the network sets are fitted to
    the data (see train.budget); measure=False leaves out the time cap (which times one
    step on the device that trains, so that a slow machine trains fewer epochs). With
    several processes (placement), each one times its share of a batch and all take the
    first one's figure, so that every process plans the same run."""
    place = placement if placement is not None else Placement.single("cpu")
    seed = options.get("seed")
    # Several processes: each holds the pixels of its own samples only (all the labels).
    shard = (place.rank, place.world) if place.world > 1 else None
    spec, reason, dataset, skipped = _pick_network(model, data, per_class=per_class,
                                                   seed=0 if seed is None else seed, skip_bad=skip_bad, shard=shard)
    check_classes(spec, dataset)  # before a plan is shown for a network that cannot train
    first = TrainConfig.from_options(spec.training, **options)  # checks the options before any work
    network = build_model(spec, seed=first.seed)

    def step_seconds(batch_size: int) -> float:
        share = max(-(-batch_size // place.world), 1)
        seconds = measure_step_seconds(network, tuple(spec.input_shape), dataset.num_classes, share,
                                       first.optimizer, device=place.device)
        return place.main_value(seconds)

    budget = fit_training(options, spec.training, dataset.class_counts(), step_seconds if measure else None)
    config = TrainConfig.from_options(spec.training, **{**budget.options,
                                                         **{k: v for k, v in options.items() if v is not None}})
    given = tuple(k for k, v in options.items() if v is not None)
    plan = TrainingPlan(spec, dataset, config, reason, budget.reasons, skipped, given)
    return plan, network


# ----------------------------------------------------------------------------- train


def checkpoint_folder(out: str | Path) -> Path:
    """Return where training into model folder out keeps its checkpoint."""
    out = Path(out)
    return out.with_name(out.name + ".checkpoint")


def train_model(
    data: str | Path,
    *,
    out: str | Path,
    model: str | Path | dict | Spec | None = None,
    per_class: int | None = None,
    resume: bool = False,
    restart: bool = False,
    overwrite: bool = False,
    callbacks: Sequence[Any] = (),
    checkpoint_dir: str | Path | None = None,
    skip_bad: bool = False,
    placement: Placement | None = None,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
    **options: Any,
) -> Model:
    """Train a network on a dataset and save it as the model folder out; return the
    saved Model.

    options are TrainConfig fields (epochs, batch_size, optimizer, lr, lr_decay, ...);
    those left as None take the network's own, else are fitted to the data (a budget
    of optimizer steps and seconds, see train.budget). Callbacks with an on_plan(plan)
    method get the TrainingPlan before training starts; a loss that grows far above
    an untrained network's is logged as a warning naming the learning rate. skip_bad
    leaves a folder's unreadable images out (listed in the record's "skipped"). The checkpoint lives in
    checkpoint_dir (default: out + ".checkpoint") and is removed once the run is
    complete; a run stopped on request is saved as it is and keeps its checkpoint, so
    resume=True can finish it. Nothing is lost unasked: an existing model folder is
    replaced only with overwrite=True (files nnstudio did not write stay in it), and an
    interrupted run's checkpoint is started over only with restart=True.

    Under torchrun (or with placement), each process trains its share of every batch;
    only the first one writes the checkpoint and the model folder. Workers that torchrun
    restarts after a failure resume from the run's checkpoint.
    """
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else checkpoint_folder(out)
    place = placement if placement is not None else Placement.from_environment(options.get("device") or "auto")
    try:
        return _train_placed(data, Path(out), folder, place, model=model, per_class=per_class, resume=resume,
                             restart=restart, overwrite=overwrite, callbacks=callbacks, skip_bad=skip_bad,
                             checkpoint_seconds=checkpoint_seconds, **options)
    finally:
        if placement is None:
            place.close()


def _train_placed(data: str | Path, out: Path, folder: Path, place: Placement, *, model: Any, per_class: int | None,
                  resume: bool, restart: bool, overwrite: bool, callbacks: Sequence[Any], skip_bad: bool,
                  checkpoint_seconds: float, **options: Any) -> Model:
    if restart_count() > 0 and has_checkpoint(folder):
        resume, restart = True, False  # torchrun restarted the workers: go on from the checkpoint
    check_nothing_lost(out, folder, resume=resume, restart=restart, overwrite=overwrite)
    place.barrier()  # every process has looked before the first one clears anything
    inherited = _options_of_checkpoint(folder) if resume else {}  # the run goes on as it began
    inherited = {k: v for k, v in inherited.items() if options.get(k) is None}
    plan, network = plan_training(data, model=model, per_class=per_class, skip_bad=skip_bad,
                                  measure=not resume, placement=place, **{**options, **inherited})
    plan.given = tuple(k for k in plan.given if k not in inherited)
    plan.reasons.update({k: "as the interrupted run began" for k in inherited})
    callbacks = list(callbacks) if place.is_main else []
    call(callbacks, "on_plan", plan)
    config, dataset = plan.config, plan.dataset
    internal: list[Any] = [DivergenceWatch(dataset.num_classes)]
    if "epochs" in plan.reasons and "epochs" not in inherited:  # fitted to a time budget: hold it
        internal.append(TimeLimit(TIME_BUDGET_SECONDS))
    history = fit(network, dataset, config, callbacks=[*internal, *callbacks], checkpoint_dir=folder,
                  resume=resume, placement=place, checkpoint_seconds=checkpoint_seconds)
    record = training_record(config, history, data=str(data), samples=len(dataset))
    if place.world > 1:
        record["processes"] = place.world
    if plan.skipped:
        record["skipped"] = list(plan.skipped)
    if not place.is_main:  # the first process writes; the others hold the same weights
        place.barrier()
        return Model(plan.spec, network, list(dataset.class_names), dataset.preparation, record)
    save_model(out, network, class_names=list(dataset.class_names), preparation=dataset.preparation,
               training=record)
    if not history.stop_requested:
        shutil.rmtree(folder, ignore_errors=True)
    log.info("saved %s", out)
    place.barrier()
    return load(out)


def _options_of_checkpoint(folder: Path) -> dict[str, Any]:
    """Return the data-fitted options an interrupted run in folder was started with
    (none when there is no readable checkpoint: fit then says what is wrong)."""
    try:
        saved = json.loads((folder / "checkpoint.json").read_text(encoding="utf-8")).get("config", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {key: saved[key] for key in DECIDED if isinstance(saved, dict) and key in saved}


def check_nothing_lost(out: Path, checkpoint: Path, *, resume: bool, restart: bool, overwrite: bool) -> None:
    """TrainingError when training into out would replace a model or drop an
    interrupted run's checkpoint that the caller did not say to give up."""
    if resume and restart:
        raise TrainingError("resume and restart exclude each other.", where=Where(option="restart"),
                            worded=True, given=True, hint="choose one (--resume or --restart).")
    if not resume and not restart and (checkpoint / "checkpoint.json").is_file():
        raise TrainingError(f"holds the checkpoint of an interrupted run into {out}.",
                            where=Where(file=str(checkpoint)),
                            hint="resume it (resume, --resume) or start over and delete it (restart, --restart).")
    if not resume and not overwrite and (out / "model.json").is_file():
        raise TrainingError("holds a trained model already.", where=Where(file=str(out)),
                            hint="replace it (overwrite, --overwrite; other files in the folder are kept), "
                                 "or choose another out folder.")
