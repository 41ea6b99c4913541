"""Folders of images: the user's own classes, read through `prepare_image`.

Two layouts are accepted:
  folder/<class>/<any name>.png        one subfolder per class
  folder/<class>_<any name>.png        one flat folder, the class before the first "_"
                                       (the layout of the course's sample letters)
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from nnstudio.data.dataset import Dataset, check_per_class, check_shard, take_per_class
from nnstudio.data.prepare import (
    IMAGE_KINDS,
    MAX_IMAGE_PIXELS,
    SMALL_GRID,
    Preparation,
    default_margin,
    open_image,
    prepare_codes,
)
from nnstudio.errors import DataError, Where

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
DEFAULT_FOLDER_SIZE = (50, 50)
_LAYOUTS = "<folder>/<class>/<image>.png (one subfolder per class) or <folder>/<class>_<anything>.png"


def is_image(p: Path) -> bool:
    """Return True for a file read as an image: a known suffix, not hidden."""
    return p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")


def class_folders(folder: Path) -> list[Path]:
    """Return the subfolders of folder that name classes, sorted (hidden and __x__ ones are not)."""
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith((".", "__")))


def find_images(folder: str | Path) -> tuple[list[str], list[tuple[Path, int]]]:
    """Return (sorted class names, [(image path, class index), ...]) for an image folder;
    DataError if the folder is missing, has no classes, or a class folder is empty."""
    names, items = find_image_files(folder)
    return names, [(Path(path), label) for path, label in items]


def find_image_files(folder: str | Path) -> tuple[list[str], list[tuple[str, int]]]:
    """find_images with the paths as plain strings: a Path object costs about 430 bytes,
    a sixth of a byte per pixel of a 50x50 image, and a large folder's list of them is
    held for as long as its pixels are read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    subdirs = class_folders(folder)
    per_class = {d: _image_files(d) for d in subdirs}
    # Subfolders holding images make it the one-folder-per-class layout; then an
    # empty subfolder is a class without samples, which is an error.
    if any(per_class.values()):
        items: list[tuple[str, int]] = []
        for ci, (d, files) in enumerate(per_class.items()):
            if not files:
                raise DataError(
                    f"{d}: class folder {d.name!r} has no images; allowed suffixes: {', '.join(IMAGE_SUFFIXES)}"
                )
            items += [(p, ci) for p in files]
        loose = _image_files(folder)
        if loose:
            log.warning("%s: ignoring %d image(s) next to the class folders, e.g. %s", folder, len(loose),
                        os.path.basename(loose[0]))
        return [d.name for d in subdirs], items
    files = _image_files(folder)
    if not files:
        raise DataError(f"{folder}: no classes found; accepted layouts: {_LAYOUTS}")
    labels = []
    for p in files:
        m = re.match(r"([^_]+)_", os.path.basename(p))
        if m is None:
            raise DataError(
                f"{p}: cannot tell the class from the name {os.path.basename(p)!r}; "
                f"accepted layouts: {_LAYOUTS}"
            )
        labels.append(m.group(1))
    names = sorted(set(labels))
    index = {n: i for i, n in enumerate(names)}
    return names, [(p, index[lab]) for p, lab in zip(files, labels)]


def _image_files(folder: Path) -> list[str]:
    """The paths of folder's image files (is_image's rule), sorted, as strings."""
    with os.scandir(folder) as entries:
        return sorted(e.path for e in entries if e.is_file() and not e.name.startswith(".")
                      and os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES)


# Images smaller than this are grids (the course's 5x5 shapes): used as they are, since
# cropping to the ink would blow a 5x5 line up into a block.
MIN_CROP_SIDE = SMALL_GRID


def folder_preparation(size: tuple[int, int]) -> Preparation:
    """Return the Preparation for images read at `size` (H, W): margin about 8% of the
    smaller side; crop on, except for grids smaller than MIN_CROP_SIDE."""
    size = Preparation(size=size, margin=0).size  # validates
    if min(size) < MIN_CROP_SIDE:
        return Preparation(size=size, margin=0, crop=False)
    return Preparation(size=size, margin=default_margin(size), crop=True)


def native_size(paths: list[Path]) -> tuple[int, int]:
    """Return the images' own size (H, W) when all share one, else DEFAULT_FOLDER_SIZE.
    Files whose header cannot be read do not count (read_folder reports them)."""
    sizes = set()
    for path in paths:
        try:
            sizes.add(_image_size(path))
        except DataError:
            continue
    return _common_size(sizes)


def _common_size(sizes: set[tuple[int, int]]) -> tuple[int, int]:
    return next(iter(sizes)) if len(sizes) == 1 else DEFAULT_FOLDER_SIZE


def _image_size(path: str | Path) -> tuple[int, int]:
    """(H, W) read from the file header only."""
    try:
        with Image.open(path) as img:
            w, h = img.size
    except Image.DecompressionBombError:
        raise DataError(f"image too large; at most {MAX_IMAGE_PIXELS:,} pixels are read "
                        "(it may be a decompression bomb).", where=Where(file=str(path)),
                        hint="scale the image down") from None
    except UnidentifiedImageError:
        # PIL's own words repeat the whole path; the message names the file already.
        raise DataError(f"not an image ({IMAGE_KINDS})", where=Where(file=str(path))) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"cannot read the image ({exc})", where=Where(file=str(path))) from None
    return h, w


def load_folder(folder: str | Path, *, size: tuple[int, int] | None = None, skip_bad: bool = False) -> Dataset:
    """Return every image of an image folder as a Dataset: x uint8 codes (N, 1, H, W)
    prepared by prepare_codes, classes sorted by name, samples in class order. See read_folder."""
    return read_folder(folder, size=size, skip_bad=skip_bad)[0]


def read_folder(folder: str | Path, *, size: tuple[int, int] | None = None, skip_bad: bool = False,
                shard: tuple[int, int] | None = None,
                per_class: int | None = None) -> tuple[Dataset, list[str]]:
    """Return (the folder's Dataset, the images left out as "path: why"). Images are read
    at `size`, else their own size if all agree, else DEFAULT_FOLDER_SIZE. Every image is
    tried: one DataError lists all that cannot be read or have no ink, unless skip_bad,
    which leaves them out (a class needs one good image still).

    x holds uint8 codes, filled image by image (about one byte per pixel of the folder).
    With shard = (rank, world), only the images of that shard are opened (samples
    rank, rank + world, ... in the sorted order every process shares; with no `size`
    every header is read, so all processes agree on the size) and the Dataset is that
    shard, with the labels of all images. per_class keeps the first per_class images of
    each class (before a shard is taken, so every process keeps the same ones)."""
    names, items = find_image_files(folder)
    shard = check_shard(shard, f"{folder}")
    # Chosen before reading (only those are opened), unless bad images are skipped: then
    # the first good ones of each class are kept, as take_per_class does after reading.
    choose_first = per_class is not None and (shard is not None or not skip_bad)
    if per_class is not None and choose_first:
        items = _first_per_class(items, per_class)
    rank, world = (0, 1) if shard is None else shard
    mine = items[rank::world]
    # Each header is read once: the readable ones also give the folder's own size.
    sizes, bad = _read_headers(items if size is None else mine)
    prep = folder_preparation(_common_size(sizes) if size is None else size)
    x = _read_codes(mine, prep, bad)
    if shard is not None:
        own = {path for path, _ in mine}
        bad = {path: why for path, why in bad.items() if path in own}
    if bad and (not skip_bad or shard is not None):
        raise DataError(_bad_message(Path(folder), bad, len(items), sharded=shard is not None))
    keep = [i for i, (path, _) in enumerate(mine) if path not in bad]
    if len(keep) < len(mine):
        x = _compact(x, keep)
        items = [mine[i] for i in keep]
    y = np.array([label for _, label in items], dtype=np.int64)
    empty = [names[c] for c in range(len(names)) if not np.any(y == c)]
    if empty:
        raise DataError(f"{folder}: class {empty[0]!r} has no usable image once the bad ones are left out; "
                        "help: add good images to it")
    for path, why in bad.items():
        log.warning("left out %s: %s", path, why)
    dataset = Dataset(x, y, names, name=Path(folder).resolve().name, preparation=prep, shard=shard)
    if not choose_first:
        dataset = take_per_class(dataset, per_class)
    return dataset, [f"{path}: {why}" for path, why in bad.items()]


def _read_headers(items: list[tuple[str, int]]) -> tuple[set[tuple[int, int]], dict[str, str]]:
    """Return (the sizes (H, W) the images' headers give, {path: why} for unreadable ones)."""
    sizes: set[tuple[int, int]] = set()
    bad: dict[str, str] = {}
    for path, _ in items:
        try:
            sizes.add(_image_size(path))
        except DataError as exc:
            bad[path] = _reason(path, exc)
    return sizes, bad


def _read_codes(items: list[tuple[str, int]], prep: Preparation, bad: dict[str, str]) -> np.ndarray:
    """Return uint8 (n, 1, H, W) codes of the items prepared by prep, filled image by image
    (never a float copy of the set); images found bad are added to `bad`, their rows left unset."""
    x = np.empty((len(items), 1, *prep.size), dtype=np.uint8)
    for i, (path, _) in enumerate(items):
        if path in bad:
            continue
        try:
            x[i, 0] = prepare_codes(open_image(path), prep)
        except DataError as exc:
            bad[path] = _reason(path, exc)
    return x


def _first_per_class(items: list[tuple[str, int]], per_class: int) -> list[tuple[str, int]]:
    """Return the first per_class items of each class, in their order (take_per_class's rule)."""
    per_class = check_per_class(per_class)
    seen: dict[int, int] = {}
    kept = []
    for path, label in items:
        seen[label] = seen.get(label, 0) + 1
        if seen[label] <= per_class:
            kept.append((path, label))
    return kept


def _compact(x: np.ndarray, keep: list[int]) -> np.ndarray:
    """Move the rows `keep` (ascending) to the front of x in place; return a view of them.
    In place, so leaving a few bad images out costs no second copy of the pixels."""
    for to, row in enumerate(keep):
        if to != row:
            x[to] = x[row]
    return x[:len(keep)]


def _reason(path: str | Path, error: DataError) -> str:
    """What is wrong with the image at path, without its path when the error names it."""
    return error.reason() if error.where.file == str(path) else str(error)


def _bad_message(folder: Path, bad: dict[str, str], total: int, sharded: bool = False) -> str:
    shown = [f"{_relative(p, folder)} ({why})" for p, why in list(bad.items())[:20]]
    more = f"; and {len(bad) - 20} more" if len(bad) > 20 else ""
    if sharded:
        # Leaving images out of one shard would shift the samples of every other process.
        return (f"{folder}: {len(bad)} of the {total} images cannot be used: {'; '.join(shown)}{more}. "
                "A shard read by one of several processes cannot leave images out. "
                "help: fix or remove them, or train in one process with --skip-bad.")
    return (f"{folder}: {len(bad)} of {total} images cannot be used: {'; '.join(shown)}{more}. "
            "help: fix or remove them, or pass --skip-bad (skip_bad=True) to train without them.")


def _relative(path: str, folder: Path) -> str:
    try:
        return str(Path(path).relative_to(folder))
    except ValueError:
        return str(path)


def write_image_folder(path: str | Path, dataset: Dataset) -> Path:
    """Write each sample as <path>/<class>/<index>.png (8-bit grey, dark ink on white, as
    drawn on paper) and return the folder. Vectors of a square length are written as
    square images."""
    root = Path(path)
    if dataset.shard is not None:
        raise DataError(f"{root}: cannot write shard {dataset.shard} of dataset {dataset.name!r} as a folder; "
                        "help: write the whole data set")
    images = _as_images(dataset)
    dirs = []
    for name in dataset.class_names:
        safe = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", name).strip() or "_"
        if safe in (".", ".."):
            safe = safe.replace(".", "_")
        dirs.append(root / safe)
    for d in set(dirs):
        d.mkdir(parents=True, exist_ok=True)
    if images.dtype == np.uint8:
        pixels = 255 - images  # codes are the values in 1/255 steps: exact, no rounding
    else:
        pixels = np.rint((1.0 - np.clip(images, 0.0, 1.0)) * 255.0).astype(np.uint8)
    for i, (img, label) in enumerate(zip(pixels, dataset.y)):
        Image.fromarray(img, "L").save(dirs[label] / f"{i}.png")
    return root


def _as_images(dataset: Dataset) -> np.ndarray:
    """(N, H, W) from (N, 1, H, W), (N, H, W) or (N, D) with D a perfect square."""
    x = dataset.x
    if x.ndim == 4 and x.shape[1] == 1:
        return x[:, 0]
    if x.ndim == 3:
        return x
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side == x.shape[1]:
            return x.reshape(-1, side, side)
    raise DataError(
        f"cannot write samples of shape {tuple(x.shape[1:])} as grey images; "
        "allowed: (1, H, W), (H, W) or a square number of values"
    )
