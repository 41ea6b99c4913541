"""Whole jobs, from names and paths to results: one function per CLI verb.

The CLI only parses options, calls one of these and prints what comes back, so a user
can script exactly what the shell does:

    >>> import nnstudio
    >>> model = nnstudio.train_model("shapes", out="runs/shapes")
    >>> nnstudio.load("runs/shapes").predict([nnstudio.data.BROKEN_SQUARE])[0].class_name
    'square'
"""

from __future__ import annotations

import logging
import math
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
from nnstudio.data.sources import TRAINING_FILE_SUFFIXES
from nnstudio.errors import DataError, NnstudioError, SpecError
from nnstudio.spec import (
    DEFAULT_PRESETS,
    LayerInfo,
    Spec,
    get_preset,
    infer_shapes,
    load_spec,
    preset_names,
    with_classes,
    with_input_shape,
)

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
            raise DataError(f"--out {out}: folder {out.parent} does not exist")
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


def resolve_spec(model: str | Path | dict | Spec | None, data: str | Path) -> Spec:
    """The network to train: `model` (preset, JSON file, dict) or the data's default."""
    if model is not None:
        return load_spec(model)
    data_text = str(data)
    if data_text in DEFAULT_PRESETS:
        return get_preset(DEFAULT_PRESETS[data_text])
    if is_training_file(data_text):
        return get_preset("shapes-mlp")  # refitted to the file's sizes in fit_spec_to_data
    return get_preset("letters-cnn")


def fit_spec_to_data(spec: Spec, dataset: Dataset, *, adapt: bool) -> Spec:
    """Make a default network fit a user's data (input size, class count).

    Only defaults are adapted (`adapt=True`); a network the user chose is checked by
    the trainer instead, so a mismatch is reported rather than silently changed.
    """
    if not adapt:
        return spec
    if dataset.x.ndim == 2 and _input_size(spec) != dataset.x.shape[1]:
        spec = with_input_shape(get_preset("letters-mlp"), [int(dataset.x.shape[1])])
    if spec.layers and _output_units(spec) != dataset.num_classes:
        spec = with_classes(spec, dataset.num_classes)
    return spec


def _output_units(spec: Spec) -> int:
    return int(spec.layers[-1].get("units", -1)) if spec.layers[-1]["type"] == "Dense" else -1


# ----------------------------------------------------------------------------- train


def train_model(
    data: str | Path,
    *,
    out: str | Path,
    model: str | Path | dict | Spec | None = None,
    per_class: int | None = None,
    resume: bool = False,
    callbacks: Sequence[Any] = (),
    **options: Any,
):
    """Train a network on a dataset and save it as a model folder.

    `options` are TrainConfig fields (epochs, batch_size, optimizer, lr, lr_decay, ...);
    those left as None take the network's own defaults. Returns the loaded Model.
    """
    from nnstudio.store import save_model
    from nnstudio.store import load_model
    from nnstudio.model import build_model
    from nnstudio.train import TrainConfig, fit

    spec = resolve_spec(model, data)
    config = TrainConfig.from_options(spec.training, **options)
    # A default network is refitted to a training file's sizes, so the file's own
    # layout decides them; a chosen network dictates the pixel count per line.
    sizing = None if model is None and is_training_file(data) else spec
    dataset = load_training_data(data, sizing, per_class=per_class, seed=config.seed)
    spec = fit_spec_to_data(spec, dataset, adapt=model is None)
    network = build_model(spec, seed=config.seed)
    out = Path(out)
    checkpoint_dir = out.with_name(out.name + ".checkpoint")
    history = fit(
        network,
        dataset,
        config,
        callbacks=callbacks,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
    )
    save_model(
        out,
        network,
        class_names=list(dataset.class_names),
        preparation=dataset.preparation,
        training={
            "data": str(data),
            "samples": len(dataset),
            "config": config.to_dict(),
            "history": list(history),
        },
    )
    _remove_tree(checkpoint_dir)
    log.info("saved %s", out)
    return load_model(out)


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# ----------------------------------------------------------------------------- test / predict


def test_model(model_dir: str | Path, data: str | Path, *, part: str = "test"):
    """Evaluate a saved model on a named dataset's test part, a folder or a training file."""
    from nnstudio.store import load_model

    model = load_model(model_dir)
    # Model.evaluate matches the data's classes to the model's by name.
    return model.evaluate(load_training_data(data, model.spec, part=part))


test_model.__test__ = False  # not a pytest test, despite its name


def predict_inputs(model_dir: str | Path, inputs: Iterable[str | Path], *, top: int | None = None):
    """Predict every input: images one by one, training or pixel files line by line."""
    from nnstudio.store import load_model

    model = load_model(model_dir)
    predictions = []
    images: list[str] = []
    for item in inputs:
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
        from nnstudio.store import load_model

        model = load_model(path)
        spec, class_names = model.spec, list(model.class_names)
    else:
        try:
            spec = load_spec(ref)
        except SpecError as error:
            if not path.exists() and str(ref) not in preset_names():
                raise SpecError(
                    f"{ref}: not a model folder, a spec file or a preset; "
                    f"presets: {', '.join(preset_names())}"
                ) from error
            raise
    return Summary(spec.name, tuple(spec.input_shape), infer_shapes(spec), class_names)


__all__ = [
    "NnstudioError",
    "Summary",
    "fit_spec_to_data",
    "load_training_data",
    "make_data",
    "predict_inputs",
    "resolve_spec",
    "summarize",
    "test_model",
    "train_model",
]
