"""Peak memory per pixel of data: reading an image folder, and a whole `nnstudio train`.

Two folders of 50x50 greyscale PNGs (random shapes: box, disc, bar, cross; dark on
white) are made in a temporary folder, a small one and a big one. Each measurement
runs in a fresh process, started by its own small parent process that reports
resource.getrusage(RUSAGE_CHILDREN).ru_maxrss once the child has ended, so every
figure is the child's peak resident memory alone. What a process needs whatever the
data (Python, torch, the code) is the same for both folders, so the slope

    bytes per added pixel = (peak_big - peak_small) / (pixels_big - pixels_small)

is the memory the data itself costs (pixels: images x 50 x 50). float32 pixels cost 4
bytes each before any copy; uint8 codes 1. The small folder holds more images than
augmentation's block (train.augment.CHUNK, 2,048 images as float32): with fewer, that
block would be smaller for the small folder only, and its growth (about 0.3 bytes a
pixel between 2,000 and 8,000 images) would pass for a cost of the data.

    python bench/memory.py [--small 3000] [--big 15000] [--repeats 5] [--source LABEL=DIR ...] [--results FILE.md]

--source runs the measurement on another checkout's code (e.g. --source
before=../nnstudio-old, a checkout of an earlier commit); the default is this checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from machine import machine_line
from start_speed import write_section

TITLE = "10. Memory: peak bytes per pixel of an image folder, read and trained on"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIDE = 50
SHAPES = ("box", "disc", "bar", "cross")
# The network is small so that the data, not the weights, is what grows.
SPEC = {"name": "memory-cnn", "input_shape": [1, SIDE, SIDE], "layers": [
    {"type": "Conv2D", "filters": 4, "kernel_size": 5, "strides": 5, "activation": "relu"},
    {"type": "Flatten"}, {"type": "Dense", "units": len(SHAPES), "activation": "softmax"}]}

# Run in the child: read the folder as `nnstudio train --model SPEC` does.
READ = """
import sys
from nnstudio.spec import load_spec
from nnstudio.workflows.data import read_data_and_skipped
data, _ = read_data_and_skipped(sys.argv[1], load_spec(sys.argv[2]))
print(len(data), data.x.dtype, data.x.nbytes)
"""
# The parent of one measurement: runs the child, prints its peak (KiB on Linux).
PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
if done.returncode:
    sys.exit(done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def make_folder(root: Path, images: int, seed: int = 0) -> Path:
    """Write `images` 50x50 PNGs, an equal share per shape, into root/<shape>/<i>.png."""
    rng = np.random.default_rng(seed)
    for k, shape in enumerate(SHAPES):
        (root / shape).mkdir(parents=True, exist_ok=True)
        for i in range(k, images, len(SHAPES)):
            image = Image.new("L", (SIDE, SIDE), 255)
            pen = ImageDraw.Draw(image)
            x0, y0 = (int(v) for v in rng.integers(2, 22, 2))
            x1, y1 = (int(v) for v in rng.integers(28, 48, 2))
            width = int(rng.integers(2, 6))
            if shape == "box":
                pen.rectangle((x0, y0, x1, y1), outline=0, width=width)
            elif shape == "disc":
                pen.ellipse((x0, y0, x1, y1), fill=0)
            elif shape == "bar":
                pen.line((x0, (y0 + y1) // 2, x1, (y0 + y1) // 2), fill=0, width=width + 2)
            else:
                pen.line((x0, y0, x1, y1), fill=0, width=width)
                pen.line((x0, y1, x1, y0), fill=0, width=width)
            image.save(root / shape / f"{i}.png")
    return root


def peak_kib(command: list[str], source: Path, cwd: Path) -> int:
    """Return the peak resident memory (KiB) of `command` run with `source`'s nnstudio."""
    env = {**os.environ, "PYTHONPATH": str(source), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", PEAK, *command], env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr)
    return int(done.stdout.split()[-1])


def measure(source: Path, folders: dict[int, Path], spec: Path, work: Path,
            repeats: int = 5) -> dict[str, dict[int, int]]:
    """Return {"read": {images: peak KiB}, "train": {images: peak KiB}} for each folder, the
    median of `repeats` fresh processes each (interleaved): one training's peak varies by
    up to 12 MiB between identical runs (allocator and thread-pool timing), far more than
    the data of a few thousand small images adds."""
    runs: dict[str, dict[int, list[int]]] = {"read": {n: [] for n in folders}, "train": {n: [] for n in folders}}
    for _ in range(repeats):
        for images, folder in folders.items():
            runs["read"][images].append(
                peak_kib([sys.executable, "-c", READ, str(folder), str(spec)], source, work))
            out = work / f"model-{images}"
            train = [sys.executable, "-m", "nnstudio", "--threads", "1", "train", "--data", str(folder),
                     "--model", str(spec), "--out", str(out), "--epochs", "1", "--batch-size", "64", "--quiet",
                     "--overwrite"]
            runs["train"][images].append(peak_kib(train, source, work))
    return {kind: {n: int(statistics.median(v)) for n, v in peaks.items()} for kind, peaks in runs.items()}


def slope(peaks: dict[int, int]) -> float:
    """Bytes of peak per added pixel between the smallest and the largest folder."""
    small, big = min(peaks), max(peaks)
    return (peaks[big] - peaks[small]) * 1024 / ((big - small) * SIDE * SIDE)


def table(small: int = 3000, big: int = 15000, sources: dict[str, Path] | None = None,
          repeats: int = 5) -> list[str]:
    """Return the markdown lines of the memory table, one row per (label, source)."""
    sources = sources or {"this checkout": ROOT}
    lines = [f"{machine_line()}; images {SIDE}x{SIDE} greyscale PNG, {small:,} and {big:,} of them "
             f"({small * SIDE * SIDE / 1e6:.1f} and {big * SIDE * SIDE / 1e6:.1f} million pixels); "
             f"median of {repeats} fresh processes each", "",
             "| code | read: peak MiB small / big | read: bytes per added pixel "
             "| train 1 epoch: peak MiB small / big | train: bytes per added pixel |",
             "|---|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folders = {n: make_folder(work / f"shapes-{n}", n, seed=n) for n in (small, big)}
        spec = work / "memory-cnn.json"
        spec.write_text(json.dumps(SPEC))
        for label, source in sources.items():
            peaks = measure(source, folders, spec, work, repeats)
            read, train = peaks["read"], peaks["train"]
            lines.append(f"| {label} | {read[small] / 1024:.0f} / {read[big] / 1024:.0f} | {slope(read):.2f} "
                         f"| {train[small] / 1024:.0f} / {train[big] / 1024:.0f} | {slope(train):.2f} |")
    lines += ["", "Peak resident memory (ru_maxrss) of a fresh process each: *read* loads the folder as "
              "`nnstudio train --model SPEC` does (workflows.read_data_and_skipped), *train* is "
              "`python -m nnstudio --threads 1 train --data FOLDER --model SPEC --epochs 1 --batch-size 64`, "
              "a 4-filter CNN. Bytes per added pixel: the growth of the peak from the small to the big "
              "folder over the pixels added; what every process needs whatever the data cancels out."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=3000, help="images in the small folder (default 3000)")
    parser.add_argument("--big", type=int, default=15000, help="images in the big folder (default 15000)")
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per figure, median taken (default 5)")
    parser.add_argument("--source", action="append", default=[], metavar="LABEL=DIR",
                        help="measure the nnstudio in DIR, labelled LABEL (repeatable; default: this checkout)")
    parser.add_argument("--results", type=Path, help=f"markdown file to write section {TITLE.split('.')[0]} into")
    args = parser.parse_args()
    sources = {}
    for given in args.source:
        label, _, folder = given.rpartition("=")
        sources[label or folder] = Path(folder).resolve()
    lines = table(args.small, args.big, sources or None, args.repeats)
    print("\n".join(lines))
    if args.results is not None:
        write_section(args.results, lines, f"## {TITLE}")


if __name__ == "__main__":
    main()
