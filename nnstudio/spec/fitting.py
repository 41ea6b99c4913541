"""Choosing a network for data the user did not pick one for, and fitting it to them.

The one place that decides the default network: each built-in dataset has its preset,
image folders get the letters CNN, training files and other vectors get the MLP preset
made for their vector length (the shapes MLP for 25 values), else the letters MLP
refitted to that length. A network the user chose is never
changed here: the trainer checks it and reports a mismatch instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.spec.netspec import Spec, num_classes, with_classes, with_input_shape
from nnstudio.spec.presets import get_preset

DEFAULT_PRESETS = {"shapes": "shapes-mlp", "letters": "letters-cnn", "digits": "digits-cnn", "mnist": "mnist-cnn"}
IMAGE_PRESET = "letters-cnn"  # image folders
VECTOR_PRESET = "letters-mlp"  # training files and other flat vectors


VECTOR_PRESETS = ("shapes-mlp", "digits-mlp", "letters-mlp")


def default_preset(source: str, input_shape: Sequence[int] = ()) -> str:
    """Return the preset name for a data source: its own for a built-in dataset name,
    the MLP made for flat vectors of input_shape's length, else the image default."""
    if source in DEFAULT_PRESETS:
        return DEFAULT_PRESETS[source]
    if len(input_shape) == 1:
        for name in VECTOR_PRESETS:
            if list(get_preset(name).input_shape) == [int(input_shape[0])]:
                return name
        return VECTOR_PRESET
    return IMAGE_PRESET


def fit_spec_to_data(spec: Spec, input_shape: Sequence[int], classes: int) -> Spec:
    """Return spec with the data's input shape (for flat vectors) and one output unit
    per class; spec itself when it already fits."""
    shape = [int(d) for d in input_shape]
    if len(shape) == 1 and list(spec.input_shape) != shape:
        spec = with_input_shape(spec, shape)
    if spec.layers and spec.layers[-1]["type"] == "Dense" and num_classes(spec) != classes:
        spec = with_classes(spec, classes)
    return spec


def default_spec(source: str, input_shape: Sequence[int], classes: int) -> Spec:
    """Return the default network for data from source, fitted to its shape and classes."""
    preset = default_preset(source, input_shape)
    return fit_spec_to_data(get_preset(preset), input_shape, classes)
