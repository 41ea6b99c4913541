import numpy as np
import pytest
from PIL import Image

from nnstudio.data import Dataset, load_dataset, load_folder, prepare_image, write_image_folder
from nnstudio.data import prepare as prepare_mod
from nnstudio.errors import DataError


def make_class_folders(root, draw_letter, letters="ABC", per_class=2):
    for letter in letters:
        (root / letter).mkdir(parents=True)
        for i in range(per_class):
            draw_letter(letter, canvas=60, box=(10 + i, 8, 40)).save(root / letter / f"img{i}.png")
    return root


def test_class_subfolders(tmp_path, draw_letter):
    root = make_class_folders(tmp_path / "imgs", draw_letter)
    data = load_folder(root)
    assert data.class_names == ["A", "B", "C"]
    assert data.x.shape == (6, 1, 60, 60)  # all images 60x60: their own size
    assert list(data.y) == [0, 0, 1, 1, 2, 2]
    assert data.preparation.size == (60, 60) and data.preparation.margin == 5 and data.preparation.crop
    assert data.x.dtype == np.uint8  # codes, one byte a pixel
    np.testing.assert_array_equal(data.floats([0])[0, 0], prepare_image(root / "A" / "img0.png", data.preparation))
    assert data.name == "imgs"


def test_flat_folder_with_label_prefix_and_size(tmp_path, draw_letter):
    for name in ("B_1.png", "A_first.png", "A_2.png", "notes.txt"):
        if name.endswith(".png"):
            draw_letter(name[0], canvas=80, box=(5, 5, 50)).save(tmp_path / name)
        else:
            (tmp_path / name).write_text("not an image")
    data = load_dataset(tmp_path, "train", size=(50, 50))
    assert data.class_names == ["A", "B"]
    assert data.x.shape == (3, 1, 50, 50) and list(data.y) == [0, 0, 1]
    assert data.preparation.margin == 4
    assert len(load_dataset(tmp_path, "test")) == 3


def test_mixed_sizes_default_to_50x50(tmp_path, draw_letter):
    draw_letter("A", canvas=60, box=(5, 5, 40)).save(tmp_path / "A_1.png")
    draw_letter("B", canvas=90, box=(5, 5, 40)).save(tmp_path / "B_1.png")
    assert load_folder(tmp_path).x.shape == (2, 1, 50, 50)


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="nowhere"):
        load_dataset(tmp_path / "nowhere")


def test_no_classes_says_which_layouts_work(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(DataError, match=r"no classes found.*<class>/<image>.png.*<class>_<anything>.png"):
        load_folder(tmp_path)


def test_image_name_without_label(tmp_path, draw_letter):
    draw_letter().save(tmp_path / "photo.png")
    with pytest.raises(DataError, match="photo.png.*cannot tell the class"):
        load_folder(tmp_path)


def test_empty_class_folder(tmp_path, draw_letter):
    root = make_class_folders(tmp_path, draw_letter, "AB", 1)
    (root / "C").mkdir()
    with pytest.raises(DataError, match=r"C: class folder 'C' has no images"):
        load_folder(root)


def test_corrupt_image(tmp_path, draw_letter):
    root = make_class_folders(tmp_path, draw_letter, "AB", 1)
    (root / "B" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DataError, match="broken.png"):
        load_folder(root)


def test_truncated_png(tmp_path, draw_letter):
    root = make_class_folders(tmp_path, draw_letter, "AB", 1)
    full = (root / "A" / "img0.png").read_bytes()
    (root / "A" / "img1.png").write_bytes(full[: len(full) * 2 // 3])
    with pytest.raises(DataError, match="img1.png"):
        load_folder(root, size=(50, 50))
    with pytest.raises(DataError, match="img1.png"):
        load_folder(root)


def test_decompression_bomb(tmp_path, draw_letter, bomb_png, monkeypatch):
    root = make_class_folders(tmp_path, draw_letter, "AB", 1)
    bomb_png(root / "B" / "bomb.png", 100_000, 100_000)
    with pytest.raises(DataError, match="bomb.png.*too large"):
        load_folder(root)
    (root / "B" / "bomb.png").unlink()
    monkeypatch.setattr(prepare_mod, "MAX_IMAGE_PIXELS", 1000)  # the 60x60 images are now too big
    with pytest.raises(DataError, match="img0.png.*too large"):
        load_folder(root, size=(50, 50))


def test_blank_image_names_the_file(tmp_path, draw_letter):
    root = make_class_folders(tmp_path, draw_letter, "AB", 1)
    Image.new("L", (60, 60), 255).save(root / "A" / "blank.png")
    with pytest.raises(DataError, match="blank.png.*no ink"):
        load_folder(root)


def test_write_image_folder_round_trip(tmp_path, draw_letter):
    source = load_folder(make_class_folders(tmp_path / "src", draw_letter, "AB", 2), size=(32, 32))
    out = write_image_folder(tmp_path / "out", source)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert files == ["A/0.png", "A/1.png", "B/2.png", "B/3.png"]
    with Image.open(out / "A" / "0.png") as img:
        assert img.mode == "L" and img.size == (32, 32)
        assert img.getpixel((0, 0)) == 255  # dark ink on white paper, like the course's files
    back = load_folder(out)
    assert back.class_names == source.class_names and list(back.y) == list(source.y)
    assert np.abs(back.x - source.x).mean() < 0.01


def test_write_image_folder_from_vectors(tmp_path):
    data = Dataset(np.eye(2, 25), [0, 1], ["a/b", "c"])
    out = write_image_folder(tmp_path, data)
    assert (out / "a_b" / "0.png").is_file() and (out / "c" / "1.png").is_file()
    with pytest.raises(DataError, match="cannot write"):
        write_image_folder(tmp_path, Dataset(np.zeros((1, 7)), [0], ["a"]))


def test_every_bad_image_is_named_in_one_message(tmp_path, draw_letter):
    root = make_class_folders(tmp_path, draw_letter, "AB", 2)
    (root / "A" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    full = (root / "B" / "img0.png").read_bytes()
    (root / "B" / "cut.png").write_bytes(full[: len(full) // 2])
    Image.new("L", (60, 60), 255).save(root / "B" / "blank.png")
    with pytest.raises(DataError) as caught:
        load_folder(root)
    message = str(caught.value)
    assert "3 of 7 images cannot be used" in message
    for name in ("A/broken.png", "B/cut.png", "B/blank.png (the image has no ink"):
        assert name in message
    assert "--skip-bad" in message


def test_skip_bad_leaves_the_bad_images_out_and_says_which(tmp_path, draw_letter):
    from nnstudio.data.folders import read_folder

    root = make_class_folders(tmp_path, draw_letter, "AB", 2)
    (root / "A" / "broken.png").write_bytes(b"not an image")
    data, skipped = read_folder(root, skip_bad=True)
    assert len(data) == 4 and list(data.class_counts()) == [2, 2]
    assert len(skipped) == 1 and "broken.png" in skipped[0]
    (root / "B" / "img0.png").write_bytes(b"not an image")
    (root / "B" / "img1.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match="class 'B' has no usable image"):
        read_folder(root, skip_bad=True)


def test_each_header_is_read_once_for_the_size_and_the_check(tmp_path, draw_letter, monkeypatch):
    from nnstudio.data import folders

    root = make_class_folders(tmp_path, draw_letter, "AB", 3)
    opened = []
    real = folders._image_size
    monkeypatch.setattr(folders, "_image_size", lambda path: opened.append(path) or real(path))
    data = folders.load_folder(root)
    assert data.preparation.size == (60, 60)  # the images' own size, from those headers
    assert sorted(map(str, opened)) == sorted(map(str, root.rglob("*.png")))


def test_a_folder_of_five_by_five_grids_is_not_cropped(tmp_path):
    from nnstudio.data import SHAPE_BITMAPS

    for name in ("line", "plus"):
        (tmp_path / name).mkdir()
        Image.fromarray(((1 - SHAPE_BITMAPS[name]) * 255).astype(np.uint8)).save(tmp_path / name / "1.png")
    data = load_folder(tmp_path)
    assert data.preparation.crop is False
    np.testing.assert_array_equal(data.floats([0])[0, 0], SHAPE_BITMAPS["line"])  # not blown up to a block
