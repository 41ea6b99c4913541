"""`nnstudio train --nproc N`: the same command, started N times by torchrun.

torchrun (torch.distributed.run) starts the processes, gives each its RANK and
WORLD_SIZE, and restarts them when one fails; nnstudio.train.placement does the rest.
Only the first process shows the plan, the progress bar, warnings and the result.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import click


def rank() -> int:
    """This process's rank under torchrun (0 without it)."""
    try:
        return int(os.environ.get("RANK", "0") or 0)
    except ValueError:
        return 0


def quiet_other_ranks() -> None:
    """Under torchrun, let only the first process show warnings (the others repeat them)."""
    if rank() != 0:
        logging.getLogger("nnstudio").setLevel(logging.ERROR)


def torchrun_command(ctx: click.Context, nproc: int) -> list[str]:
    """Return the torchrun command line that runs this train command in nproc processes:
    the same options, given again as the user gave them, less --nproc."""
    root = ctx.find_root()
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            "-m", "nnstudio"]
    args += _options(root.command, root.params)
    args.append(ctx.command.name or "train")
    args += _options(ctx.command, ctx.params, skip=("nproc",))
    return args


def _options(command: click.Command, values: dict, skip: tuple[str, ...] = ()) -> list[str]:
    out: list[str] = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.name in skip or param.name is None:
            continue
        value = values.get(param.name)
        if param.is_flag:
            if value:
                out.append(param.opts[0])
        elif value is not None and value != param.default:
            out += [param.opts[0], str(value)]
    return out


def launch_torchrun(ctx: click.Context, nproc: int) -> int:
    """Run the command in nproc processes through torchrun; return its exit code."""
    if os.environ.get("WORLD_SIZE"):
        raise click.UsageError("--nproc starts torchrun, but this command already runs under torchrun. "
                               "help: leave --nproc out (torchrun's --nproc-per-node says how many).")
    env = dict(os.environ)
    threads = ctx.find_root().params.get("threads")
    # torchrun would set one thread per process and say so; share the cores instead.
    env.setdefault("OMP_NUM_THREADS", str(threads or max(1, (os.cpu_count() or 1) // nproc)))
    return subprocess.call(torchrun_command(ctx, nproc), env=env)
