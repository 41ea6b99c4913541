"""Memory layout: each convolutional preset's training samples/s with its weights and
inputs stored channels last (what nnstudio does) against the plain (N, C, H, W) layout,
and letters-cnn's answers (one image, and batches) in both.

Same measurement as bench/limit.py (nnstudio's fit on random inputs, the preset's own
batch size, optimizer and augmentation); the two layouts take turns, and each figure is
the median of the repeats.

    .venv/bin/python bench/layout.py [--seconds 2] [--repeats 3] [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch

import nnstudio.spec as spec_mod
import nnstudio.train.loop as loop
from nnstudio.model import build_model
from nnstudio.model.layout import PLAIN, arrange_network, training_layout

from limit import training_rate
from machine import machine_line, median_seconds
from start_speed import write_section

TITLE = "3b. Memory layout: convolutional presets trained channels last against plain"


def conv_presets() -> list[str]:
    """The presets whose networks nnstudio trains channels last."""
    return [name for name in spec_mod.preset_names()
            if training_layout(build_model(spec_mod.get_preset(name), seed=0)) is not PLAIN]


def rates(preset: str, seconds: float, repeats: int) -> dict[str, list[float]]:
    """{'channels last': [...], 'plain': [...]} training samples/s, taking turns."""
    chosen = loop.training_layout
    out: dict[str, list[float]] = {"channels last": [], "plain": []}
    try:
        for _ in range(repeats):
            for name, layout in (("channels last", chosen), ("plain", lambda network: PLAIN)):
                loop.training_layout = layout
                out[name].append(training_rate(preset, seconds, 1)[0])
    finally:
        loop.training_layout = chosen
    return out


def prediction_times(preset: str = "letters-cnn", repeats: int = 5, calls: int = 200,
                     batch: int = 256, images: int = 1024) -> dict[str, tuple[float, float]]:
    """{layout: (ms per single-image forward, images/s in batches)} of preset's network in
    eval mode under inference_mode, the two layouts taking turns; medians of repeats."""
    network = build_model(spec_mod.get_preset(preset), seed=0).eval()
    shape = tuple(spec_mod.get_preset(preset).input_shape)
    one, many = torch.rand(1, *shape), torch.rand(images, *shape)

    def single() -> None:
        with torch.inference_mode():
            for _ in range(calls):
                network(one)

    def batches() -> None:
        with torch.inference_mode():
            for part in many.split(batch):
                network(part)

    measured: dict[str, tuple[list[float], list[float]]] = {"plain": ([], []), "channels last": ([], [])}
    for _ in range(repeats):
        for name, layout in (("plain", PLAIN), ("channels last", training_layout(network))):
            arrange_network(network, layout)
            single()  # warm up in this layout
            batches()
            measured[name][0].append(median_seconds(single, 1, warmup=0) / calls * 1e3)
            measured[name][1].append(images / median_seconds(batches, 1, warmup=0))
    return {name: (statistics.median(a), statistics.median(b)) for name, (a, b) in measured.items()}


def table(seconds: float = 2.0, repeats: int = 3, presets: list[str] | None = None) -> list[str]:
    """Return the markdown lines of the layout table."""
    lines = [machine_line(), "", f"Training samples/s, median of {repeats} turns each.", "",
             "| preset | plain | channels last | speed-up |", "|---|---:|---:|---:|"]
    for preset in presets or conv_presets():
        measured = {name: statistics.median(values) for name, values in rates(preset, seconds, repeats).items()}
        last, plain = measured["channels last"], measured["plain"]
        lines.append(f"| {preset} | {plain:,.0f} | {last:,.0f} | {last / plain:.2f}x |")
    answers = prediction_times(repeats=repeats)
    (one_plain, many_plain), (one_last, many_last) = answers["plain"], answers["channels last"]
    lines += ["", "Prediction (what nnstudio.predict.load arranges a model for): letters-cnn in eval mode, "
              f"one image: {one_plain:.3f} ms plain, {one_last:.3f} ms channels last ({one_plain / one_last:.2f}x); "
              f"batches of 256: {many_plain:,.0f} against {many_last:,.0f} images/s ({many_last / many_plain:.2f}x)."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="training seconds per preset and turn (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="turns per layout (default 3)")
    parser.add_argument("--results", type=Path, help="markdown file to write section 3b into")
    args = parser.parse_args()
    lines = table(args.seconds, args.repeats)
    print("\n".join(lines))
    if args.results is not None:
        write_section(args.results, lines, f"## {TITLE}")


if __name__ == "__main__":
    main()
