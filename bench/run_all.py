"""Run every nnstudio benchmark on this machine and rewrite bench/RESULTS.md.

Sections: training overhead against bare PyTorch, time to accuracy (against the
course's seed-cnn and scikit-learn), training against the machine's matmul limit and
in both memory layouts, prediction latency, data generation and preparation, drawing,
whole processes, the studio, the start of the commands that train nothing, peak memory
per pixel of data, and one training process against two. Every table names the machine.
Sections of the old file that no script here makes (held-out measurements with scripts
of their own, named in their text) are kept, after the ones made here.

The torch thread count is measured first (--threads auto, the default): letters-cnn
training at 1 thread and at torch's default, the faster one is used for the whole run.
On a small or busy CPU, one thread can be several times faster than two for networks
this size, because every operation otherwise waits for a second thread.

    .venv/bin/python bench/run_all.py [--quick] [--threads auto|N] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling bench modules

import time_to_accuracy as accuracy  # noqa: E402
import data_speed  # noqa: E402
import draw_speed  # noqa: E402
import layout  # noqa: E402
import limit  # noqa: E402
import predict_speed  # noqa: E402
import train_speed  # noqa: E402
import checkpoint_cost  # noqa: E402
import studio_speed  # noqa: E402
import start_speed  # noqa: E402
import memory  # noqa: E402
import scaling  # noqa: E402
from machine import load_average, machine_line, median_seconds  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    """How much work each section does; FULL for RESULTS.md, QUICK for a smoke run."""

    repeats: int = 5  # interleaved repeats in the overhead table
    overhead_letters: int = 80  # letters per class for the overhead table (2,080)
    overhead_epochs: int = 2
    accuracy_letters: int | None = None  # letters per class for time to accuracy (None: the dataset default)
    target: float = 0.99
    seed_cap: float = 120.0  # seconds seed-cnn may train
    accuracy_epochs: int | None = None  # None: each preset's own
    digits_epochs: int | None = None
    limit_seconds: float = 2.0
    limit_repeats: int = 3
    predict_calls: int = 300
    predict_batch: int = 1000
    data_letters: int = 1040
    data_calls: int = 200
    draw_repeats: int = 5
    process_repeats: int = 7
    studio_seconds: float = 20.0  # of prediction load, with and without pacing
    studio_repeats: int = 3
    start_repeats: int = 15  # interleaved runs of each command that trains nothing
    memory_small: int = 3000  # images in the two folders of the memory table (small > augment.CHUNK)
    memory_big: int = 15000  # a wide gap: one MiB of peak is 0.035 bytes a pixel
    memory_repeats: int = 5  # fresh processes per memory figure: a peak moves by a MiB or so between runs
    scaling_repeats: int = 3  # interleaved runs of 1 and 2 training processes
    scaling_per_class: int = 80
    scaling_epochs: int = 2
    scaling_rounding_per_class: int = 40


FULL = Sizes()
QUICK = Sizes(repeats=1, overhead_letters=10, overhead_epochs=1, accuracy_letters=10, seed_cap=5.0,
              accuracy_epochs=1, digits_epochs=2, limit_seconds=0.2, limit_repeats=1, predict_calls=30,
              predict_batch=100, data_letters=52, data_calls=20, draw_repeats=1,
              process_repeats=1, studio_seconds=2.0, studio_repeats=1, start_repeats=1, memory_small=40,
              memory_big=120, memory_repeats=1, scaling_repeats=1, scaling_per_class=4, scaling_epochs=1,
              scaling_rounding_per_class=2)


def choose_threads(setting: str) -> list[str]:
    """Set torch's thread count (a number, or 'auto': the faster of 1 and the default for
    letters-cnn training); return markdown lines saying what was measured and chosen."""
    default = torch.get_num_threads()
    if setting != "auto":
        torch.set_num_threads(int(setting))
        return [f"torch threads set to {int(setting)} (--threads)."]
    data = train_speed.data_mod.load_dataset("letters", per_class=20)
    spec = train_speed.spec_mod.get_preset("letters-cnn")
    config = train_speed.TrainConfig.from_options(spec.training, epochs=1, validation=0.0)
    rates = {}
    for threads in dict.fromkeys((1, default)):
        torch.set_num_threads(threads)
        network = train_speed.build_model(spec, seed=0)
        rates[threads] = len(data) / median_seconds(lambda network=network: train_speed.fit(network, data, config), 3)
    best = max(rates, key=lambda t: rates[t])
    torch.set_num_threads(best)
    measured = ", ".join(f"{t} thread{'s' if t > 1 else ''}: {r:,.0f} samples/s" for t, r in rates.items())
    return [f"Thread choice (letters-cnn training, median of 3): {measured}; this run uses {best}."]


def sections(sizes: Sizes) -> list[tuple[str, list[str]]]:
    """Run every section; return (title, markdown lines) in order."""
    out = [("1. Training overhead: nnstudio fit against a bare PyTorch loop",
            train_speed.table(sizes.repeats, sizes.overhead_letters, sizes.overhead_epochs))]
    letters, network, _ = accuracy.letters_rows(sizes.accuracy_letters, sizes.target, sizes.seed_cap,
                                                 sizes.accuracy_epochs)
    out.append((f"2a. Time to {sizes.target:.0%}: letters-cnn against the course's seed-cnn", letters))
    out.append(("2b. Digits: nnstudio against scikit-learn", accuracy.digits_rows(sizes.digits_epochs)))
    out.append(("3. Against the limit: training FLOP/s as a fraction of matmul peak",
                limit.table(sizes.limit_seconds, sizes.limit_repeats)))
    out.append((layout.TITLE, layout.table(sizes.limit_seconds, sizes.limit_repeats)))
    out.append(("4. Prediction latency (the letters-cnn trained in 2a)",
                predict_speed.table(network, sizes.predict_calls, sizes.predict_batch)))
    out.append(("5. Data: letter generation and image preparation",
                data_speed.table(sizes.data_letters, sizes.data_calls)))
    out.append(("6. Drawing: every preset and the two big course networks as SVG and PNG",
                draw_speed.table(sizes.draw_repeats)))
    out.append(("7. Whole processes: `nnstudio train` against a bare PyTorch script",
                checkpoint_cost.table(sizes.process_repeats)))
    out.append(("8. The studio: predictions under load, live reports, page load, training",
                studio_speed.table(seconds=sizes.studio_seconds, repeats=sizes.studio_repeats)))
    out.append((start_speed.TITLE, start_speed.table(sizes.start_repeats)))
    out.append((memory.TITLE, memory.table(sizes.memory_small, sizes.memory_big, repeats=sizes.memory_repeats)))
    out.append((scaling.TITLE, scaling.table(sizes.scaling_repeats, sizes.scaling_per_class, sizes.scaling_epochs)
                + scaling.rounding_table(sizes.scaling_rounding_per_class)))
    return out


def section_number(title: str) -> str:
    """'12' of '12. Letters as pen paths: ...', '3b' of '3b. Memory layout ...'."""
    return title.split(".", 1)[0].strip()


def kept_sections(old_text: str, made: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The sections of an earlier RESULTS.md that this script does not make (measured by
    their own scripts, as their text says), so that a rerun keeps them."""
    numbers = {section_number(title) for title, _ in made}
    kept: list[tuple[str, list[str]]] = []
    for part in old_text.split("\n## ")[1:]:
        title, *lines = part.rstrip("\n").split("\n")
        if section_number(title) not in numbers:
            kept.append((title, [*lines[1:]] if lines and not lines[0] else lines))
    return kept


def report(sizes: Sizes, threads: str, earlier: str = "") -> str:
    """Run everything; return RESULTS.md's text (with the sections of `earlier`, the
    file's old text, that no script here makes)."""
    started, load_before = time.perf_counter(), load_average()
    thread_lines = choose_threads(threads)
    parts = sections(sizes)
    parts += kept_sections(earlier, parts)
    minutes = (time.perf_counter() - started) / 60
    head = ["# nnstudio benchmarks", "",
            f"Generated by `make bench` (`bench/run_all.py{' --quick' if sizes == QUICK else ''}`) on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {minutes:.1f} min. Rerun it to measure your machine.",
            "", machine_line(), "",
            f"1-minute load average {load_before} at the start, {load_average()} at the end "
            f"(on {os.cpu_count()} cores; above about 1 per core, other programs shared the CPU and the "
            "numbers are lower and noisier than on an idle machine).", "", *thread_lines, ""]
    body = []
    for title, lines in parts:
        body += [f"## {title}", "", *lines, ""]
    return "\n".join(head + body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run in about a minute")
    parser.add_argument("--threads", default="auto", help="torch threads: auto (measure; default) or a number")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md",
                        help="where to write the markdown (default bench/RESULTS.md)")
    args = parser.parse_args()
    earlier = args.out.read_text() if args.out.exists() else ""
    text = report(QUICK if args.quick else FULL, args.threads, earlier)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
