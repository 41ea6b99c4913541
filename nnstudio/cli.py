"""The `nnstudio` command: parse options, call one workflow, print the result.

This is the only module that prints or exits. A problem caused by the user (an
NnstudioError or an unreadable file) becomes one line on stderr and exit code 2;
`--debug` shows the full traceback instead.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

from nnstudio.errors import NnstudioError
from nnstudio.train.callbacks import BatchLogs, EpochLogs, TrainBegin, TrainEnd

DATASETS = ("shapes", "letters", "digits", "mnist")


class NnstudioGroup(click.Group):
    """Turns user errors into one line on stderr and exit code 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # --debug belongs to the group, but users add it where the error showed: after the verb.
        head = args[:args.index("--")] if "--" in args else args
        if "--debug" in head[1:]:
            args = ["--debug"] + [a for i, a in enumerate(args) if not (a == "--debug" and i < len(head))]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (NnstudioError, OSError) as error:
            if ctx.meta.get("nnstudio.debug"):
                raise
            click.echo(f"error: {_one_line(error)}", err=True)
            ctx.exit(2)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and not isinstance(error, NnstudioError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    return cli_help(" ".join(str(error).split()))


# Library messages name Python parameters; the shell user needs the option to type.
PARAMETER_FLAGS = ("lr", "clip_norm", "batch_size", "validation", "weight_decay", "label_smoothing", "lr_decay",
                   "decay_rate", "decay_every", "momentum", "patience", "resume", "restart", "overwrite",
                   "skip_bad", "per_class")


def cli_help(message: str) -> str:
    """Return message with each Python parameter named after "help:" followed by its
    CLI option, e.g. "use batch_size 2" -> "use batch_size (--batch-size) 2"."""
    import re

    if "help:" not in message:
        return message
    head, hint = message.split("help:", 1)
    for name in PARAMETER_FLAGS:
        flag = "--" + name.replace("_", "-")
        if flag not in hint:
            hint = re.sub(rf"(?<![-\w'\"]){name}(?![-\w'\"])", f"{name} ({flag})", hint, count=1)
    return head + "help:" + hint


class WarningEcho(logging.Handler):
    """Shows the library's warnings (divergence, images left out) as "warning: ..." lines
    on stderr, above a running progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


@click.group(cls=NnstudioGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="CPU threads for PyTorch and numpy [one per core]. On a busy 2-core machine, 1 is often "
                   "faster for these small networks (bench/RESULTS.md).")
@click.version_option(package_name="nnstudio")
@click.pass_context
def main(ctx: click.Context, debug: bool, threads: int | None) -> None:
    """nnstudio: build, train, test, draw and explore small image-recognition networks.

    \b
    Start with:
      nnstudio train --data shapes --out runs/shapes
      nnstudio predict runs/shapes my_shape.png
      nnstudio summary letters-cnn
    """
    ctx.meta["nnstudio.debug"] = debug
    library = logging.getLogger("nnstudio")
    if not any(isinstance(h, WarningEcho) for h in library.handlers):
        library.addHandler(WarningEcho(logging.WARNING))
    if threads is not None:
        import threadpoolctl
        import torch

        torch.set_num_threads(threads)
        threadpoolctl.threadpool_limits(threads)  # numpy's BLAS, whose idle threads spin


# ----------------------------------------------------------------------------- data


@main.command()
@click.argument("name", metavar="[" + "|".join(DATASETS) + "]")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Folder for PNGs in class subfolders, or a .dat/.txt training file.")
@click.option("--per-class", type=click.IntRange(min=1), default=None,
              help="Samples per class (letters: 25, as in the course; others: the whole part).")
@click.option("--size", type=click.IntRange(min=4, max=512), default=None,
              help="Image side in pixels (letters only; default 50).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--part", type=click.Choice(["train", "test", "unseen"]), default="train",
              show_default=True, help="Which part (unseen: letters in fonts never trained on).")
def data(name: str, out: Path, per_class: int | None, size: int | None, seed: int, part: str) -> None:
    """Write a dataset as images or as a course-format training file."""
    from nnstudio.workflows import make_data

    if name == "letters" and per_class is None:
        per_class = 25
    written, dataset = make_data(name, out, part=part, per_class=per_class, size=size, seed=seed)
    shape = "x".join(str(d) for d in dataset.input_shape)
    click.echo(f"wrote {len(dataset)} samples ({dataset.num_classes} classes, {shape}) to {written}")


# ----------------------------------------------------------------------------- train


class TrainingOption(click.ParamType):
    """A training option's value, checked by its declaration in TrainConfig, so the
    CLI says exactly what the library would ("must be a float in the range ...")."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.name = spec.kind.__name__ if spec.choices is None else "choice"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from nnstudio.errors import TrainingError

        if not isinstance(value, str):
            return value
        spec = self.spec
        if spec.choices is None and spec.name != "device":
            try:
                value = spec.kind(value)
            except ValueError:
                self.fail(f"{value!r} is not {'a whole number' if spec.kind is int else 'a number'}; "
                          f"it must be {spec.allowed().replace(' or None', '')}.", param, ctx)
        if spec.name == "device":
            return value
        try:
            return spec.check(value)
        except TrainingError as err:
            self.fail(str(err), param, ctx)

    def get_metavar(self, param: Any, ctx: Any = None) -> str | None:
        return "[" + "|".join(self.spec.choices) + "]" if self.spec.choices else None


def training_options(command: Any) -> Any:
    """Add one --option per TrainConfig field (declared there: type, bounds, choices, help)."""
    from nnstudio.train.config import option_specs

    for spec in reversed(option_specs()):
        from nnstudio.train.budget import DECIDED

        default = "none" if spec.default is None else spec.default
        if spec.name == "lr":
            default = "0.01 for sgd, 0.001 for adam"
        if spec.name in DECIDED:
            default = "fitted to the data (see the plan printed before training)"
        help_text = f"{spec.help} [default: the network's own, else {default}]"
        command = click.option("--" + spec.name.replace("_", "-"), spec.name, type=TrainingOption(spec),
                               default=None, help=help_text)(command)
    return command


@main.command()
@click.option("--data", "data_source", required=True,
              help="A dataset name (shapes, letters, digits, mnist), an image folder or a training file.")
@click.option("--model", default=None,
              help="A preset name or a spec JSON file [default: chosen for the data].")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Model folder to write.")
@click.option("--per-class", type=click.IntRange(min=1), default=None,
              help="Samples per class: generated for a built-in dataset, the first N of a folder or file.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint.")
@click.option("--restart", is_flag=True, help="Start over, deleting an interrupted run's checkpoint.")
@click.option("--overwrite", is_flag=True, help="Replace the model in --out (files nnstudio did not write stay).")
@click.option("--skip-bad", is_flag=True, help="Leave out images that cannot be read or are blank "
              "(they are listed and counted) instead of stopping.")
@click.option("--quiet", is_flag=True, help="No plan and no progress bar.")
@training_options
def train(data_source: str, model: str | None, out: Path, per_class: int | None, resume: bool, restart: bool,
          overwrite: bool, skip_bad: bool, quiet: bool, **options: Any) -> None:
    """Train a network and save it as a model folder (model.json + weights.safetensors).

    Without --model the network is chosen for the data. Options that neither you nor the
    network set (epochs, batch size, hold-out) are fitted to the data. What was chosen,
    and why, is printed before training starts.
    """
    from nnstudio.workflows import checkpoint_folder, train_model

    progress = [] if quiet else [ProgressBar()]
    try:
        trained = train_model(data_source, out=out, model=model, per_class=per_class, resume=resume,
                              restart=restart, overwrite=overwrite, skip_bad=skip_bad, callbacks=progress,
                              **options)
    except KeyboardInterrupt:
        for bar in progress:
            bar.close()
        folder = checkpoint_folder(out)
        click.echo(f"interrupted; the checkpoint is kept in {folder}. help: run the same command with "
                   "--resume to continue from it.", err=True)
        sys.exit(130)
    history = trained.training.get("history", []) if trained.training else []
    last = history[-1] if history else {}
    figures = "  ".join(f"{key} {_fmt(last[key])}" for key in
                        ("loss", "accuracy", "val_loss", "val_accuracy") if key in last)
    skipped = trained.training.get("skipped", []) if trained.training else []
    click.echo(f"saved {out}  ({figures})" + (f"  {len(skipped)} bad image(s) left out" if skipped else ""))


def _fmt(value: float) -> str:
    return f"{value:.4f}"


class ProgressBar:
    """A training callback that draws a rich progress bar: epoch, batch progress within
    long epochs, the epoch's metrics and the time left."""

    METRICS = {"loss": "loss", "accuracy": "accuracy", "val_loss": "val_loss", "val_accuracy": "val_accuracy"}

    def __init__(self, console: Any = None) -> None:
        self.console = console  # a rich Console (tests give one of a set width); None: stderr
        self._progress: Any = None
        self._task: Any = None
        self._batches = 1

    def on_plan(self, plan: Any) -> None:
        for line in plan.lines():
            click.echo(line)

    def on_train_begin(self, info: TrainBegin) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        from rich.table import Column

        # Fixed widths for epoch, bar and time left; the metrics take the rest and wrap,
        # so a narrow terminal never cuts the time left.
        self._progress = Progress(
            TextColumn("epoch", table_column=Column(min_width=5, no_wrap=True)),
            MofNCompleteColumn(table_column=Column(min_width=7, no_wrap=True)), BarColumn(bar_width=12),
            TimeRemainingColumn(table_column=Column(min_width=7, no_wrap=True)),
            TextColumn("{task.fields[metrics]}", table_column=Column(ratio=1)),
            transient=False, console=self.console or _stderr_console(), expand=True,
        )
        self._progress.start()
        self._batches = max(int(info["batches_per_epoch"]), 1)
        done = info["start_epoch"] - 1 + info["start_batch"] / self._batches
        self._task = self._progress.add_task("train", total=int(info["epochs"]), completed=done, metrics="")

    def on_batch_end(self, step: int, logs: BatchLogs) -> None:
        done = logs["epoch"] - 1 + logs["batch"] / self._batches
        metrics = f"batch {logs['batch']}/{logs['batches']}  loss {logs['loss']:.4f}"
        self._progress.update(self._task, completed=done, metrics=metrics)

    def on_epoch_end(self, epoch: int, logs: EpochLogs) -> None:
        metrics = "  ".join(f"{short} {logs[key]:.4f}"  # type: ignore[literal-required]
                            for key, short in self.METRICS.items() if key in logs)
        if logs.get("overfitting"):
            metrics += "  overfitting?"
        self._progress.update(self._task, completed=epoch, metrics=metrics)

    def on_train_end(self, logs: TrainEnd) -> None:
        self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


# ----------------------------------------------------------------------------- test


@main.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option("--data", "data_source", required=True,
              help="A dataset name (its test part), an image folder or a training file.")
@click.option("--part", type=click.Choice(["train", "test", "unseen"]), default="test", show_default=True,
              help="Which part of a named dataset.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--plot", type=click.Path(path_type=Path), default=None,
              help="Also draw the confusion matrix and the misclassified inputs (with the answer and the "
                   "true class) to FILE.svg or FILE.png.")
def test(model_dir: Path, data_source: str, part: str, as_json: bool, plot: Path | None) -> None:
    """Accuracy, loss, per-class accuracy and confusion matrix of a saved model."""
    from nnstudio.workflows import evaluate_model, test_report

    if plot is not None:
        import nnstudio.draw as pictures

        pictures.check_path(plot)
        evaluation, svg = test_report(model_dir, data_source, part=part)
        written = pictures.save(svg, plot)
        if not as_json:
            click.echo(f"wrote {written}")
    else:
        evaluation = evaluate_model(model_dir, data_source, part=part)
    if as_json:
        click.echo(json.dumps(evaluation.to_dict()))
        return
    click.echo(f"samples   {evaluation.samples}")
    click.echo(f"accuracy  {evaluation.accuracy:.4f}")
    click.echo(f"loss      {evaluation.loss:.4f}")
    click.echo("per class " + "  ".join(f"{name} {acc:.2f}" for name, acc in evaluation.per_class.items()))
    click.echo("confusion (rows: true class, columns: predicted)")
    names = evaluation.class_names
    width = max(max(len(n) for n in names), max(len(str(v)) for row in evaluation.confusion for v in row))
    click.echo(" " * (width + 1) + " ".join(n.rjust(width) for n in names))
    for name, row in zip(names, evaluation.confusion):
        click.echo(name.rjust(width) + " " + " ".join(str(v).rjust(width) for v in row))


# ----------------------------------------------------------------------------- predict


@main.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, required=True)
@click.option("--top", type=click.IntRange(min=1), default=None,
              help="Show the K most likely classes [all with --json, 1 otherwise].")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of predictions.")
def predict(model_dir: Path, inputs: tuple[str, ...], top: int | None, as_json: bool) -> None:
    """Predict the class of images or of each line of a training/pixel file."""
    from nnstudio.workflows import predict_inputs

    predictions = predict_inputs(model_dir, inputs, top=top)
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in predictions]))
        return
    for p in predictions:
        line = f"{p.input}: {p.class_name} ({p.confidence:.1%})"
        if top and top > 1:
            others = list(p.probabilities.items())[1:top]
            line += "  then " + ", ".join(f"{name} {prob:.1%}" for name, prob in others)
        click.echo(line)


# ----------------------------------------------------------------------------- summary


@main.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--spec", "as_spec", is_flag=True,
              help="Print the network as a spec JSON file to start your own: nnstudio summary letters-cnn "
                   "--spec > my.json, edit, then nnstudio train --model my.json.")
def summary(ref: str, as_json: bool, as_spec: bool) -> None:
    """Layers, output shapes, parameter counts and training options of a model folder,
    spec file or preset."""
    from nnstudio.workflows import summarize

    result = summarize(ref)
    if as_spec:
        click.echo(json.dumps(result.spec, indent=2))
        return
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    shape = lambda dims: "x".join(str(d) for d in dims)  # noqa: E731
    click.echo(f"{result.name}  input {shape(result.input_shape)}")
    click.echo(f"{'#':>3}  {'layer':<20} {'output':>12} {'params':>10}")
    for layer in result.layers:
        click.echo(f"{layer.index:>3}  {layer.type:<20} {shape(layer.output_shape):>12} {layer.params:>10,}")
    click.echo(f"total parameters: {result.total_params:,}")
    click.echo(f"{'trained with' if result.class_names else 'training'}: {training_text(result.training)}")
    if result.class_names:
        click.echo("classes: " + " ".join(result.class_names))


def training_text(training: dict[str, Any]) -> str:
    """Return training options as the flags that set them: "--optimizer adam --lr 0.002 ..."
    (options the network leaves open are fitted to the data when it trains)."""
    from nnstudio.train.budget import DECIDED
    from nnstudio.train.config import DEFAULT_LR

    shown = {"optimizer": "adam", **{k: v for k, v in training.items() if v is not None}}
    shown.setdefault("lr", DEFAULT_LR.get(str(shown["optimizer"]), 0.001))
    order = ["optimizer", "lr", "epochs", "batch_size", "validation", "patience", "lr_decay"]
    keys = [k for k in order if k in shown] + sorted(k for k in shown if k not in order)
    text = " ".join(f"--{k.replace('_', '-')} {shown[k]:g}" if isinstance(shown[k], float)
                    else f"--{k.replace('_', '-')} {shown[k]}" for k in keys)
    open_ = [f"--{k.replace('_', '-')}" for k in DECIDED if k not in shown and k != "patience"]
    return text + (f" ({', '.join(open_)}: fitted to the data)" if open_ else "")


@main.command()
@click.option("--details", is_flag=True, help="Also show each preset's training options.")
def presets(details: bool) -> None:
    """List the built-in networks."""
    from nnstudio.spec import count_params, get_preset, preset_names

    for name in preset_names():
        spec = get_preset(name)
        shape = "x".join(str(d) for d in spec.input_shape)
        click.echo(f"{name:<12} input {shape:<8} {len(spec.layers):>2} layers {count_params(spec):>10,} params")
        if details:
            click.echo(f"{'':<12} {training_text(spec.training)}")


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
                "vanishing-gradient", "training-line", "flattening")


@main.command("draw-lesson")
@click.argument("name", type=click.Choice(LESSON_NAMES))
@click.option("--out", required=True, type=click.Path(path_type=Path), help=OUT_HELP)
@click.option("--model", default=None, help="Model folder (neuron, conv-zoom, batchnorm, cross-entropy), "
              "or a preset/spec (dropout).")
@click.option("--input", "input_image", type=click.Path(path_type=Path), default=None,
              help="An image to run through the model (default: sample --index of --data).")
@click.option("--data", default="shapes", show_default=True, help="Dataset name, folder or training file.")
@click.option("--index", type=click.IntRange(min=0), default=0, show_default=True, help="Which sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed (dropout, shuffle, gradients).")
def draw_lesson(name: str, out: Path, model: str | None, input_image: Path | None, data: str,
                index: int, seed: int) -> None:
    """Draw one of the course's concept pictures from real numbers: one neuron, the CNN zoom,
    batch normalization, cross-entropy, dropout, learning-rate decay, vanishing gradient,
    a training-file line, flattening."""
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


# ----------------------------------------------------------------------------- experiments


@main.command()
@click.argument("name", required=False)
@click.option("--list", "list_them", is_flag=True, help="Name every experiment and the claim it measures.")
@click.option("--quick", is_flag=True, help="One seed and few epochs (seconds; for tests, not for conclusions).")
@click.option("--out", "out_dir", default="nnstudio-experiments", show_default=True, type=click.Path(path_type=Path),
              help="Folder for NAME.md (table and finding), NAME.json and the figures (SVG and PNG).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="First seed; a full run uses this one and the next two.")
@click.pass_context
def experiment(ctx: click.Context, name: str | None, list_them: bool, quick: bool, out_dir: Path, seed: int) -> None:
    """Measure one of the course's claims: train, write a figure and a table, print the finding."""
    from nnstudio.experiments import EXPERIMENTS, claims, run_experiment

    if list_them or name is None:
        for key, claim in claims().items():
            click.echo(f"{key:<20} {claim}")
        if name is None and not list_them:
            click.echo(f"\nrun one: {_program()} experiment NAME [--quick]")
        return
    if name not in EXPERIMENTS:
        raise click.BadParameter(f"{name!r} is not an experiment; allowed: {', '.join(EXPERIMENTS)}",
                                 param_hint="NAME")
    # --threads given: use it; otherwise the experiment's own choice (one thread, see run_experiment)
    threads = ctx.find_root().params.get("threads") or 1
    result = run_experiment(name, quick=quick, seed=seed, out=out_dir, threads=threads)
    click.echo(result.table())
    click.echo(f"\n{result.finding}")
    click.echo(f"wrote {out_dir / (name + '.md')} and its figures ({result.seconds:.0f} s)")


# ----------------------------------------------------------------------------- export


@main.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option("--onnx", "onnx_file", required=True, type=click.Path(path_type=Path),
              help="ONNX file to write: input (N, *input_shape) prepared as Model.prepare does, "
                   "output softmax probabilities.")
def export(model_dir: Path, onnx_file: Path) -> None:
    """Export a trained model as an ONNX file, for runtimes without nnstudio."""
    from nnstudio.export import export_onnx

    path = export_onnx(model_dir, onnx_file)
    click.echo(f"wrote {path}")


# ----------------------------------------------------------------------------- studio


@main.command()
@click.option("--workspace", default="nnstudio-workspace", show_default=True, type=click.Path(path_type=Path),
              help="Folder holding the studio's datasets, runs and models (created when missing).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only this machine can reach 127.0.0.1; another address "
                   "lets other machines in.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
@click.pass_context
def studio(ctx: click.Context, workspace: Path, host: str, port: int, no_browser: bool) -> None:
    """Start the studio, a web app on this machine: design, train, draw and test networks."""
    import socket
    import webbrowser

    import threadpoolctl
    import torch
    import uvicorn

    from nnstudio.studio.app import create_app

    torch_threads = ctx.find_root().params.get("threads")
    app = create_app(workspace, host=host, threads=torch_threads)
    # The server predicts one input at a time: one torch thread, and one BLAS thread for
    # numpy, whose idle OpenBLAS threads otherwise spin on the core a training needs
    # (they doubled the server's CPU time per prediction, 3.1 ms against 6.2 ms).
    torch.set_num_threads(1)
    threadpoolctl.threadpool_limits(1)
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off only on sockets
    # that say they are TCP, and with it on every answer on a kept-alive connection
    # waited 40 ms for the browser's delayed acknowledgement.
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM,
                             socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)  # from here on, a browser that connects waits instead of being refused
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} ({error.strerror}). help: choose "
                                   "another --port, or stop the program that uses it") from None
    port = listener.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/"
    click.echo(f"nnstudio studio at {url}  (workspace {workspace.resolve()}; Ctrl-C stops it)")
    sys.stdout.flush()  # a script or test reading the URL through a pipe gets it now, not at exit
    if not no_browser:
        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5)
    try:
        uvicorn.Server(config).run(sockets=[listener])
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully (runs keep their checkpoints), then re-raises the
        # Ctrl-C it caught: a stop the user asked for, so a clean exit.
        pass
    click.echo("nnstudio studio stopped", err=True)


# ----------------------------------------------------------------------------- demo


def _program() -> str:
    """Return how to type this nnstudio: "nnstudio" when that is on the PATH, else the
    path it was started by (.venv/bin/nnstudio after `make demo`)."""
    import os
    import shutil

    found = shutil.which("nnstudio")
    started = Path(sys.argv[0])
    if found and started.name == "nnstudio" and Path(found).resolve() == started.resolve():
        return "nnstudio"
    if started.name == "nnstudio" and started.exists():
        return os.path.relpath(started)
    return "nnstudio" if found else "python -m nnstudio"


@main.command()
@click.option("--out", default="runs", show_default=True, type=click.Path(path_type=Path),
              help="Folder for the demo's model folders.")
def demo(out: Path) -> None:
    """Train the course's shapes MLP and letters CNN, then predict a few drawings."""
    from nnstudio.demo import run_demo

    started = time.perf_counter()
    for line in run_demo(out, progress=ProgressBar, program=_program()):
        click.echo(line)
    click.echo(f"demo finished in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
