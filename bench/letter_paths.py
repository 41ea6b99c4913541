"""Letter pen paths on held-out sets made without the training generator.

- clean: the capitals of the Hershey simplex stroke font (futural; the
  letter-paths generator never uses Hershey fonts), as drawn, and each in 20 variants:
  any stroke order and direction, a little rotation, slant and squash, points every
  few pixels;
- sloppy: the hand-typed drawings of bench/heldout/letter_paths/ (NAME.json, label
  in the file), as typed, and each in 10 perturbed variants: every typed point moved
  by up to 4% of the letter, stroke ends overshooting or cut short, more rotation,
  slant and squash, a trembling pen, any stroke order and direction.

Trains letter-paths-gru with default options (what `nnstudio train --data letter-paths`
does), or measures a saved model given with --model, and prints a markdown table.

    .venv/bin/python bench/letter_paths.py [--seed 0] [--threads 2]
    .venv/bin/python bench/letter_paths.py --model /tmp/letter-paths-model

Goals: clean >= 97%, sloppy >= 90%.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nnstudio.data.fonts import LETTERS
from nnstudio.data.strokefile import read_strokes
from nnstudio.data.strokes import path_sequences

HELD_OUT = Path(__file__).parent / "heldout" / "letter_paths"
CLEAN_FONTS = ("futural",)  # rowmans draws the same capitals
VARIANTS = 10  # perturbed variants of each typed drawing
CLEAN_VARIANTS = 20


def hershey_drawings() -> list[tuple[str, list[np.ndarray]]]:
    """(label, strokes) for every capital of CLEAN_FONTS, y down, as the font draws it."""
    from HersheyFonts import HersheyFonts

    out = []
    for name in CLEAN_FONTS:
        font = HersheyFonts()
        font.load_default_font(name)
        for letter in LETTERS:
            strokes = [np.asarray(s, dtype=np.float64) for s in font.strokes_for_text(letter)]
            out.append((letter, strokes))
    return out


def typed_drawings() -> list[tuple[str, list[np.ndarray]]]:
    """(label, strokes) of every hand-typed drawing file."""
    import json

    out = []
    for path in sorted(HELD_OUT.glob("*.json")):
        out.append((json.loads(path.read_text())["label"], read_strokes(path)))
    return out


def _affine(strokes, rng, rotation: float, slant: float, squash: float):
    pts = np.concatenate(strokes)
    center = (pts.min(axis=0) + pts.max(axis=0)) / 2
    a = np.radians(rng.uniform(-rotation, rotation))
    s = np.exp(rng.uniform(-squash, squash))
    m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.array(
        [[s, rng.uniform(-slant, slant)], [0.0, 1.0 / s]])
    return [(p - center) @ m.T for p in strokes]


def _dense(s, step: float, tremble: float, rng):
    """Points every `step` along the polyline, each moved by up to `tremble`."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))])
    if arc[-1] <= 0:
        return s
    t = np.linspace(0, arc[-1], max(2, int(arc[-1] / step) + 1))
    d = np.stack([np.interp(t, arc, s[:, 0]), np.interp(t, arc, s[:, 1])], axis=1)
    return d + rng.uniform(-tremble, tremble, d.shape)


def _ends(s, rng, most: float):
    """Lengthen or shorten both ends of a stroke by up to `most` (absolute units)."""
    if len(s) < 2:
        return s
    s = s.copy()
    for i, j in ((0, 1), (-1, -2)):
        d = s[i] - s[j]
        n = np.linalg.norm(d)
        if n > 1e-9:
            s[i] = s[i] + d / n * max(rng.uniform(-most, most), -0.4 * n)
    return s


def _shuffle(strokes, rng):
    return [strokes[i][::-1] if rng.random() < 0.5 else strokes[i] for i in rng.permutation(len(strokes))]


def clean_variant(strokes, rng):
    size = np.ptp(np.concatenate(strokes), axis=0).max()
    out = _affine(strokes, rng, rotation=5, slant=0.15, squash=0.1)
    out = [_dense(s, size * rng.uniform(0.01, 0.05), 0.0, rng) for s in out]
    return _shuffle(out, rng)


def sloppy_variant(strokes, rng):
    size = np.ptp(np.concatenate(strokes), axis=0).max()
    out = [s + rng.uniform(-0.04, 0.04, s.shape) * size for s in strokes]
    out = [_ends(s, rng, 0.06 * size) for s in out]
    out = _affine(out, rng, rotation=10, slant=0.3, squash=0.2)
    if rng.random() < 0.5:
        out = [_dense(s, size * rng.uniform(0.01, 0.04), size * 0.008, rng) for s in out]
    return _shuffle(out, rng)


def held_out_sets() -> dict[str, list[tuple[str, list[np.ndarray]]]]:
    """The four held-out sets by name, each a list of (label, strokes); the same sets
    whatever seed the model was trained with."""
    rng = np.random.default_rng(1000)
    clean, typed = hershey_drawings(), typed_drawings()
    return {
        "clean (Hershey, as drawn)": clean,
        "clean (Hershey, varied)": [(c, clean_variant(s, rng)) for c, s in clean for _ in range(CLEAN_VARIANTS)],
        "sloppy (typed, as typed)": typed,
        "sloppy (typed, perturbed)": [(c, sloppy_variant(s, rng)) for c, s in typed for _ in range(VARIANTS)],
    }


def score(model, drawings) -> tuple[float, list[str]]:
    """Accuracy of model on (label, strokes) drawings, and the mistakes as 'TRUE->GOT'."""
    x = path_sequences([s for _, s in drawings], model.preparation)
    probs = model.probabilities(x.reshape((len(x), *model.spec.input_shape)))
    got = [model.class_names[i] for i in probs.argmax(axis=1)]
    mistakes = [f"{c}->{g}" for (c, _), g in zip(drawings, got) if c != g]
    return 1 - len(mistakes) / len(drawings), mistakes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="A saved model folder to measure (no training).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from nnstudio.predict import load
    from nnstudio.workflows import evaluate_model, train_model

    seconds = None
    folder = args.model
    if folder is None:
        folder = Path(tempfile.mkdtemp()) / "letter-paths"
        began = time.perf_counter()
        train_model("letter-paths", out=folder, seed=args.seed)
        seconds = time.perf_counter() - began
    model = load(folder)
    test = evaluate_model(folder, "letter-paths")
    rows: list[tuple[str, float, int, list[str]]] = [("test part of letter-paths (the generator)", test.accuracy,
                                                      test.samples, [])]
    for name, drawings in held_out_sets().items():
        acc, mistakes = score(model, drawings)
        rows.append((name, acc, len(drawings), mistakes))
    print(f"model {folder}" + (f", trained in {seconds:.0f} s" if seconds else ""))
    print("| set | samples | accuracy |\n|---|---:|---:|")
    for name, acc, n, _ in rows:
        print(f"| {name} | {n} | {acc:.1%} |")
    for name, _, _, mistakes in rows:
        if mistakes:
            counts: dict[str, int] = {}
            for m in mistakes:
                counts[m] = counts.get(m, 0) + 1
            print(f"{name}: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
