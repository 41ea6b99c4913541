"""How fast the commands that train nothing start, against a bare Python.

`nnstudio --help`, `presets`, `summary letters-cnn` and `train --help` are each run as a
whole process (`python -m nnstudio ...` from the repository root, start-up and imports
included), interleaved with `python -c pass` so that a busy moment of the machine hits
both alike. The table gives each median wall time and its ratio to the bare Python's
median (goal: at most 10x), and whether the command imported torch (read from
`python -X importtime`). `python -c "import torch"` is the yardstick: what each of these
commands paid at start when the CLI loaded torch.

Usage: python bench/start_speed.py [--repeats N] [--results bench/RESULTS.md]
(--results: also write the table into that file's section 9)
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import load_average, machine_line

ROOT = Path(__file__).resolve().parents[1]  # `-m nnstudio` from here runs this checkout's code
BARE = ("python -c pass", ["-c", "pass"])
COMMANDS = [
    ("nnstudio --help", ["-m", "nnstudio", "--help"]),
    ("nnstudio presets", ["-m", "nnstudio", "presets"]),
    ("nnstudio summary letters-cnn", ["-m", "nnstudio", "summary", "letters-cnn"]),
    ("nnstudio train --help", ["-m", "nnstudio", "train", "--help"]),
    ('python -c "import torch"', ["-c", "import torch"]),
]
GOAL = 10.0  # times the bare Python's start
TITLE = "9. Start-up: commands that train nothing"
SECTION = f"## {TITLE}"  # its heading in RESULTS.md


def wall_seconds(args: list[str]) -> float:
    """Return the wall seconds of one `python ARGS` process, from start to exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def imports_torch(args: list[str]) -> bool:
    """Return whether `python ARGS` imports torch (its -X importtime report names it)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return re.search(r"\|\s*torch$", done.stderr, re.MULTILINE) is not None


def measure(repeats: int) -> dict[str, list[float]]:
    """Return every command's wall seconds over `repeats` interleaved rounds (after one
    round not counted, which fills the file cache)."""
    runs = [BARE, *COMMANDS]
    times: dict[str, list[float]] = {name: [] for name, _ in runs}
    for round_ in range(repeats + 1):
        for name, args in runs:
            took = wall_seconds(args)
            if round_:
                times[name].append(took)
    return times


def table(repeats: int = 15) -> list[str]:
    """Return the markdown lines of the start-up table."""
    load_before = load_average()
    times = measure(repeats)
    bare = statistics.median(times[BARE[0]])
    lines = [f"{machine_line()}; median of {repeats} interleaved runs, measured {time.strftime('%Y-%m-%d')} "
             f"with `python bench/start_speed.py --repeats {repeats}` (1-minute load {load_before} before, "
             f"{load_average()} after)", "",
             "| command (whole process) | median wall (ms) | vs `python -c pass` | goal | imports torch |",
             "|---|---:|---:|---:|---|",
             f"| {BARE[0]} | {bare * 1e3:.0f} | 1.0x | | no |"]
    for name, args in COMMANDS:
        median = statistics.median(times[name])
        goal = "" if name.startswith("python") else f"≤ {GOAL:.0f}x"
        torch_loaded = "yes" if imports_torch(args) else "no"
        lines.append(f"| {name} | {median * 1e3:.0f} | {median / bare:.1f}x | {goal} | {torch_loaded} |")
    return lines


def write_section(results: Path, lines: list[str], heading: str = SECTION) -> None:
    """Put the table into results under heading (this module's SECTION unless given),
    replacing that section's old text (the sections after it stay as they are)."""
    text = results.read_text() if results.exists() else ""
    section = "\n".join([heading, "", *lines, ""]) + "\n"
    if heading in text:
        head, rest = text.split(heading, 1)
        following = rest.find("\n## ")
        text = head + section + (rest[following + 1:] if following >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--results", type=Path, default=None, help="markdown file to write section 9 into")
    args = parser.parse_args()
    lines = table(args.repeats)
    print("\n".join(lines))
    if args.results is not None:
        write_section(args.results, lines)


if __name__ == "__main__":
    main()
