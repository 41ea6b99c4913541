"""Choosing a network for data the user did not pick one for, and fitting it to them.

The one place that decides the default network:
- a built-in dataset gets its own preset, tuned for it (bench/ACCURACY.md);
- an image folder of SMALL_DATA images or more gets the letters CNN at 50x50; a smaller
  one gets a small CNN read at 32x32 (or the images' own size when smaller): a network
  of some hundred thousand weights overfits 60 images, and a small input keeps each
  step cheap, so the steps that a small set needs fit in seconds;
- images smaller than MIN_CNN_SIDE are flat grids: a small MLP on their pixels;
- training files and other vectors get the MLP preset made for their length (the
  shapes MLP for 25 values), else a small MLP for small data or the letters MLP refitted.
A network the user chose is never changed here: the trainer checks it and reports a
mismatch instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nnstudio.spec.netspec import Spec, num_classes, with_classes, with_input_shape
from nnstudio.spec.presets import conv_bn_relu, get_preset
from nnstudio.spec.shapes import count_params

DEFAULT_PRESETS = {"shapes": "shapes-mlp", "letters": "letters-cnn", "digits": "digits-cnn", "mnist": "mnist-cnn",
                   "letter-paths": "letter-paths-gru"}
IMAGE_PRESET = "letters-cnn"  # image folders of SMALL_DATA images or more
VECTOR_PRESET = "letters-mlp"  # training files and other flat vectors, SMALL_DATA lines or more
VECTOR_PRESETS = ("shapes-mlp", "digits-mlp", "letters-mlp")

SMALL_DATA = 2000  # fewer samples than this get a small network
SMALL_SIDE = 32  # the side small image sets are read at
MIN_CNN_SIDE = 12  # smaller images are flat grids for an MLP
# Options the presets' training sections tuned for their own data; a preset refitted to
# other data loses them, so the training budget decides them instead.
TUNED_FOR_DATA = ("epochs", "batch_size", "validation", "patience")


@dataclass(frozen=True)
class NetworkChoice:
    """The default network for some data, and why it was chosen (one line)."""

    spec: Spec
    reason: str

    @property
    def params(self) -> int:
        return count_params(self.spec)


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


def image_size(samples: int, native: tuple[int, int]) -> tuple[int, int]:
    """Return the size an image folder of `samples` images is read at for its default
    network; native is the images' own size (H, W), or the folder default when they differ."""
    if samples >= SMALL_DATA:
        h, w = get_preset(IMAGE_PRESET).input_shape[1:]
        return (int(h), int(w))
    if max(native) <= SMALL_SIDE:
        return native
    return (SMALL_SIDE, SMALL_SIDE)


def choose_default_network(source: str, input_shape: Sequence[int], classes: int,
                           samples: int | None = None) -> NetworkChoice:
    """Return the default network for data from source with input_shape, classes and
    samples (None: as many as a big set), with the reason for the choice."""
    shape = [int(d) for d in input_shape]
    many = samples is None or samples >= SMALL_DATA
    size = f"{samples} samples" if samples is not None else "the data"
    if source in DEFAULT_PRESETS:
        spec = fit_spec_to_data(get_preset(DEFAULT_PRESETS[source]), shape, classes)
        return NetworkChoice(spec, f"the preset made for the {source} dataset")
    if len(shape) == 3 and min(shape[1:]) >= MIN_CNN_SIDE:
        if many:
            return NetworkChoice(fit_spec_to_data(get_preset(IMAGE_PRESET), shape, classes),
                                 f"{size}: enough for the letters CNN")
        return NetworkChoice(small_cnn(shape, classes),
                             f"{size}, fewer than {SMALL_DATA:,}: a small CNN, which a few images can train")
    if len(shape) == 3:
        return NetworkChoice(small_mlp(shape, classes),
                             f"{shape[1]}x{shape[2]} images are small grids: an MLP on their pixels")
    preset = default_preset(source, shape)
    if list(get_preset(preset).input_shape) == shape:
        return NetworkChoice(fit_spec_to_data(get_preset(preset), shape, classes),
                             f"the preset made for vectors of {shape[0]} values")
    if not many:
        return NetworkChoice(small_mlp(shape, classes), f"{size}, fewer than {SMALL_DATA:,}: a small MLP")
    return NetworkChoice(fit_spec_to_data(get_preset(preset), shape, classes),
                         f"{size}: the {preset} preset, refitted to {shape[0]} values")


def small_cnn(input_shape: Sequence[int], classes: int) -> Spec:
    """Return the CNN for small image sets: the letters CNN's design (3x3 and 5x5 patches,
    stride 2 halving the maps while channels grow, batch normalization before relu,
    dropout in the one hidden Dense layer), with fewer channels and units."""
    layers: list[dict] = []
    side = min(int(d) for d in input_shape[1:])
    for filters, kernel in ((16, 5), (32, 3), (64, 3)):
        if side < 4 and layers:
            break
        layers += conv_bn_relu(filters, kernel, 2)
        side = math.ceil(side / 2)
    layers += [{"type": "Flatten"}, {"type": "Dense", "units": 64, "activation": "relu"},
               {"type": "Dropout", "rate": 0.3}, {"type": "Dense", "units": classes, "activation": "softmax"}]
    return Spec.from_dict({"name": "small-cnn", "input_shape": list(input_shape), "layers": layers,
                           "training": {"optimizer": "adam", "lr": 0.002, "lr_decay": "cosine"}})


def small_mlp(input_shape: Sequence[int], classes: int) -> Spec:
    """Return the MLP for small sets of vectors or small grids: two hidden relu layers
    sized by the input, dropout between them."""
    values = math.prod(int(d) for d in input_shape)
    first = min(128, max(32, 2 * values))
    layers: list[dict] = [{"type": "Flatten"}] if len(input_shape) > 1 else []
    layers += [{"type": "Dense", "units": first, "activation": "relu"}, {"type": "Dropout", "rate": 0.2},
               {"type": "Dense", "units": max(16, first // 2), "activation": "relu"},
               {"type": "Dense", "units": classes, "activation": "softmax"}]
    return Spec.from_dict({"name": "small-mlp", "input_shape": list(input_shape), "layers": layers,
                           "training": {"optimizer": "adam", "lr": 0.003, "lr_decay": "cosine"}})


def fit_spec_to_data(spec: Spec, input_shape: Sequence[int], classes: int) -> Spec:
    """Return spec with the data's input shape (for flat vectors) and one output unit
    per class; spec itself when it already fits. A preset given another input shape
    loses the training options tuned for its own data."""
    shape = [int(d) for d in input_shape]
    if len(shape) == 1 and list(spec.input_shape) != shape:
        training = {k: v for k, v in spec.training.items() if k not in TUNED_FOR_DATA}
        spec = with_input_shape(spec, shape)
        spec = Spec(spec.name, spec.input_shape, spec.layers, training)
    if spec.layers and spec.layers[-1]["type"] == "Dense" and num_classes(spec) != classes:
        spec = with_classes(spec, classes)
    return spec


def default_spec(source: str, input_shape: Sequence[int], classes: int, samples: int | None = None) -> Spec:
    """Return the default network for data from source, fitted to its shape and classes."""
    return choose_default_network(source, input_shape, classes, samples).spec
