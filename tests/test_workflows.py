"""Whole jobs as the CLI runs them: interrupted training resumed, defaults refitted to data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import load_file

from nnstudio.errors import DataError, TrainingError
from nnstudio.workflows import summarize, evaluate_model, train_model


class StopAt:
    """Simulates Ctrl-C after a given epoch (the checkpoint of that epoch is written)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if epoch == self.epoch:
            raise KeyboardInterrupt


def weights(model_dir: Path) -> dict[str, np.ndarray]:
    return load_file(str(model_dir / "weights.safetensors"))


def test_an_interrupted_run_resumed_equals_an_uninterrupted_one(tmp_path: Path):
    options: dict[str, Any] = dict(epochs=4, batch_size=8, optimizer="sgd", lr=0.05, momentum=0.9, lr_decay="cosine")
    straight = tmp_path / "straight"
    train_model("shapes", out=straight, **options)

    resumed = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        train_model("shapes", out=resumed, callbacks=[StopAt(2)], **options)
    assert not (resumed / "model.json").exists()
    assert (tmp_path / "resumed.checkpoint").is_dir()
    model = train_model("shapes", out=resumed, resume=True, **options)

    a, b = weights(straight), weights(resumed)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert len(model.history) == 4
    assert not (tmp_path / "resumed.checkpoint").exists()


def test_resume_without_a_checkpoint_is_an_error(tmp_path: Path):
    with pytest.raises(TrainingError, match="no checkpoint to resume from.*help:"):
        train_model("shapes", out=tmp_path / "m", resume=True, epochs=1)


def test_a_training_file_gets_a_network_of_its_own_size(tmp_path: Path):
    data = tmp_path / "four.dat"
    rows = ["1 0 0 1 1 0", "0 1 1 0 0 1"] * 4
    data.write_text("# classes: diagonal anti\n" + "\n".join(rows) + "\n")
    model = train_model(data, out=tmp_path / "m", epochs=2, batch_size=4)
    assert model.spec.input_shape == (4,)
    assert model.class_names == ["diagonal", "anti"]
    assert summarize(tmp_path / "m").layers[-1].output_shape == (2,)


def test_testing_on_data_with_other_classes_is_an_error(tmp_path: Path):
    train_model("shapes", out=tmp_path / "shapes", epochs=1)
    with pytest.raises(DataError, match="classes"):
        evaluate_model(tmp_path / "shapes", "digits")


def test_testing_on_a_folder_with_some_of_the_classes(tmp_path: Path):
    from PIL import Image

    from nnstudio.data import SHAPE_BITMAPS

    train_model("shapes", out=tmp_path / "shapes", epochs=1)
    for name in ("x", "plus"):  # a subset, in another order than the model's classes
        (tmp_path / "few" / name).mkdir(parents=True)
        pixels = ((1 - SHAPE_BITMAPS[name]) * 255).astype(np.uint8)  # dark ink on white
        Image.fromarray(pixels).resize((50, 50), Image.Resampling.NEAREST).save(tmp_path / "few" / name / "1.png")
    evaluation = evaluate_model(tmp_path / "shapes", tmp_path / "few")
    assert evaluation.samples == 2
    assert evaluation.class_names == ["square", "rhombus", "plus", "x", "line"]
