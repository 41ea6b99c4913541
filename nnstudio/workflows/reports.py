"""What a saved model says: its evaluation, a test report, predictions, a summary."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.data.folders import IMAGE_SUFFIXES
from nnstudio.errors import DataError, SpecError
from nnstudio.predict import Prediction, load
from nnstudio.spec import LayerInfo, infer_shapes, load_spec, preset_names
from nnstudio.spec.schema import suggest
from nnstudio.train import Evaluation, TrainConfig
from nnstudio.workflows.data import is_training_file, load_training_data

# ----------------------------------------------------------------------------- test / predict


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
    # uint8 codes or float32 as the dataset holds them: the report converts the few it draws.
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
