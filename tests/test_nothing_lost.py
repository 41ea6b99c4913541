"""Training never replaces a model or drops a checkpoint unless told to, and keeps a
user's own files in a model folder it replaces."""

import csv

import numpy as np
import pytest
from PIL import Image

import nnstudio.train.loop as loop
from nnstudio.errors import TrainingError
from nnstudio.train import Callback
from nnstudio.workflows import checkpoint_folder, train_model


def test_an_existing_model_is_replaced_only_with_overwrite_and_other_files_stay(tmp_path):
    out = tmp_path / "m"
    train_model("shapes", out=out, epochs=1, per_class=4)
    (out / "NOTES.txt").write_text("my notes")
    with pytest.raises(TrainingError, match="holds a trained model already.*overwrite, --overwrite"):
        train_model("shapes", out=out, epochs=1, per_class=4)
    train_model("shapes", out=out, epochs=2, per_class=4, overwrite=True)
    assert (out / "NOTES.txt").read_text() == "my notes"
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2] and float(rows[1]["loss"]) > 0


class StopSoon(Callback):
    def on_batch_end(self, step, logs):
        self.stop_training = True


def test_an_interrupted_run_is_started_over_only_with_restart(tmp_path, monkeypatch):
    monkeypatch.setattr(loop, "BATCH_REPORT_SECONDS", 0.0)
    out = tmp_path / "m"
    train_model("shapes", out=out, epochs=3, per_class=4, callbacks=[StopSoon()])
    assert (checkpoint_folder(out) / "checkpoint.json").is_file()
    with pytest.raises(TrainingError, match="interrupted run.*--resume.*--restart"):
        train_model("shapes", out=out, epochs=3, per_class=4, overwrite=True)
    model = train_model("shapes", out=out, epochs=3, per_class=4, resume=True)
    assert len(model.history) == 3 and not checkpoint_folder(out).exists()


def test_a_single_class_is_refused(tmp_path):
    folder = tmp_path / "one" / "circle"
    folder.mkdir(parents=True)
    for i in range(3):
        Image.fromarray((np.eye(20) * 255).astype(np.uint8)).save(folder / f"{i}.png")
    with pytest.raises(TrainingError, match="only 1 class.*at least 2.*help:"):
        train_model(tmp_path / "one", out=tmp_path / "m", epochs=1)
