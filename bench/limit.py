"""Against the limit: each preset's training FLOPs per sample (counted from its spec) times
the measured training samples/s, as a fraction of this machine's measured fp32 matmul rate.

Convention: a multiply-add counts as 2 FLOPs; only Dense (2·in·out) and Conv2D
(2·kh·kw·cin·cout·Hout·Wout) layers are counted (normalization, pooling and activations
are a few percent at most); training costs 3x the forward pass (forward, plus backward
for the inputs' and the weights' gradients). Samples/s come from nnstudio's fit on random
inputs of the preset's shape with its own batch size and optimizer, one thread setting as
the table says.

    .venv/bin/python bench/limit.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics

import numpy as np
import torch

import nnstudio.spec as spec_mod
from nnstudio.data import Dataset
from nnstudio.model import build_model
from nnstudio.train import TrainConfig, fit

from machine import machine_line, median_seconds


def forward_flops(spec) -> int:
    """Return the FLOPs of one forward pass of one sample (Dense and Conv2D layers)."""
    total, shape = 0, tuple(spec.input_shape)
    for info in spec_mod.infer_shapes(spec):
        config = info.config
        if info.type == "Dense":
            total += 2 * math.prod(shape) * int(config["units"])
        elif info.type == "Conv2D":
            kh, kw = config["kernel_size"]
            _, h_out, w_out = info.output_shape
            total += 2 * kh * kw * shape[0] * int(config["filters"]) * h_out * w_out
        shape = tuple(info.output_shape)
    return total


def matmul_peak(sizes=(1024, 2048), repeats: int = 5) -> tuple[float, dict[int, float]]:
    """Return (best GFLOP/s, {size: median GFLOP/s}) of fp32 torch.matmul on square matrices,
    using every core (whatever thread count the training runs use)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or threads)
    rates = {}
    try:
        for n in sizes:
            a, b = torch.randn(n, n), torch.randn(n, n)
            rates[n] = 2 * n**3 / median_seconds(lambda a=a, b=b: torch.matmul(a, b), repeats) / 1e9
    finally:
        torch.set_num_threads(threads)
    return max(rates.values()), rates


def training_rate(preset: str, seconds: float, repeats: int) -> tuple[float, int]:
    """Return (median training samples/s of fit on random data, batch size)."""
    spec = spec_mod.get_preset(preset)
    config = TrainConfig.from_options(spec.training, epochs=1, validation=0.0, lr_decay="none", patience=None)
    classes = spec_mod.num_classes(spec)
    network = build_model(spec, seed=0)

    def data(n: int) -> Dataset:
        rng = np.random.default_rng(0)
        x = rng.random((n, *spec.input_shape), dtype=np.float32)
        return Dataset(x, np.arange(n) % classes, [str(i) for i in range(classes)])

    # Size the run from a short probe so each preset trains for about `seconds`.
    probe = data(max(4 * config.batch_size, 64))
    rate = len(probe) / median_seconds(lambda: fit(network, probe, config), 1)
    n = max(len(probe), int(rate * seconds) // config.batch_size * config.batch_size)
    big = data(n)
    times = [median_seconds(lambda: fit(network, big, config), 1, warmup=0) for _ in range(repeats)]
    return n / statistics.median(times), config.batch_size


def table(seconds: float = 2.0, repeats: int = 3, presets=None, sizes=(1024, 2048)) -> list[str]:
    """Return the markdown lines of the against-the-limit table (presets: None for all)."""
    peak, rates = matmul_peak(sizes)
    lines = [machine_line(), "",
             f"fp32 matmul on all {os.cpu_count()} cores (median of 5): "
             + ", ".join(f"{n}x{n}: {r:.1f} GFLOP/s" for n, r in rates.items())
             + f"; peak taken as {peak:.1f} GFLOP/s.", "",
             "| preset | batch | forward MFLOP / sample | training MFLOP / sample (3x) | samples/s | GFLOP/s | "
             "of matmul peak |", "|---|---:|---:|---:|---:|---:|---:|"]
    for preset in presets or spec_mod.preset_names():
        spec = spec_mod.get_preset(preset)
        flops = forward_flops(spec)
        rate, batch = training_rate(preset, seconds, repeats)
        achieved = 3 * flops * rate / 1e9
        lines.append(f"| {preset} | {batch} | {flops / 1e6:.3f} | {3 * flops / 1e6:.3f} | {rate:,.0f} | "
                     f"{achieved:.2f} | {achieved / peak:.1%} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="training seconds per preset and repeat (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per preset (default 3)")
    args = parser.parse_args()
    print("\n".join(table(args.seconds, args.repeats)))


if __name__ == "__main__":
    main()
