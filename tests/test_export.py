"""ONNX export: onnxruntime gives the probabilities PyTorch gives, for MLPs and CNNs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from click.testing import CliRunner

from nnstudio.cli import main
from nnstudio.errors import ModelFileError
from nnstudio.export import export_onnx, onnx_bytes
from nnstudio.model import build_model
from nnstudio.predict import Model, load
from nnstudio.spec import load_spec, num_classes, preset_names
from nnstudio.store import save_model


def random_model(preset: str | dict) -> Model:
    """The preset (or spec) with seeded weights and batch-norm statistics far from their
    defaults, so that an exporter that dropped them would be caught."""
    spec = load_spec(preset)
    network = build_model(spec, seed=7)
    generator = torch.Generator().manual_seed(8)
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                assert module.running_mean is not None and module.running_var is not None  # tracked by default
                module.running_mean.copy_(torch.rand(module.running_mean.shape, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
                module.bias.copy_(torch.rand(module.bias.shape, generator=generator) - 0.5)
    return Model(spec=spec, network=network.eval(), class_names=[f"c{i}" for i in range(num_classes(spec))])


def run_onnx(data: bytes, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["probabilities"]
    return session.run(None, {"input": x})[0]


# Beyond the presets: average pooling with the odd 'same' padding, sigmoid and tanh, a stride.
ODD_CNN = {"name": "odd-cnn", "input_shape": [1, 9, 9], "layers": [
    {"type": "Conv2D", "filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
     "activation": "tanh"},
    {"type": "AveragePooling2D", "pool_size": [2, 2], "padding": "same"},
    {"type": "Flatten"}, {"type": "Dense", "units": 6, "activation": "sigmoid"},
    {"type": "Dense", "units": 3, "activation": "softmax"}]}


# letter-paths-gru's export (~10 s) is checked on real drawings in test_letter_paths_model.py.
@pytest.mark.parametrize("preset", [*(n for n in preset_names() if n != "letter-paths-gru"), "odd-cnn"])
def test_onnx_probabilities_equal_pytorch_within_1e5(preset: str) -> None:
    # digits-cnn: BatchNormalization, MaxPooling2D, Dropout; seed-cnn: LeakyReLU, pooling, Dropout.
    model = random_model(ODD_CNN if preset == "odd-cnn" else preset)
    x = np.random.default_rng(0).random((5, *model.spec.input_shape), dtype=np.float32)
    got = run_onnx(onnx_bytes(model), x)
    want = model.probabilities(x)
    assert got.shape == want.shape == (5, len(model.class_names))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
    assert not model.network.training  # the export worked on a copy; the model keeps its mode


def test_a_trained_model_exports_from_its_folder_with_the_cli(tmp_path: Path) -> None:
    from nnstudio.workflows import train_model

    trained = train_model("shapes", out=tmp_path / "shapes", model="shapes-mlp", epochs=3, batch_size=8)
    result = CliRunner().invoke(main, ["export", str(tmp_path / "shapes"), "--onnx", str(tmp_path / "s.onnx")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 's.onnx'}" in result.output
    data = (tmp_path / "s.onnx").read_bytes()
    x = trained.prepare([np.eye(5).ravel(), np.ones(25)])  # one batch of any size N
    np.testing.assert_allclose(run_onnx(data, x), trained.probabilities(x), atol=1e-5, rtol=0)
    metadata = {p.key: p.value for p in onnx.load_from_string(data).metadata_props}
    assert json.loads(metadata["nnstudio.class_names"]) == trained.class_names
    assert json.loads(metadata["nnstudio.preparation"])["size"] == [5, 5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.onnx", "shapes"]  # no temporary file left


def test_export_errors_are_model_file_errors(tmp_path: Path) -> None:
    folder = save_model(tmp_path / "m", build_model("digits-mlp", seed=0), class_names=[str(i) for i in range(10)])
    with pytest.raises(ModelFileError, match="does not exist"):
        export_onnx(folder, tmp_path / "missing" / "m.onnx")
    with pytest.raises(ModelFileError, match="is a folder"):
        export_onnx(folder, tmp_path)
    result = CliRunner().invoke(main, ["export", str(tmp_path / "nothing"), "--onnx", str(tmp_path / "x.onnx")])
    assert result.exit_code == 2 and "no such model folder" in result.stderr
    assert export_onnx(load(folder), tmp_path / "m.onnx").stat().st_size > 1000


# The three recurrent layers in one network, so that one export (seconds) covers them all.
RECURRENT = {"name": "seq", "input_shape": [6, 3], "layers": [
    {"type": "SimpleRNN", "units": 5, "return_sequences": True, "activation": "relu"},
    {"type": "LSTM", "units": 5, "return_sequences": True}, {"type": "GRU", "units": 4},
    {"type": "Dense", "units": 3, "activation": "softmax"}]}


def test_recurrent_onnx_probabilities_equal_pytorch_within_1e5() -> None:
    model = random_model(RECURRENT)
    x = np.random.default_rng(1).normal(size=(4, 6, 3)).astype(np.float32)
    data = onnx_bytes(model)
    got = np.concatenate([run_onnx(data, x[:1]), run_onnx(data, x[1:])])  # the batch size is not fixed
    want = model.probabilities(x)
    assert got.shape == want.shape == (4, 3)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert np.abs(want - want.mean(axis=0)).max() > 1e-3  # the inputs give different answers
