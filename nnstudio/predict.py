"""A trained model ready to answer: class, confidence and probabilities for images,
vectors or training/pixel files.

``Model.prepare`` is the one path from what a user gives (image path, PIL image, 2-D
array, 5x5 list, numeric vectors) to the exact network input: images go through the
same ``prepare_image`` as the training images did, with the Preparation saved with the
model; numeric vectors are used as they are. Prediction, drawing and the studio all
call it, and ``Model.activations`` shows what each layer makes of one input.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nnstudio.data import Dataset, Preparation, prepare_image, read_pixel_file
from nnstudio.data.prepare import code_values
from nnstudio.data.strokefile import is_stroke_file, parse_strokes, read_strokes
from nnstudio.data.strokes import PathPreparation, path_sequence
from nnstudio.errors import DataError
from nnstudio.model import Network
from nnstudio.model.layout import arrange_network, training_layout
from nnstudio.store import epoch_rows, read_model_folder, save_model

log = logging.getLogger(__name__)

PREDICT_BATCH = 256


@dataclass(frozen=True)
class Prediction:
    """The answer for one input: the winning class, its probability (confidence) and the
    probabilities of all classes in class order (or the top K, highest first)."""

    input: str
    class_name: str
    index: int
    confidence: float
    probabilities: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Return {"input", "class", "confidence", "probabilities"} (JSON-ready)."""
        return {"input": self.input, "class": self.class_name, "confidence": self.confidence,
                "probabilities": dict(self.probabilities)}


@dataclass
class Model:
    """A network with what is needed to use it: its spec, class names, image preparation
    (None: the network takes numeric vectors only) and its training record."""

    spec: Any
    network: Network
    class_names: list[str]
    preparation: Any = None
    training: dict[str, Any] | None = None
    path: Path | None = field(default=None, repr=False)

    @property
    def history(self) -> list[dict[str, float]]:
        """Return the per-epoch training history saved with the model (empty if none)."""
        return epoch_rows((self.training or {}).get("history"))

    @property
    def input_size(self) -> int:
        """Return the number of values one input holds (the spec's input size)."""
        return math.prod(self.spec.input_shape)

    def predict(self, inputs: Any, top: int | None = None) -> list[Prediction]:
        """Return one Prediction per input. inputs: an image path, PIL image or 2-D array,
        a list of those, or a numeric array (N, ...) of N network-ready inputs (N, D) or
        (N, *input_shape), used as they are (uint8 ones as a Dataset's codes, code / 255;
        a 2-D array whose rows are not input-sized is one image)."""
        if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
            raise DataError(f"top must be a whole number of classes, 1 or more; got {top!r}.")
        labels, x = self._prepared(inputs)
        probs = self.probabilities(x)
        return [self._prediction(label, row, top) for label, row in zip(labels, probs)]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Return softmax probabilities (N, classes) for network-ready inputs (N, *input_shape)
        (uint8: a Dataset's codes, value code / 255)."""
        if x.dtype == np.uint8:
            x = code_values(x)
        network = self.network
        param = next(network.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        was_training = network.training
        # eval()/train() set an attribute on every submodule through nn.Module's slow
        # __setattr__: for one image that was ~15% of the call. Skip them when the network
        # is already in eval mode throughout (a loaded model is), the usual case.
        switch = was_training or any(module.training for module in network.modules())
        if switch:
            network.eval()
        try:
            with torch.inference_mode():
                x_t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device)
                out = [torch.softmax(network(xb), dim=1) for xb in x_t.split(PREDICT_BATCH)]
        finally:
            if switch:
                network.train(was_training)
        return torch.cat(out).cpu().numpy() if out else np.zeros((0, len(self.class_names)), np.float32)

    def predict_file(self, path: str | Path, top: int | None = None) -> list[Prediction]:
        """Return a Prediction per line of a pixel file or training file (class bits ignored),
        labelled 'path:line N' with lines counted from 1."""
        pixels = read_pixel_file(path, input_size=self.input_size)  # (N, D)
        if pixels.shape[1] != self.input_size:
            raise DataError(f"{path}: {pixels.shape[1]} values per line; the model takes {self.input_size}.")
        probs = self.probabilities(pixels.reshape((len(pixels),) + tuple(self.spec.input_shape)))
        return [self._prediction(f"{path}:line {i + 1}", row, top) for i, row in enumerate(probs)]

    def evaluate(self, dataset, *, batch_size: int = 256, keep_probabilities: bool = False):
        """Return the Evaluation (accuracy, loss, per-class, confusion) on dataset, whose
        classes are matched to the model's by name; with keep_probabilities, also each
        sample's class probabilities from the same pass (Evaluation.probabilities)."""
        from nnstudio.train import evaluate  # training code loads only for an evaluation

        data = self.in_model_classes(dataset)
        param = next(self.network.parameters(), None)
        device = str(param.device) if param is not None else "cpu"
        return evaluate(self.network, data, batch_size=batch_size, device=device,
                        keep_probabilities=keep_probabilities)

    def save(self, model_dir: str | Path) -> Path:
        """Write the model folder (see nnstudio.store.save_model); return its path."""
        return save_model(model_dir, self.network, class_names=self.class_names,
                          preparation=self.preparation, training=self.training)

    # ---- inputs ----------------------------------------------------------------------
    def prepare(self, inputs: Any) -> np.ndarray:
        """Return what the network receives for inputs, as float32 (N, *input_shape).

        inputs: an image path, PIL image or 2-D array (one image, prepared as in
        training), a flat list or 1-D array of input_size values, a list of any of
        those, or a numeric array (N, ...) of N network-ready inputs, used as it is.
        """
        return self._prepared(inputs)[1]

    def activations(self, input: Any) -> dict[str, Any]:
        """Return, for ONE input, what every layer outputs (JSON-ready):
        {"input": {"shape", "values"}, "layers": [{"index", "type", "name", "shape",
        "values"}, ...], "class_names": [...], "probabilities": [...]}. The last layer's
        values are the class probabilities (softmax applied); a recurrent layer's are its
        hidden state at every step, shape [steps, units]."""
        x = self._one(input)  # (*input_shape)
        layers = []
        for act in self.network.activations(x):
            layers.append({"index": act.index, "type": act.type, "name": f"{act.index} {act.type}",
                           "shape": list(act.output.shape), "values": np.round(act.output, 6).tolist()})
        probabilities = layers[-1]["values"] if layers else []
        return {"input": {"shape": list(x.shape), "values": np.round(x, 6).tolist()}, "layers": layers,
                "class_names": list(self.class_names), "probabilities": probabilities}

    def _one(self, input: Any) -> np.ndarray:
        """Return one input as (*input_shape) float32; DataError when input holds several."""
        if isinstance(input, (list, tuple)) and np.asarray(input, dtype=object).size == self.input_size:
            input = [np.asarray(input, dtype=np.float32).ravel()]  # a 5x5 list is one input
        x = self.prepare(input)
        if len(x) != 1:
            raise DataError(f"activations: expected one input, got {len(x)}.")
        return x[0]

    def _prepared(self, inputs: Any) -> tuple[list[str], np.ndarray]:
        """Return (labels, x (N, *input_shape) float32) for what prepare() accepts."""
        if isinstance(inputs, torch.Tensor):
            inputs = inputs.detach().cpu().numpy()
        if isinstance(inputs, np.ndarray) and inputs.dtype != object:
            vectors = self._as_vectors(inputs)
            if vectors is not None:
                return [f"#{i + 1}" for i in range(len(vectors))], vectors
            if inputs.ndim == 2:
                inputs = [inputs]  # one image
            else:
                raise DataError(self._shape_message(f"an array of shape {list(inputs.shape)}"))
        elif not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        labels, rows = [], []
        for i, item in enumerate(inputs):
            label = str(item) if isinstance(item, (str, Path)) else f"#{i + 1}"
            labels.append(label)
            rows.append(self._one_input(item, label))
        if not rows:
            return [], np.zeros((0,) + tuple(self.spec.input_shape), np.float32)
        return labels, np.stack(rows)

    def _one_input(self, item: Any, label: str) -> np.ndarray:
        """Return one input as (*input_shape) float32: an image prepared, a vector as is."""
        shape = tuple(self.spec.input_shape)
        if isinstance(item, (list, tuple)) or (isinstance(item, np.ndarray) and item.ndim == 1):
            vector = np.asarray(item, dtype=np.float32)
            if vector.size != self.input_size:
                raise DataError(f"input {label}: {vector.size} values; the model takes {self.input_size}.")
            return self._finite(vector, label).reshape(shape)
        if isinstance(self.preparation, PathPreparation):
            return self._one_path(item, label)
        preparation = self.image_preparation(label)
        if isinstance(item, (str, Path)) and not Path(item).is_file():
            raise DataError(f"input {label}: no such image file. help: give a PNG or JPEG file, or an "
                            f"array of {self.input_size} values.")
        try:
            image = prepare_image(item, preparation)  # (H, W)
        except DataError as err:
            raise DataError(f"input {label}: {err}") from err
        if image.size != self.input_size:
            raise DataError(f"input {label}: the prepared image has {image.size} pixels; the model takes "
                            f"{self.input_size}. The saved preparation does not fit the spec.")
        return image.reshape(shape)

    def _one_path(self, item: Any, label: str) -> np.ndarray:
        """Return one drawing (a NAME.json file or its {"strokes": ...} object) as the
        network's sequence, prepared as the training paths were."""
        prep = self.preparation
        if isinstance(item, dict):
            strokes = parse_strokes(item, f"input {label}")
        elif isinstance(item, (str, Path)) and is_stroke_file(item):
            strokes = read_strokes(item)
        else:
            raise DataError(f"input {label}: this model reads pen paths, not images. help: give a drawing file "
                            'NAME.json holding {"strokes": [[[x, y], ...], ...]}')
        try:
            x = path_sequence(strokes, prep)
        except DataError as err:
            raise DataError(f"input {label}: {err}") from err
        if x.size != self.input_size:
            raise DataError(f"input {label}: the prepared path has {x.size} values; the model takes "
                            f"{self.input_size}. The saved preparation does not fit the spec.")
        return x.reshape(tuple(self.spec.input_shape))

    def image_preparation(self, label: str = "image") -> Preparation:
        """Return how images become inputs: the saved preparation, or, for a model trained
        on numbers (a training file) whose input is a square grid, the grid taken as it
        is (scaled to the grid, no cropping). DataError when no image can feed it."""
        if self.preparation is not None:
            return self.preparation
        shape = tuple(self.spec.input_shape)
        side = math.isqrt(self.input_size)
        if len(shape) == 3 and shape[0] == 1:
            return Preparation(size=(shape[1], shape[2]), margin=0, crop=False)
        if len(shape) == 1 and side * side == self.input_size:
            return Preparation(size=(side, side), margin=0, crop=False)
        raise DataError(
            f"input {label}: this model takes numeric vectors of {self.input_size} values, not images "
            f"(its input {list(shape)} is not a square grid). help: give a pixel file or an array of "
            f"shape (N, {self.input_size}).")

    def _as_vectors(self, array: np.ndarray) -> np.ndarray | None:
        """Return array as a batch (N, *input_shape) when it is one, else None. uint8
        arrays are a Dataset's codes: value code / 255, as in training."""
        shape = tuple(self.spec.input_shape)
        if array.dtype == np.uint8 and array.ndim >= 2 and math.prod(array.shape[1:]) == self.input_size:
            return code_values(array).reshape((len(array),) + shape)
        if array.ndim >= 2 and math.prod(array.shape[1:]) == self.input_size:
            x = array.astype(np.float32).reshape((len(array),) + shape)
            return self._finite(x, "array")
        if array.ndim == 1 and array.size == self.input_size:
            return self._finite(array.astype(np.float32).reshape((1,) + shape), "#1")
        return None

    def _shape_message(self, given: str) -> str:
        shape = list(self.spec.input_shape)
        shapes = f"(N, {self.input_size})"
        if len(shape) > 1:
            shapes += f" or (N, {', '.join(map(str, shape))})"
        return (f"cannot predict from {given}; the model takes image paths, PIL images, 2-D arrays, or "
                f"numeric arrays of {self.input_size} values per input, of shape {shapes}.")

    @staticmethod
    def _finite(x: np.ndarray, label: str) -> np.ndarray:
        if not np.isfinite(x).all():
            raise DataError(f"input {label}: contains NaN or infinite values.")
        return x

    def _prediction(self, label: str, row: np.ndarray, top: int | None) -> Prediction:
        order = np.argsort(-row, kind="stable")
        best = int(order[0])
        chosen = order[:top] if top is not None else range(len(row))
        probabilities = {self.class_names[int(i)]: float(row[int(i)]) for i in chosen}
        return Prediction(label, self.class_names[best], best, float(row[best]), probabilities)

    def in_model_classes(self, dataset):
        """Return dataset relabelled to the model's class order: matched by name, or by
        position when the names differ but the counts agree (a training file without a
        '# classes:' line names its classes "1".."k")."""
        if list(dataset.class_names) == list(self.class_names):
            return dataset
        unknown = [c for c in dataset.class_names if c not in self.class_names]
        if unknown and len(dataset.class_names) == len(self.class_names):
            log.warning("dataset %r: class names %s taken in order as the model's %s", dataset.name,
                        dataset.class_names, self.class_names)
            return Dataset(dataset.x, dataset.y, list(self.class_names), dataset.name, dataset.preparation,
                           shard=dataset.shard)
        if unknown:
            raise DataError(f"dataset {dataset.name!r} has classes the model does not know: "
                            f"{', '.join(unknown[:10])}. The model knows: {', '.join(self.class_names)}.")

        mapping = np.array([self.class_names.index(c) for c in dataset.class_names], dtype=np.int64)
        return Dataset(dataset.x, mapping[dataset.y], list(self.class_names), dataset.name, dataset.preparation,
                       shard=dataset.shard)


def load(path: str | Path) -> Model:
    """Return the Model saved in the folder path. Raises ModelFileError when the folder
    is missing, damaged, unsafe or inconsistent (see nnstudio.store)."""
    saved = read_model_folder(path)
    # The layout training computes in answers faster too: on a 2-core Intel Xeon a
    # letters-cnn forward took 0.46 instead of 0.50 ms for one image and ran 1.10x faster
    # in batches of 256 (bench/layout.py). Saving still writes plain tensors (store.save_model).
    arrange_network(saved.network, training_layout(saved.network))
    return Model(spec=saved.spec, network=saved.network, class_names=saved.class_names,
                 preparation=saved.preparation, training=saved.training, path=saved.path)


load_model = load  # the name that reads best beside save_model
