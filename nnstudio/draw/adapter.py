"""The one drawing module that touches torch: a model's weights and activations as numpy.

Everything else in nnstudio.draw works on the NetView this module returns, so layout
code can be imported and tested without torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from nnstudio.draw.view import NetView
from nnstudio.errors import DrawError


def network_of(model: Any) -> Any:
    """Return the torch module of a predict.Model (its .network) or a model.Network itself
    (any module that carries a spec, so wrappers draw too)."""
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


def model_of(model: Any) -> Any:
    """Return model as a nnstudio.predict.Model (a bare Network gets one with numbered
    classes and no saved preparation), so every input goes through Model.prepare."""
    from nnstudio.predict import Model

    if isinstance(model, Model):
        return model
    network = network_of(model)
    from nnstudio.spec import num_classes

    names = [f"y{i + 1}" for i in range(num_classes(network.spec))]
    return Model(spec=network.spec, network=network, class_names=names)


def input_array(model: Any, image: Any) -> np.ndarray:
    """Return image as one network input of the spec's input_shape (float32), exactly as
    prediction prepares it (Model.prepare): arrays of the input's size are used as they
    are, images go through the model's preparation."""
    model = model_of(model)
    if isinstance(image, np.ndarray) and image.shape == tuple(model.spec.input_shape):
        image = image[None]  # one input of exactly the input shape, e.g. a (steps, features) sequence
    prepared = model.prepare(_as_one(image))  # DataError for a bad input, as in predict
    if len(prepared) != 1:
        raise DrawError(f"expected one input to draw, got {len(prepared)}")
    return prepared[0]


def _as_one(image: Any) -> Any:
    """A nested list (a 5x5 grid) is one input, not a list of rows."""
    if isinstance(image, (list, tuple)):
        return [np.asarray(image, dtype=np.float32).ravel()]
    return image


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
    from nnstudio.predict import load

    return view_of(load(path), image)


def load_history(path: Path) -> list[dict]:
    """Return the per-epoch training history saved in model folder `path`."""
    from nnstudio.predict import load

    history = load(path).history
    if not history:
        raise DrawError(f"{path}: the model has no training history; allowed: a model folder "
                        "written by `nnstudio train`")
    return history
