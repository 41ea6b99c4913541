"""The commands that walk the course: experiment (measure one claim) and demo."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from nnstudio.cli.root import main
from nnstudio.cli.training import ProgressBar

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
