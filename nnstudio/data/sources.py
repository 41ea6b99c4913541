"""One entry point for every data source: built-in sets, image folders, training files."""

from __future__ import annotations

from pathlib import Path

from nnstudio.data.dataset import Dataset, take_per_class
from nnstudio.errors import DataError

IMAGE_DATASET_NAMES = ("shapes", "letters", "digits", "mnist")
PATH_DATASET_NAMES = ("letter-paths",)  # pen paths (data.strokes), not pictures
DATASET_NAMES = IMAGE_DATASET_NAMES + PATH_DATASET_NAMES
SEQUENCE_NAMES = ("sequences",)  # integer sequences and their next terms (data.sequences)
PARTS = ("train", "test", "unseen")
TRAINING_FILE_SUFFIXES = (".dat", ".txt")

_NATIVE_SIZE = {"shapes": (5, 5), "digits": (8, 8), "mnist": (28, 28)}


def load_dataset(source: str | Path, part: str = "train", *, size: tuple[int, int] | None = None,
                 per_class: int | None = None, seed: int = 0, input_size: int | None = None,
                 shard: tuple[int, int] | None = None) -> Dataset:
    """Return the Dataset named by `source`: a built-in name (DATASET_NAMES), a folder of
    images or a training file (.dat/.txt). `part` is "train", "test" or (letters only)
    "unseen"; folders and training files give all their samples for either part. With
    shard = (rank, world) it is that process's shard (see Dataset): a folder opens only
    its own images, a training file keeps only its own lines' pixels."""
    if part not in PARTS:
        raise DataError(f"part must be one of {PARTS}, got {part!r}")
    if isinstance(source, str) and source in SEQUENCE_NAMES:
        raise DataError(f"{source!r} holds integer sequences, not images; help: read it with "
                        "load_sequences (nnstudio.data.sequences), or train with: nnstudio train --data sequences")
    if isinstance(source, str) and source in DATASET_NAMES:
        return _builtin(source, part, size=size, per_class=per_class, seed=seed).take_shard(shard)
    path = Path(source)
    if part == "unseen":
        raise DataError(f"part 'unseen' exists only for the letters dataset, not for {path}")
    if path.is_dir():
        from nnstudio.data.folders import read_folder

        return read_folder(path, size=size, per_class=per_class, shard=shard)[0]
    if path.is_file():
        if path.suffix.lower() not in TRAINING_FILE_SUFFIXES:
            raise DataError(f"{path}: a training file must end in {' or '.join(TRAINING_FILE_SUFFIXES)}; "
                            "for images give the folder that holds them")
        from nnstudio.data.trainfile import read_training_file

        if per_class is None:
            return read_training_file(path, input_size=input_size, shard=shard)
        return take_per_class(read_training_file(path, input_size=input_size), per_class).take_shard(shard)
    raise DataError(f"{source}: no such file or folder, and not a built-in dataset; "
                    f"built-in: {', '.join(DATASET_NAMES)}")


def _builtin(name: str, part: str, *, size, per_class, seed) -> Dataset:
    if part == "unseen" and name != "letters":
        raise DataError(f"part 'unseen' exists only for the letters dataset, not for {name!r}")
    if name == "letter-paths":
        if size is not None:
            raise DataError(f"the letter-paths dataset holds pen paths, not images; got size {tuple(size)}. "
                            "help: leave size out")
        from nnstudio.data.letter_paths import load_letter_paths

        return load_letter_paths(part, per_class=per_class, seed=seed)
    if name == "letters":
        from nnstudio.data.letters import load_letters

        return load_letters(part, per_class=per_class, seed=seed, size=size)
    if size is not None and tuple(size) != _NATIVE_SIZE[name]:
        h, w = _NATIVE_SIZE[name]
        raise DataError(f"the {name} dataset has a fixed size of {h}x{w}, got size {tuple(size)}; "
                        "size applies to letters and image folders")
    if name == "shapes":
        from nnstudio.data.shapes import load_shapes

        return load_shapes(part, per_class=per_class, seed=seed)
    from nnstudio.data.digits import load_digits, load_mnist

    return (load_digits if name == "digits" else load_mnist)(part, per_class=per_class)
