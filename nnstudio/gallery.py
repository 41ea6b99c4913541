"""The gallery job: every kind of picture nnstudio draws, from the course's own examples.

Like the demo, it is a job that trains networks, so it lives beside the workflows and
not inside nnstudio.draw, which stays free of torch.

`build_gallery(out_dir)` writes each picture as SVG and PNG plus a README.md showing
them with one-line captions. Networks that need real weights are trained here for a
few seconds with nnstudio.train.fit (seeded, so the gallery is reproducible on CPU).
Torch is imported only by that training step, inside the functions that need it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import nnstudio.draw as draw
from nnstudio.draw.output import save
from nnstudio.errors import DrawError
from nnstudio.files import write_atomically

log = logging.getLogger(__name__)

GALLERY_SEED = 0
# PNGs at 1x: the size the pictures are laid out for (<= 1,200 px, text >= 11 px); true
# colors at 2x would take the gallery past 10 MB, and the SVG beside each stays sharp.
GALLERY_PNG_SCALE = 1.0
# The course's order: shapes MLP and its data, letters, functions, training, then CNNs.
ORDER = ("network-shapes-mlp", "grid-shapes", "vector-broken-square", "onehot-square",
         "training-line-square", "network-shapes-mlp-trained", "activations-broken-square",
         "neuron-shapes-mlp", "cross-entropy-square", "dropout-shapes-mlp", "lr-decay",
         "vanishing-gradient", "flattening-digits", "mosaic-letters",
         "network-letters-mlp", "network-letters-mlp-trained", "weights-letters-mlp",
         "function-sigmoid", "function-relu", "function-tanh", "function-leaky-relu",
         "function-softmax", "history-letters-mlp", "network-letters-cnn", "network-seed-cnn",
         "network-letters-cnn-input", "activations-letters-cnn", "conv-zoom-letters-cnn",
         "batchnorm-letters-cnn", "kernels-letters-cnn", "network-sequence-lstm", "cell-lstm",
         "cell-gru", "activations-sequence-lstm")
# A small network on sequences, written out here: 6 steps of 1 value, an LSTM, one output.
SEQUENCE_LSTM = {"name": "sequence-lstm", "input_shape": [6, 1], "layers": [
    {"type": "LSTM", "units": 4}, {"type": "Dense", "units": 1}]}


@dataclass
class Picture:
    """One gallery entry: file stem, heading, one-line caption and the SVG text."""

    name: str
    title: str
    caption: str
    svg: str


def describe(preset: Any) -> str:
    """Return a one-line description of a preset's (or a spec's) layers, read from the spec itself."""
    from nnstudio.draw.view import group_stages
    from nnstudio.spec import get_preset, load_spec

    stages = group_stages(get_preset(preset) if isinstance(preset, str) else load_spec(preset))
    parts = []
    for stage in stages:
        notes = ", ".join(stage.notes())
        notes = f" ({notes})" if notes else ""
        if stage.kind == "input":
            parts.append("input " + "x".join(map(str, stage.shape)))
        elif stage.kind in ("conv", "pool"):
            window = stage.config.get("kernel_size") or stage.config["pool_size"]
            what = "conv" if stage.kind == "conv" else "pool"
            parts.append(f"{what} {window[0]}x{window[1]} stride {stage.config['strides'][0]} "
                         f"-> {stage.shape[0]} x {stage.shape[1]}x{stage.shape[2]}{notes}")
        elif stage.kind == "recurrent":
            which = "every step" if len(stage.shape) == 2 else "the last step"
            parts.append(f"{stage.config['type']} {stage.config['units']} units over "
                         f"{stage.input_shape[0]} steps, giving {which}{notes}")
        elif stage.kind == "flatten":
            parts.append(f"flatten {stage.size:,}")
        else:
            parts.append(f"dense {stage.size}{notes}")
    return "; ".join(parts) + "."


def structure_pictures() -> list[Picture]:
    """Return the course's networks drawn from their specs (no weights)."""
    shapes = ["square", "rhombus", "plus", "x", "line"]
    letters = [chr(65 + i) for i in range(26)]
    return [
        Picture("network-shapes-mlp", "Shapes MLP", "The course's shapes MLP, every neuron and "
                "edge: " + describe("shapes-mlp"),
                draw.draw_network("shapes-mlp", class_names=shapes)),
        Picture("network-letters-mlp", "Letters MLP, 2500 inputs elided", "The 2,500 inputs (a "
                "50x50 image) shown as x1..x4 and x2497..x2500 around an ellipsis, big hidden "
                "layers elided the same way: " + describe("letters-mlp"),
                draw.draw_network("letters-mlp", class_names=letters)),
        Picture("network-letters-cnn", "Letters CNN as planes", "Patches moving by their stride "
                "shrink the maps while channels grow, then neurons: " + describe("letters-cnn"),
                draw.draw_network("letters-cnn", class_names=letters)),
        Picture("network-seed-cnn", "The course's sample CNN", "The course's sample CNN "
                "(seed-cnn): " + describe("seed-cnn"),
                draw.draw_network("seed-cnn", class_names=letters)),
    ]


def data_pictures(letters: Any | None) -> list[Picture]:
    """Return the shapes as grids, a vector and a one-hot code, and the letters mosaic."""
    from nnstudio.data import BROKEN_SQUARE, SHAPE_BITMAPS, SHAPES

    grids = np.stack([SHAPE_BITMAPS[name] for name in SHAPES] + [BROKEN_SQUARE])
    pictures = [
        Picture("grid-shapes", "The 5x5 shapes as pixel grids", "The five shapes of the course "
                "and the broken square used to test the network, each pixel with its value.",
                draw.draw_grid(grids, titles=list(SHAPES) + ["broken square"])),
        Picture("vector-broken-square", "A grid as a vector", "The broken square vectorized: "
                "rows one after another give the 25 input values x1..x25.",
                draw.draw_vector(BROKEN_SQUARE, title="broken square, row after row",
                                 row_length=5)),
        Picture("onehot-square", "One-hot code", "The expected output for a square: one bit "
                "per class, the first one set.", draw.draw_onehot(0, list(SHAPES))),
        Picture("training-line-square", "A training-file line", "One line of the shapes "
                "training file: the 25 pixels row by row, then one bit per class, beside the "
                "grid it came from.", draw.draw_training_line(SHAPE_BITMAPS["square"], 0,
                                                             list(SHAPES))),
    ]
    if letters is not None:
        pictures.append(Picture("mosaic-letters", "25 images per letter", "The letters data "
                                "set as the course uses it: 25 images of each letter A-Z.",
                                draw.draw_mosaic(letters, per_class=25)))
    return pictures


def function_pictures() -> list[Picture]:
    """Return the activation functions and the softmax example."""
    captions = {
        "sigmoid": "Sigmoid and its slope: the flat ends are where the gradient vanishes.",
        "tanh": "Tanh: like the sigmoid but centered on 0; flat ends too.",
        "relu": "Relu: 0 for negative sums, the sum itself above 0; its slope is 1 there.",
        "leaky_relu": "Leaky relu (slope 0.1 below 0), as in the course's sample CNN.",
        "softmax": "Softmax on real numbers: scores, their exponentials, and probabilities "
                   "that sum to 100%.",
    }
    return [Picture(f"function-{name.replace('_', '-')}", name.replace("_", " ").capitalize(),
                    caption, draw.draw_function(name)) for name, caption in captions.items()]


def _fit(spec_name: str, data: Any, **overrides: Any) -> tuple[Any, list]:
    """Return (network, history) after a short seeded training of a preset on `data`."""
    from nnstudio.lessons import train_preset

    started = time.perf_counter()
    network, history = train_preset(spec_name, data, seed=GALLERY_SEED, **overrides)
    log.info("gallery: trained %s in %.1f s", spec_name, time.perf_counter() - started)
    return network, list(history)


def trained_pictures(letters: Any | None) -> list[Picture]:
    """Return the pictures that need real weights: networks, activations, kernels, curves."""
    from nnstudio.data import BROKEN_SQUARE, load_dataset

    shapes = load_dataset("shapes")
    names = list(shapes.class_names)
    # A few seconds instead of the course's 300 epochs at batch size 1: enough for clear weights.
    network, _ = _fit("shapes-mlp", shapes, epochs=15, batch_size=16, optimizer="adam", lr=0.01)
    pictures = [
        Picture("network-shapes-mlp-trained", "Shapes MLP with its trained weights", "Each edge "
                "is a real weight after a few seconds of training: red positive, blue negative, "
                "width and opacity |w|.", draw.draw_network(network, class_names=names)),
        Picture("activations-broken-square", "The broken square through the trained MLP",
                "Every neuron filled with its activation for the broken square, and the softmax "
                "output as bars.",
                draw.draw_activations(network, np.asarray(BROKEN_SQUARE, dtype=np.float32),
                                      class_names=names)),
    ]
    pictures += lesson_pictures(network, shapes)
    if letters is None:
        return pictures
    letter_names = list(letters.class_names)
    mlp, history = _fit("letters-mlp", letters, epochs=30, validation=0.2, lr_decay="none")
    pictures += [
        Picture("network-letters-mlp-trained", "Letters MLP with trained weights", "The shown "
                "edges of the 2,500-input MLP colored by their trained weights, one scale per "
                "layer pair. The inputs shown are pixels that vary in the letters (the blank border "
                "never does), the hidden neurons those with the largest weights.",
                draw.draw_network(mlp, class_names=letter_names, data=letters)),
        Picture("weights-letters-mlp", "First-layer weights as images", "Each first-layer neuron "
                "of the letters MLP: its 2,500 weights laid out as the 50x50 image they multiply; "
                "grey pixels never vary in the data, so their weights kept their start.",
                draw.draw_first_layer_weights(mlp, data=letters)),
        Picture("history-letters-mlp", "Training curves", "Loss and accuracy of the letters MLP on "
                "25 images per letter, training vs validation; the dashed line marks where "
                "validation loss stops falling.", draw.draw_history(history)),
    ]
    train = load_dataset("letters", per_class=50, seed=1)
    cnn, _ = _fit("letters-cnn", train, epochs=6, validation=0.0)
    test = load_dataset("letters", part="test", per_class=1)
    sample = test.floats([int(np.flatnonzero(test.y == 0)[0])])[0]  # an "A", as in the course
    pictures += [
        Picture("network-letters-cnn-input", "A letter through the trained CNN, as planes",
                "The front plane of each stack shows the first channel's feature map for one "
                "test letter; patches at two positions one stride apart, placed where the map before "
                "is most active; edges colored by weight x activation.",
                draw.draw_network(cnn, input=sample, class_names=letter_names)),
        Picture("activations-letters-cnn", "CNN activations for one letter", "Up to 32 channels "
                "of every conv layer as small heatmaps (conv 3 shows 32 of its 64), then the "
                "dense layers and the softmax bars.",
                draw.draw_activations(cnn, sample, class_names=letter_names)),
        Picture("kernels-letters-cnn", "First-layer kernels", "The trained kernels of the "
                "letters CNN's first conv layer, one scale for the layer.", draw.draw_kernels(cnn)),
    ]
    return pictures + cnn_lesson_pictures(cnn, sample, train)


def cnn_lesson_pictures(cnn: Any, sample: np.ndarray, train: Any) -> list[Picture]:
    """Return the CNN zoom and batch normalization, from the trained letters CNN."""
    from nnstudio.lessons import batchnorm_numbers, conv_zoom_picture

    norm = batchnorm_numbers(cnn, train)
    return [
        Picture("conv-zoom-letters-cnn", "One patch, shared weights, one output cell", "The "
                "trained letters CNN's first conv layer on the test A: the patch of one output "
                "cell times the 5x5 weights of two filters (each its own channel), summed, "
                "batch-normalized and through relu; the 'same' zero border around the input.",
                conv_zoom_picture(cnn, sample)),
        Picture("batchnorm-letters-cnn", "Batch normalization", f"Channel {norm['channel'] + 1} "
                "of the letters CNN's first conv layer over one batch of 64 letters: before, "
                "normalized, and scaled and shifted by the learned gamma and beta.",
                draw.draw_batchnorm(norm["before"], norm["gamma"], norm["beta"],
                                    eps=norm["eps"])),
    ]


def lesson_pictures(network: Any, shapes: Any) -> list[Picture]:
    """Return the course's concept pictures from the trained shapes MLP and real numbers."""
    from nnstudio.data import BROKEN_SQUARE
    from nnstudio.lessons import gradient_norms, lr_schedules, neuron_numbers

    names = list(shapes.class_names)
    one = neuron_numbers(network, np.asarray(BROKEN_SQUARE, dtype=np.float32))
    # The trained network is sure even of the broken square (loss 0.0000); one epoch in,
    # it is not yet, and the loss has something to say.
    early, _ = _fit("shapes-mlp", shapes, epochs=1, batch_size=16, optimizer="adam", lr=0.01)
    probabilities = early.predict_proba(np.asarray(BROKEN_SQUARE,
                                                   dtype=np.float32).reshape(-1))[0]
    return flattening_pictures() + [
        Picture("neuron-shapes-mlp", "One neuron at work", f"Hidden 1, neuron {one['neuron'] + 1} "
                "of the trained shapes MLP for the broken square: each input times its weight, "
                "the sum plus the bias, through relu.",
                draw.draw_neuron(one["inputs"], one["weights"], one["bias"],
                                 activation=one["activation"], output=one["output"],
                                 title=f"shapes MLP, hidden 1 neuron {one['neuron'] + 1}, "
                                       "broken square")),
        Picture("cross-entropy-square", "Cross-entropy on one sample", "The shapes MLP after "
                "1 epoch of training on the broken square, labeled square: the one-hot target, "
                "the softmax output and the loss (the fully trained network gives it 100% and "
                "loss 0).",
                draw.draw_cross_entropy(probabilities.numpy(), 0, names)),
        Picture("dropout-shapes-mlp", "Dropout in one training step", "The shapes MLP with "
                "the neurons one training step switches off (rate 0.2 per layer, seeded).",
                draw.draw_dropout(network.spec, class_names=names)),
        Picture("lr-decay", "Learning-rate decay", "The learning rate per epoch for each decay "
                "kind, read from the schedulers training uses (lr 0.01, 30 epochs).",
                draw.draw_lr_schedules(lr_schedules(0.01, 30), base_lr=0.01)),
        Picture("vanishing-gradient", "Vanishing gradient", "Weight-gradient size per layer "
                "after one backward pass on the shapes, 10 layers of 32: sigmoid against relu.",
                draw.draw_vanishing_gradient(gradient_norms(shapes))),
    ]


def flattening_pictures() -> list[Picture]:
    """Return flattening with the pixel-shuffle test: digits MLP and CNN trained on the
    8x8 digits as they are and with one fixed shuffle of their pixels."""
    from nnstudio.data import load_dataset
    from nnstudio.lessons import shuffle_accuracies

    train, test = load_dataset("digits"), load_dataset("digits", part="test")
    order, accuracies = shuffle_accuracies(train, test, {"MLP (digits-mlp)": "digits-mlp",
                                                         "CNN (digits-cnn)": "digits-cnn"},
                                           epochs=6, seed=GALLERY_SEED)
    image = test.floats([0]).reshape(8, 8)
    return [Picture("flattening-digits", "Flattening, and pixels shuffled", "A digit's 8x8 "
                    "grid as the 64-value vector an MLP reads, and the same pixels in one fixed "
                    "shuffled order: test accuracy after 6 epochs on each version (the MLP cannot "
                    "tell them apart; the CNN's patches lose their neighborhoods).",
                    draw.draw_flattening(image, order, accuracies=accuracies))]


def sequence_pictures() -> list[Picture]:
    """Return a network on sequences unrolled in time, the LSTM and GRU cells, and the
    hidden state of that network's LSTM at each step for one input."""
    from nnstudio.model import build_model

    network = build_model(SEQUENCE_LSTM, seed=GALLERY_SEED)
    wave = np.sin(np.linspace(0.0, 2.5, 6, dtype=np.float32)).reshape(6, 1)  # (steps, features)
    return [
        Picture("network-sequence-lstm", "A recurrent network unrolled in time", "One LSTM cell "
                "per time step, each passing its hidden state h and cell state c to the next, "
                "the inputs x1..x6 below; the dense layer reads the last step's state: "
                + describe(SEQUENCE_LSTM), draw.draw_network(SEQUENCE_LSTM)),
        Picture("cell-lstm", "Inside an LSTM cell", "One step of an LSTM: the forget, input and "
                "output gates and the candidate, the cell state along the top, and the equations "
                "(4 units on 1 feature, as in the network above).",
                draw.draw_lstm_cell(units=4, features=1)),
        Picture("cell-gru", "Inside a GRU cell", "One step of a GRU: the update gate mixes the "
                "old state with the candidate, the reset gate sets how much of the old state the "
                "candidate sees.", draw.draw_gru_cell(units=4, features=1)),
        Picture("activations-sequence-lstm", "Hidden state over time", "The network above with "
                "its initial weights (seed 0, untrained) on a sine wave: each cell's units colored "
                "by that step's hidden state, one scale for the layer.",
                draw.draw_network(network, input=wave)),
    ]


def _try(step: str, make: Callable[[], list[Any]], notes: list[str]) -> list[Any]:
    """Return make()'s pictures, or none with a note when a part nnstudio needs is missing."""
    try:
        return make()
    except ImportError as error:
        notes.append(f"{step} skipped: {error}")
        log.warning("gallery: %s skipped (%s)", step, error)
        return []


def build_gallery(out_dir: str | Path, *, train: bool = True, png: bool = True) -> list[Path]:
    """Write every gallery picture (SVG, and PNG unless png=False) and README.md; return the paths."""
    out = Path(out_dir)
    if not out.parent.is_dir():
        raise DrawError(f"{out}: folder {out.parent} does not exist; allowed: a gallery folder "
                        "inside an existing folder")
    out.mkdir(exist_ok=True)
    notes: list[str] = []

    def load_letters() -> list:
        from nnstudio.data import load_dataset

        return [load_dataset("letters", per_class=25)]

    letters = (_try("letters data", load_letters, notes) or [None])[0]
    pictures = structure_pictures()
    pictures += _try("data pictures", lambda: data_pictures(letters), notes)
    pictures += function_pictures()
    pictures += sequence_pictures()
    if train:
        pictures += _try("trained pictures", lambda: trained_pictures(letters), notes)
    else:
        notes.append("trained pictures skipped: build_gallery(train=False)")
    pictures.sort(key=lambda picture: ORDER.index(picture.name))
    written = []
    for picture in pictures:
        written.append(save(picture.svg, out / f"{picture.name}.svg"))
        if png:
            written.append(save(picture.svg, out / f"{picture.name}.png",
                                png_scale=GALLERY_PNG_SCALE))
    readme = out / "README.md"
    write_atomically(readme, gallery_markdown(pictures, notes, png).encode("utf-8"))
    return written + [readme]


def gallery_markdown(pictures: list[Picture], notes: list[str], png: bool) -> str:
    """Return the gallery page: each picture under its heading with its caption."""
    lines = ["# nnstudio gallery", "",
             "Every kind of picture `nnstudio.draw` makes, drawn from the course's own examples. "
             "Regenerate with `nnstudio gallery docs/gallery` (or `make gallery`).", "",
             "PNGs are at 1x (at most 1,200 px wide, no text under 11 px) with true colors; "
             "the SVG beside each is sharp at any size and shows values on hover.", ""]
    for picture in pictures:
        image = f"{picture.name}.png" if png else f"{picture.name}.svg"
        lines += [f"## {picture.title}", "", picture.caption, "",
                  f"![{picture.title}]({image}) ([SVG]({picture.name}.svg))", ""]
    if notes:
        lines += ["## Not drawn this time", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(lines)
