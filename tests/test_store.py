import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import nnstudio
from nnstudio.data import Dataset, Preparation
from nnstudio.errors import ModelFileError
from nnstudio.model import build_model
from nnstudio.spec import load_spec
from nnstudio.predict import load_model
from nnstudio.store import save_model, training_record
from nnstudio.train import TrainConfig, fit

SPEC = {"name": "tiny", "input_shape": [1, 3, 3], "layers": [
    {"type": "Flatten"},
    {"type": "Dense", "units": 6, "activation": "relu"},
    {"type": "BatchNormalization"},
    {"type": "Dense", "units": 2, "activation": "softmax"}]}


def data():
    rng = np.random.default_rng(0)
    x = rng.random((20, 1, 3, 3), dtype=np.float32)
    y = (x[:, 0, 1, 1] > 0.5).astype(np.int64)
    return Dataset(x, y, ["dark", "bright"], name="centre")


@pytest.fixture
def saved(tmp_path):
    net = build_model(load_spec(SPEC), seed=0)
    config = TrainConfig(epochs=2, batch_size=4)
    history = fit(net, data(), config)
    path = save_model(tmp_path / "m", net, class_names=["dark", "bright"], preparation=Preparation((3, 3), 0, False),
                      training=training_record(config, history))
    return path, net


def test_round_trip_gives_the_same_predictions(saved):
    path, net = saved
    assert sorted(p.name for p in path.iterdir()) == ["metrics.csv", "model.json", "weights.safetensors"]
    model = nnstudio.load(path)
    assert model.class_names == ["dark", "bright"] and model.preparation == Preparation((3, 3), 0, False)
    assert model.spec == net.spec and not model.network.training
    assert len(model.history) == 2 and model.training["config"]["epochs"] == 2
    x = data().x
    net.eval()
    with torch.no_grad():
        expected = torch.softmax(net(torch.from_numpy(x)), 1).numpy()
    got = np.array([[p.probabilities[c] for c in model.class_names] for p in model.predict(x)])
    np.testing.assert_array_equal(got, expected)
    for k, v in net.state_dict().items():
        assert torch.equal(model.network.state_dict()[k], v)


def test_saving_again_replaces_the_model_and_leaves_no_temp(saved):
    path, net = saved
    with torch.no_grad():
        net.layers[1].bias.fill_(0.25)
    save_model(path, net, class_names=["x", "y"])
    model = load_model(path)
    assert model.class_names == ["x", "y"] and model.preparation is None and model.training is None
    assert torch.all(model.network.layers[1].bias == 0.25)
    assert [p.name for p in path.parent.iterdir()] == ["m"]


def test_refuses_to_replace_a_folder_that_is_not_a_model(tmp_path, saved):
    _, net = saved
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.txt").write_text("precious")
    with pytest.raises(ModelFileError, match="not an nnstudio model folder"):
        save_model(tmp_path / "docs", net, class_names=["a", "b"])
    assert (tmp_path / "docs" / "thesis.txt").read_text() == "precious"


def test_wrong_number_of_class_names_is_refused(tmp_path, saved):
    with pytest.raises(ModelFileError, match="3 class names"):
        save_model(tmp_path / "n", saved[1], class_names=["a", "b", "c"])


def test_missing_folder_and_files(tmp_path, saved):
    path, _ = saved
    with pytest.raises(ModelFileError, match="no such model folder"):
        load_model(tmp_path / "nothing")
    (path / "weights.safetensors").unlink()
    with pytest.raises(ModelFileError, match="weights.safetensors: missing"):
        load_model(path)
    (path / "model.json").unlink()
    with pytest.raises(ModelFileError, match="model.json: missing"):
        load_model(path)


def rewrite_weights(path, change):
    tensors = {k: v.clone() for k, v in load_model(path).network.state_dict().items()}
    change(tensors)
    save_file(tensors, str(path / "weights.safetensors"))


def test_misshapen_tensor_is_named(saved):
    path, _ = saved
    rewrite_weights(path, lambda t: t.update({"layers.1.weight": torch.zeros(6, 8)}))
    with pytest.raises(ModelFileError, match=r"'layers.1.weight' has shape \[6, 8\]; the spec needs \[6, 9\]"):
        load_model(path)


def test_nan_tensor_is_named(saved):
    path, _ = saved
    rewrite_weights(path, lambda t: t["layers.3.bias"].fill_(float("nan")))
    with pytest.raises(ModelFileError, match="'layers.3.bias' contains NaN"):
        load_model(path)


def test_extra_and_missing_tensors_are_named(saved):
    path, _ = saved
    rewrite_weights(path, lambda t: t.update({"layers.9.weight": torch.zeros(2)}))
    with pytest.raises(ModelFileError, match="unexpected tensor.*layers.9.weight"):
        load_model(path)
    rewrite_weights_without = {k: v for k, v in load_model_state(path).items() if k != "layers.9.weight"}
    del rewrite_weights_without["layers.2.running_var"]
    save_file(rewrite_weights_without, str(path / "weights.safetensors"))
    with pytest.raises(ModelFileError, match="missing tensor.*layers.2.running_var"):
        load_model(path)


def load_model_state(path):
    from safetensors.torch import load_file

    return load_file(str(path / "weights.safetensors"))


class Booby:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_in_place_of_weights_is_never_unpickled(saved, tmp_path):
    path, _ = saved
    marker = tmp_path / "pwned"
    (path / "weights.safetensors").write_bytes(pickle.dumps(Booby(str(marker))))
    with pytest.raises(ModelFileError, match="is not a safetensors file.*pickle"):
        load_model(path)
    assert not marker.exists()
    torch.save({"layers.1.weight": torch.zeros(1)}, path / "weights.safetensors")  # a zip archive
    with pytest.raises(ModelFileError, match="is not a safetensors file.*zip"):
        load_model(path)


def test_header_claiming_huge_tensors_is_rejected(saved):
    path, _ = saved
    weights = path / "weights.safetensors"
    blob = weights.read_bytes()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    header["layers.1.weight"]["data_offsets"][1] = 10**12
    text = json.dumps(header).encode()
    weights.write_bytes(len(text).to_bytes(8, "little") + text + blob[8 + n:])
    with pytest.raises(ModelFileError, match="weights.safetensors"):
        load_model(path)


@pytest.mark.parametrize("text, match", [
    ("{broken", r"model.json:1:2: not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
    ('{"format_version": 9, "spec": {}, "class_names": []}', "format_version 9 is not supported"),
])
def test_corrupt_model_json_names_the_file(saved, text, match):
    path, _ = saved
    (path / "model.json").write_text(text)
    with pytest.raises(ModelFileError, match=match) as err:
        load_model(path)
    assert str(path / "model.json") in str(err.value)


def test_bad_spec_class_names_or_preparation_in_model_json(saved):
    path, _ = saved
    good = json.loads((path / "model.json").read_text())
    for change, match in [
        (lambda r: r["spec"]["layers"][1].update(units=-4), "model.json.*invalid spec"),
        (lambda r: r.update(class_names=["only one"]), "class_names"),
        (lambda r: r.update(preparation={"size": [3, 3], "margin": 9, "crop": False}), "preparation"),
    ]:
        record = json.loads(json.dumps(good))
        change(record)
        (path / "model.json").write_text(json.dumps(record))
        with pytest.raises(ModelFileError, match=match):
            load_model(path)


def test_training_record_keeps_history_and_best_epoch(saved):
    model = load_model(saved[0])
    assert model.training["best_epoch"] in (1, 2) and model.training["stopped_early"] is False
    assert model.history[0]["epoch"] == 1 and "loss" in model.history[0]


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_model_round_trip(tmp_path, kind):
    spec = load_spec({"name": "seq", "input_shape": [7, 2], "layers": [
        {"type": kind, "units": 6, "return_sequences": True}, {"type": kind, "units": 5},
        {"type": "Dense", "units": 2, "activation": "softmax"}]})
    network = build_model(spec, seed=3).eval()
    save_model(tmp_path / "m", network, class_names=["a", "b"])
    loaded = load_model(tmp_path / "m")
    x = torch.randn(3, 7, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        np.testing.assert_array_equal(loaded.network(x).numpy(), network(x).numpy())
    assert loaded.spec == spec and "layers.0.weight_hh_l0" in loaded.network.state_dict()
