"""Whole jobs, from names and paths to results: one function per CLI verb.

The CLI and the studio only parse options, call one of these and show what comes back,
so a user can script exactly what the shell does:

    >>> import nnstudio
    >>> from nnstudio.workflows import train_model
    >>> model = train_model("shapes", out="runs/shapes")
    >>> nnstudio.load("runs/shapes").predict([nnstudio.data.BROKEN_SQUARE])[0].class_name
    'square'
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.data import (
    DATASET_NAMES,
    Dataset,
    load_dataset,
    write_image_folder,
    write_training_file,
)
from nnstudio.data.dataset import take_per_class
from nnstudio.data.folders import IMAGE_SUFFIXES, find_images, native_size, read_folder
from nnstudio.data.sources import TRAINING_FILE_SUFFIXES
from nnstudio.errors import DataError, NnstudioError, SpecError, TrainingError
from nnstudio.model import build_model
from nnstudio.predict import Model, Prediction, load
from nnstudio.spec import (
    LayerInfo,
    Spec,
    infer_shapes,
    load_spec,
    preset_names,
)
from nnstudio.spec.fitting import choose_default_network, image_size
from nnstudio.spec.schema import suggest
from nnstudio.store import save_model, training_record
from nnstudio.train import Evaluation, TrainConfig, fit
from nnstudio.train.budget import DECIDED, TIME_BUDGET_SECONDS, fit_training, measure_step_seconds
from nnstudio.train.callbacks import DivergenceWatch, TimeLimit, call
from nnstudio.train.plan import TrainingPlan
from nnstudio.train.tensors import check_classes

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- data


def make_data(
    name: str,
    out: str | Path,
    *,
    part: str = "train",
    per_class: int | None = None,
    size: int | None = None,
    seed: int = 0,
) -> tuple[Path, Dataset]:
    """Write a named dataset as PNGs in class folders, or as a course-format training
    file when `out` ends in .dat or .txt. Returns the path written and the dataset."""
    if name not in DATASET_NAMES:
        hint = suggest(name, DATASET_NAMES)
        raise DataError(f"dataset {name!r} is not a named dataset; allowed: {', '.join(DATASET_NAMES)}"
                        + (f". help: did you mean {hint!r}?" if hint else ""))
    hw = (size, size) if size is not None else None
    dataset = load_dataset(name, part, per_class=per_class, seed=seed, size=hw)
    out = Path(out)
    if out.suffix.lower() in TRAINING_FILE_SUFFIXES:
        if not out.parent.exists():
            raise DataError(f"out {out}: folder {out.parent} does not exist")
        write_training_file(out, dataset)
    else:
        write_image_folder(out, dataset)
    return out, dataset


def is_training_file(source: str | Path) -> bool:
    return Path(source).suffix.lower() in TRAINING_FILE_SUFFIXES


def load_training_data(
    source: str | Path,
    spec: Spec | None,
    *,
    part: str = "train",
    per_class: int | None = None,
    seed: int = 0,
    skip_bad: bool = False,
) -> Dataset:
    """Load a named dataset, a folder or a training file, shaped for `spec` when given.
    With skip_bad, a folder's unreadable or blank images are left out instead of refused."""
    return _read_data(source, spec, part=part, per_class=per_class, seed=seed, skip_bad=skip_bad)[0]


def _read_data(source: str | Path, spec: Spec | None, *, part: str = "train", per_class: int | None = None,
               seed: int = 0, skip_bad: bool = False,
               size: tuple[int, int] | None = None) -> tuple[Dataset, list[str]]:
    """Return (the data, the images left out as "path: why")."""
    if str(source) in DATASET_NAMES:
        return load_dataset(str(source), part, per_class=per_class, seed=seed), []
    if not Path(source).exists():
        raise _missing_data(str(source))
    if is_training_file(source):
        input_size = _input_size(spec) if spec is not None else None
        return load_dataset(source, part, input_size=input_size, per_class=per_class), []
    if spec is not None:
        size = _image_size(spec)
    if Path(source).is_dir():
        dataset, skipped = read_folder(source, size=size, skip_bad=skip_bad)
        return take_per_class(dataset, per_class), skipped
    if not Path(source).exists():
        raise _missing_data(str(source))
    return load_dataset(source, part, size=size, seed=seed), []  # says what is wrong with source


def _missing_data(source: str) -> DataError:
    """The error for data that is neither a file, a folder nor a built-in name, with the
    closest built-in name or neighbouring file as a "did you mean"."""
    parent = Path(source).parent
    near = [str(parent / p.name) if str(parent) != "." else p.name
            for p in (parent.iterdir() if parent.is_dir() else []) if not p.name.startswith(".")]
    hint = suggest(source, list(DATASET_NAMES) + sorted(near))
    return DataError(f"{source}: no such file or folder, and not a built-in dataset; built-in: "
                     f"{', '.join(DATASET_NAMES)}" + (f". help: did you mean {hint!r}?" if hint else ""))


def _input_size(spec: Spec) -> int:
    return math.prod(spec.input_shape)


def _image_size(spec: Spec) -> tuple[int, int] | None:
    if len(spec.input_shape) == 3:
        return (spec.input_shape[1], spec.input_shape[2])
    side = int(round(_input_size(spec) ** 0.5))
    return (side, side) if side * side == _input_size(spec) else None


# ----------------------------------------------------------------------------- spec


def choose_network(model: str | Path | dict | Spec | None, data: str | Path, *, per_class: int | None = None,
                   seed: int = 0, skip_bad: bool = False) -> tuple[Spec, Dataset]:
    """Return (network spec, training data). A chosen network (preset, JSON file, dict,
    Spec) decides the data's image size and is checked, not changed, by the trainer;
    without one, the default network is fitted to the data (see spec.fitting)."""
    pick = _pick_network(model, data, per_class=per_class, seed=seed, skip_bad=skip_bad)
    return pick[0], pick[2]


def _pick_network(model: str | Path | dict | Spec | None, data: str | Path, *, per_class: int | None,
                  seed: int, skip_bad: bool) -> tuple[Spec, str, Dataset, list[str]]:
    """Return (spec, why this network, data, images left out)."""
    if model is not None:
        spec = load_spec(model)
        dataset, skipped = _read_data(data, spec, per_class=per_class, seed=seed, skip_bad=skip_bad)
        return spec, "your choice", dataset, skipped
    source = str(data)
    size = None
    if Path(source).is_dir() and source not in DATASET_NAMES:
        # Images are read at the size of the network they will feed, which depends on
        # how many there are: count them first (file names only).
        names, items = find_images(source)
        count = len(items) if per_class is None else min(len(items), per_class * len(names))
        size = image_size(count, native_size([path for path, _ in items]))
    dataset, skipped = _read_data(data, None, per_class=per_class, seed=seed, skip_bad=skip_bad, size=size)
    choice = choose_default_network(source, dataset.input_shape, dataset.num_classes, len(dataset))
    return choice.spec, choice.reason, dataset, skipped


def plan_training(data: str | Path, *, model: str | Path | dict | Spec | None = None,
                  per_class: int | None = None, skip_bad: bool = False,
                  measure: bool = True, **options: Any) -> tuple[TrainingPlan, Any]:
    """Return (the TrainingPlan, the network built for it): the network (chosen or fitted
    to the data), the data as it will see them, and every training option with where its
    value comes from. Options that neither the caller nor the network sets are fitted to
    the data (see train.budget); measure=False leaves out the time cap (which times one
    step, so that a slow machine trains fewer epochs)."""
    seed = options.get("seed")
    spec, reason, dataset, skipped = _pick_network(model, data, per_class=per_class,
                                                   seed=0 if seed is None else seed, skip_bad=skip_bad)
    check_classes(spec, dataset)  # before a plan is shown for a network that cannot train
    first = TrainConfig.from_options(spec.training, **options)  # checks the options before any work
    network = build_model(spec, seed=first.seed)

    def step_seconds(batch_size: int) -> float:
        return measure_step_seconds(network, tuple(spec.input_shape), dataset.num_classes, batch_size,
                                    first.optimizer)

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
    """
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else checkpoint_folder(out)
    check_nothing_lost(Path(out), folder, resume=resume, restart=restart, overwrite=overwrite)
    inherited = _options_of_checkpoint(folder) if resume else {}  # the run goes on as it began
    inherited = {k: v for k, v in inherited.items() if options.get(k) is None}
    plan, network = plan_training(data, model=model, per_class=per_class, skip_bad=skip_bad,
                                  measure=not resume, **{**options, **inherited})
    plan.given = tuple(k for k in plan.given if k not in inherited)
    plan.reasons.update({k: "as the interrupted run began" for k in inherited})
    call(list(callbacks), "on_plan", plan)
    config, dataset = plan.config, plan.dataset
    internal: list[Any] = [DivergenceWatch(dataset.num_classes)]
    if "epochs" in plan.reasons and "epochs" not in inherited:  # fitted to a time budget: hold it
        internal.append(TimeLimit(TIME_BUDGET_SECONDS))
    history = fit(network, dataset, config, callbacks=[*internal, *callbacks], checkpoint_dir=folder,
                  resume=resume)
    record = training_record(config, history, data=str(data), samples=len(dataset))
    if plan.skipped:
        record["skipped"] = list(plan.skipped)
    save_model(out, network, class_names=list(dataset.class_names), preparation=dataset.preparation,
               training=record)
    if not history.stop_requested:
        shutil.rmtree(folder, ignore_errors=True)
    log.info("saved %s", out)
    return load(out)


def _options_of_checkpoint(folder: Path) -> dict[str, Any]:
    """Return the data-fitted options an interrupted run in folder was started with
    (none when there is no readable checkpoint: fit then says what is wrong)."""
    try:
        saved = json.loads((folder / "checkpoint.json").read_text(encoding="utf-8")).get("config", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {key: saved[key] for key in DECIDED if isinstance(saved, dict) and key in saved}


# ----------------------------------------------------------------------------- test / predict


def check_nothing_lost(out: Path, checkpoint: Path, *, resume: bool, restart: bool, overwrite: bool) -> None:
    """TrainingError when training into out would replace a model or drop an
    interrupted run's checkpoint that the caller did not say to give up."""
    if resume and restart:
        raise TrainingError("resume and restart exclude each other. help: choose one (--resume or --restart).")
    if not resume and not restart and (checkpoint / "checkpoint.json").is_file():
        raise TrainingError(f"{checkpoint}: holds the checkpoint of an interrupted run into {out}. help: resume "
                            "it (resume, --resume) or start over and delete it (restart, --restart).")
    if not resume and not overwrite and (out / "model.json").is_file():
        raise TrainingError(f"{out}: holds a trained model already. help: replace it (overwrite, --overwrite; "
                            "other files in the folder are kept), or choose another out folder.")


def evaluate_model(model_dir: str | Path, data: str | Path, *, part: str = "test") -> Evaluation:
    """Evaluate a saved model on a named dataset's test part, a folder or a training file."""
    model = load(model_dir)
    # Model.evaluate matches the data's classes to the model's by name.
    return model.evaluate(load_training_data(data, model.spec, part=part))


def test_report(model_dir: str | Path, data: str | Path, *, part: str = "test") -> tuple[Evaluation, str]:
    """Return (the Evaluation, SVG text of its confusion matrix beside the misclassified
    inputs with their answers and true classes)."""
    from nnstudio.draw.evaluation import draw_test_report

    model = load(model_dir)
    dataset = model.in_model_classes(load_training_data(data, model.spec, part=part))
    evaluation = model.evaluate(dataset, keep_probabilities=True)  # one forward pass for both
    probabilities = evaluation.probabilities
    assert probabilities is not None  # asked for above
    images = dataset.x[:, 0] if dataset.x.ndim == 4 and dataset.x.shape[1] == 1 else dataset.x
    side = math.isqrt(images.shape[1]) if images.ndim == 2 else 0
    if images.ndim == 2:  # vectors: square ones are pixel grids, others have no picture
        images = images.reshape(len(images), side, side) if side * side == images.shape[1] else None
    title = (f"{Path(model_dir).name} on {Path(str(data)).name}: accuracy {evaluation.accuracy:.2%} "
             f"of {evaluation.samples}")
    svg = draw_test_report(evaluation.confusion, evaluation.class_names, title=title, images=images,
                           true=dataset.y.tolist(), predicted=probabilities.argmax(axis=1).tolist(),
                           confidence=probabilities.max(axis=1).tolist() if len(probabilities) else [])
    return evaluation, svg


def predict_inputs(model_dir: str | Path, inputs: Iterable[str | Path], *,
                   top: int | None = None) -> list[Prediction]:
    """Predict every input: images one by one (every image of a folder), training or
    pixel files line by line."""
    model = load(model_dir)
    predictions: list[Prediction] = []
    images: list[str] = []
    for item in _expand_folders(inputs):
        path = Path(item)
        if not path.exists():
            raise DataError(f"input {item}: no such file")
        if is_training_file(path):
            if images:
                predictions.extend(model.predict(images, top=top))
                images = []
            predictions.extend(model.predict_file(path, top=top))
        else:
            images.append(str(path))
    if images:
        predictions.extend(model.predict(images, top=top))
    return predictions


def _expand_folders(inputs: Iterable[str | Path]) -> list[str]:
    """Return inputs with every folder replaced by the images it holds (sorted)."""
    items: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise DataError(f"input {item}: a folder with no images ({', '.join(IMAGE_SUFFIXES)}).")
            items.extend(str(p) for p in found)
        else:
            items.append(str(item))
    return items


# ----------------------------------------------------------------------------- summary


@dataclass
class Summary:
    """A network's layers with output shapes and parameter counts."""

    name: str
    input_shape: tuple[int, ...]
    layers: list[LayerInfo]
    class_names: list[str] | None = None
    training: dict[str, Any] = field(default_factory=dict)  # the network's options, or a model's as trained
    spec: dict[str, Any] = field(default_factory=dict)  # the network as spec JSON

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "layers": [
                {
                    "index": layer.index,
                    "type": layer.type,
                    "output_shape": list(layer.output_shape),
                    "params": layer.params,
                }
                for layer in self.layers
            ],
            "total_params": self.total_params,
            "class_names": self.class_names,
            "training": self.training,
        }


def summarize(ref: str | Path) -> Summary:
    """Summary of a model folder, a spec JSON file or a preset name."""
    path = Path(ref)
    class_names = None
    if path.is_dir():
        model = load(path)
        spec, class_names = model.spec, list(model.class_names)
        config = (model.training or {}).get("config") or spec.training
        defaults = TrainConfig().to_dict()
        training = {k: v for k, v in config.items() if v is not None and k in _SHOWN_OPTIONS
                    and (k in _SHOWN_OPTIONS[:5] or v != defaults.get(k))}
    else:
        try:
            spec = load_spec(ref)
        except SpecError as error:
            if not path.exists() and str(ref) not in preset_names():
                hint = suggest(str(ref), preset_names())
                raise SpecError(
                    f"{ref}: not a model folder, a spec file or a preset; "
                    f"presets: {', '.join(preset_names())}" + (f". help: did you mean {hint!r}?" if hint else "")
                ) from error
            raise
        training = dict(spec.training)
    return Summary(spec.name, tuple(spec.input_shape), infer_shapes(spec), class_names, training, spec.to_dict())


# The options a trained model's summary shows (the rest are rarely changed).
_SHOWN_OPTIONS = ("optimizer", "lr", "epochs", "batch_size", "validation", "patience", "lr_decay", "momentum",
                  "weight_decay", "clip_norm", "label_smoothing", "augment")


__all__ = [
    "NnstudioError",
    "Summary",
    "checkpoint_folder",
    "choose_network",
    "evaluate_model",
    "load_training_data",
    "make_data",
    "plan_training",
    "predict_inputs",
    "summarize",
    "test_report",
    "train_model",
]
