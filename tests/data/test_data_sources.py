import pytest

import nnstudio.data as data
from nnstudio.errors import DataError


def test_public_names_are_exported():
    for name in ("Dataset", "Preparation", "prepare_image", "load_dataset", "DATASET_NAMES",
                 "read_training_file", "read_pixel_file", "write_training_file", "write_image_folder",
                 "BROKEN_SQUARE", "SHAPES"):
        assert hasattr(data, name), name
    assert data.DATASET_NAMES == ("shapes", "letters", "digits", "mnist", "letter-paths")


def test_dataset_container():
    ds = data.load_dataset("shapes", per_class=2)
    assert ds.input_shape == (1, 5, 5) and ds.num_classes == 5 and len(ds) == 10
    sub = ds.subset([0, 3])
    assert len(sub) == 2 and sub.class_names == ds.class_names and sub.preparation == ds.preparation
    with pytest.raises(DataError, match="labels"):
        data.Dataset(ds.x, ds.y + 5, ds.class_names)
    with pytest.raises(DataError, match="y must have shape"):
        data.Dataset(ds.x, ds.y[:3], ds.class_names)


def test_unknown_sources_and_parts(tmp_path):
    with pytest.raises(DataError, match="not a built-in dataset; built-in: shapes, letters"):
        data.load_dataset("lettres")
    with pytest.raises(DataError, match="part must be one of"):
        data.load_dataset("digits", "validation")
    with pytest.raises(DataError, match="only for the letters"):
        data.load_dataset("digits", "unseen")
    other = tmp_path / "weights.bin"
    other.write_bytes(b"\0")
    with pytest.raises(DataError, match=r"weights.bin: a training file must end in .dat or .txt"):
        data.load_dataset(other)
