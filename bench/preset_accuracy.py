"""Accuracy of every dataset's preset with its default options, as a new user gets it.

For each row this does what `nnstudio train --data NAME --out M --seed S` followed by
`nnstudio test M --data NAME` does (workflows.train_model, then workflows.evaluate_model on
the test part; letters also on the "unseen" part, fonts never trained on), and writes
bench/ACCURACY.md: preset, data, samples, epochs, training seconds (data generation
included), accuracies, seed, with the machine and the date.

    .venv/bin/python bench/preset_accuracy.py [--seeds 0 1 2] [--threads 2] [--only digits-cnn ...]

Targets (issue 2): shapes-mlp 100% on the clean shapes, the broken square read as
'square', >= 95% test; letters-cnn >= 99% test, >= 97% unseen; digits-cnn >= 99.0%;
digits-mlp >= 98.0%; mnist-cnn >= 97%.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nnstudio.data import BROKEN_SQUARE, SHAPE_BITMAPS, SHAPES
from nnstudio.workflows import evaluate_model, train_model

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_line  # noqa: E402

# (preset, dataset, target test accuracy, target unseen accuracy)
ROWS = [
    ("shapes-mlp", "shapes", 0.95, None),
    ("letters-cnn", "letters", 0.99, 0.97),
    ("digits-cnn", "digits", 0.99, None),
    ("digits-mlp", "digits", 0.98, None),
    ("mnist-cnn", "mnist", 0.97, None),
]
OUT = Path(__file__).with_name("ACCURACY.md")


def measure(preset: str, data: str, seed: int, folder: Path) -> dict:
    """Train `preset` on `data` with default options and `seed`; return the row's figures."""
    out = folder / f"{preset}-{seed}"
    started = time.perf_counter()
    model = train_model(data, out=out, model=preset, seed=seed)
    seconds = time.perf_counter() - started
    row = {"preset": preset, "data": data, "seed": seed, "seconds": seconds,
           "test": evaluate_model(out, data).accuracy, "unseen": None, "extra": ""}
    row["samples"], row["epochs"] = _samples_and_epochs(out)
    if data == "letters":
        row["unseen"] = evaluate_model(out, data, part="unseen").accuracy
    if data == "shapes":
        row["extra"] = _shapes_checks(model)
    return row


def _samples_and_epochs(out: Path) -> tuple[int, int]:
    import json

    record = json.loads((out / "model.json").read_text())
    training = record["training"]
    return training["samples"], training["config"]["epochs"]


def _shapes_checks(model) -> str:
    """The course's own checks: every clean shape, and the broken square."""
    inputs = [SHAPE_BITMAPS[name] for name in SHAPES] + [BROKEN_SQUARE]
    answers = [p.class_name for p in model.predict([np.asarray(x, dtype=np.float32) for x in inputs])]
    clean = sum(a == name for a, name in zip(answers, SHAPES))
    return f"clean {clean}/5, broken square -> {answers[-1]}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}%"


def write_table(rows: list[dict], machine: str, load_before: str) -> str:
    lines = [
        "# Preset accuracy with default options",
        "",
        "What `nnstudio train --data NAME --seed S --out M` then `nnstudio test M --data NAME` give.",
        "Seconds: the whole `train_model` call (data loading or generation, training, saving).",
        "Regenerate with `.venv/bin/python bench/preset_accuracy.py --seeds 0 1 2`.",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- {machine}",
        f"- load average before the run: {load_before}",
        "",
        "| preset | data | samples | epochs | train s | test accuracy | unseen accuracy | seed | checks |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(f"| {r['preset']} | {r['data']} | {r['samples']} | {r['epochs']} | {r['seconds']:.1f} | "
                     f"{percent(r['test'])} | {percent(r['unseen'])} | {r['seed']} | {r['extra']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (default: 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    parser.add_argument("--only", nargs="+", help="presets to run (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"markdown table (default: {OUT.name})")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import os

    load_before = f"{os.getloadavg()[0]:.2f}"
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for preset, data, *_ in ROWS:
            if args.only and preset not in args.only:
                continue
            for seed in args.seeds:
                row = measure(preset, data, seed, Path(folder))
                rows.append(row)
                print(f"{preset} seed {seed}: {row['seconds']:.1f} s, test {percent(row['test'])}"
                      f" unseen {percent(row['unseen'])} {row['extra']}", flush=True)
    text = write_table(rows, machine_line(), load_before)
    # Keep the sections other scripts write below the table (bench/letters_heldout.py).
    old = args.out.read_text() if args.out.exists() else ""
    kept = old[old.index("<!-- "):] if "<!-- " in old else ""
    args.out.write_text(text + ("\n" + kept if kept else ""))
    print(text)


if __name__ == "__main__":
    main()
