"""The one drawing module that touches torch: a model's weights and activations as numpy.

Everything else in nnstudio.draw works on the NetView this module returns, so layout
code can be imported and tested without torch.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nnstudio.draw.view import NetView
from nnstudio.errors import DrawError


def network_of(model: Any) -> torch.nn.Module:
    """Return the torch module of a predict.Model (its .network) or of a model.Network itself."""
    network = getattr(model, "network", model)
    if not isinstance(network, torch.nn.Module) or not hasattr(network, "spec"):
        raise DrawError(f"cannot draw a {type(model).__name__}; allowed: a preset name, a spec "
                        "(.json, dict, Spec), a model folder, a nnstudio.predict.Model or a "
                        "nnstudio.model.Network")
    return network


def weights_of(network: torch.nn.Module) -> dict[str, np.ndarray]:
    """Return every weight tensor of `network` (state_dict keys) as a float64 numpy array."""
    return {name: tensor.detach().to("cpu", torch.float64).numpy()
            for name, tensor in network.state_dict().items() if name.endswith(".weight")}


def input_array(model: Any, image: Any) -> np.ndarray:
    """Return `image` as one network input of the spec's input_shape (float32).

    Arrays holding exactly the input's values are used as they are (already prepared:
    the 5x5 shapes, a row of a training file). Image files and PIL images go through
    the model's preparation, the same path as training and prediction.
    """
    spec = network_of(model).spec
    shape = tuple(spec.input_shape)
    count = math.prod(shape)
    if isinstance(image, (list, tuple)):
        image = np.asarray(image, dtype=np.float32)
    if isinstance(image, np.ndarray) and (image.size == count or image.ndim != 2):
        if image.size != count:
            raise DrawError(f"input of shape {list(image.shape)} holds {image.size} values; "
                            f"allowed: {count} values for input shape {list(shape)}, or a "
                            "2-D image to prepare")
        return image.astype(np.float32).reshape(shape)
    from nnstudio.data.prepare import Preparation, prepare_image

    preparation = getattr(model, "preparation", None)
    if preparation is None:
        size = (shape[1], shape[2]) if len(shape) == 3 else _square(shape[0], image)
        preparation = Preparation(size=size, margin=0, crop=False)
    if isinstance(image, (str, Path)) and not Path(image).is_file():
        raise DrawError(f"{image}: no such image file; allowed: a PNG/JPEG image or an array "
                        f"of {count} values")
    prepared = prepare_image(image, preparation)  # (H, W) in [0, 1], ink bright
    return prepared.reshape(shape).astype(np.float32)


def _square(size: int, image: Any) -> tuple[int, int]:
    side = math.isqrt(size)
    if side * side != size:
        raise DrawError(f"{image}: an image cannot feed a network with {size} inputs (not a "
                        "square picture); allowed: an array of that many values")
    return side, side


def view_of(model: Any, image: Any = None) -> NetView:
    """Return the NetView of a trained model: weights, class names, and outputs for `image`."""
    network = network_of(model)
    names = getattr(model, "class_names", None)
    outputs = None
    if image is not None:
        x = input_array(model, image)
        outputs = {-1: x.astype(np.float64)}
        for activation in network.activations(x):
            outputs[activation.index] = np.asarray(activation.output, dtype=np.float64)
    return NetView(network.spec, weights_of(network),
                   tuple(str(n) for n in names) if names is not None else None, outputs)


def load_model_view(path: Path, image: Any = None) -> NetView:
    """Return the NetView of the model saved in folder `path` (ModelFileError if it fails)."""
    from nnstudio.store import load_model

    return view_of(load_model(path), image)


def load_history(path: Path) -> list[dict]:
    """Return the per-epoch training history saved in model folder `path`."""
    from nnstudio.store import load_model

    history = load_model(path).history
    if not history:
        raise DrawError(f"{path}: the model has no training history; allowed: a model folder "
                        "written by `nnstudio train`")
    return history
