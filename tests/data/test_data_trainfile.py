import numpy as np
import pytest

from nnstudio.data import Dataset, load_dataset, read_pixel_file, read_training_file, write_training_file
from nnstudio.data.shapes import load_shapes
from nnstudio.errors import DataError

SQUARE = "1 1 1 1 1 1 0 0 0 1 1 0 0 0 1 1 0 0 0 1 1 1 1 1 1"
LINE = "0 0 0 0 0 0 0 0 0 0 1 1 1 1 1 0 0 0 0 0 0 0 0 0 0"


def write(tmp_path, text, name="shapes.dat"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_round_trip_keeps_values_and_class_names(tmp_path):
    shapes = load_shapes("train", per_class=6)
    path = write_training_file(tmp_path / "out" / "shapes.dat", shapes)
    back = read_training_file(path)
    np.testing.assert_array_equal(back.x, shapes.x.reshape(len(shapes), 25))
    np.testing.assert_array_equal(back.y, shapes.y)
    assert back.class_names == shapes.class_names
    assert back.x.shape == (30, 25) and back.preparation is None
    first = path.read_text().splitlines()
    assert first[0] == "# classes: square rhombus plus x line"
    assert len(first[1].split(" ")) == 30 and set(first[1].split(" ")) <= {"0", "1"}
    assert [p.name for p in path.parent.iterdir()] == ["shapes.dat"]  # no temporary file left


def test_grey_values_are_written_compactly(tmp_path):
    data = Dataset(np.array([[0.5, 0.123456, 1.0, 0.0], [0.25, 0.00001, 0.99999, 0.1]]), [1, 0], ["a", "b c"])
    path = write_training_file(tmp_path / "g.txt", data)
    lines = path.read_text().splitlines()
    assert lines == ["# classes: a b_c", "0.5 0.1235 1 0 0 1", "0.25 0 1 0.1 1 0"]
    back = read_training_file(path)
    np.testing.assert_allclose(back.x, data.x, atol=5e-5)
    assert back.class_names == ["a", "b_c"]


def test_without_header_class_names_are_numbers_and_split_is_inferred(tmp_path):
    path = write(tmp_path, f"{SQUARE} 1 0 0\n\n# a comment\n{LINE}   0 0 1\n{SQUARE} 0 1 0\n")
    data = read_training_file(path)
    assert data.x.shape == (3, 25) and list(data.y) == [0, 2, 1]
    assert data.class_names == ["1", "2", "3"]
    assert read_training_file(path, input_size=25).x.shape == (3, 25)


def test_a_class_without_any_line_is_an_error_as_an_empty_class_folder_is(tmp_path):
    with pytest.raises(DataError, match=r"no line sets the bit of class '2' \(bit 2\).*help:"):
        read_training_file(write(tmp_path, "0 1 0\n"))
    named = write(tmp_path, f"# classes: square x line\n{SQUARE} 1 0 0\n{LINE} 0 0 1\n")
    with pytest.raises(DataError, match=r"class 'x' \(bit 2\).*'# classes:' line"):
        read_training_file(named)


def test_tabs_and_multiple_spaces_are_accepted(tmp_path):
    path = write(tmp_path, SQUARE.replace(" ", "\t") + "  1 0\n" + LINE.replace(" ", "  ") + "\t0 1\n")
    assert read_training_file(path).x.shape == (2, 25)


@pytest.mark.parametrize(
    "second_line, message",
    [
        (f"{SQUARE} 1 0 0 0", r"shapes.dat:2: 29 values, but line 1 has 30"),
        (f"{SQUARE} 1 0 0 zero 0", r"shapes.dat:2: column 29: 'zero' is not a number"),
        (f"{SQUARE} 0 0 0 0 0", r"shapes.dat:2: no class bit is 1"),
        (f"{SQUARE} 1 0 0 0 1", r"shapes.dat:2: 2 class bits are 1"),
        (f"{SQUARE} 1 0 0.5 0 0", r"shapes.dat:2: column 28: class bit 0.5 is not 0 or 1"),
        (SQUARE.replace("1 1 1 1 1 1 0", "1 1 1 1 1 1 7", 1) + " 1 0 0 0 0",
         r"shapes.dat:2: column 7: pixel value 7 is outside \[0, 1\]"),
        (f"{SQUARE} 1 0 0 nan 0", r"shapes.dat:2: column 29: 'nan' is not a number"),
    ],
)
def test_errors_name_file_line_and_value(tmp_path, second_line, message):
    path = write(tmp_path, f"{LINE} 0 0 0 0 1\n{second_line}\n")
    with pytest.raises(DataError, match=message):
        read_training_file(path, input_size=25)
    with pytest.raises(DataError, match=message):
        read_training_file(path)  # the same report when the split is inferred


def test_empty_file_and_comment_only_file(tmp_path):
    for text in ("", "\n\n", "# classes: a b\n# nothing else\n"):
        path = write(tmp_path, text, "empty.dat")
        with pytest.raises(DataError, match=r"empty.dat:1: the file has no samples"):
            read_training_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope.dat: no such file"):
        read_training_file(tmp_path / "nope.dat")


def test_split_that_cannot_be_inferred_asks_for_input_size(tmp_path):
    # 6 pixels (not a square) and 3 bits: no perfect square leaves a valid one-hot tail on every line.
    path = write(tmp_path, "0.5 0.5 0.5 0.5 0.5 0.5 1 0 0\n0.5 0.5 0.5 0.5 0.5 0.5 0 1 0\n"
                           "0.5 0.5 0.5 0.5 0.5 0.5 0 0 1\n", "odd.dat")
    with pytest.raises(DataError, match="odd.dat:1:.*help: name the classes on a first line.*--model"):
        read_training_file(path)
    data = read_training_file(path, input_size=6)
    assert data.x.shape == (3, 6) and list(data.y) == [0, 1, 2]


def test_header_and_input_size_must_agree(tmp_path):
    path = write(tmp_path, f"# classes: a b c d e\n{SQUARE} 1 0 0 0 0\n")
    with pytest.raises(DataError, match="names 5 classes"):
        read_training_file(path, input_size=24)


def test_pixel_file(tmp_path):
    path = write(tmp_path, f"{SQUARE}\n{LINE}\n", "predict.txt")
    pixels = read_pixel_file(path)
    assert pixels.shape == (2, 25) and pixels.dtype == np.float32
    # A training file given for prediction: the model's input size keeps the pixels only.
    train = write(tmp_path, f"{SQUARE} 1 0 0 0 0\n")
    assert read_pixel_file(train, input_size=25).shape == (1, 25)
    with pytest.raises(DataError, match="predict.txt:1: 25 values per line, but the model takes 30"):
        read_pixel_file(path, input_size=30)
    bad = write(tmp_path, f"{SQUARE}\n{LINE.replace('1', '2', 1)}\n", "bad.txt")
    with pytest.raises(DataError, match="bad.txt:2: column 11: pixel value 2"):
        read_pixel_file(bad)


def test_load_dataset_reads_training_files(tmp_path):
    path = write_training_file(tmp_path / "s.dat", load_shapes("test", per_class=3))
    data = load_dataset(path, "test")
    assert data.x.shape == (15, 25) and data.name == "s"
    assert load_dataset(str(path), per_class=1).x.shape == (5, 25)


def test_write_refuses_values_outside_unit_range(tmp_path):
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        write_training_file(tmp_path / "x.dat", Dataset(np.array([[2.0, 0.0]]), [0], ["a", "b"]))
