"""Pictures of networks, data, functions and training, as SVG text (and PNG through `save`).

Every `draw_*` function returns SVG text; `save(svg, "picture.png")` writes it. A network
can be named by a preset name, a spec (.json path, dict, Spec), a model folder, a loaded
nnstudio.predict.Model or a nnstudio.model.Network; only the last three carry weights.

>>> svg = draw_network("shapes-mlp")
>>> save(svg, "shapes-mlp.png")  # doctest: +SKIP

Layout code never imports torch: the adapter that reads a torch model is imported only
when a model is actually given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.draw.activations import draw_activation_picture
from nnstudio.draw.cells import draw_gru_cell, draw_lstm_cell
from nnstudio.draw.cnn_lessons import draw_batchnorm, draw_conv_zoom, draw_flattening
from nnstudio.draw.data import draw_first_layer_weights as _first_layer_weights
from nnstudio.draw.data import draw_grid, draw_onehot, draw_vector, sample_values
from nnstudio.draw.data import draw_kernels as _kernels
from nnstudio.draw.data import draw_mosaic as _mosaic
from nnstudio.draw.functions import FUNCTION_NAMES, draw_function, draw_softmax
from nnstudio.draw.functions import draw_history as _history
from nnstudio.draw.lessons import (draw_cross_entropy, draw_lr_schedules, draw_neuron, draw_training_line,
                                   draw_vanishing_gradient, with_dropout)
from nnstudio.draw.network import draw_neuron_network
from nnstudio.draw.output import EXTENSIONS, check_path, save
from nnstudio.draw.planes import draw_plane_network
from nnstudio.draw.unrolled import draw_unrolled_network
from nnstudio.draw.view import NetView, group_stages, square_side
from nnstudio.errors import DrawError
from nnstudio.spec import Spec, load_spec

STYLES = ("auto", "neurons", "planes")

__all__ = [
    "DATA_PICTURES", "EXTENSIONS", "FUNCTION_NAMES", "STYLES", "NetView",
    "check_path", "draw_activations", "draw_batchnorm", "draw_conv_zoom", "draw_cross_entropy",
    "draw_data", "draw_dropout", "draw_flattening",
    "draw_first_layer_weights", "draw_function", "draw_grid", "draw_gru_cell", "draw_history",
    "draw_kernels", "draw_lstm_cell",
    "draw_lr_schedules", "draw_mosaic", "draw_network", "draw_neuron", "draw_onehot",
    "draw_softmax", "draw_training_line", "draw_vanishing_gradient", "draw_vector",
    "draw_weights", "resolve", "save",
]


def draw_dropout(net: Any, *, seed: int = 0, max_neurons: int = 32, keep: int = 4,
                 class_names: Sequence[str] | None = None) -> str:
    """Return SVG text of an MLP as in one training step: each neuron of a layer with
    dropout switched off with the spec's rate (seeded), its edges gone."""
    view = with_dropout(resolve(net, None, class_names), seed)
    if not view.dropped:
        raise DrawError(f"{view.spec.name!r} has no Dropout after a Dense layer; allowed: a "
                        "network with dropout, e.g. shapes-mlp")
    if len(view.spec.input_shape) != 1:
        raise DrawError("draw_dropout draws MLPs; allowed: a network whose input is a vector")
    canvas, _ = draw_neuron_network(view, group_stages(view.spec), max_neurons=max_neurons,
                                    keep=keep)
    off = sum(int(mask.sum()) for mask in view.dropped.values())
    canvas.text(20, canvas.height + 4, f"one training step: {off} neurons switched off "
                "(grey \u00d7), each with its layer's dropout rate; the next step draws again",
                cls="note", size=11, anchor="start", color="#666666")
    canvas.grow(canvas.width, canvas.height + 16)
    return canvas.to_string()


def data_spread(data: Any) -> np.ndarray:
    """Return each input value's standard deviation over `data` (a Dataset or an array
    of samples): 0 marks pixels that are the same in every sample."""
    x = sample_values(data) if hasattr(data, "x") else np.asarray(data)
    x = np.asarray(x, dtype=float)
    return x.reshape(len(x), -1).std(axis=0)


def course_class_names(spec: Spec, count: int) -> tuple[str, ...] | None:
    """Return the class names of the data a course preset is made for, when its output
    size matches (digits 0-9, letters A-Z, the five shapes), else None."""
    name = spec.name.split("-")[0]
    if name in ("digits", "mnist") and count == 10:
        return tuple(str(i) for i in range(10))
    if name in ("letters", "seed") and count == 26:
        return tuple(chr(65 + i) for i in range(26))
    if name == "shapes" and count == 5:
        return ("square", "rhombus", "plus", "x", "line")
    return None


def resolve(net: Any, input: Any = None, class_names: Sequence[str] | None = None, *,
            data: Any = None) -> NetView:
    """Return the NetView of `net` (preset, spec, model folder, Model, Network, NetView).

    With `input` (an image path, a PIL image or an array), the view also holds every
    layer's output for it; that needs a trained model. With `data` (the training set),
    the view knows which input pixels vary (see data_spread). A course preset without
    names gets its data's class names (digits 0-9, not y1..y10).
    """
    if isinstance(net, NetView):
        view = net
    elif isinstance(net, (Spec, Mapping)):
        view = NetView(load_spec(net))
    elif isinstance(net, (str, Path)) and Path(net).is_dir():
        from nnstudio.draw.adapter import load_model_view

        view = load_model_view(Path(net), input)
    elif isinstance(net, (str, Path)):
        view = NetView(load_spec(net))
    else:
        from nnstudio.draw.adapter import view_of

        view = view_of(net, input)
    if input is not None and view.outputs is None:
        raise DrawError("an input can only be drawn through a trained model (its activations); "
                        "allowed: a model folder or a nnstudio.predict.Model; got a spec")
    if class_names is not None:
        view = dataclasses.replace(view, class_names=tuple(str(n) for n in class_names))
    elif view.class_names is None or all(n == f"y{i + 1}" for i, n in enumerate(view.class_names)):
        from nnstudio.spec import num_classes

        names = course_class_names(view.spec, num_classes(view.spec))
        if names is not None:
            view = dataclasses.replace(view, class_names=names)
    if data is not None:
        view = dataclasses.replace(view, input_spread=data_spread(data))
    return view


def _style_for(view: NetView, style: str) -> str:
    if style not in STYLES:
        raise DrawError(f"style {style!r} is not known; allowed: {', '.join(STYLES)}")
    if len(view.spec.input_shape) == 2:
        if style == "planes":
            raise DrawError(f"style 'planes' draws image networks (CNNs); {view.spec.name!r} takes "
                            f"sequences of shape {list(view.spec.input_shape)}; allowed: neurons or "
                            "auto (recurrent layers unrolled in time, then neurons)")
        return "unrolled"
    convolutional = len(view.spec.input_shape) == 3
    if style == "auto":
        return "planes" if convolutional else "neurons"
    if style == "neurons" and convolutional:
        raise DrawError(f"style 'neurons' draws vector networks (MLPs); {view.spec.name!r} takes "
                        f"images of shape {list(view.spec.input_shape)}; allowed: planes or auto "
                        "(planes draws its dense layers as neurons)")
    if style == "planes" and not convolutional:
        raise DrawError(f"style 'planes' draws image networks (CNNs); {view.spec.name!r} takes "
                        f"vectors of {view.spec.input_shape[0]} values; allowed: neurons or auto")
    return style


def draw_network(net: Any, style: str = "auto", input: Any = None, *, max_neurons: int = 32,
                 keep: int = 4, class_names: Sequence[str] | None = None,
                 data: Any = None, max_steps: int = 6) -> str:
    """Return SVG text of a network: neurons (MLP) or planes (CNN), per `style`; a network
    on sequences with its recurrent layers unrolled in time, then neurons (a sequence
    longer than `max_steps`, and than 6, shows its first 3 and last 2 steps around an
    ellipsis).

    With a trained model, edges show the weights; with an `input`, neurons and feature
    maps show what the network computes for it, edges weight x activation. Layers larger
    than `max_neurons` show 2 x `keep` informative neurons around an ellipsis (the most
    active, inputs that vary in `data`, or the largest weights).
    """
    view = resolve(net, input, class_names, data=data)
    stages = group_stages(view.spec)
    chosen = _style_for(view, style)
    if chosen == "unrolled":
        return draw_unrolled_network(view, stages, max_neurons=max_neurons, keep=keep,
                                     max_steps=max_steps).to_string()
    if chosen == "planes":
        return draw_plane_network(view, stages, max_neurons=max_neurons, keep=keep).to_string()
    return draw_neuron_network(view, stages, max_neurons=max_neurons, keep=keep)[0].to_string()


def draw_activations(model: Any, input: Any, *, max_neurons: int = 32, keep: int = 4,
                     class_names: Sequence[str] | None = None, data: Any = None) -> str:
    """Return SVG text of one input through a trained model: activations, heatmaps, softmax
    bars; for a network on sequences, each step's hidden state in its unrolled cell."""
    if input is None:
        raise DrawError("draw_activations needs an input; allowed: an image path, a PIL image "
                        "or an array of the network's input size")
    view = resolve(model, input, class_names, data=data)
    return draw_activation_picture(view, group_stages(view.spec), max_neurons=max_neurons,
                                   keep=keep).to_string()


def draw_kernels(model: Any, layer: int | None = None) -> str:
    """Return SVG text of a trained CNN's Conv2D kernels (`layer`: spec index, default the first)."""
    return _kernels(resolve(model), layer)


def draw_first_layer_weights(model: Any, *, data: Any = None) -> str:
    """Return SVG text of a trained MLP's first-layer weights, one input-sized image per neuron
    (with the training `data`, pixels that never vary in it are marked grey)."""
    return _first_layer_weights(resolve(model, data=data))


def draw_mosaic(dataset: Any, per_class: int = 25) -> str:
    """Return SVG text of `per_class` samples per class of a Dataset or a named dataset."""
    if isinstance(dataset, (str, Path)):
        from nnstudio.data import load_dataset

        dataset = load_dataset(dataset, per_class=per_class)
    return _mosaic(dataset, per_class)


DATA_PICTURES = ("grid", "vector", "onehot", "mosaic")


def draw_data(source: Any, what: str = "grid", *, index: int | None = None,
              per_class: int = 25) -> str:
    """Return SVG text of a data picture of a Dataset or a named dataset (shapes, letters, ...).

    what: 'grid' (one sample per class, or sample `index`, with pixel values), 'vector'
    (sample `index` as a row), 'onehot' (its one-hot code), 'mosaic' (`per_class` per class).
    For 'shapes', grid, vector and one-hot use the course's five clean shapes.
    """
    import numpy as np

    if what not in DATA_PICTURES:
        raise DrawError(f"data picture {what!r} is not known; allowed: {', '.join(DATA_PICTURES)}")
    if what == "mosaic":
        return draw_mosaic(source, per_class)
    if source == "shapes":
        from nnstudio.data import SHAPE_BITMAPS, SHAPES

        images, labels, names = np.stack([SHAPE_BITMAPS[n] for n in SHAPES]), np.arange(5), list(SHAPES)
    else:
        from nnstudio.data import load_dataset

        dataset = load_dataset(source, per_class=1 if index is None else None) \
            if isinstance(source, (str, Path)) else source
        images, labels = sample_values(dataset), np.asarray(dataset.y)
        names = [str(n) for n in dataset.class_names]
        images = images.reshape(len(images), *images.shape[-2:]) if images.ndim == 4 else images
        if images.ndim == 2 and (side := square_side(images.shape[1])):  # vectors of a training file
            images = images.reshape(len(images), side, side)
    if what == "grid" and images.ndim != 3:
        raise DrawError(f"a grid needs square images; {source} holds vectors of "
                        f"{images.shape[-1]} values; allowed: vector, onehot")
    if index is not None and not 0 <= index < len(images):
        raise DrawError(f"sample index {index}; allowed: 0 to {len(images) - 1}")
    if what == "grid" and index is None:
        firsts = [int(np.flatnonzero(labels == k)[0]) for k in range(len(names)) if (labels == k).any()]
        return draw_grid(images[firsts], titles=[names[int(labels[i])] for i in firsts])
    sample = 0 if index is None else index
    name = names[int(labels[sample])]
    if what == "grid":
        return draw_grid(images[sample], titles=[f"{name} (sample {sample})"])
    if what == "vector":
        width = images.shape[-1] if images.ndim == 3 else None
        return draw_vector(images[sample], title=f"{name} (sample {sample}), row after row",
                           row_length=width)
    return draw_onehot(int(labels[sample]), names)


def draw_weights(model: Any, layer: int | None = None) -> str:
    """Return SVG text of a trained model's weights as images: a CNN's kernels (Conv2D `layer`,
    default the first), an MLP's first-layer weights."""
    view = resolve(model)
    if any(config["type"] == "Conv2D" for config in view.spec.layers):
        return _kernels(view, layer)
    if layer is not None:
        raise DrawError(f"layer {layer}: {view.spec.name!r} has no Conv2D layer; allowed: no "
                        "layer for an MLP (its first Dense layer is drawn)")
    return _first_layer_weights(view)


def draw_history(history: Any) -> str:
    """Return SVG text of training curves: a History, its to_dict(), a Model, or a model folder."""
    if isinstance(history, (str, Path)):
        from nnstudio.draw.adapter import load_history

        history = load_history(Path(history))
    return _history(history)
