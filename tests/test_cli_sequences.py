"""`nnstudio train --data sequences` and `nnstudio predict` on a sequence model."""

import json

import pytest
import torch
from click.testing import CliRunner

from nnstudio.cli import main
from nnstudio.data.sequence_prep import SequencePreparation
from nnstudio.errors import ModelFileError
from nnstudio.export import onnx_bytes
from nnstudio.model import build_model
from nnstudio.predict import load
from nnstudio.spec import Spec
from nnstudio.store import save_model
from nnstudio.workflows.sequences import output_names


@pytest.fixture
def arithmetic_model(tmp_path):
    """A network that always answers a[n] + d1[n] (no weights, only biases): the plumbing
    from text to the printed answer is then checked without any training."""
    spec = Spec.from_dict({"name": "rule", "input_shape": list(SequencePreparation().input_shape), "layers": [
        {"type": "Flatten"}, {"type": "Dense", "units": 3}]})
    network = build_model(spec, seed=0)
    with torch.no_grad():
        network.layers[1].weight.zero_()
        network.layers[1].bias.copy_(torch.tensor([1.2, -0.3, 0.1]))
    prep = SequencePreparation()
    return save_model(tmp_path / "rule", network, class_names=output_names(prep), preparation=prep)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_predict_one_sequence_prints_the_next_term(arithmetic_model):
    result = run("predict", arithmetic_model, "2 4 6 8")
    assert result.exit_code == 0 and result.output.strip() == "10"


def test_predict_a_file_as_json_and_bad_lines(arithmetic_model, tmp_path):
    good = tmp_path / "seq.txt"
    good.write_text("2 4 6 8\n# skipped\n\n-5, -2, 1, 4, 7\n")
    result = run("predict", arithmetic_model, good, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"input": [2, 4, 6, 8], "value": 10},
                                         {"input": [-5, -2, 1, 4, 7], "value": 10}]
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3 4\n1 2 three 4\n")
    result = CliRunner().invoke(main, ["predict", str(arithmetic_model), str(bad), "--json"])
    assert result.exit_code != 0
    assert f"{bad}:2: 'three' in '1 2 three 4' is not an integer; allowed: 4 to 10 integers" in result.output


def test_sequence_model_is_refused_by_onnx_export(arithmetic_model):
    with pytest.raises(ModelFileError, match="sequence model"):
        onnx_bytes(load(arithmetic_model))


def test_train_on_sequences_writes_a_model_that_predicts(tmp_path):
    spec = tmp_path / "tiny.json"
    spec.write_text(json.dumps({"name": "tiny", "input_shape": list(SequencePreparation().input_shape), "layers": [
        {"type": "LSTM", "units": 6}, {"type": "Dense", "units": 3}]}))
    out = tmp_path / "m"
    result = run("train", "--data", "sequences", "--model", spec, "--per-class", 200,
                 "--epochs", 1, "--validation", 0.1, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert f"saved {out}" in result.output and "held-out next terms exact" in result.output
    model = load(out)
    assert isinstance(model.preparation, SequencePreparation) and model.class_names == output_names(
        model.preparation)
    answer = run("predict", out, "1 1 2 3 5")
    assert answer.exit_code == 0 and answer.output.strip().lstrip("-").isdigit()
