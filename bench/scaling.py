"""Training in one process against two (torchrun, gloo on the CPU), as whole commands.

Each row runs `nnstudio train --nproc N` on the same image folder with the same options
(letters-cnn, a fixed number of epochs, batch 64, no hold-out), interleaved N=1, N=2,
N=1, ... so that a busy moment hits both alike. It reports the median wall time, the
CPU time of all processes together, samples per second, and how far the two-process
model's answers (class probabilities of every training image) are from the one-process
model's (the loop trains the same batches either way; weights are not compared, since a
convolution's bias before batch normalization has no effect and drifts with rounding).
Before the processes shared batches, two processes each trained the whole data: about
2.2x the CPU time of one for the same result.

A second table trains letters-cnn once more with one and with two processes, in float32
and in float64 (bench/float64_train.py), and gives the largest weight difference between
the two: where float32 parts visibly and float64 agrees to rounding's size, the processes
compute the same training and float32's rounding grew on its way through the steps.

Usage: python bench/scaling.py [--repeats N] [--per-class N] [--epochs N] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import machine_line

import nnstudio
from nnstudio.data import load_dataset


TITLE = "11. Processes: one training process against two (torchrun, CPU)"


def run(command: list[str], cwd: Path) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds of the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def answers(model: Path, images: Path) -> np.ndarray:
    """The model's class probabilities (N, classes) for every image of the folder."""
    loaded = nnstudio.load(model)
    return loaded.probabilities(load_dataset(images, size=tuple(loaded.spec.input_shape[1:])).x)


def table(repeats: int = 3, per_class: int = 80, epochs: int = 2, processes: tuple[int, ...] = (1, 2)) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "nnstudio", "data", "letters", "--out", "images",
                        "--per-class", str(per_class)], cwd=work, check=True, stdout=subprocess.DEVNULL)
        samples = per_class * 26
        times: dict[int, list[tuple[float, float]]] = {n: [] for n in processes}
        for r in range(repeats):
            for n in processes:
                out = f"model-{n}-{r}"
                command = [sys.executable, "-m", "nnstudio", "train", "--data", "images", "--model", "letters-cnn",
                           "--out", out, "--epochs", str(epochs), "--batch-size", "64", "--validation", "0",
                           "--augment", "none", "--quiet", "--device", "cpu", "--nproc", str(n)]
                times[n].append(run(command, work))
        reference = answers(work / f"model-{processes[0]}-0", work / "images")
        rows = []
        for n in processes:
            wall = statistics.median(t for t, _ in times[n])
            cpu = statistics.median(c for _, c in times[n])
            diff = float(abs(answers(work / f"model-{n}-0", work / "images") - reference).max())
            rows.append(f"| {n} | {wall:.1f} | {cpu:.1f} | {samples * epochs / wall:.0f} | {diff:.1e} |")
    return [machine_line(), "",
            f"letters-cnn, {samples:,} letters ({per_class} per class), {epochs} epochs of batch 64, whole "
            f"`nnstudio train --nproc N` commands (start-up included), median of {repeats}, interleaved.", "",
            "| processes | wall s | CPU s (all processes) | samples/s | largest probability difference to 1 process |",
            "|---:|---:|---:|---:|---:|", *rows]


FLOAT64 = Path(__file__).with_name("float64_train.py")


def weight_difference(a: Path, b: Path) -> float:
    """The largest difference between two model folders' float weights."""
    from safetensors.numpy import load_file

    wa, wb = load_file(a / "weights.safetensors"), load_file(b / "weights.safetensors")
    return max(float(np.abs(wa[k].astype(np.float64) - wb[k].astype(np.float64)).max())
               for k in wa if wa[k].dtype.kind == "f")


def rounding_table(per_class: int = 40) -> list[str]:
    """letters-cnn, one epoch of SGD, 1 against 2 processes, in float32 and in float64."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for precision in ("float32", "float64"):
            script = ["-m", "nnstudio"] if precision == "float32" else [str(FLOAT64)]
            for n in (1, 2):
                command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
                           str(n), *script, "--threads", "1", "train", "--data", "letters", "--per-class",
                           str(per_class), "--model", "letters-cnn", "--epochs", "1", "--batch-size", "64",
                           "--validation", "0", "--augment", "none", "--optimizer", "sgd", "--lr", "0.05",
                           "--quiet", "--device", "cpu", "--out", f"{precision}-{n}"]
                subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            diff = weight_difference(work / f"{precision}-1", work / f"{precision}-2")
            rows.append(f"| {precision} | {diff:.1e} |")
    return ["", f"letters-cnn, {per_class * 26:,} letters, one epoch of SGD (lr 0.05, batch 64, no augmentation), "
            "1 process against 2 under torchrun:", "",
            "| values | largest weight difference, 1 process against 2 |", "|---|---:|", *rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--per-class", type=int, default=80)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="Write the table to this markdown file.")
    args = parser.parse_args()
    text = "\n".join(table(args.repeats, args.per_class, args.epochs) + rounding_table()) + "\n"
    if args.out is not None:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
