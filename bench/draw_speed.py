"""How fast nnstudio.draw renders every preset and the two big course networks (median of 5).

- every preset's structure: draw_network(preset)
- the letters MLP (2,500 inputs) with its weights: draw_network(model)
- the letters CNN with one input's activations: draw_activations(model, letter) and
  draw_network(model, input=letter) (planes showing feature maps)
Each time covers the whole call (weights or activations read from the torch model,
layout, SVG text); PNG time is the rendering of that SVG on top (cairosvg at the default
2x scale, true colors). The goal: each SVG under 0.2 s, each PNG under 1 s. Prints a
markdown table.

    .venv/bin/python bench/draw_speed.py
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

import nnstudio.draw as draw
from nnstudio.data import load_dataset
from nnstudio.model import build_model
from nnstudio.spec import preset_names
from nnstudio.train import TrainConfig, fit

from machine import machine_line, median_seconds

REPEATS = 5


def trained(preset: str, per_class: int = 25):
    """Return (network, class names): the preset trained one epoch on a few letters, so
    edges and activations carry real, non-initial values."""
    network = build_model(preset, seed=0)
    data = load_dataset("letters", per_class=per_class)
    fit(network, data, TrainConfig.from_options(network.spec.training, epochs=1, seed=0))
    return network, list(data.class_names)


def letter_t() -> np.ndarray:
    image = np.zeros((50, 50), dtype=np.float32)
    image[10:16, 12:38] = 1.0
    image[10:40, 22:28] = 1.0
    return image


def table(repeats: int = REPEATS, per_class: int = 25) -> list[str]:
    """Return the markdown lines of the drawing table."""
    mlp, names = trained("letters-mlp", per_class)
    cnn, _ = trained("letters-cnn", per_class)
    letter = letter_t()
    cases: list[tuple[str, Callable[[], str]]] = [
        (f"{preset} structure", partial(draw.draw_network, preset)) for preset in preset_names()]
    cases += [
        ("letters-mlp network (2,500 inputs), trained weights", lambda: draw.draw_network(mlp, class_names=names)),
        ("letters-cnn activations for one input", lambda: draw.draw_activations(cnn, letter, class_names=names)),
        ("letters-cnn planes with that input", lambda: draw.draw_network(cnn, input=letter, class_names=names)),
    ]
    rows = [machine_line(), "", f"median of {repeats}; each SVG time covers the whole call (weights or "
            "activations read from the torch model, layout, SVG text); PNG is cairosvg at 2x with true colors "
            "on top. Goal: SVG < 0.2 s, PNG < 1 s.",
            "", "| picture | SVG (s) | PNG (s, on top) | SVG size (KB) | PNG size (KB) | within goal |",
            "|---|---:|---:|---:|---:|---|"]
    with tempfile.TemporaryDirectory() as folder:
        for name, call in cases:
            svg = call()
            svg_seconds = median_seconds(call, repeats)
            png = Path(folder) / "p.png"
            png_seconds = median_seconds(lambda svg=svg, png=png: draw.save(svg, png), repeats)
            within = svg_seconds < 0.2 and png_seconds < 1
            rows.append(f"| {name} | {svg_seconds:.3f} | {png_seconds:.3f} | {len(svg.encode()) / 1024:.0f} | "
                        f"{png.stat().st_size / 1024:.0f} | {'yes' if within else 'NO'} |")
    return rows


def main() -> None:
    print("\n".join(table()))


if __name__ == "__main__":
    main()
