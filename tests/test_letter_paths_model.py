"""A letter-paths model end to end: trained on pen paths, saved with its path
preparation, predicting drawing files (CLI --json) and exported to ONNX."""

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
from nnstudio.data.strokefile import read_strokes, write_strokes
from nnstudio.data.strokes import PathPreparation, path_sequence, path_sequences
from nnstudio.errors import DataError
from nnstudio.export import onnx_bytes
from nnstudio.model import build_model
from nnstudio.predict import Model, load
from nnstudio.spec import load_spec
from nnstudio.workflows import train_model

TYPED = Path(__file__).parent.parent / "bench" / "heldout" / "letter_paths"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("paths") / "m"
    torch.set_num_threads(1)
    train_model("letter-paths", out=out, per_class=2, epochs=1, seed=0)
    return out


def test_the_model_folder_keeps_the_path_preparation(trained: Path) -> None:
    record = json.loads((trained / "model.json").read_text())
    assert record["spec"]["name"] == "letter-paths-gru"
    assert record["preparation"] == PathPreparation().to_dict()
    assert load(trained).preparation == PathPreparation()


def test_predict_prepares_a_drawing_file_as_training_did(trained: Path, tmp_path: Path) -> None:
    model = load(trained)
    a = TYPED / "A-1.json"
    want = path_sequence(read_strokes(a), PathPreparation())
    assert np.array_equal(model.prepare([str(a)])[0], want)
    # The same drawing in another stroke order and direction, at another scale: the same answer.
    strokes = read_strokes(a)
    moved = write_strokes(tmp_path / "a.json", [s[::-1] * 3 + 50 for s in strokes[::-1]])
    p1, p2 = model.predict([str(a), str(moved)])
    assert p1.class_name == p2.class_name and abs(p1.confidence - p2.confidence) < 1e-5
    with pytest.raises(DataError, match="reads pen paths, not images.*help:"):
        model.predict(str(tmp_path / "x.png"))


def test_cli_predict_prints_a_json_list(trained: Path) -> None:
    files = [str(TYPED / "A-1.json"), str(TYPED / "Z-2.json")]
    result = CliRunner().invoke(main, ["predict", str(trained), *files, "--json"])
    assert result.exit_code == 0, result.output
    answers = json.loads(result.stdout)
    assert [a["input"] for a in answers] == files
    assert all(a["class"] in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" and 0 < a["confidence"] <= 1 for a in answers)


def test_cli_predict_names_the_bad_point(trained: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"strokes": [[[0, 0], [10, 10]], [[5, 5], [5]]]}')
    result = CliRunner().invoke(main, ["predict", str(trained), str(bad)])
    assert result.exit_code != 0
    assert "bad.json: stroke 1, point 1: a point must be [x, y]" in " ".join(result.output.split())
    dot = tmp_path / "dot.json"
    dot.write_text('{"strokes": [[[3, 4], [3, 4]]]}')
    result = CliRunner().invoke(main, ["predict", str(trained), str(dot)])
    assert result.exit_code != 0 and f"input {dot}: the drawing has no extent" in " ".join(result.output.split())


@pytest.mark.slow  # the ONNX export of a 64-step GRU takes ~10 s
def test_letter_paths_gru_onnx_probabilities_equal_pytorch_within_1e5() -> None:

    spec = load_spec("letter-paths-gru")
    model = Model(spec=spec, network=build_model(spec, seed=3).eval(), class_names=list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                  preparation=PathPreparation())
    x = path_sequences([read_strokes(p) for p in sorted(TYPED.glob("*.json"))[:6]])
    data = onnx_bytes(model)
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x})[0]
    want = model.probabilities(x)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert np.abs(want - want.mean(axis=0)).max() > 1e-4  # the drawings give different answers
    meta = {p.key: p.value for p in onnx.load_from_string(data).metadata_props}
    assert json.loads(meta["nnstudio.preparation"])["kind"] == "strokes"
