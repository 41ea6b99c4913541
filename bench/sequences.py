"""Next terms of held-out integer sequences: how often a sequence model is right.

Usage: python bench/sequences.py MODEL [HELDOUT]

MODEL is a folder written by `nnstudio train --data sequences`; HELDOUT (default
bench/heldout/sequences.txt) holds lines "family: t1 t2 ... tn -> next", made without the
training generator (see its header). The family is read for the table only; the model sees
the terms. Prints a markdown table per family: the share of next terms right once rounded
("exact"), and within 1% of the true term (|answer - next| <= 1% of max(|next|, 1)), for
the model as saved (weights rounded to whole numbers) and with its weights used as the
network gives them.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch

from nnstudio.data.sequences import parse_sequence
from nnstudio.predict import load
from nnstudio.train.sequences import predict_next
from nnstudio.workflows.sequences import sequence_preparation

HELDOUT = Path(__file__).parent / "heldout" / "sequences.txt"


def read_heldout(path: Path) -> tuple[list[str], list[list[int]], np.ndarray]:
    families, terms, targets = [], [], []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        family, rest = line.split(":", 1)
        given, target = rest.split("->")
        families.append(family.strip())
        terms.append(parse_sequence(given, f"{path}:{number}"))
        targets.append(int(target))
    return families, terms, np.asarray(targets, np.float64)


def main() -> None:
    torch.set_num_threads(1)
    model = load(sys.argv[1])
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else HELDOUT
    families, terms, targets = read_heldout(path)
    prep = sequence_preparation(model)
    answers = {"rounded weights": predict_next(model.network, prep, terms),
               "weights as given": predict_next(model.network, dataclasses.replace(prep, round_weights=False), terms)}
    print(f"model {sys.argv[1]}, held-out file {path} ({len(terms)} sequences)\n")
    print("| family | sequences | exact (rounded weights) | within 1% | exact (weights as given) | within 1% |")
    print("|---|---:|---:|---:|---:|---:|")
    names = sorted(set(families), key=families.index) + ["all"]
    for name in names:
        rows = np.array([name in ("all", f) for f in families])
        cells = []
        for value in answers.values():
            exact = np.rint(value[rows]) == targets[rows]
            close = np.abs(value[rows] - targets[rows]) <= 0.01 * np.maximum(np.abs(targets[rows]), 1)
            cells += [f"{exact.mean():.1%}", f"{close.mean():.1%}"]
        print(f"| {name} | {rows.sum()} | " + " | ".join(cells) + " |")
    wrong = [(f, t, int(y), a) for f, t, y, a in zip(families, terms, targets, answers["rounded weights"])
             if np.rint(a) != y]
    print(f"\nwrong (rounded weights): {len(wrong)}")
    for family, given, target, answer in wrong[:12]:
        print(f"  {family}: {' '.join(map(str, given))} -> {target}, answered {answer:.0f}")


if __name__ == "__main__":
    main()
