"""Letters on held-out sets: printed fonts, clean pen strokes, sloppy strokes,
handwriting-like styles, a robustness sweep, and calibration.

Trains letters-cnn with default options (what `nnstudio train --data letters` does)
for each seed, or measures saved models given with --model, on the sets of
bench/heldout_sets.py (built in memory, by means separate from the training
generator), and writes a section of bench/ACCURACY.md (between its markers).

    .venv/bin/python bench/letters_heldout.py [--seeds 0 1] [--threads 2]
    .venv/bin/python bench/letters_heldout.py --model before=/tmp/old-model --model /tmp/new-model --no-train
    .venv/bin/python bench/letters_heldout.py --mosaics /tmp/heldout   # PNG mosaics of each set

Goals (issue 10): printed and clean strokes >= 99.5%, sloppy >= 95%, handwriting-like
>= 90%, expected calibration error <= 0.05.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from heldout_sets import (  # noqa: E402
    clean_set,
    handwriting_set,
    printed_fonts,
    printed_set,
    sloppy_set,
    sweep_sets,
)
from machine import machine_line, median_seconds  # noqa: E402

from nnstudio.predict import load  # noqa: E402
from nnstudio.workflows import train_model  # noqa: E402

OUT = Path(__file__).with_name("ACCURACY.md")
BEGIN, END = "<!-- letters-heldout:begin -->", "<!-- letters-heldout:end -->"
SEED = 2026  # the sets' seed: the same sets every run
GOALS = {"printed fonts": 0.995, "clean strokes": 0.995, "sloppy strokes": 0.95, "handwriting-like": 0.90}
RELIABILITY_EDGES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


def build_sets() -> dict[str, list]:
    """Return {set name: [(letter, image)]}, the same every time."""
    makers = {"printed fonts": printed_set, "clean strokes": clean_set, "sloppy strokes": sloppy_set,
              "handwriting-like": handwriting_set}
    return {name: list(make(np.random.default_rng([SEED, i]))) for i, (name, make) in enumerate(makers.items())}


def answers(model, samples: list) -> tuple[np.ndarray, np.ndarray]:
    """Return (correct (N,) bool, confidence (N,)) of the model on (letter, image) samples."""
    preds = model.predict([image for _, image in samples])
    correct = np.array([p.class_name == letter for p, (letter, _) in zip(preds, samples)])
    return correct, np.array([p.confidence for p in preds])


def calibration_error(correct: np.ndarray, confidence: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: the sample-weighted mean |accuracy - confidence| over
    equal-width confidence bins."""
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        member = index == b
        if member.any():
            total += member.sum() * abs(correct[member].mean() - confidence[member].mean())
    return total / len(correct)


def reliability_rows(correct: np.ndarray, confidence: np.ndarray) -> list[str]:
    rows = []
    for lo, hi in zip(RELIABILITY_EDGES[:-1], RELIABILITY_EDGES[1:]):
        member = (confidence >= lo) & ((confidence < hi) if hi < 1 else (confidence <= hi))
        if member.any():
            rows.append(f"| {lo:.2f}-{hi:.2f} | {member.sum()} | {confidence[member].mean():.3f} | "
                        f"{correct[member].mean():.3f} |")
        else:
            rows.append(f"| {lo:.2f}-{hi:.2f} | 0 | | |")
    return rows


def measure(model_dir: Path, sets: dict, sweeps: dict) -> dict:
    """Return every figure of one model."""
    model = load(model_dir)
    result: dict = {"sets": {}, "sweeps": {}}
    pooled = []
    for name, samples in sets.items():
        correct, confidence = answers(model, samples)
        pooled.append((correct, confidence))
        result["sets"][name] = {"n": len(samples), "accuracy": correct.mean(),
                                "ece": calibration_error(correct, confidence),
                                "mean confidence": confidence.mean()}
    correct = np.concatenate([c for c, _ in pooled])
    confidence = np.concatenate([p for _, p in pooled])
    result["ece"] = calibration_error(correct, confidence)
    result["reliability"] = reliability_rows(correct, confidence)
    for sweep, settings in sweeps.items():
        result["sweeps"][sweep] = [(label, answers(model, samples)[0].mean()) for label, samples in settings]
    result["training"] = (model.training or {})
    return result


def costs() -> list[str]:
    """Markdown lines: what the default letters set and its augmentation cost, in seconds."""
    from nnstudio.data.letters import LETTERS_TRAIN_PER_CLASS, _font_letters, _hand_letters, letters_preparation
    from nnstudio.train.augment import distort

    prep = letters_preparation()
    half = LETTERS_TRAIN_PER_CLASS // 2
    x = np.empty((26 * half, 1, *prep.size), dtype=np.uint8)  # the letters are drawn into it, as codes
    _font_letters(x[:26], "train", 1, 0, prep)  # builds the glyph atlas once, as the first call would
    fonts = median_seconds(lambda: _font_letters(x, "train", half, 0, prep), repeats=3, warmup=0)
    hand = median_seconds(lambda: _hand_letters(x, np.random.default_rng(0), half, prep), repeats=3, warmup=0)
    epoch = torch.rand(int(26 * LETTERS_TRAIN_PER_CLASS * 0.9), 1, 50, 50)  # the 90% that trains
    augment = median_seconds(lambda: distort(epoch, torch.Generator().manual_seed(0)), repeats=3)
    return [f"- generating the default training letters: {26 * half} from fonts {fonts:.1f} s, "
            f"{26 * half} handwritten {hand:.1f} s",
            f"- the 'distort' augmentation of one epoch ({len(epoch)} images): {augment:.2f} s"]


def percent(v: float) -> str:
    return f"{100 * v:.2f}%"


def write_section(results: dict[str, dict], seconds: dict[str, float], cpu_seconds: dict[str, float],
                  sets: dict) -> str:
    labels = list(results)
    fonts = printed_fonts()
    lines = [
        BEGIN,
        "## Letters on held-out sets (issue 10)",
        "",
        "Made by bench/heldout_sets.py, in memory, by means that share nothing with the training generator:",
        f"printed: {len(fonts)} fonts never trained on ({', '.join(n for n, _ in fonts)}), rendered by PIL, "
        "each letter three times (dark ink on white, light ink on black, small and off-centre on a 600x450 "
        "transparent canvas), each slightly rotated (+-6 deg); clean strokes: the bench's own path skeletons "
        "drawn with a round pen 4-20 px wide on 280x280; sloppy: the same and other letter forms with a shaky "
        "random-walk hand, overshoot and short strokes, slant +-0.45, squash/stretch x0.55-1.8, +-12 deg, "
        "pens of 1.5-3, 8-16 and 26-38 px; handwriting-like: casual (curved, pressure brush), marker (flat "
        "chisel tip 18-30 px) and script-like (curl in, hook out, slanted). Models are predicted through "
        "Model.predict, i.e. the one preparation path. Regenerate with "
        "`.venv/bin/python bench/letters_heldout.py`.",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- {machine_line()}",
        *costs(),
        "",
        "| held-out set | samples | " + " | ".join(labels) + " | goal |",
        "|---|---:|" + "---:|" * len(labels) + "---:|",
    ]
    for name in sets:
        row = [percent(results[m]["sets"][name]["accuracy"]) for m in labels]
        lines.append(f"| {name} | {len(sets[name])} | " + " | ".join(row) + f" | >= {100 * GOALS[name]:.1f}% |")
    lines.append("| calibration error (ECE, all sets, 15 bins) | | "
                 + " | ".join(f"{results[m]['ece']:.3f}" for m in labels) + " | <= 0.05 |")
    lines.append("| ECE per set (printed, clean, sloppy, handwriting) | | " + " | ".join(
        ", ".join(f"{s['ece']:.3f}" for s in results[m]["sets"].values()) for m in labels) + " | |")
    lines.append("| training wall seconds (data generation included) | | "
                 + " | ".join(f"{seconds[m]:.0f}" if m in seconds else "" for m in labels) + " | <= 120 |")
    lines.append("| training CPU seconds of the process (the wall time it needs alone on one thread) | | "
                 + " | ".join(f"{cpu_seconds[m]:.0f}" if m in cpu_seconds else "" for m in labels) + " | |")
    lines += ["", "Robustness sweep (clean skeletons, one thing changed at a time; 208 letters per setting):", "",
              "| sweep | setting | " + " | ".join(labels) + " |", "|---|---|" + "---:|" * len(labels)]
    first = results[labels[0]]["sweeps"]
    for sweep, settings in first.items():
        for i, (setting, _) in enumerate(settings):
            lines.append(f"| {sweep} | {setting} | "
                         + " | ".join(percent(results[m]["sweeps"][sweep][i][1]) for m in labels) + " |")
    last = labels[-1]
    lines += ["", f"Reliability of {last} on all held-out sets pooled (confidence = top probability):", "",
              "| confidence | samples | mean confidence | accuracy |", "|---|---:|---:|---:|",
              *results[last]["reliability"], END]
    return "\n".join(lines) + "\n"


def save_section(section: str, path: Path) -> None:
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n?", lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def save_mosaics(sets: dict, folder: Path) -> None:
    from PIL import Image

    from nnstudio.data import prepare_image
    from nnstudio.data.letters import letters_preparation

    folder.mkdir(parents=True, exist_ok=True)
    prep = letters_preparation()
    for name, samples in sets.items():
        shown = samples[::max(1, len(samples) // 520)][:520]
        tiles = [np.pad(prepare_image(img, prep), 1, constant_values=0.4) for _, img in shown]
        rows = [np.concatenate(tiles[i:i + 26], 1) for i in range(0, len(tiles) - 25, 26)]
        picture = Image.fromarray((255 - 255 * np.concatenate(rows)).astype(np.uint8))
        picture.save(folder / f"{name.replace(' ', '-')}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (default: 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    parser.add_argument("--model", action="append", default=[], help="[label=]model folder to measure too")
    parser.add_argument("--no-train", action="store_true", help="measure only the --model folders")
    parser.add_argument("--mosaics", type=Path, help="write a PNG mosaic of each set here and stop")
    parser.add_argument("--out", type=Path, default=OUT, help=f"markdown file (default: {OUT.name})")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sets = build_sets()
    if args.mosaics:
        save_mosaics(sets, args.mosaics)
        return
    sweeps = sweep_sets(np.random.default_rng([SEED, 99]))
    results: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    cpu_seconds: dict[str, float] = {}
    for spec in args.model:
        label, _, path = spec.rpartition("=")
        results[label or Path(path).name] = measure(Path(path), sets, sweeps)
    with tempfile.TemporaryDirectory() as folder:
        for seed in [] if args.no_train else args.seeds:
            label = f"letters-cnn seed {seed}"
            started, cpu = time.perf_counter(), time.process_time()
            train_model("letters", out=Path(folder) / str(seed), seed=seed)
            seconds[label] = time.perf_counter() - started
            cpu_seconds[label] = time.process_time() - cpu
            results[label] = measure(Path(folder) / str(seed), sets, sweeps)
    for label, r in results.items():
        print(label, {k: round(float(v["accuracy"]), 4) for k, v in r["sets"].items()}, "ECE", round(r["ece"], 3),
              f"{seconds.get(label, 0):.0f} s, {cpu_seconds.get(label, 0):.0f} CPU s", flush=True)
    section = write_section(results, seconds, cpu_seconds, sets)
    save_section(section, args.out)
    print(section)


if __name__ == "__main__":
    main()
