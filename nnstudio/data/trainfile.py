"""The course's training-file format (.dat / .txt).

One sample per line, values separated by spaces: the pixels row by row (greyscale in
[0, 1]), then one bit per class, exactly one of them 1. Blank lines and lines
starting with '#' are skipped; an optional first comment `# classes: A B C` names
the classes (write_training_file always writes it). A file for prediction holds the
pixels only.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import numpy as np

from nnstudio.data.dataset import Dataset, check_shard
from nnstudio.errors import DataError
from nnstudio.files import write_atomically

log = logging.getLogger(__name__)

_HEADER = re.compile(r"#\s*classes\s*:(.*)$", re.IGNORECASE)
_HELP_SIZE = ("help: name the classes on a first line '# classes: NAME NAME ...', or train with a network "
              "of the file's input size (--model, model=), so pixels and class bits can be told apart")


class _Table:
    """Parsed numeric lines of one file: values (N, L) float64, their line numbers, class names."""

    def __init__(self, path: Path, values: np.ndarray, lines: list[int], names: list[str] | None):
        self.path, self.values, self.lines, self.names = path, values, lines, names

    def where(self, row: int) -> str:
        return f"{self.path}:{self.lines[row]}"


def _parse(path: str | Path) -> _Table:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read it as a text file ({exc})") from None
    rows: list[np.ndarray] = []
    lines: list[int] = []
    names: list[str] | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            header = _HEADER.match(line)
            if header and not rows and names is None:
                names = header.group(1).split()
            continue
        tokens = line.split()
        if rows and len(tokens) != rows[0].size:
            raise DataError(
                f"{path}:{lineno}: {len(tokens)} values, but line {lines[0]} has {rows[0].size}; "
                "every sample line needs the same number of values"
            )
        rows.append(_numbers(tokens, f"{path}:{lineno}"))
        lines.append(lineno)
    if not rows:
        raise DataError(f"{path}:1: the file has no samples (it is empty or holds only comments); "
                        "expected one line per sample: pixel values, then one bit per class")
    if names is not None and not names:
        raise DataError(f"{path}: the '# classes:' line names no classes")
    return _Table(path, np.stack(rows), lines, names)


def _numbers(tokens: list[str], where: str) -> np.ndarray:
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        values = None
    if values is not None and np.isfinite(values).all():
        return values
    for col, token in enumerate(tokens, start=1):
        try:
            ok = math.isfinite(float(token))
        except ValueError:
            ok = False
        if not ok:
            raise DataError(f"{where}: column {col}: {token!r} is not a number; values are numbers like 0, 1 or 0.25")
    raise DataError(f"{where}: a value is not a number")  # numpy and float() disagree: should not happen


def _check_size(input_size) -> int:
    if isinstance(input_size, bool) or not isinstance(input_size, (int, np.integer)) or input_size < 1:
        raise DataError(f"input_size must be a positive whole number, got {input_size!r}")
    return int(input_size)


def _one_hot_rows(tail: np.ndarray) -> np.ndarray:
    """(N,) True where a row of class bits is 0/1 with exactly one 1."""
    return ((tail == 0) | (tail == 1)).all(axis=1) & (tail.sum(axis=1) == 1)


def _infer_pixels(values: np.ndarray) -> tuple[int | None, int | None]:
    """Return (pixel count that fits every line, best guess for error reports). The pixel
    count is the largest perfect square that leaves a valid one-hot tail of >= 2 bits."""
    L = values.shape[1]
    squares = [s * s for s in range(int(math.isqrt(max(L - 2, 0))), 0, -1)]
    guess = None
    for p in squares:
        ok = _one_hot_rows(values[:, p:])
        if ok.all():
            return p, p
        if guess is None and ok[0]:
            guess = p
    return None, guess if guess is not None else (squares[0] if squares else None)


def _check_samples(t: _Table, p: int, hint: str = "") -> np.ndarray:
    """Validate pixels (columns 1..p) and class bits (the rest); return labels (N,)."""
    values = t.values
    L = values.shape[1]
    suffix = f"; {hint}" if hint else ""
    tail = values[:, p:]
    bits = f"columns {p + 1}-{L} are the {L - p} class bits"
    binary = (tail == 0) | (tail == 1)
    for row in np.flatnonzero(~binary.all(axis=1))[:1]:
        col = int(np.flatnonzero(~binary[row])[0])
        raise DataError(f"{t.where(row)}: column {p + col + 1}: class bit {tail[row, col]:g} is not 0 or 1 "
                        f"({bits}){suffix}")
    ones = tail.sum(axis=1)
    for row in np.flatnonzero(ones != 1)[:1]:
        what = "no class bit is 1" if ones[row] == 0 else f"{int(ones[row])} class bits are 1"
        raise DataError(f"{t.where(row)}: {what}; exactly one must be 1 ({bits}){suffix}")
    _check_pixels(t, values[:, :p], suffix)
    return tail.argmax(axis=1).astype(np.int64)


def _check_pixels(t: _Table, pixels: np.ndarray, suffix: str = "") -> None:
    bad = (pixels < 0) | (pixels > 1)
    for row in np.flatnonzero(bad.any(axis=1))[:1]:
        col = int(np.flatnonzero(bad[row])[0])
        raise DataError(f"{t.where(row)}: column {col + 1}: pixel value {pixels[row, col]:g} is outside [0, 1]{suffix}")


def read_training_file(path: str | Path, input_size: int | None = None,
                       shard: tuple[int, int] | None = None) -> Dataset:
    """Return the samples of a training file as a Dataset: x float32 (N, D) pixel vectors,
    y from the one-hot bits, class names from the '# classes:' line or "1".."k". With
    shard = (rank, world): that shard (see Dataset), the labels of every line, the
    pixels of lines rank, rank + world, ... only. Pixels stay float32: a file may hold
    any value in [0, 1] (0.25, 0.3333), which 1/255 steps would change."""
    t = _parse(path)
    L = t.values.shape[1]
    hint = ""
    if input_size is not None:
        p = _check_size(input_size)
        if p > L - 2:
            raise DataError(f"{t.where(0)}: {L} values per line, but with {p} pixels that leaves "
                            f"{L - p} for class bits; at least 2 class bits are needed")
        if t.names is not None and len(t.names) != L - p:
            raise DataError(f"{t.path}: the '# classes:' line names {len(t.names)} classes, but lines "
                            f"have {L - p} class bits after {p} pixels")
    elif t.names is not None:
        p = L - len(t.names)
        if p < 1:
            raise DataError(f"{t.where(0)}: {L} values per line, but the '# classes:' line names "
                            f"{len(t.names)} classes; a line needs the pixels plus one bit per class")
    else:
        found, guess = _infer_pixels(t.values)
        if found is not None:
            p = found
        elif guess is None:
            raise DataError(f"{t.where(0)}: only {L} value(s) per line; a training line needs "
                            "pixel values and at least 2 class bits")
        else:
            p, hint = guess, _HELP_SIZE
    y = _check_samples(t, p, hint)
    if hint:  # every line passed with the guess, so the guess was not the problem
        raise DataError(f"{t.path}: cannot tell pixels from class bits; {hint}")
    names = t.names if t.names is not None else [str(i + 1) for i in range(L - p)]
    counts = np.bincount(y, minlength=len(names))
    empty = [f"{names[i]!r} (bit {i + 1})" for i in np.flatnonzero(counts == 0)]
    if empty:
        # The same rule as an image folder with an empty class folder: a class that no
        # sample shows cannot be learned, and a model would silently never answer it.
        raise DataError(f"{t.path}: no line sets the bit of class {', '.join(empty)}; every class needs at least "
                        "one sample. help: add lines for it, or remove its bit from every line"
                        + (" and its name from the '# classes:' line." if t.names is not None else "."))
    shard = check_shard(shard, str(t.path))
    rows = t.values[:, :p] if shard is None else t.values[shard[0]::shard[1], :p]
    return Dataset(rows, y, names, name=t.path.stem, shard=shard)


def read_pixel_file(path: str | Path, input_size: int | None = None) -> np.ndarray:
    """Return the samples of a prediction file as float32 (N, D) pixels in [0, 1]. Lines may
    carry class bits after the pixels (a training file): with `input_size` (or a '# classes:'
    line) only the pixels are kept."""
    t = _parse(path)
    L = t.values.shape[1]
    p = L
    if input_size is not None:
        p = _check_size(input_size)
        if L < p:
            raise DataError(f"{t.where(0)}: {L} values per line, but the model takes {p} pixel values")
    elif t.names is not None and L > len(t.names):
        p = L - len(t.names)
    pixels = t.values[:, :p]
    _check_pixels(t, pixels)
    return pixels.astype(np.float32)


def write_training_file(path: str | Path, dataset: Dataset) -> Path:
    """Write `dataset` as a training file (header, then pixels and one-hot bits per line),
    atomically: a temporary file in the same folder, then a rename. Return the path."""
    path = Path(path)
    if dataset.shard is not None:
        raise DataError(f"{path}: cannot write shard {dataset.shard} of dataset {dataset.name!r} as a training file; "
                        "help: write the whole data set")
    x = dataset.floats().reshape(len(dataset), -1)
    if x.size and (x.min() < 0 or x.max() > 1):
        raise DataError(f"{path}: pixel values must lie in [0, 1] for a training file, "
                        f"got {float(x.min()):g}..{float(x.max()):g}")
    names = [re.sub(r"\s+", "_", n) for n in dataset.class_names]
    if names != list(dataset.class_names):
        log.warning("%s: spaces in class names written as '_'", path)
    text = "".join(_lines(x, dataset.y, dataset.num_classes))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, (f"# classes: {' '.join(names)}\n" + text).encode("utf-8"))
    return path


def _lines(x: np.ndarray, y: np.ndarray, k: int):
    """Yield one text line per sample: compact values ('0', '1', '0.25', at most 4 decimals)."""
    steps = np.rint(x * 10000).astype(np.int64)  # (N, D) in 0..10000
    table = np.array([_compact(i) for i in range(10001)], dtype=object)
    bits = ["0"] * k
    for row, label in zip(steps, y):
        bits[label] = "1"
        yield " ".join(table[row]) + " " + " ".join(bits) + "\n"
        bits[label] = "0"


def _compact(step: int) -> str:
    return f"{step / 10000:.4f}".rstrip("0").rstrip(".")
