"""Data: generated letters per second, and prepare_image calls per second on a 50x50
greyscale letter and on a 400x400 RGBA canvas (a letter drawn in a corner of a
transparent drawing, as the studio sends it).

    .venv/bin/python bench/data_speed.py
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image, ImageDraw

from nnstudio.data import Preparation, load_dataset, prepare_image

from machine import machine_line, median_seconds


def canvas_rgba(size: int = 400) -> Image.Image:
    """Return a transparent RGBA canvas with a dark 'A'-like stroke drawing in one corner."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    s = size // 4
    pen.line([(s // 2, 3 * s // 2), (s, s // 4), (3 * s // 2, 3 * s // 2)], fill=(20, 20, 20, 255), width=size // 40)
    pen.line([(3 * s // 4, s), (5 * s // 4, s)], fill=(20, 20, 20, 255), width=size // 40)
    return image


def table(letters: int = 1040, calls: int = 200, repeats: int = 3) -> list[str]:
    """Return the markdown lines of the data table."""
    per_class = max(1, letters // 26)
    generate = median_seconds(lambda: load_dataset("letters", per_class=per_class, seed=1), repeats, warmup=1)
    small = Image.fromarray(((1 - load_dataset("letters", per_class=1).floats([0])[0, 0]) * 255).astype(np.uint8), "L")
    big = canvas_rgba()
    prep = Preparation(size=(50, 50), margin=4, crop=True)
    rows = []
    for name, image in (("50x50 greyscale letter (PIL 'L')", small), ("400x400 RGBA canvas, transparent", big)):
        took = median_seconds(lambda image=image: [prepare_image(image, prep) for _ in range(calls)], repeats)
        rows.append(f"| prepare_image: {name} | {calls / took:,.0f} images/s ({took / calls * 1e3:.2f} ms each) |")
    return [machine_line(), "", f"median of {repeats}; letter generation after a first call has built "
            "the font atlas (cached for the process).", "", "| measure | value |", "|---|---:|",
            f"| letters generated (load_dataset, {26 * per_class:,} letters) | {26 * per_class / generate:,.0f} "
            "letters/s |", *rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1040, help="letters to generate (default 1,040)")
    args = parser.parse_args()
    print("\n".join(table(args.letters)))


if __name__ == "__main__":
    main()
