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

import logging
import math
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnstudio.data import (
    DATASET_NAMES,
    Dataset,
    load_dataset,
    write_image_folder,
    write_training_file,
)
from nnstudio.data.folders import IMAGE_SUFFIXES
from nnstudio.data.sources import TRAINING_FILE_SUFFIXES
from nnstudio.errors import DataError, NnstudioError, SpecError, TrainingError
from nnstudio.model import build_model
from nnstudio.predict import Model, Prediction, load
from nnstudio.spec import (
    LayerInfo,
    Spec,
    default_preset,
    default_spec,
    get_preset,
    infer_shapes,
    load_spec,
    preset_names,
)
from nnstudio.spec.schema import suggest
from nnstudio.store import save_model, training_record
from nnstudio.train import Evaluation, TrainConfig, fit

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
        raise DataError(
            f"dataset {name!r} is not a named dataset; allowed: {', '.join(DATASET_NAMES)}"
        )
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
) -> Dataset:
    """Load a named dataset, a folder or a training file, shaped for `spec` when given."""
    if str(source) in DATASET_NAMES:
        return load_dataset(str(source), part, per_class=per_class, seed=seed)
    if is_training_file(source):
        input_size = _input_size(spec) if spec is not None else None
        return load_dataset(source, part, input_size=input_size)
    size = _image_size(spec) if spec is not None else None
    return load_dataset(source, part, size=size, seed=seed)


def _input_size(spec: Spec) -> int:
    return math.prod(spec.input_shape)


def _image_size(spec: Spec) -> tuple[int, int] | None:
    if len(spec.input_shape) == 3:
        return (spec.input_shape[1], spec.input_shape[2])
    side = int(round(_input_size(spec) ** 0.5))
    return (side, side) if side * side == _input_size(spec) else None


# ----------------------------------------------------------------------------- spec


def choose_network(model: str | Path | dict | Spec | None, data: str | Path, *, per_class: int | None = None,
                   seed: int = 0) -> tuple[Spec, Dataset]:
    """Return (network spec, training data). A chosen network (preset, JSON file, dict,
    Spec) decides the data's image size and is checked, not changed, by the trainer;
    without one, the data are read first and the default network is fitted to them."""
    if model is not None:
        spec = load_spec(model)
        return spec, load_training_data(data, spec, per_class=per_class, seed=seed)
    source = str(data)
    sizing = None
    if not is_training_file(source):  # images: read at the size of the network they will feed
        sizing = get_preset(default_preset(source))
    dataset = load_training_data(data, sizing, per_class=per_class, seed=seed)
    return default_spec(source, dataset.input_shape, dataset.num_classes), dataset


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
    **options: Any,
) -> Model:
    """Train a network on a dataset and save it as the model folder out; return the
    saved Model.

    options are TrainConfig fields (epochs, batch_size, optimizer, lr, lr_decay, ...);
    those left as None take the network's own defaults. The checkpoint lives in
    checkpoint_dir (default: out + ".checkpoint") and is removed once the run is
    complete; a run stopped on request is saved as it is and keeps its checkpoint, so
    resume=True can finish it. Nothing is lost unasked: an existing model folder is
    replaced only with overwrite=True (files nnstudio did not write stay in it), and an
    interrupted run's checkpoint is started over only with restart=True.
    """
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else checkpoint_folder(out)
    check_nothing_lost(Path(out), folder, resume=resume, restart=restart, overwrite=overwrite)
    seed = options.get("seed")
    spec, dataset = choose_network(model, data, per_class=per_class, seed=0 if seed is None else seed)
    config = TrainConfig.from_options(spec.training, **options)
    network = build_model(spec, seed=config.seed)
    history = fit(network, dataset, config, callbacks=callbacks, checkpoint_dir=folder, resume=resume)
    record = training_record(config, history, data=str(data), samples=len(dataset))
    save_model(out, network, class_names=list(dataset.class_names), preparation=dataset.preparation,
               training=record)
    if not history.stop_requested:
        shutil.rmtree(folder, ignore_errors=True)
    log.info("saved %s", out)
    return load(out)


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
        }


def summarize(ref: str | Path) -> Summary:
    """Summary of a model folder, a spec JSON file or a preset name."""
    path = Path(ref)
    class_names = None
    if path.is_dir():
        model = load(path)
        spec, class_names = model.spec, list(model.class_names)
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
    return Summary(spec.name, tuple(spec.input_shape), infer_shapes(spec), class_names)


__all__ = [
    "NnstudioError",
    "Summary",
    "checkpoint_folder",
    "choose_network",
    "evaluate_model",
    "load_training_data",
    "make_data",
    "predict_inputs",
    "summarize",
    "train_model",
]
