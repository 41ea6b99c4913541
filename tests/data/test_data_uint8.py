"""Prepared pixels held as uint8 codes (value = code / 255), Dataset.floats, and shards:
one process's part of a data set (all labels, its own rows of pixels)."""

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nnstudio.data import Dataset, load_dataset, prepare_image, write_training_file
from nnstudio.data import folders as folders_mod
from nnstudio.data.folders import read_folder
from nnstudio.data.letters import permute_rows
from nnstudio.data.prepare import code_values, pixel_codes, prepare_codes
from nnstudio.data.trainfile import read_training_file
from nnstudio.errors import DataError


def letter_folder(root, draw_letter, letters="ABC", per_class=3, canvas=60):
    """root/<letter>/imgN.png, dark letters on white, each drawn a little differently."""
    for letter in letters:
        (root / letter).mkdir(parents=True)
        for i in range(per_class):
            draw_letter(letter, canvas=canvas, box=(6 + 2 * i, 5 + i, canvas - 14 - 2 * i)).save(
                root / letter / f"img{i}.png")
    return root


# ---------------------------------------------------------------- storage and values
def test_uint8_x_is_kept_without_a_copy_and_other_dtypes_become_float32():
    codes = np.arange(24, dtype=np.uint8).reshape(6, 1, 2, 2)
    data = Dataset(codes, [0, 1, 0, 1, 0, 1], ["a", "b"])
    assert data.x.dtype == np.uint8 and np.shares_memory(data.x, codes)
    for given in (codes.astype(np.float64) / 255, codes.astype(np.int32), codes > 3):
        assert Dataset(given, [0] * 6, ["a"]).x.dtype == np.float32
    with pytest.raises(DataError, match=r"y must have shape \(6,\)"):
        Dataset(codes, [0, 1], ["a", "b"])  # still validated


def test_floats_are_code_over_255_bit_for_bit_as_torch_divides():
    codes = np.arange(256, dtype=np.uint8).reshape(4, 64)
    data = Dataset(codes, [0, 1, 0, 1], ["a", "b"])
    values = data.floats()
    assert values.dtype == np.float32 and values[0, 0] == 0.0 and values[3, 63] == 1.0
    # The training loop turns codes into values on its device as codes.float() / 255: same bits.
    np.testing.assert_array_equal(values, (torch.from_numpy(codes).float() / 255).numpy())
    np.testing.assert_array_equal(data.floats([2, 0]), values[[2, 0]])
    np.testing.assert_array_equal(data.floats(slice(1, 3)), values[1:3])
    np.testing.assert_array_equal(pixel_codes(values), codes)  # codes -> values -> codes is exact


def test_floats_of_float32_data_are_a_copy():
    data = Dataset(np.full((2, 3), 0.25, dtype=np.float32), [0, 1], ["a", "b"])
    values = data.floats()
    values[:] = 9.0
    assert data.x.max() == 0.25


# ---------------------------------------------------------------- shards
def test_a_shard_holds_all_labels_and_its_own_rows():
    whole = Dataset(np.arange(7 * 4, dtype=np.uint8).reshape(7, 4), [0, 1, 2, 0, 1, 2, 0], ["a", "b", "c"])
    parts = [whole.take_shard((rank, 3)) for rank in range(3)]
    assert [p.x.shape[0] for p in parts] == [3, 2, 2] and all(len(p) == 7 for p in parts)
    assert all(p.class_counts().tolist() == [3, 2, 2] for p in parts)  # counts of all samples
    for i in range(7):  # global sample i is row i // world of shard i % world
        np.testing.assert_array_equal(parts[i % 3].x[i // 3], whole.x[i])
    assert whole.take_shard(None) is whole


@pytest.mark.parametrize("shard, message", [
    ((2, 2), r"0 <= rank < world, got rank 2, world 2"),
    ((-1, 2), r"0 <= rank < world, got rank -1, world 2"),
    ((0, 0), r"world >= 1"),
    ((0.5, 2), r"shard rank must be a whole number, got 0.5"),
    ((True, 2), r"shard rank must be a whole number, got True"),
    (3, r"shard must be \(rank, world\), got 3"),
])
def test_a_bad_shard_is_refused_with_what_was_given(shard, message):
    with pytest.raises(DataError, match=message):
        Dataset(np.zeros((2, 1)), [0, 1], ["a", "b"], name="d", shard=shard)


def test_a_shard_with_the_wrong_number_of_rows_is_refused():
    with pytest.raises(DataError, match=r"shard \(1, 2\) of 5 samples holds 2 rows of x .* got 3"):
        Dataset(np.zeros((3, 1)), [0, 1, 0, 1, 0], ["a", "b"], shard=(1, 2))


def test_subsets_and_shards_of_shards_are_refused():
    part = Dataset(np.zeros((8, 1)), [0, 1] * 4, ["a", "b"], name="d").take_shard((0, 2))
    with pytest.raises(DataError, match=r"cannot take a subset of shard \(0, 2\)"):
        part.subset([0])
    with pytest.raises(DataError, match=r"is shard \(0, 2\) already"):
        part.take_shard((1, 2))


# ---------------------------------------------------------------- image folders
def test_folder_shards_together_are_the_whole_folder(tmp_path, draw_letter):
    root = letter_folder(tmp_path / "f", draw_letter, per_class=3)  # 9 images
    whole, _ = read_folder(root)
    assert whole.x.dtype == np.uint8 and whole.shard is None
    for world in (2, 4):
        parts = [read_folder(root, shard=(rank, world))[0] for rank in range(world)]
        rebuilt = np.zeros_like(whole.x)
        for rank, part in enumerate(parts):
            assert part.shard == (rank, world) and len(part) == 9
            np.testing.assert_array_equal(part.y, whole.y)  # every process knows every label
            assert part.preparation == whole.preparation
            rebuilt[rank::world] = part.x
        np.testing.assert_array_equal(rebuilt, whole.x)


def test_a_folder_shard_opens_only_its_own_images(tmp_path, draw_letter, monkeypatch):
    root = letter_folder(tmp_path / "f", draw_letter, per_class=2)  # sorted: A/img0 A/img1 B/img0 ...
    (root / "A" / "img1.png").write_bytes(b"not an image")  # sample 1: shard 1 of 2
    opened = []
    real_open, real_size = folders_mod.open_image, folders_mod._image_size
    monkeypatch.setattr(folders_mod, "open_image", lambda p: opened.append(Path(p).relative_to(root).as_posix())
                        or real_open(p))
    monkeypatch.setattr(folders_mod, "_image_size", lambda p: opened.append(Path(p).relative_to(root).as_posix())
                        or real_size(p))
    part, skipped = read_folder(root, size=(30, 30), shard=(0, 2))  # sample 1 is never read
    assert skipped == [] and part.x.shape == (3, 1, 30, 30) and len(part) == 6
    assert sorted(set(opened)) == ["A/img0.png", "B/img0.png", "C/img0.png"]
    # Without a size every header is read (all processes must agree on it), pixels only of the shard.
    opened.clear()
    assert read_folder(root, shard=(0, 2))[0].x.shape == (3, 1, 60, 60)
    assert len(opened) == 6 + 3
    with pytest.raises(DataError, match=r"A/img1.png .*cannot leave images out.* one process with --skip-bad"):
        read_folder(root, size=(30, 30), shard=(1, 2), skip_bad=True)
    fine, skipped = read_folder(root, size=(30, 30), skip_bad=True)  # one process may skip it
    assert len(fine) == 5 and len(skipped) == 1


def test_per_class_is_chosen_before_the_shard(tmp_path, draw_letter):
    root = letter_folder(tmp_path / "f", draw_letter, per_class=3)
    whole = read_folder(root, per_class=2)[0]
    assert whole.class_counts().tolist() == [2, 2, 2]
    parts = [read_folder(root, per_class=2, shard=(rank, 2))[0] for rank in range(2)]
    np.testing.assert_array_equal(parts[0].y, whole.y)
    np.testing.assert_array_equal(parts[1].x, whole.x[1::2])


def test_workflow_reads_a_shard_of_folders_files_and_built_in_sets(tmp_path, draw_letter):
    from nnstudio.workflows.data import read_data_and_skipped

    root = letter_folder(tmp_path / "f", draw_letter, per_class=2)
    part, _ = read_data_and_skipped(root, None, shard=(1, 2))
    assert part.shard == (1, 2) and part.x.shape[0] == 3 and len(part) == 6
    shapes, _ = read_data_and_skipped("shapes", None, per_class=3, shard=(0, 2))
    whole = load_dataset("shapes", per_class=3)
    np.testing.assert_array_equal(shapes.x, whole.x[0::2])
    np.testing.assert_array_equal(shapes.y, whole.y)


def test_a_training_file_shard_keeps_all_labels_and_its_own_lines(tmp_path):
    whole = load_dataset("shapes", per_class=3)
    path = write_training_file(tmp_path / "s.dat", whole)
    read = read_training_file(path)
    part = read_training_file(path, shard=(1, 3))
    assert part.x.dtype == np.float32 and part.shard == (1, 3)
    np.testing.assert_array_equal(part.y, read.y)
    np.testing.assert_array_equal(part.x, read.x[1::3])
    with pytest.raises(DataError, match="cannot write shard"):
        write_training_file(tmp_path / "p.dat", part)


# ---------------------------------------------------------------- one preparation path
def test_a_folder_image_reaches_the_network_bit_identical_through_dataset_and_predict(tmp_path, draw_letter):
    from nnstudio.model import build_model
    from nnstudio.predict import Model
    from nnstudio.spec import load_spec

    root = letter_folder(tmp_path / "f", draw_letter, per_class=2, canvas=73)  # 73x73: resampled
    data = load_dataset(root, size=(40, 40))
    spec = load_spec({"name": "t", "input_shape": [1, 40, 40], "layers": [
        {"type": "Flatten"}, {"type": "Dense", "units": 3, "activation": "softmax"}]})
    model = Model(spec=spec, network=build_model(spec), class_names=data.class_names,
                  preparation=data.preparation)
    paths = sorted(root.glob("*/*.png"))
    given = model.prepare([str(p) for p in paths])  # the predict path: prepare_image per file
    np.testing.assert_array_equal(given, data.floats())  # the training path: stored codes / 255
    with Image.open(paths[3]) as image:
        np.testing.assert_array_equal(model.prepare(image)[0], data.floats([3])[0])
    # Values are whole steps of 1/255, and preparing is the codes' values exactly.
    assert np.array_equal(np.rint(given * 255) / np.float32(255), given)
    np.testing.assert_array_equal(prepare_image(paths[0], data.preparation),
                                  code_values(prepare_codes(paths[0], data.preparation)))
    # A Dataset's codes given to predict as a batch mean the same values.
    np.testing.assert_array_equal(model.prepare(data.x), given)


# ---------------------------------------------------------------- built-in sets
def test_letters_are_uint8_codes_shuffled_in_place():
    data = load_dataset("letters", per_class=2, seed=4)
    assert data.x.dtype == np.uint8 and (data.x.max(axis=(1, 2, 3)) == 255).all()
    rows = np.arange(50, dtype=np.uint8).repeat(3).reshape(50, 3)
    order = np.random.default_rng(0).permutation(50)
    moved = rows.copy()
    permute_rows(moved, order)
    np.testing.assert_array_equal(moved, rows[order])


# ---------------------------------------------------------------- memory
def test_reading_a_folder_holds_no_float32_copy(tmp_path):
    # 300 images of 50x50 (750,000 pixels): float32 pixels alone would be 4 bytes a pixel.
    root = tmp_path / "f"
    rng = np.random.default_rng(0)
    for c in "ab":
        (root / c).mkdir(parents=True)
        for i in range(150):
            image = np.full((50, 50), 255, dtype=np.uint8)
            y, x = rng.integers(5, 25, 2)
            image[y:y + 20, x:x + rng.integers(3, 20)] = 0
            Image.fromarray(image).save(root / c / f"{i}.png")
    pixels = 300 * 50 * 50
    read_folder(root)  # fills prepare's cache of resampling weights: a bounded size, not per pixel
    peaks = []
    tracemalloc.start()  # numpy reports its allocations to tracemalloc
    try:
        for shard in (None, (0, 2)):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            data, _ = read_folder(root, shard=shard)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
            del data
    finally:
        tracemalloc.stop()
    assert peaks[0] / pixels < 2.0, f"{peaks[0] / pixels:.2f} bytes per pixel"
    assert peaks[1] / (pixels / 2) < 2.0, f"shard: {peaks[1] / (pixels / 2):.2f} bytes per pixel of its own"


def test_the_resampling_weights_kept_stay_within_their_byte_budget():
    from nnstudio.data.prepare import _make_filter_matrix, _WeightCache

    cache = _WeightCache(budget=200_000)
    for start in range(60):  # 60 crop boxes, each its own matrix of about 8 to 12 KB
        made = cache.get((40, start, start + 50, 200))
        np.testing.assert_array_equal(made[0], _make_filter_matrix(40, start, start + 50, 200)[0])
        assert cache.nbytes <= 200_000
    assert len(cache.entries) < 60 and (40, 59, 109, 200) in cache.entries  # the oldest went first
    assert (40, 0, 50, 200) not in cache.entries
