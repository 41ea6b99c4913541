"""Drawing from a saved model folder, as the CLI does: network, activations, weights, history."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import nnstudio.draw as draw
from nnstudio.errors import DataError, DrawError, ModelFileError, SpecError

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def letters_model(tmp_path_factory):
    """A letters-cnn folder with initial weights, a preparation and a two-epoch history."""
    from nnstudio.data import Preparation
    from nnstudio.model import build_model
    from nnstudio.store import save_model

    folder = tmp_path_factory.mktemp("models") / "letters"
    history = [{"epoch": 1, "loss": 2.0, "accuracy": 0.3, "val_loss": 2.1, "val_accuracy": 0.3},
               {"epoch": 2, "loss": 1.0, "accuracy": 0.6, "val_loss": 1.2, "val_accuracy": 0.5}]
    save_model(folder, build_model("letters-cnn", seed=0),
               class_names=[chr(65 + i) for i in range(26)],
               preparation=Preparation(size=(50, 50), margin=4, crop=True),
               training={"config": {}, "history": history})
    return folder


@pytest.fixture(scope="module")
def letter_png(tmp_path_factory):
    """A dark 'L' on a light 120x90 canvas, off-center."""
    image = np.full((90, 120), 255, dtype=np.uint8)
    image[20:70, 70:78] = 0
    image[62:70, 70:105] = 0
    path = tmp_path_factory.mktemp("images") / "L.png"
    Image.fromarray(image).save(path)
    return path


def test_network_from_a_model_folder_has_weights_and_class_names(parse, letters_model):
    picture = parse(draw.draw_network(letters_model))
    assert picture.texts("class-name")[:3] == ["A", "B", "C"]
    assert all(e.get("data-weight") for e in picture.all("edge"))
    assert len(picture.all("colorbar")) == 2


def test_activations_of_an_image_file_use_the_model_preparation(parse, letters_model, letter_png):
    from nnstudio.data import Preparation, prepare_image

    picture = parse(draw.draw_activations(letters_model, letter_png))
    assert len(picture.all("heatmap", layer=0)) == 16
    assert len(picture.all("input-image")) == 1
    # the input drawn is what the model's own preparation makes of the file
    from nnstudio.draw.adapter import input_array
    from nnstudio.predict import load_model

    prepared = prepare_image(letter_png, Preparation(size=(50, 50), margin=4, crop=True))
    assert np.array_equal(input_array(load_model(letters_model), letter_png)[0], prepared)


def test_weights_and_history_from_a_model_folder(parse, letters_model):
    assert len(parse(draw.draw_weights(letters_model)).all("weights")) == 16
    assert len(parse(draw.draw_history(letters_model)).all("series")) == 4


@pytest.mark.parametrize("ref, error", [("no-such-preset", SpecError),
                                        ("missing-folder/model.json", SpecError)])
def test_unknown_network_names_are_user_errors(ref, error):
    with pytest.raises(error):
        draw.draw_network(ref)


def test_broken_model_folder_is_a_model_file_error(tmp_path):
    (tmp_path / "model.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelFileError):
        draw.draw_network(tmp_path)


def test_blank_image_is_a_data_error(letters_model, tmp_path):
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((40, 40), 255, dtype=np.uint8)).save(blank)
    with pytest.raises(DataError):
        draw.draw_activations(letters_model, blank)


def test_data_pictures_by_name(parse):
    assert len(parse(draw.draw_data("shapes", "grid")).all("cell")) == 125
    assert [c.get("data-value") for c in parse(draw.draw_data("shapes", "onehot", index=3)).all("cell")] \
        == ["0", "0", "0", "1", "0"]
    assert len(parse(draw.draw_data("shapes", "vector", index=0)).all("cell")) == 25
    with pytest.raises(DrawError, match="allowed: grid, vector, onehot, mosaic"):
        draw.draw_data("shapes", "histogram")
    with pytest.raises(DrawError, match="sample index"):
        draw.draw_data("shapes", "vector", index=9)


def test_weights_of_an_mlp_are_first_layer_images(parse):
    from nnstudio.model import build_model

    network = build_model("shapes-mlp", seed=0)
    assert len(parse(draw.draw_weights(network)).all("weights")) == 25
    with pytest.raises(DrawError, match="no Conv2D"):
        draw.draw_weights(network, layer=0)


def test_data_pictures_of_a_training_file(parse, tmp_path):
    from nnstudio.data import load_dataset, write_training_file

    path = tmp_path / "shapes.dat"
    write_training_file(path, load_dataset("shapes"))
    grids = parse(draw.draw_data(path, "grid"))
    assert len(grids.all("cell")) == 5 * 25  # one 5x5 grid per class
    assert len(parse(draw.draw_data(path, "vector", index=3)).all("cell")) == 25
