"""Fill the generated parts of docs/guide.md, so what it shows is what nnstudio measured.

    python docs/update_guide.py                    # experiment blocks, from docs/experiments/
    python docs/update_guide.py --run build/guide  # also the marked command outputs, run there

Two kinds of marked parts:

    <!-- experiment:NAME -->  ...  <!-- /experiment -->
        the claim, command, table, finding, run line and figures of docs/experiments/NAME.md
        (written by `nnstudio experiment NAME --out docs/experiments`).

    <!-- output -->            (the line right above a ``` block)
        with --run, every `$ ` line of the block is run in the work folder, in the guide's
        order (`nnstudio` on one torch thread, other lines through the shell), and the lines
        under it are replaced by what it prints. Where the block shows a `...` line, as many
        lines before and after it are kept as the block shows.

The guide is written to a temporary name beside it and renamed over it, so an interrupted
run leaves the old guide whole. `make guide` runs this after the experiments.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent
EXPERIMENT = re.compile(r"<!-- experiment:(\S+) -->\n(.*?)<!-- /experiment -->\n", re.DOTALL)
OUTPUT = "<!-- output -->"
ELLIPSIS = "..."


def experiment_block(name: str, folder: Path, guide: Path) -> str:
    """The guide's text for experiment `name`, from folder/NAME.md and its PNG figures."""
    lines = (folder / f"{name}.md").read_text(encoding="utf-8").splitlines()

    def field(prefix: str) -> str:
        found = [line[len(prefix):] for line in lines if line.startswith(prefix)]
        if len(found) != 1:
            raise SystemExit(f"{folder / name}.md: expected one line starting {prefix!r}, found {len(found)}")
        return found[0]

    table = "\n".join(line for line in lines if line.startswith("|"))
    where = Path(os.path.relpath(folder, guide.parent)).as_posix()
    figures = [folder / f"{name}.png", *sorted(folder.glob(f"{name}-*.png"))]
    pictures = "\n".join(f"![{p.stem}]({where}/{p.name})" for p in figures if p.is_file())
    return (f"**The claim.** {field('Claim: ')}\n\n```\n$ nnstudio experiment {name}\n```\n\n{table}\n\n"
            f"**Measured.** {field('Finding: ')}\n\n<sub>{field('Run: ')} Table and numbers: "
            f"[{where}/{name}.md]({where}/{name}.md).</sub>\n\n{pictures}\n")


def fill_experiments(text: str, folder: Path, guide: Path) -> str:
    """Replace each experiment block of `text` by the one made from its committed run."""
    return EXPERIMENT.sub(lambda m: f"<!-- experiment:{m.group(1)} -->\n"
                          f"{experiment_block(m.group(1), folder, guide)}<!-- /experiment -->\n", text)


def trim(printed: list[str], shown: list[str]) -> list[str]:
    """`printed` cut to the shape of `shown`: if shown has a `...` line (indented or not),
    keep it and as many lines before and after it as shown does."""
    cuts = [k for k, line in enumerate(shown) if line.strip() == ELLIPSIS]
    if not cuts:
        return printed
    before = cuts[0]
    after = len(shown) - before - 1
    if len(printed) <= before + after:
        return printed
    return [*printed[:before], shown[before], *printed[len(printed) - after:]]


def run_line(command: str, work: Path) -> list[str]:
    """Run one `$ ` line of the guide in `work`; return the lines it printed (stdout)."""
    command = command.split("  #")[0].strip()
    if command.startswith("nnstudio "):  # this Python's nnstudio, on one torch thread
        args = [sys.executable, "-m", "nnstudio", "--threads", "1", *shlex.split(command)[1:]]
    else:  # echo, head, python -c: through the shell, with this Python first on PATH
        args = ["bash", "-c", command]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"$ {command}\n{done.stdout}{done.stderr}")
    return [line.rstrip() for line in done.stdout.splitlines()]


def fill_outputs(text: str, run: Callable[[str], list[str]]) -> str:
    """Replace the output of each `$ ` line in the ``` blocks marked <!-- output --> by
    run(line), trimmed to the shape the block shows."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if lines[i].strip() != OUTPUT or i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
            i += 1
            continue
        end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
        out.append(lines[i + 1])
        block = lines[i + 2:end]
        starts = [k for k, line in enumerate(block) if line.startswith("$ ")]
        for n, k in enumerate(starts):
            shown = block[k + 1:starts[n + 1] if n + 1 < len(starts) else len(block)]
            out += [block[k], *trim(run(block[k][2:]), shown)]
        out.append(lines[end])
        i = end + 1
    return "\n".join(out) + "\n"


def write(path: Path, text: str) -> None:
    """Write `text` to a temporary name beside `path`, then rename it over `path`."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guide", type=Path, default=DOCS / "guide.md")
    parser.add_argument("--experiments", type=Path, default=DOCS / "experiments")
    parser.add_argument("--run", type=Path, metavar="WORK",
                        help="also run the marked commands in this folder (its runs/ is trained afresh)")
    options = parser.parse_args(argv)
    text = fill_experiments(options.guide.read_text(encoding="utf-8"), options.experiments, options.guide)
    if options.run is not None:
        options.run.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(options.run / "runs", ignore_errors=True)  # `train` will not overwrite a model
        text = fill_outputs(text, lambda line: run_line(line, options.run))
    write(options.guide, text)


if __name__ == "__main__":
    main()
