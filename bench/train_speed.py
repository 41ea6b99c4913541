"""Samples per second of nnstudio.train.fit against bare PyTorch loops (same model,
same data, same optimizer settings, no validation), median of REPEATS interleaved runs.

- shapes-mlp at batch 1 (SGD, clip_norm 1.0: the course's setting)
- digits-cnn at batch 64 (Adam)
"bare" is the loop everyone writes (index a batch out of a permutation, default
optimizer); "bare-views" shuffles once per epoch and cuts views, with the same
optimizer. The goal: fit >= 0.95 x bare. Prints a markdown table.

    .venv/bin/python bench/train_speed.py [--repeats 3] [--threads N]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F

import nnstudio.data as data_mod
import nnstudio.spec as spec_mod
from nnstudio.model import build_model
from nnstudio.train import TrainConfig, fit
from nnstudio.train.loop import input_tensors

CASES = [("shapes-mlp", "shapes", {"epochs": 3}), ("digits-cnn", "digits", {"epochs": 1, "batch_size": 64})]


def bare_loop(net, x, y, config: TrainConfig, views: bool) -> None:
    """The plain loop: randperm, batches, zero_grad, forward, loss, backward, (clip), step."""
    params = list(net.parameters())
    if config.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=config.learning_rate, momentum=config.momentum)
    else:
        opt = torch.optim.Adam(params, lr=config.learning_rate)
    gen = torch.Generator().manual_seed(0)
    n, bs = len(y), config.batch_size
    net.train()
    for _ in range(config.epochs):
        perm = torch.randperm(n, generator=gen)
        if views:
            batches = zip(x[perm].split(bs), y[perm].split(bs))
        else:
            batches = ((x[perm[i:i + bs]], y[perm[i:i + bs]]) for i in range(0, n, bs))
        for xb, yb in batches:
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            if config.clip_norm:
                torch.nn.utils.clip_grad_norm_(params, config.clip_norm)
            opt.step()


def measure(preset: str, dataset: str, overrides: dict, repeats: int) -> dict[str, list[float]]:
    """Return samples/s of each contender over `repeats` runs (after one warm-up round)."""
    spec = spec_mod.get_preset(preset)
    data = data_mod.load_dataset(dataset)
    config = TrainConfig.from_options(spec.training, validation=0.0, lr_decay="none", **overrides)
    x, y = input_tensors(spec, data)
    contenders = {
        "bare": lambda net: bare_loop(net, x, y, config, views=False),
        "bare-views": lambda net: bare_loop(net, x, y, config, views=True),
        "fit": lambda net: fit(net, data, config),
    }
    rates: dict[str, list[float]] = {k: [] for k in contenders}
    for round_ in range(repeats + 1):
        for name, run in contenders.items():
            net = build_model(spec, seed=0)
            start = time.perf_counter()
            run(net)
            seconds = time.perf_counter() - start
            if round_:
                rates[name].append(len(y) * config.epochs / seconds)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per contender (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    print()
    print("| network | batch | bare samples/s | bare-views | fit | fit / bare | fit step overhead |")
    print("|---|---|---|---|---|---|---|")
    for preset, dataset, overrides in CASES:
        rates = measure(preset, dataset, overrides, args.repeats)
        med = {k: statistics.median(v) for k, v in rates.items()}
        batch = overrides.get("batch_size", spec_mod.get_preset(preset).training.get("batch_size"))
        overhead_us = (batch / med["fit"] - batch / med["bare"]) * 1e6  # per optimizer step
        print(f"| {preset} | {batch} | {med['bare']:.0f} | {med['bare-views']:.0f} | {med['fit']:.0f} | "
              f"{med['fit'] / med['bare']:.3f} | {overhead_us:+.0f} us |")


if __name__ == "__main__":
    main()
