"""`make demo`: the course's two examples, trained and asked about new drawings.

Trains the shapes MLP and the letters CNN with their preset options, then predicts the
course's broken square and letters drawn by hand-like strokes (not from any font the
generator uses): small in a corner of a big transparent canvas, and light on dark.
Yields the lines the CLI prints; it never prints itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

# Letters as pen strokes in a unit box (x right, y down): a person's way of drawing them.
STROKE_LETTERS: dict[str, list[list[tuple[float, float]]]] = {
    "A": [[(0.1, 1.0), (0.5, 0.0), (0.9, 1.0)], [(0.27, 0.6), (0.73, 0.6)]],
    "E": [[(0.85, 0.0), (0.15, 0.0), (0.15, 1.0), (0.85, 1.0)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.85, 1.0)], [(0.15, 0.5), (0.85, 0.5)]],
    "L": [[(0.2, 0.0), (0.2, 1.0), (0.85, 1.0)]],
    "T": [[(0.05, 0.0), (0.95, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "X": [[(0.1, 0.0), (0.9, 1.0)], [(0.9, 0.0), (0.1, 1.0)]],
    "V": [[(0.05, 0.0), (0.5, 1.0), (0.95, 0.0)]],
    "Z": [[(0.1, 0.0), (0.9, 0.0), (0.1, 1.0), (0.9, 1.0)]],
}


def draw_stroke_letter(
    letter: str,
    *,
    canvas: int = 400,
    box: tuple[int, int, int, int] = (20, 20, 120, 140),
    width: int = 9,
    style: str = "transparent",
) -> Image.Image:
    """A letter drawn with strokes inside `box` (left, top, right, bottom) of a square canvas.

    style: "transparent" (dark ink on a transparent RGBA canvas, as a browser canvas
    exports it), "light-on-dark" (white ink on black, greyscale), "dark-on-light".
    """
    left, top, right, bottom = box
    if style == "transparent":
        image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
        ink: Any = (20, 20, 20, 255)
    elif style == "light-on-dark":
        image = Image.new("L", (canvas, canvas), 0)
        ink = 255
    else:
        image = Image.new("L", (canvas, canvas), 255)
        ink = 0
    pen = ImageDraw.Draw(image)
    for stroke in STROKE_LETTERS[letter]:
        points = [(left + x * (right - left), top + y * (bottom - top)) for x, y in stroke]
        pen.line(points, fill=ink, width=width, joint="curve")
    return image


def demo_drawings() -> list[tuple[str, str, Image.Image]]:
    """(true letter, description, image) for the letters the demo asks about."""
    return [
        ("A", "small, top-left corner of a 400x400 transparent canvas",
         draw_stroke_letter("A", box=(15, 10, 95, 110))),
        ("L", "light on dark, bottom-right", draw_stroke_letter(
            "L", box=(250, 230, 360, 380), style="light-on-dark", width=14)),
        ("T", "dark on light, thin pen", draw_stroke_letter(
            "T", box=(140, 100, 300, 330), style="dark-on-light", width=5)),
        ("X", "light on dark, centered", draw_stroke_letter(
            "X", box=(100, 100, 300, 300), style="light-on-dark", width=20)),
        ("H", "transparent canvas, right edge", draw_stroke_letter("H", box=(300, 150, 390, 260))),
        ("Z", "dark on light, wide", draw_stroke_letter(
            "Z", box=(30, 150, 370, 290), style="dark-on-light", width=12)),
    ]


UNSURE = 0.8  # a right answer below this confidence gets a word of explanation


def run_demo(out: Path, progress: Callable[[], Any] | None = None, program: str = "nnstudio") -> Iterator[str]:
    """Train both examples into out/shapes and out/letters (the folders the README's
    tour uses) and yield human-readable result lines, ending with what to try next
    (commands spelled with program, the way this nnstudio was started)."""
    from nnstudio.data import BROKEN_SQUARE, SHAPE_BITMAPS, SHAPES, Dataset, load_dataset
    from nnstudio.workflows import train_model

    callbacks = lambda: [progress()] if progress else []  # noqa: E731
    out = Path(out)

    yield "== shapes: the course's MLP (25-25-20-15-10-5, SGD, batch 1) =="
    shapes = train_model("shapes", out=out / "shapes", callbacks=callbacks(), overwrite=True, restart=True)
    clean = Dataset(
        x=np.stack([SHAPE_BITMAPS[name] for name in SHAPES]).astype(np.float32)[:, None],
        y=np.arange(len(SHAPES)),
        class_names=list(SHAPES),
    )
    yield f"accuracy on the five clean shapes: {shapes.evaluate(clean).accuracy:.0%}"
    yield f"accuracy on the test part: {shapes.evaluate(load_dataset('shapes', 'test')).accuracy:.1%}"
    broken = shapes.predict([BROKEN_SQUARE.astype(np.float32)])[0]
    yield f"broken square -> {broken.class_name} ({broken.confidence:.1%})"

    yield ""
    yield "== letters: the course's CNN design (5x5 patches, stride 2, batch norm) =="
    letters = train_model("letters", out=out / "letters", callbacks=callbacks(), overwrite=True, restart=True)
    test = letters.evaluate(load_dataset("letters", "test"))
    yield f"accuracy on the letters test part: {test.accuracy:.2%}"
    unseen = letters.evaluate(load_dataset("letters", "unseen"))
    yield f"accuracy on fonts never seen in training: {unseen.accuracy:.2%}"
    drawings = demo_drawings()
    predictions = letters.predict([image for _, _, image in drawings])
    marks = [verdict(prediction.class_name, prediction.confidence, truth) for prediction, (truth, _, _)
             in zip(predictions, drawings)]
    for (truth, description, _), prediction, mark in zip(drawings, predictions, marks):
        yield (f"drawn {truth} ({description}) -> {prediction.class_name} "
               f"({prediction.confidence:.1%}) {mark}")
    if any(mark.endswith("*") for mark in marks):
        yield UNSURE_NOTE
    yield from next_steps(out, program)


UNSURE_NOTE = (f"* the top answer is right, but with less than {UNSURE:.0%} confidence: the network also gave "
               "other letters a real chance (see them with predict --top 3).")


def verdict(answer: str, confidence: float, truth: str) -> str:
    """Return "ok", "ok, unsure*" (right below UNSURE confidence, see UNSURE_NOTE) or "WRONG"."""
    if answer != truth:
        return "WRONG"
    return "ok" if confidence >= UNSURE else "ok, unsure*"


def next_steps(out: Path, program: str) -> Iterator[str]:
    """Where the demo's models are and what to try with them."""
    shapes, letters = out / "shapes", out / "letters"
    yield ""
    yield f"models: {shapes} (shapes MLP) and {letters} (letters CNN). Try next:"
    yield f"  {program} presets --details"
    yield f"  {program} test {shapes} --data shapes --plot shapes-test.png"
    yield f"  {program} predict {letters} my_drawing.png --top 3"
    yield f"  {program} draw {letters} --input my_drawing.png --out a.png"
    yield f"  {program} train --data my_images/ --out {out / 'mine'}"
    if program != "nnstudio":
        yield "(or `source .venv/bin/activate` first, then plain `nnstudio ...`)"
