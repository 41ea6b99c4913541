"""Prediction latency: one image through Model.predict (preparation + forward), p50 and
p99 over many calls after a warm-up, and images per second for a list of 1,000 images.

The model is letters-cnn saved with save_model and read back with load_model, as a user
would load it; the inputs are generated letters as 8-bit greyscale PIL images (ink dark on
white, like a drawing), so every call goes through prepare_image.

    .venv/bin/python bench/predict_speed.py [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch
from PIL import Image

from nnstudio.data import load_dataset
from nnstudio.model import build_model
from nnstudio.predict import load_model
from nnstudio.store import save_model

from machine import machine_line, median_seconds, percentile


def letter_images(n: int) -> list[Image.Image]:
    """Return n generated letters as 'L' PIL images, dark ink on white."""
    data = load_dataset("letters", part="test", per_class=max(1, -(-n // 26)))
    return [Image.fromarray(((1.0 - x[0]) * 255).astype(np.uint8), "L") for x in data.floats(slice(0, n))]


def latency(model, images, calls: int, warmup: int = 20) -> list[float]:
    """Return the seconds of `calls` single-image predictions (cycling through images)."""
    for image in images[:warmup]:
        model.predict(image)
    times = []
    for i in range(calls):
        image = images[i % len(images)]
        started = time.perf_counter()
        model.predict(image)
        times.append(time.perf_counter() - started)
    return times


def table(network=None, calls: int = 300, batch: int = 1000, repeats: int = 3) -> list[str]:
    """Return the markdown lines of the prediction table (network: a letters-cnn, trained or not)."""
    network = network if network is not None else build_model("letters-cnn", seed=0)
    images = letter_images(batch)
    with tempfile.TemporaryDirectory() as folder:
        save_model(folder, network, class_names=[chr(65 + i) for i in range(26)],
                   preparation=load_dataset("letters", per_class=1).preparation)
        model = load_model(folder)
    times = latency(model, images, calls)
    threads = torch.get_num_threads()
    other = (os.cpu_count() or 1) if threads == 1 else 1
    torch.set_num_threads(other)
    try:
        other_times = latency(model, images, calls)
    finally:
        torch.set_num_threads(threads)
    batch_seconds = median_seconds(lambda: model.predict(images), repeats)
    prepared = model.prepare(images[:batch])  # (N, 1, 50, 50) network-ready
    forward_seconds = median_seconds(lambda: model.probabilities(prepared), repeats)
    return [machine_line(), "",
            f"letters-cnn loaded from its model folder; inputs: 50x50 greyscale PIL letters; "
            f"single image: {calls} calls after 20 warm-up calls; batch: median of {repeats}.", "",
            "| measure | value |", "|---|---:|",
            f"| one image, p50 | {percentile(times, 50) * 1e3:.2f} ms |",
            f"| one image, p99 | {percentile(times, 99) * 1e3:.2f} ms |",
            f"| one image, p50 / p99 with {other} torch thread{'s' if other > 1 else ''} instead | "
            f"{percentile(other_times, 50) * 1e3:.2f} / {percentile(other_times, 99) * 1e3:.2f} ms |",
            f"| {batch:,} images in one predict call | {batch / batch_seconds:,.0f} images/s "
            f"({batch_seconds:.2f} s) |",
            f"| of which the forward pass alone (prepared array) | {batch / forward_seconds:,.0f} images/s |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="single-image calls (default 300)")
    args = parser.parse_args()
    print("\n".join(table(calls=args.calls)))


if __name__ == "__main__":
    main()
