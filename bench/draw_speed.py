"""How fast nnstudio.draw renders the two big course networks (median of 5 runs).

- the letters MLP (2,500 inputs) with its weights: draw_network(model)
- the letters CNN with one input's activations: draw_activations(model, letter) and
  draw_network(model, input=letter) (planes showing feature maps)
Each time covers the whole call (weights or activations read from the torch model,
layout, SVG text); PNG time is the cairosvg rendering of that SVG on top.
The goal: each SVG under 1 second. Prints a markdown table.

    .venv/bin/python bench/draw_speed.py
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import nnstudio.draw as draw
from nnstudio.model import build_model

REPEATS = 5


def median_seconds(call, repeats: int = REPEATS) -> tuple[float, object]:
    """Return (median wall seconds of `call()`, its last result)."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def trained(preset: str):
    """Return (network, class names, weights note): briefly trained when nnstudio.train exists."""
    network = build_model(preset, seed=0)
    names = [chr(65 + i) for i in range(26)]
    try:
        from nnstudio.data import load_dataset
        from nnstudio.train import TrainConfig, fit
    except ImportError:
        return network, names, "initial weights (nnstudio.train missing)"
    data = load_dataset("letters", per_class=25)
    fit(network, data, TrainConfig.from_options(network.spec.training, epochs=1, seed=0))
    return network, list(data.class_names), "trained 1 epoch"


def cpu_model() -> str:
    """Return the CPU's model name (from /proc/cpuinfo on Linux), else the machine type."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def letter_t() -> np.ndarray:
    image = np.zeros((50, 50), dtype=np.float32)
    image[10:16, 12:38] = 1.0
    image[10:40, 22:28] = 1.0
    return image


def main() -> None:
    mlp, names, mlp_note = trained("letters-mlp")
    cnn, _, cnn_note = trained("letters-cnn")
    letter = letter_t()
    cases = [
        ("letters-mlp network, weights", mlp_note, lambda: draw.draw_network(mlp, class_names=names)),
        ("letters-cnn activations", cnn_note, lambda: draw.draw_activations(cnn, letter, class_names=names)),
        ("letters-cnn planes + input", cnn_note, lambda: draw.draw_network(cnn, input=letter, class_names=names)),
    ]
    cpu = cpu_model()
    print(f"machine: {os.cpu_count()} cores, {cpu}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; median of {REPEATS}")
    print()
    print("| picture | weights | SVG (s) | PNG (s, on top) | SVG size (KB) | under 1 s |")
    print("|---|---|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, note, call in cases:
            svg_seconds, svg = median_seconds(call)
            png_seconds, _ = median_seconds(lambda: draw.save(svg, Path(folder) / "p.png"))
            print(f"| {name} | {note} | {svg_seconds:.3f} | {png_seconds:.3f} | "
                  f"{len(svg.encode()) / 1024:.0f} | {'yes' if svg_seconds < 1 else 'NO'} |")


if __name__ == "__main__":
    main()
