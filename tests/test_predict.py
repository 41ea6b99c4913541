import numpy as np
import pytest
from PIL import Image

import nnstudio
import nnstudio.data
from nnstudio.data import SHAPE_BITMAPS, Dataset, load_dataset, write_training_file
from nnstudio.errors import DataError
from nnstudio.model import build_model
from nnstudio.predict import Model, Prediction
from nnstudio.spec import get_preset
from nnstudio.store import save_model, training_record
from nnstudio.train import TrainConfig, fit

SHAPES = list(nnstudio.data.SHAPES)

# The square's outline fills the whole 5x5 frame, so its polarity is ambiguous; the
# other four shapes have a dark border.
CLEAR = ["rhombus", "plus", "x", "line"]


@pytest.fixture(scope="module")
def shapes_model(tmp_path_factory):
    data = load_dataset("shapes")
    net = build_model(get_preset("shapes-mlp"), seed=0)
    config = TrainConfig(epochs=15, batch_size=10, optimizer="adam", lr=0.02)
    history = fit(net, data, config)
    path = tmp_path_factory.mktemp("models") / "shapes"
    save_model(path, net, class_names=data.class_names, preparation=data.preparation,
               training=training_record(config, history))
    return nnstudio.load(path)


def big_dark_on_light(bitmap):
    return (255 * (1 - np.kron(bitmap, np.ones((12, 12))))).astype(np.uint8)  # 60x60, black ink on white


def test_images_paths_pil_and_arrays_are_prepared_and_classified(shapes_model, tmp_path):
    paths = []
    for name in CLEAR:
        paths.append(tmp_path / f"{name}.png")
        Image.fromarray(big_dark_on_light(SHAPE_BITMAPS[name])).save(paths[-1])
    by_path = shapes_model.predict([str(p) for p in paths])
    assert [p.input for p in by_path] == [str(p) for p in paths]
    assert [p.class_name for p in by_path] == CLEAR
    pil = shapes_model.predict([Image.open(p) for p in paths])
    arrays = shapes_model.predict([SHAPE_BITMAPS[n] for n in CLEAR])
    assert [p.input for p in arrays] == ["#1", "#2", "#3", "#4"]
    for a, b, c in zip(by_path, pil, arrays):
        assert a.class_name == b.class_name == c.class_name
        assert a.confidence == pytest.approx(c.confidence, abs=1e-6)
    single = shapes_model.predict(str(paths[0]))
    assert len(single) == 1 and single[0].class_name == "rhombus"


def test_probabilities_confidence_and_top(shapes_model):
    p = shapes_model.predict(SHAPE_BITMAPS["plus"])[0]
    assert isinstance(p, Prediction)
    assert list(p.probabilities) == SHAPES  # class order
    assert sum(p.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert p.confidence == max(p.probabilities.values()) == p.probabilities[p.class_name]
    assert p.index == SHAPES.index(p.class_name)
    top = shapes_model.predict(SHAPE_BITMAPS["plus"], top=2)[0]
    values = list(top.probabilities.values())
    assert len(values) == 2 and values[0] >= values[1] and list(top.probabilities)[0] == top.class_name
    assert set(top.to_dict()) == {"input", "class", "confidence", "probabilities"}
    with pytest.raises(DataError, match="top"):
        shapes_model.predict(SHAPE_BITMAPS["plus"], top=0)


def test_numeric_vectors_are_used_as_they_are(shapes_model):
    bitmaps = np.stack([SHAPE_BITMAPS[n] for n in CLEAR])  # (4, 5, 5)
    flat = shapes_model.predict(bitmaps.reshape(4, 25))
    assert [p.class_name for p in flat] == CLEAR and flat[0].input == "#1"
    as_list = shapes_model.predict([list(v) for v in bitmaps.reshape(4, 25)])
    assert [p.confidence for p in as_list] == [p.confidence for p in flat]
    with pytest.raises(DataError, match="24 values; the model takes 25"):
        shapes_model.predict([np.zeros(24)])
    with pytest.raises(DataError, match="NaN"):
        shapes_model.predict(np.full((1, 25), np.nan))


def test_many_images_take_one_forward_pass(shapes_model, monkeypatch):
    calls = []
    real = shapes_model.network.forward
    monkeypatch.setattr(shapes_model.network, "forward", lambda x: calls.append(len(x)) or real(x))
    shapes_model.predict([SHAPE_BITMAPS[n] for n in CLEAR] * 10)
    assert calls == [40]


def test_model_from_a_training_file_takes_images_of_its_square_grid(shapes_model, tmp_path):
    model = Model(spec=shapes_model.spec, network=shapes_model.network, class_names=SHAPES, preparation=None)
    assert model.predict(SHAPE_BITMAPS["x"].reshape(1, 25))[0].class_name == "x"
    picture = tmp_path / "x.png"  # black ink on white, as a drawing program saves it
    Image.fromarray(((1 - SHAPE_BITMAPS["x"]) * 255).astype(np.uint8)).save(picture)
    assert model.predict([picture])[0].class_name == "x"
    assert np.array_equal(model.prepare([picture]), model.prepare(SHAPE_BITMAPS["x"].reshape(1, 25)))


def test_vector_model_of_no_square_size_refuses_images_with_a_hint():
    spec = {"name": "six", "input_shape": [6], "layers": [{"type": "Dense", "units": 2, "activation": "softmax"}]}
    model = Model(spec=get_preset("shapes-mlp").__class__.from_dict(spec), network=build_model(spec),
                  class_names=["a", "b"])
    with pytest.raises(DataError, match="numeric vectors of 6 values, not images.*help:"):
        model.predict(np.zeros((3, 2)))


def test_unreadable_image_names_the_input(shapes_model, tmp_path):
    with pytest.raises(DataError, match="nothing.png"):
        shapes_model.predict([str(tmp_path / "nothing.png")])


def test_predict_file_reads_pixel_and_training_files(shapes_model, tmp_path):
    bitmaps = np.stack([SHAPE_BITMAPS[n] for n in CLEAR]).reshape(4, 25)
    pixel_file = tmp_path / "pixels.txt"
    pixel_file.write_text("\n".join(" ".join(f"{v:g}" for v in row) for row in bitmaps) + "\n")
    got = shapes_model.predict_file(pixel_file)
    assert [p.class_name for p in got] == CLEAR
    assert got[0].input == f"{pixel_file}:line 1"
    train_file = tmp_path / "train.dat"
    write_training_file(train_file, Dataset(bitmaps, np.array([1, 2, 3, 4]), SHAPES))
    assert [p.class_name for p in shapes_model.predict_file(train_file)] == CLEAR


def test_model_evaluate_matches_classes_by_name(shapes_model):
    data = load_dataset("shapes")
    result = shapes_model.evaluate(data)
    assert result.samples == len(data) and result.accuracy > 0.8
    order = [3, 1, 0, 2, 4]  # the same data with its classes listed in another order
    mapping = np.argsort(order)
    shuffled = Dataset(data.x, mapping[data.y], [SHAPES[i] for i in order], name="shuffled")
    again = shapes_model.evaluate(shuffled)
    assert again.accuracy == result.accuracy and again.confusion == result.confusion
    with pytest.raises(DataError, match="does not know: star"):
        shapes_model.evaluate(Dataset(data.x, data.y % 4, SHAPES[:3] + ["star"]))
    numbered = shapes_model.evaluate(Dataset(data.x, data.y, ["1", "2", "3", "4", "5"]))  # by position
    assert numbered.accuracy == result.accuracy and numbered.class_names == SHAPES


def test_saved_model_round_trips_through_model_save(shapes_model, tmp_path):
    copy = nnstudio.load(shapes_model.save(tmp_path / "copy"))
    assert copy.class_names == shapes_model.class_names and copy.preparation == shapes_model.preparation
    x = np.stack([SHAPE_BITMAPS[n] for n in SHAPES]).reshape(5, 25)
    assert [p.probabilities for p in copy.predict(x)] == [p.probabilities for p in shapes_model.predict(x)]


def test_image_stacks_and_spec_shaped_arrays_are_used_as_is(shapes_model):
    bitmaps = np.stack([SHAPE_BITMAPS[n] for n in CLEAR])  # (4, 5, 5): 25 values per input
    assert [p.class_name for p in shapes_model.predict(bitmaps)] == CLEAR
    with pytest.raises(DataError, match=r"shape \[2, 3, 3\]"):
        shapes_model.predict(np.zeros((2, 3, 3)))


def test_a_loaded_convolutional_model_answers_in_channels_last_as_the_plain_network_does(tmp_path):
    import torch

    from nnstudio.predict import load

    spec = {"name": "two-conv", "input_shape": [3, 8, 8],
            "layers": [{"type": "Conv2D", "filters": 4, "kernel_size": [3, 3], "padding": "same"},
                       {"type": "Conv2D", "filters": 5, "kernel_size": [3, 3], "strides": [2, 2]},
                       {"type": "Flatten"}, {"type": "Dense", "units": 3, "activation": "softmax"}]}
    network = build_model(spec, seed=2)
    save_model(tmp_path / "m", network, class_names=["a", "b", "c"])
    model = load(tmp_path / "m")
    kernels = [p for p in model.network.parameters() if p.dim() == 4]
    assert len(kernels) == 2
    assert all(k.is_contiguous(memory_format=torch.channels_last) and not k.is_contiguous() for k in kernels)
    x = np.random.default_rng(0).random((6, 3, 8, 8), dtype=np.float32)
    with torch.no_grad():
        plain = torch.softmax(network(torch.from_numpy(x)), dim=1).numpy()
    np.testing.assert_allclose(model.probabilities(x), plain, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "again")  # safetensors takes contiguous tensors only: saving copies them plain
    again = load(tmp_path / "again").network.state_dict()
    assert all(torch.equal(again[key], value) for key, value in network.state_dict().items())
