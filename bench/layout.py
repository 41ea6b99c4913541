"""Memory layout: each convolutional preset's training samples/s with its weights and
inputs stored channels last (what nnstudio does) against the plain (N, C, H, W) layout.

Same measurement as bench/limit.py (nnstudio's fit on random inputs, the preset's own
batch size, optimizer and augmentation); the two layouts take turns, and each figure is
the median of the repeats.

    .venv/bin/python bench/layout.py [--seconds 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics

import nnstudio.spec as spec_mod
import nnstudio.train.loop as loop
from nnstudio.model import build_model
from nnstudio.train.layout import PLAIN, training_layout

from limit import training_rate
from machine import machine_line

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


def table(seconds: float = 2.0, repeats: int = 3, presets: list[str] | None = None) -> list[str]:
    """Return the markdown lines of the layout table."""
    lines = [machine_line(), "", f"Training samples/s, median of {repeats} turns each.", "",
             "| preset | plain | channels last | speed-up |", "|---|---:|---:|---:|"]
    for preset in presets or conv_presets():
        measured = {name: statistics.median(values) for name, values in rates(preset, seconds, repeats).items()}
        last, plain = measured["channels last"], measured["plain"]
        lines.append(f"| {preset} | {plain:,.0f} | {last:,.0f} | {last / plain:.2f}x |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="training seconds per preset and turn (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="turns per layout (default 3)")
    args = parser.parse_args()
    print("\n".join(table(args.seconds, args.repeats)))


if __name__ == "__main__":
    main()
