"""The `nnstudio` command as a user runs it: output, JSON shapes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from nnstudio.cli import main


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_summary_of_a_preset_lists_layers_and_total():
    result = run("summary", "shapes-mlp")
    assert result.exit_code == 0, result.output
    assert "Dense" in result.output
    # 650 + 520 + 315 + 160 + 55: weights and biases of the five Dense layers
    assert "total parameters: 1,700" in result.output


def test_summary_json_has_layers_and_total():
    result = run("summary", "letters-cnn", "--json")
    summary = json.loads(result.output)
    assert summary["input_shape"] == [1, 50, 50]
    assert summary["total_params"] == sum(layer["params"] for layer in summary["layers"])
    assert summary["layers"][-1]["output_shape"] == [26]


def test_unknown_preset_is_a_one_line_error():
    assert_one_line_error(run("summary", "letters-cnnn"), "letters-cnnn")


def test_data_writes_a_course_training_file(tmp_path: Path):
    out = tmp_path / "shapes.dat"
    result = run("data", "shapes", "--out", out)
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in out.read_text().splitlines() if not line.startswith("#")]
    assert rows and all(len(row) == 30 for row in rows)
    assert all(sum(int(v) for v in row[25:]) == 1 for row in rows)


def test_train_test_predict_round_trip(tmp_path: Path):
    model_dir = tmp_path / "shapes"
    result = run("train", "--data", "shapes", "--out", model_dir, "--epochs", "5", "--quiet")
    assert result.exit_code == 0, result.output
    assert (model_dir / "model.json").exists()
    assert (model_dir / "weights.safetensors").exists()

    tested = json.loads(run("test", model_dir, "--data", "shapes", "--json").output)
    assert {"accuracy", "loss", "samples", "per_class"} <= set(tested)
    assert 0.0 <= tested["accuracy"] <= 1.0

    pixels = tmp_path / "broken.txt"
    pixels.write_text("1 1 1 0 1 1 0 0 0 1 1 0 0 0 1 0 0 0 0 1 1 1 1 1 1\n")
    predicted = json.loads(run("predict", model_dir, pixels, "--json").output)
    assert len(predicted) == 1
    assert set(predicted[0]) >= {"input", "class", "confidence", "probabilities"}
    probabilities = predicted[0]["probabilities"]
    assert set(probabilities) == {"square", "rhombus", "plus", "x", "line"}
    assert abs(sum(probabilities.values()) - 1.0) < 1e-4
    assert predicted[0]["confidence"] == pytest.approx(max(probabilities.values()))


def test_predict_on_a_missing_model_folder_is_a_one_line_error(tmp_path: Path):
    image = tmp_path / "x.png"
    from PIL import Image

    Image.fromarray(np.zeros((10, 10), np.uint8)).save(image)
    assert_one_line_error(run("predict", tmp_path / "nope", image), "nope")


def test_training_file_errors_name_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.dat"
    bad.write_text("0 1 1 0 1 0\n0 1 x 0 0 1\n")
    result = run("train", "--data", bad, "--out", tmp_path / "m", "--quiet", "--epochs", "1")
    assert_one_line_error(result, "bad.dat:2")


def test_debug_shows_the_traceback(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["--debug", "summary", "no-such-preset"])
    assert result.exit_code != 0
    assert result.exception is not None


def test_draw_a_preset_writes_svg_with_neurons(tmp_path: Path):
    out = tmp_path / "net.svg"
    result = run("draw", "shapes-mlp", "--out", out)
    assert result.exit_code == 0, result.output
    assert 'class="neuron"' in out.read_text()


def test_draw_png_is_a_png(tmp_path: Path):
    out = tmp_path / "relu.png"
    assert run("draw-function", "relu", "--out", out).exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["draw", "no-such-preset", "--out", "{tmp}/x.svg"], "no-such-preset"),
        (["draw", "shapes-mlp", "--out", "{tmp}/missing/x.svg"], "does not exist"),
        (["draw", "shapes-mlp", "--out", "{tmp}/x.gif"], ".gif"),
        (["draw", "{tmp}", "--out", "{tmp}/x.svg"], "model.json"),
        (["draw-weights", "{tmp}/nothing", "--out", "{tmp}/x.svg"], "nothing"),
    ],
)
def test_draw_bad_input_is_a_one_line_error(tmp_path: Path, args: list[str], fragment: str):
    result = run(*[a.format(tmp=tmp_path) for a in args])
    assert_one_line_error(result, fragment)


def test_draw_with_an_input_that_cannot_be_prepared(tmp_path: Path):
    from PIL import Image

    model_dir = tmp_path / "shapes"
    assert run("train", "--data", "shapes", "--out", model_dir, "--epochs", "1", "--quiet").exit_code == 0
    blank = tmp_path / "blank.png"
    Image.new("L", (20, 20), 255).save(blank)
    result = run("draw", model_dir, "--input", blank, "--out", tmp_path / "a.svg")
    assert_one_line_error(result, "blank.png")


def test_threads_option_sets_torch_threads():
    import torch

    before = torch.get_num_threads()
    try:
        assert run("--threads", "1", "summary", "shapes-mlp").exit_code == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_reader_that_goes_away_is_not_an_error():
    """`nnstudio presets | head -1`: the pipe closes; no "error:" line, no traceback."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        done = subprocess.run([sys.executable, "-m", "nnstudio", "presets"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141
