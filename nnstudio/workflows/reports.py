"""What a saved model says: its evaluation, a test report, predictions (its summary: workflows.summary)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from nnstudio.data.folders import IMAGE_SUFFIXES
from nnstudio.errors import DataError
from nnstudio.predict import Model, Prediction, load
from nnstudio.train import Evaluation
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


def predict_inputs(model_dir: str | Path | Model, inputs: Iterable[str | Path], *,
                   top: int | None = None) -> list[Prediction]:
    """Predict every input: images one by one (every image of a folder), training or
    pixel files line by line. model_dir: a model folder, or a Model loaded from one."""
    model = model_dir if isinstance(model_dir, Model) else load(model_dir)
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
