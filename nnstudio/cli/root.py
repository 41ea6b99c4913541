"""The `nnstudio` group: its options, and how a user's mistake is shown.

This is the only module that prints or exits. A problem caused by the user (an
NnstudioError or an unreadable file) becomes one line on stderr and exit code 2;
`--debug` shows the full traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from nnstudio.errors import NnstudioError, one_line

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
        except BrokenPipeError:
            # The reader went away (`nnstudio presets | head -3`): not an error of the user's.
            # stdout goes to devnull so Python's flush at exit does not complain again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
        except (NnstudioError, OSError) as error:
            if ctx.meta.get("nnstudio.debug"):
                raise
            click.echo(f"error: {_one_line(error)}", err=True)
            ctx.exit(2)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and not isinstance(error, NnstudioError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    if isinstance(error, NnstudioError) and error.hint:
        return " ".join(error.with_hint(cli_help(error.hint)).split())
    return one_line(error)


# Library messages name Python parameters; the shell user needs the option to type.
PARAMETER_FLAGS = ("lr", "clip_norm", "batch_size", "validation", "weight_decay", "label_smoothing", "lr_decay",
                   "decay_rate", "decay_every", "momentum", "patience", "resume", "restart", "overwrite",
                   "skip_bad", "per_class")


def cli_help(hint: str) -> str:
    """Return an error's hint with each Python parameter it names followed by its CLI
    option, e.g. "use batch_size 2" -> "use batch_size (--batch-size) 2"."""
    import re

    for name in PARAMETER_FLAGS:
        flag = "--" + name.replace("_", "-")
        if flag not in hint:
            hint = re.sub(rf"(?<![-\w'\"]){name}(?![-\w'\"])", f"{name} ({flag})", hint, count=1)
    return hint


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
        from nnstudio.threads import use_threads

        use_threads(threads)
