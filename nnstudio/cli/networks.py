"""The commands that describe networks: summary, presets, and export to ONNX."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from nnstudio.cli.root import main

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
    from nnstudio.spec.fitting import TUNED_FOR_DATA as DECIDED  # train.budget.DECIDED, without numpy
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

    width = max(len(name) for name in preset_names())
    for name in preset_names():
        spec = get_preset(name)
        shape = "x".join(str(d) for d in spec.input_shape)
        click.echo(f"{name:<{width}} input {shape:<8} {len(spec.layers):>2} layers {count_params(spec):>10,} params")
        if details:
            click.echo(f"{'':<{width}} {training_text(spec.training)}")


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
