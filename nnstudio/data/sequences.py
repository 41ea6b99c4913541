"""The built-in `sequences` data set: integer sequences and the term that comes next.

Families: arithmetic, geometric (ratio 2, 3 or -2), Fibonacci-like (each term the sum
of the two before), squares and cubes of consecutive integers, and patterns repeating
with period 2 or 3. Each sample gives 4 to 10 terms; every term, the next one included,
lies within +-MAX_TERM. The family is kept for reports only: nothing that trains or
predicts reads it.

Sequences are also read from text: one sequence a line, integers separated by spaces
or commas ("2 4 6 8", "1, 1, 2, 3").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnstudio.errors import DataError

MAX_TERM = 10_000
MIN_GIVEN, MAX_GIVEN = 4, 10
FAMILIES = ("arithmetic", "geometric", "fibonacci", "squares", "cubes", "period2", "period3")
RATIOS = (2, 3, -2)
ALLOWED = (f"{MIN_GIVEN} to {MAX_GIVEN} integers between -{MAX_TERM:,} and {MAX_TERM:,}, "
           "separated by spaces or commas")


@dataclass
class SequenceSet:
    """Sequences of given terms, each with its next term (`targets`) and its family."""

    terms: list[list[int]]
    targets: np.ndarray  # int64 (N,)
    families: list[str]
    name: str = "sequences"

    def __len__(self) -> int:
        return len(self.terms)

    def subset(self, indices: Sequence[int] | np.ndarray) -> SequenceSet:
        """Return the samples at `indices`, in that order."""
        return SequenceSet([self.terms[i] for i in indices], self.targets[np.asarray(indices, dtype=np.int64)],
                           [self.families[i] for i in indices], self.name)


Maker = Callable[[np.random.Generator, int], list[int] | None]


def _arithmetic(rng: np.random.Generator, n: int) -> list[int]:
    span = int(rng.choice([10, 100, 1000, MAX_TERM]))  # small and large numbers both
    start = int(rng.integers(-span, span + 1))
    step = int(rng.integers(-span // 5 - 2, span // 5 + 3))
    return [start + step * i for i in range(n)]


def _geometric(rng: np.random.Generator, n: int) -> list[int]:
    ratio = int(rng.choice(RATIOS))
    biggest = MAX_TERM // abs(ratio) ** (n - 1)
    if biggest < 1:
        return []
    start = int(rng.integers(1, biggest + 1)) * int(rng.choice([-1, 1]))
    return [start * ratio ** i for i in range(n)]


def _fibonacci(rng: np.random.Generator, n: int) -> list[int]:
    span = int(rng.choice([5, 50, 500]))
    terms = [int(rng.integers(-span, span + 1)), int(rng.integers(-span, span + 1))]
    while len(terms) < n:
        terms.append(terms[-1] + terms[-2])
    return terms


def _powers(power: int) -> Maker:
    def make(rng: np.random.Generator, n: int) -> list[int]:
        top = int(round(MAX_TERM ** (1 / power)))
        low = -top if power % 2 else -top // 4  # squares mostly climb; cubes go through 0 too
        start = int(rng.integers(low, top - n + 2))
        return [(start + i) ** power for i in range(n)]
    return make


def _periodic(period: int) -> Maker:
    def make(rng: np.random.Generator, n: int) -> list[int]:
        span = int(rng.choice([10, 100, 1000, MAX_TERM]))
        values = [int(v) for v in rng.choice(np.arange(-span, span + 1), size=period, replace=False)]
        return [values[i % period] for i in range(n)]
    return make


MAKERS: dict[str, Maker] = {"arithmetic": _arithmetic, "geometric": _geometric, "fibonacci": _fibonacci,
                            "squares": _powers(2), "cubes": _powers(3), "period2": _periodic(2),
                            "period3": _periodic(3)}


def generate_sequences(count: int, seed: int = 0) -> SequenceSet:
    """Return `count` sequences, the families in turn, 4 to 10 given terms each, all terms
    (the next one too) within +-MAX_TERM. The same seed gives the same set."""
    rng = np.random.default_rng(seed)
    terms: list[list[int]] = []
    targets: list[int] = []
    families: list[str] = []
    while len(terms) < count:
        family = FAMILIES[len(terms) % len(FAMILIES)]
        given = int(rng.integers(MIN_GIVEN, MAX_GIVEN + 1))
        made = MAKERS[family](rng, given + 1)
        if not made or max(abs(v) for v in made) > MAX_TERM:
            continue  # drawn too big for the bound: draw again
        terms.append(made[:-1])
        targets.append(made[-1])
        families.append(family)
    return SequenceSet(terms, np.asarray(targets, dtype=np.int64), families)


def load_sequences(part: str = "train", count: int | None = None, seed: int = 0) -> SequenceSet:
    """Return the built-in set: "train" (60,000 by default) or "test" (3,000), from different seeds."""
    if part not in ("train", "test"):
        raise DataError(f"the sequences dataset has parts 'train' and 'test', got {part!r}")
    default, offset = (60_000, 0) if part == "train" else (3_000, 1_000_003)
    return generate_sequences(default if count is None else count, seed + offset)


_SPLIT = re.compile(r"[\s,]+")


def parse_sequence(text: str, where: str) -> list[int]:
    """Return the integers of one sequence written as text; DataError naming `where` otherwise."""
    words = [w for w in _SPLIT.split(text.strip()) if w]
    values = []
    for word in words:
        try:
            values.append(int(word))
        except ValueError:
            raise DataError(f"{where}: {word!r} in {text.strip()!r} is not an integer; allowed: {ALLOWED}. "
                            "help: write a sequence such as 2 4 6 8") from None
    if not MIN_GIVEN <= len(values) <= MAX_GIVEN:
        raise DataError(f"{where}: {len(values)} terms in {text.strip()!r}; allowed: {ALLOWED}. "
                        f"help: give at least {MIN_GIVEN} terms, and only the last {MAX_GIVEN} if there are more")
    big = [v for v in values if abs(v) > MAX_TERM]
    if big:
        raise DataError(f"{where}: {big[0]} in {text.strip()!r} is out of range; allowed: {ALLOWED}")
    return values


def read_sequence_file(path: str | Path) -> list[tuple[str, list[int]]]:
    """Return (where, terms) for every sequence line of a text file (blank lines and lines
    starting with # are skipped); DataError with file:line for a bad one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read it as UTF-8 text ({error})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append((f"{path}:{number}", parse_sequence(line, f"{path}:{number}")))
    if not rows:
        raise DataError(f"{path}: no sequences in the file; allowed: one sequence a line, {ALLOWED}")
    return rows
