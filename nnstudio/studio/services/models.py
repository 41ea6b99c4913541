"""Saved models in the workspace: list, describe, install from a zip, delete; predict
and show activations for one input; draw the network and its training; the mistakes
on a dataset; the folder as a zip and the model as ONNX. Each is one call of the
library on a loaded Model. Plain arguments in, plain data out: no HTTP here."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.errors import DataError
from nnstudio.spec import count_params, load_spec
from nnstudio.store import MODEL_JSON, epoch_rows
from nnstudio.studio.archive import install_zip, zip_model
from nnstudio.studio.given import Drawing, Terms
from nnstudio.studio.services.datasets import folder_stamp
from nnstudio.studio.services.designs import summary
from nnstudio.studio.state import StudioState
from nnstudio.studio.workspace import check_name, read_json

MISTAKES_PER_CELL = 6


def list_models(state: StudioState) -> list[dict[str, Any]]:
    """Return every model folder in the workspace, newest first: network, data, classes,
    parameters, last accuracy, date and epochs (read from model.json, no weights)."""
    items = [describe(folder) for folder in state.space.models.iterdir()
             if not folder.name.startswith(".") and (folder / MODEL_JSON).is_file()]
    items.sort(key=lambda item: (-(item["created"] or 0), item["name"]))
    return items


def describe(folder: Path) -> dict[str, Any]:
    """Return one model's line in the list; a damaged model.json shows with its error."""
    record = read_json(folder / MODEL_JSON)
    spec: dict[str, Any] = record["spec"] if isinstance(record.get("spec"), dict) else {}
    training: dict[str, Any] = record["training"] if isinstance(record.get("training"), dict) else {}
    history = epoch_rows(training.get("history"))
    last = history[-1] if history and isinstance(history[-1], dict) else {}
    item: dict[str, Any] = {"name": folder.name, "network": spec.get("name"), "data": data_name(training.get("data")),
                            "classes": record.get("class_names") or [], "input_shape": spec.get("input_shape"),
                            "params": None, "accuracy": last.get("val_accuracy", last.get("accuracy")),
                            "created": (folder / MODEL_JSON).stat().st_mtime,
                            "epochs": len(history) if history else None,
                            "input_kind": input_kind(record.get("preparation"))}
    try:
        item["params"] = count_params(load_spec(spec))
    except Exception as error:  # noqa: BLE001 - a damaged folder is listed, so it can be deleted
        item["error"] = " ".join(str(error).split()) or "model.json cannot be read"
    return item


def data_name(data: Any) -> str | None:
    """Return what a model was trained on, as the user named it (a folder's name)."""
    if not isinstance(data, str):
        return None
    return data if "/" not in data and "\\" not in data else Path(data).name


def upload_model(state: StudioState, data: bytes, name: str | None = None) -> str:
    """Install a model zip: checked entry by entry, read as a model folder (never
    unpickled), then renamed into models/; return its name (Conflict when taken)."""
    if name is not None:
        check_name(name, "model")
    installed = install_zip(state.space, data, name)
    state.models.forget(installed)
    return installed


def model_detail(state: StudioState, name: str) -> dict[str, Any]:
    """Return one model: spec, class names, input shape, image preparation, what it reads
    (input_kind), training record (with the per-epoch history) and the layer summary."""
    model = state.models.get(name)
    preparation = model.preparation.to_dict() if model.preparation is not None else None
    return {"name": name, "spec": model.spec.to_dict(), "class_names": list(model.class_names),
            "input_shape": list(model.spec.input_shape), "preparation": preparation,
            "input_kind": input_kind(model.preparation),
            "training": {**(model.training or {}), "history": model.history}, "summary": summary(model.spec)}


def delete_model(state: StudioState, name: str) -> None:
    """Delete a model folder (a link the user made is removed, not what it points to)."""
    folder = state.space.model_dir(name)
    if folder.is_symlink():
        folder.unlink()  # a link the user made: the folder it points to is not ours to delete
    else:
        shutil.rmtree(folder)
    state.models.forget(name)


def input_kind(preparation: Any) -> str:
    """Return what a model reads, from its saved preparation (an object or its dict):
    "strokes" (pen paths), "sequence" (integer sequences), "image" or "numbers"."""
    record = preparation if isinstance(preparation, dict) else {} if preparation is None else preparation.to_dict()
    kind = record.get("kind")
    if kind in ("strokes", "sequence"):
        return str(kind)
    return "numbers" if preparation is None else "image"


def network_input(model: Any, given: Any) -> Any:
    """Return the request's input as Model.prepare takes it: an image as it is; JSON
    numbers of the input's size (a 5x5 grid for 25 inputs) as one input vector; a
    drawing's strokes as a drawing file holds them; a sequence's terms prepared as
    `nnstudio predict` prepares them. DataError when the model reads something else."""
    kind = input_kind(model.preparation)
    if isinstance(given, Terms):
        if kind != "sequence":
            raise DataError("this model does not read a sequence of numbers", given=given.values,
                            allowed=READS[kind], hint="choose a model trained on the sequences data")
        prep = model.preparation
        if len(given.values) > prep.steps:
            raise DataError(f"{len(given.values)} terms; allowed: at most {prep.steps} for this model",
                            given=given.values)
        return prep.inputs([given.values])[0]  # (1, steps, features)
    if kind == "sequence":
        raise DataError("this model continues integer sequences; it does not read images or drawings",
                        allowed=READS[kind])
    if isinstance(given, Drawing):
        if kind != "strokes":
            raise DataError("this model does not read pen strokes", allowed=READS[kind],
                            hint="choose a model trained on pen paths, e.g. the letter-paths-gru preset")
        return given.as_input()
    if isinstance(given, np.ndarray) and given.size == model.input_size:
        return [given.ravel()]
    return given


READS = {"strokes": 'pen strokes, {"strokes": [[[x, y], ...], ...]}', "sequence": 'integer sequences, '
         '{"sequence": [2, 4, 6, 8]}', "image": "images (PNG) or numbers of its input size",
         "numbers": "numbers of its input size"}


def shown(x: np.ndarray, digits: int = 6) -> list[Any]:
    """Return one prepared input as nested lists the page draws: (1, H, W) and square
    vectors as [H][W] grids, other vectors as they are."""
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    elif x.ndim == 1 and math.isqrt(x.size) ** 2 == x.size:
        x = x.reshape(math.isqrt(x.size), -1)
    return np.round(x, digits).tolist()


def prediction(state: StudioState, name: str, given: Any) -> dict[str, Any]:
    """Return the probabilities of every class for one input (a decoded image, numbers or
    a drawing's strokes), highest first, and the input exactly as the network receives it
    (Model.prepare); for a sequence model, the next term of the given terms."""
    model = state.models.get(name)
    x = model.prepare(network_input(model, given))  # (1, *input_shape)
    if len(x) != 1:
        raise DataError(f"expected one input, got {len(x)}")
    if isinstance(given, Terms):
        return next_term(model, given.values, x)
    row = model.probabilities(x)[0]
    order = np.argsort(-row, kind="stable")
    predictions = [{"class": model.class_names[int(i)], "probability": float(row[int(i)])} for i in order]
    return {"predictions": predictions, "class": predictions[0]["class"],
            "confidence": predictions[0]["probability"], "prepared": shown(x[0], 4),
            "input_shape": list(model.spec.input_shape), "kind": input_kind(model.preparation)}


def next_term(model: Any, terms: list[int], x: np.ndarray) -> dict[str, Any]:
    """Return the next term of terms as `nnstudio predict MODEL "2 4 6 8"` prints it."""
    from nnstudio.train.sequences import predict_next

    value = predict_next(model.network, model.preparation, [terms])[0]
    return {"kind": "sequence", "input": terms, "next": int(np.rint(value)), "prepared": shown(x[0], 4),
            "input_shape": list(model.spec.input_shape)}


def activations(state: StudioState, name: str, given: Any) -> Any:
    """Return every layer's output for one input (Model.activations); the last holds the probabilities."""
    model = state.models.get(name)
    return model.activations(network_input(model, given))


def network_svg(state: StudioState, name: str, style: str = "auto", given: Any = None) -> str:
    """Return the network drawn with its trained weights, lit with what each layer makes
    of one input when one is given."""
    from nnstudio.draw import draw_network

    model = state.models.get(name)
    if given is None:
        return draw_network(model, style)
    return draw_network(model, style, input=network_input(model, given))


def history_svg(state: StudioState, name: str) -> str:
    """Return the training curves (loss and accuracy per epoch, overfitting marked)."""
    from nnstudio.draw import draw_history

    return draw_history(state.models.get(name).history)


def mistakes(state: StudioState, name: str, data: str, part: str = "test",
             limit: int = MISTAKES_PER_CELL) -> dict[str, Any]:
    """Return the model's accuracy, loss and confusion matrix on a dataset, and up to limit
    misclassified samples per cell with what the network received."""
    model = state.models.get(name)
    dataset = model.in_model_classes(evaluation_data(state, data, part, model.spec))
    evaluation = model.evaluate(dataset, keep_probabilities=True)  # one forward pass for all of it
    probabilities = evaluation.probabilities  # (N, classes)
    assert probabilities is not None  # asked for above; narrows the type
    predicted = probabilities.argmax(axis=1)
    truth = dataset.y
    shape = tuple(model.spec.input_shape)  # one input as the network receives it
    found: list[dict[str, Any]] = []
    per_cell: dict[tuple[int, int], int] = {}
    for i in np.flatnonzero(predicted != truth):
        cell = (int(truth[i]), int(predicted[i]))
        if per_cell.get(cell, 0) >= limit:
            continue
        per_cell[cell] = per_cell.get(cell, 0) + 1
        # prepared: 3 digits draw the same picture, in half the JSON of a big confusion matrix.
        found.append({"true": model.class_names[cell[0]], "predicted": model.class_names[cell[1]],
                      "confidence": float(probabilities[i, cell[1]]), "index": int(i),
                      "prepared": shown(dataset.floats([i]).reshape(shape), digits=3)})
    return {"data": data, "part": part, "samples": evaluation.samples, "accuracy": evaluation.accuracy,
            "loss": evaluation.loss, "classes": list(model.class_names), "confusion": evaluation.confusion,
            "per_class": evaluation.per_class, "mistakes": found}


def evaluation_data(state: StudioState, data: str, part: str, spec: Any) -> Any:
    """Return the dataset to evaluate on, loaded once per (data, part, input shape):
    letters take seconds to draw. A workspace dataset is read again when it changed."""
    from nnstudio.workflows import load_training_data

    if state.space.is_builtin(data):
        source: str | Path = data
        stamp: Any = None
    else:
        source = state.space.dataset_dir(data)
        stamp = folder_stamp(source)
    key = ("evaluation", data, part, tuple(spec.input_shape), stamp)
    cached = state.caches.get(key)
    if cached is None:
        cached = load_training_data(source, spec, part=part)
        for old in [k for k in list(state.caches) if k[:3] == key[:3] and k != key]:
            state.caches.pop(old, None)  # an older version of the same workspace dataset
        state.caches[key] = cached
    return cached


def model_zip(state: StudioState, name: str) -> bytes:
    """Return the model folder as a zip (the files nnstudio writes, no links)."""
    return zip_model(state.space.model_dir(name))


def model_onnx(state: StudioState, name: str) -> bytes:
    """Return the model as an ONNX file: input (N, *input_shape) prepared, output softmax
    probabilities. Exported on demand; the model folder is not touched."""
    from nnstudio.export import onnx_bytes

    return onnx_bytes(state.models.get(name))
