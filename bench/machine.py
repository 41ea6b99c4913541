"""What every benchmark table states: the machine it ran on, and median timing helpers."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

import torch


def cpu_model() -> str:
    """Return the CPU's model name (from /proc/cpuinfo on Linux), else the machine type."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    """Return the 1-minute load average as text ('?' where the OS does not say)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def machine_line() -> str:
    """Return one line naming cores, CPU model, torch version and threads, and the load."""
    return (f"machine: {os.cpu_count()} cores, {cpu_model()}, torch {torch.__version__}, "
            f"{torch.get_num_threads()} torch threads, load average {load_average()}")


def seconds(call) -> float:
    """Return the wall seconds one call() takes."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def median_seconds(call, repeats: int, warmup: int = 1) -> float:
    """Return the median wall seconds of call() over repeats runs, after warmup runs."""
    for _ in range(warmup):
        call()
    return statistics.median(seconds(call) for _ in range(repeats))


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0..100) of values, by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
