"""The commands that draw: networks, data, functions, weights, histories, lessons, the gallery."""

from __future__ import annotations

from pathlib import Path

import click

from nnstudio.cli.root import main

# ----------------------------------------------------------------------------- draw

OUT_HELP = "Picture to write: FILE.svg or FILE.png (its folder must exist)."


def _write_picture(out: Path, make_svg) -> None:
    """Check `out` before any work (a bad path fails fast), then draw, save and report."""
    import nnstudio.draw as pictures

    pictures.check_path(out)
    click.echo(f"wrote {pictures.save(make_svg(pictures), out)}")


@main.command()
@click.argument("network")
@click.option("--out", required=True, type=click.Path(path_type=Path), help=OUT_HELP)
@click.option("--style", type=click.Choice(["auto", "neurons", "planes"]), default="auto", show_default=True,
              help="neurons: columns of neurons; planes: CNN feature maps; auto: by the network.")
@click.option("--input", "input_image", type=click.Path(path_type=Path), default=None,
              help="An image to run through a trained model: shows every layer's activations.")
@click.option("--max-neurons", type=click.IntRange(min=2, max=200), default=32, show_default=True,
              help="Layers bigger than this show their first and last neurons around a ⋮.")
def draw(network: str, out: Path, style: str, input_image: Path | None, max_neurons: int) -> None:
    """Draw a network: a model folder (with its trained weights), a spec JSON file or a preset.

    \b
    See also: draw-data (grids, vectors, one-hot codes, mosaics), draw-function
    (sigmoid, relu, softmax, ...), draw-weights (kernels, first-layer weights),
    draw-history (training curves) and gallery (all of them).
    """
    def make_svg(pictures):
        if input_image is not None and style == "auto":
            return pictures.draw_activations(network, input_image, max_neurons=max_neurons)
        return pictures.draw_network(network, style=style, input=input_image, max_neurons=max_neurons)

    _write_picture(out, make_svg)


@main.command("draw-data")
@click.argument("source")
@click.option("--out", required=True, type=click.Path(path_type=Path), help=OUT_HELP)
@click.option("--what", type=click.Choice(["grid", "vector", "onehot", "mosaic"]), default="grid",
              show_default=True, help="Pixel grid with values, vectorized row, one-hot code, or mosaic.")
@click.option("--index", type=click.IntRange(min=0), default=None, help="Which sample (default: one per class).")
@click.option("--per-class", type=click.IntRange(min=1, max=100), default=25, show_default=True,
              help="Samples per class in a mosaic.")
def draw_data(source: str, out: Path, what: str, index: int | None, per_class: int) -> None:
    """Draw data: a dataset name (shapes, letters, digits, mnist), an image folder or a training file."""
    _write_picture(out, lambda pictures: pictures.draw_data(source, what, index=index, per_class=per_class))


@main.command("draw-function")
@click.argument("name", type=click.Choice(["sigmoid", "tanh", "relu", "leaky_relu", "softmax"]))
@click.option("--out", required=True, type=click.Path(path_type=Path), help=OUT_HELP)
@click.option("--values", default=None, help="softmax only: comma-separated scores, e.g. 2,1,0.1.")
@click.option("--classes", default=None, help="softmax only: comma-separated names for the scores.")
def draw_function(name: str, out: Path, values: str | None, classes: str | None) -> None:
    """Draw an activation function and its slope, or softmax worked on real numbers."""
    if values is not None and name != "softmax":
        raise click.BadParameter("--values is for softmax only", param_hint="--values")

    def make_svg(pictures):
        if values is not None:
            return pictures.draw_softmax(_numbers(values), classes.split(",") if classes else None)
        return pictures.draw_function(name)

    _write_picture(out, make_svg)


def _numbers(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of numbers",
                                 param_hint="--values") from None


@main.command("draw-weights")
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help=OUT_HELP)
@click.option("--layer", type=click.IntRange(min=0), default=None,
              help="Conv2D layer index (default: the first); MLPs show their first Dense layer.")
def draw_weights(model_dir: Path, out: Path, layer: int | None) -> None:
    """Draw a trained model's weights as images: CNN kernels or an MLP's first layer."""
    _write_picture(out, lambda pictures: pictures.draw_weights(model_dir, layer))


@main.command("draw-history")
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help=OUT_HELP)
def draw_history(model_dir: Path, out: Path) -> None:
    """Draw a trained model's loss and accuracy curves, with the overfitting point marked."""
    _write_picture(out, lambda pictures: pictures.draw_history(model_dir))


LESSON_NAMES = ("neuron", "conv-zoom", "batchnorm", "cross-entropy", "dropout", "lr-decay",
                "vanishing-gradient", "training-line", "flattening", "lstm-cell", "gru-cell")


@main.command("draw-lesson")
@click.argument("name", type=click.Choice(LESSON_NAMES))
@click.option("--out", required=True, type=click.Path(path_type=Path), help=OUT_HELP)
@click.option("--model", default=None, help="Model folder (neuron, conv-zoom, batchnorm, cross-entropy), "
              "or a preset/spec (dropout; lstm-cell and gru-cell take their sizes from it).")
@click.option("--input", "input_image", type=click.Path(path_type=Path), default=None,
              help="An image to run through the model (default: sample --index of --data).")
@click.option("--data", default="shapes", show_default=True, help="Dataset name, folder or training file.")
@click.option("--index", type=click.IntRange(min=0), default=0, show_default=True, help="Which sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed (dropout, shuffle, gradients).")
def draw_lesson(name: str, out: Path, model: str | None, input_image: Path | None, data: str,
                index: int, seed: int) -> None:
    """Draw one of the course's concept pictures from real numbers: one neuron, the CNN zoom,
    batch normalization, cross-entropy, dropout, learning-rate decay, vanishing gradient,
    a training-file line, flattening, an LSTM cell, a GRU cell."""
    from nnstudio.lessons import lesson_picture

    _write_picture(out, lambda _: lesson_picture(name, model=model, input=input_image, data=data,
                                                 index=index, seed=seed))


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path), default="nnstudio-gallery", required=False)
@click.option("--no-train", is_flag=True, help="Skip the small trainings (pictures with real weights).")
@click.option("--no-png", is_flag=True, help="Write SVG only.")
def gallery(out_dir: Path, no_train: bool, no_png: bool) -> None:
    """Write every kind of picture, from the course's own examples, and a README.md showing
    them, into OUT_DIR [default: ./nnstudio-gallery; `make gallery` writes docs/gallery]."""
    from nnstudio.gallery import build_gallery

    paths = build_gallery(out_dir, train=not no_train, png=not no_png)
    click.echo(f"wrote {len(paths)} files to {out_dir}")
