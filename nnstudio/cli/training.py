"""The commands that make data and models: data, train (with its progress bar), test and predict."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nnstudio.cli.root import DATASETS, main

if TYPE_CHECKING:  # the reports' shapes only: torch loads when a command trains, not at start
    from nnstudio.train.callbacks import BatchLogs, EpochLogs, TrainBegin, TrainEnd

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
    # Both torch-free, as this runs when the CLI starts. TUNED_FOR_DATA: the options
    # train.budget decides from the data (budget.DECIDED) when neither user nor network sets them.
    from nnstudio.spec.fitting import TUNED_FOR_DATA as DECIDED
    from nnstudio.train.config import option_specs

    for spec in reversed(option_specs()):
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
              help="A dataset name (shapes, letters, digits, mnist, or sequences: the next term of integer "
                   "sequences), an image folder or a training file.")
@click.option("--model", default=None,
              help="A preset name or a spec JSON file [default: chosen for the data].")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Model folder to write.")
@click.option("--per-class", type=click.IntRange(min=1), default=None,
              help="Samples per class: generated for a built-in dataset, the first N of a folder or file "
                   "(for sequences: the number of sequences).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint.")
@click.option("--restart", is_flag=True, help="Start over, deleting an interrupted run's checkpoint.")
@click.option("--overwrite", is_flag=True, help="Replace the model in --out (files nnstudio did not write stay).")
@click.option("--skip-bad", is_flag=True, help="Leave out images that cannot be read or are blank "
              "(they are listed and counted) instead of stopping.")
@click.option("--quiet", is_flag=True, help="No plan and no progress bar.")
@click.option("--nproc", type=click.IntRange(min=1), default=1, show_default=True,
              help="Training processes on this machine, started through torchrun; each trains its share of "
                   "every batch (on CUDA, one GPU each). Under torchrun itself, leave it out.")
@click.option("--checkpoint-seconds", type=click.FloatRange(min=0.0), default=10.0, show_default=True,
              help="Write a checkpoint after an epoch when this many seconds have passed since the last one.")
@training_options
@click.pass_context
def train(ctx: click.Context, data_source: str, model: str | None, out: Path, per_class: int | None, resume: bool,
          restart: bool, overwrite: bool, skip_bad: bool, quiet: bool, nproc: int, checkpoint_seconds: float,
          **options: Any) -> None:
    """Train a network and save it as a model folder (model.json + weights.safetensors).

    Without --model the network is chosen for the data. Options that neither you nor the
    network set (epochs, batch size, hold-out) are fitted to the data. What was chosen,
    and why, is printed before training starts.

    With --nproc N (or under `torchrun --nproc-per-node N -m nnstudio train ...`), N
    processes train together as one: the same batches, the same weights as one process.
    """
    from nnstudio.cli.launch import launch_torchrun, quiet_other_ranks, rank

    if nproc > 1:
        sys.exit(launch_torchrun(ctx, nproc))
    quiet_other_ranks()
    from nnstudio.data.sources import SEQUENCE_NAMES
    from nnstudio.workflows import checkpoint_folder, train_model

    progress = [] if quiet or rank() != 0 else [ProgressBar()]
    if data_source in SEQUENCE_NAMES:
        _train_sequences(out, model, per_class, overwrite, progress, options)
        return
    try:
        trained = train_model(data_source, out=out, model=model, per_class=per_class, resume=resume,
                              restart=restart, overwrite=overwrite, skip_bad=skip_bad, callbacks=progress,
                              checkpoint_seconds=checkpoint_seconds, **options)
    except KeyboardInterrupt:
        for bar in progress:
            bar.close()
        folder = checkpoint_folder(out)
        click.echo(f"interrupted; the checkpoint is kept in {folder}. help: run the same command with "
                   "--resume to continue from it.", err=True)
        sys.exit(130)
    if rank() != 0:
        return
    history = trained.training.get("history", []) if trained.training else []
    last = history[-1] if history else {}
    figures = "  ".join(f"{key} {_fmt(last[key])}" for key in
                        ("loss", "accuracy", "val_loss", "val_accuracy") if key in last)
    skipped = trained.training.get("skipped", []) if trained.training else []
    click.echo(f"saved {out}  ({figures})" + (f"  {len(skipped)} bad image(s) left out" if skipped else ""))


def _train_sequences(out: Path, model: str | None, samples: int | None, overwrite: bool, progress: list[Any],
                     options: dict[str, Any]) -> None:
    from nnstudio.workflows.sequences import train_sequences

    trained = train_sequences(out=out, model=model, samples=samples, overwrite=overwrite, callbacks=progress,
                              **options)
    history = trained.training.get("history", []) if trained.training else []
    best = max((row.get("val_accuracy", 0.0) for row in history), default=0.0)
    click.echo(f"saved {out}  (held-out next terms exact {_fmt(best)})")


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
    """Predict the class of images or of each line of a training/pixel file; for a model
    trained on sequences, the next term of each sequence ("2 4 6 8", or a text file of one a line)."""
    from nnstudio.data.sequence_prep import SequencePreparation
    from nnstudio.predict import load
    from nnstudio.workflows import predict_inputs

    model = load(model_dir)
    if isinstance(model.preparation, SequencePreparation):
        _predict_sequences(model, inputs, as_json)
        return
    predictions = predict_inputs(model, inputs, top=top)
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in predictions]))
        return
    for p in predictions:
        line = f"{p.input}: {p.class_name} ({p.confidence:.1%})"
        if top and top > 1:
            others = list(p.probabilities.items())[1:top]
            line += "  then " + ", ".join(f"{name} {prob:.1%}" for name, prob in others)
        click.echo(line)


def _predict_sequences(model: Any, inputs: tuple[str, ...], as_json: bool) -> None:
    from nnstudio.workflows.sequences import predict_next_terms

    answers = predict_next_terms(model, inputs)
    if as_json:
        click.echo(json.dumps(answers))
    elif len(answers) == 1 and len(inputs) == 1 and not Path(inputs[0]).is_file():
        click.echo(answers[0]["value"])
    else:
        for answer in answers:
            click.echo(f"{' '.join(map(str, answer['input']))} -> {answer['value']}")
