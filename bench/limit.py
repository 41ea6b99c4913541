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


def convolution_times(preset: str, repeats: int = 7, steps: int = 20) -> list[tuple[int, float, float]]:
    """Return (layer index, milliseconds, GFLOP/s) of each Conv2D layer of preset alone:
    forward and backward at the preset's batch size in the layout training uses, the
    gradient of its input included except for the first layer (which training does not
    need); median of repeats rounds of `steps` calls. GFLOP/s by the 3x convention."""
    from nnstudio.model.layout import arrange_inputs, arrange_network, training_layout

    spec = spec_mod.get_preset(preset)
    batch = TrainConfig.from_options(spec.training).batch_size  # as fit takes it
    network = build_model(spec, seed=0)
    layout = training_layout(network)
    arrange_network(network, layout)
    infos = spec_mod.infer_shapes(spec)
    out = []
    shape = tuple(spec.input_shape)
    for info, layer in zip(infos, network.layers):
        if info.type == "Conv2D":
            x = arrange_inputs(torch.rand(batch, *shape), layout).requires_grad_(info.index > 0)
            grad = torch.rand(batch, *info.output_shape)

            def step(layer=layer, x=x, grad=grad) -> None:
                layer(x).backward(grad)

            seconds = median_seconds(lambda step=step: [step() for _ in range(steps)], repeats) / steps
            kh, kw = info.config["kernel_size"]
            flops = 3 * 2 * kh * kw * shape[0] * int(info.config["filters"]) * math.prod(info.output_shape[1:]) * batch
            out.append((info.index, seconds * 1e3, flops / seconds / 1e9))
        shape = tuple(info.output_shape)
    return out


def step_budget(preset: str, peak: float, share: float = 0.7) -> list[str]:
    """Markdown lines: the time one training step of preset may take to run at `share`
    of the matmul peak, against what its convolutions alone take."""
    spec = spec_mod.get_preset(preset)
    batch = TrainConfig.from_options(spec.training).batch_size  # as fit takes it
    allowed = 3 * forward_flops(spec) * batch / (share * peak * 1e9) * 1e3
    times = convolution_times(preset)
    parts = ", ".join(f"layer {i}: {ms:.2f} ms ({rate:.0f} GFLOP/s)" for i, ms, rate in times)
    return [f"{preset}: a step of {batch} at {share:.0%} of the peak may take {allowed:.2f} ms; its convolutions "
            f"alone, forward and backward, each timed by itself: {parts}; together "
            f"{sum(ms for _, ms, _ in times):.2f} ms, before batch normalization, activations, the dense "
            "layers, the loss and the optimizer step."]


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
    if presets is None or "letters-cnn" in presets:
        lines += ["", *step_budget("letters-cnn", peak)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="training seconds per preset and repeat (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per preset (default 3)")
    args = parser.parse_args()
    print("\n".join(table(args.seconds, args.repeats)))


if __name__ == "__main__":
    main()
