"""What `nnstudio train` costs over a bare PyTorch script, timed as whole processes.

Both train the course's shapes MLP on its 5-line training file (one line per shape)
with SGD (lr 0.01), batch size 1, no validation, for 300 and 3,000 epochs. Runs are
interleaved (bare, nnstudio, bare, ...) so that a busy moment of the machine hits
both alike; the table gives medians and their ratio.

Usage: python bench/checkpoint_cost.py [--repeats N] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine_line

HERE = Path(__file__).resolve().parent
SHAPES = {
    "square": "11111 10001 10001 10001 11111", "rhombus": "00100 01010 10001 01010 00100",
    "plus": "00100 00100 11111 00100 00100", "x": "10001 01010 00100 01010 10001",
    "line": "00000 00000 11111 00000 00000",
}


def write_course_file(path: Path) -> None:
    lines = ["# classes: " + " ".join(SHAPES)]
    for i, rows in enumerate(SHAPES.values()):
        bits = ["1" if j == i else "0" for j in range(len(SHAPES))]
        lines.append(" ".join(rows.replace(" ", "")) + " " + " ".join(bits))
    path.write_text("\n".join(lines) + "\n")


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def commands(data: Path, out: Path, epochs: int) -> tuple[list[str], list[str]]:
    bare = [sys.executable, str(HERE / "bare_shapes.py"), str(data), str(epochs)]
    nnstudio = [sys.executable, "-m", "nnstudio.cli", "train", "--data", str(data), "--model", "shapes-mlp",
                "--out", str(out), "--optimizer", "sgd", "--lr", "0.01", "--momentum", "0", "--clip-norm", "1",
                "--batch-size", "1", "--epochs", str(epochs), "--validation", "0", "--quiet"]
    return bare, nnstudio


def table(repeats: int) -> list[str]:
    lines = [f"{machine_line()}; median of {repeats} interleaved runs at 300 epochs, "
             f"{max(repeats // 2, 1)} at 3,000", "",
             "| epochs | bare script (s) | nnstudio train (s) | ratio |", "|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "shapes.dat"
        write_course_file(data)
        overwrite = ["--overwrite"] if _supports_overwrite() else []
        for epochs, count in ((300, repeats), (3000, max(repeats // 2, 1))):
            bare, nns = commands(data, Path(tmp) / "model", epochs)
            times: dict[str, list[float]] = {"bare": [], "nnstudio": []}
            for _ in range(count):
                times["bare"].append(timed(bare))
                times["nnstudio"].append(timed(nns + overwrite))
            b, n = statistics.median(times["bare"]), statistics.median(times["nnstudio"])
            lines.append(f"| {epochs:,} | {b:.2f} | {n:.2f} | {n / b:.3f} |")
    return lines


def _supports_overwrite() -> bool:
    out = subprocess.run([sys.executable, "-m", "nnstudio.cli", "train", "--help"], capture_output=True, text=True)
    return "--overwrite" in out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print("\n".join(table(args.repeats)))


if __name__ == "__main__":
    main()
