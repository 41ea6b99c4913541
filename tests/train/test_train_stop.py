"""Reports within an epoch, stop requests at the next batch, and exact resume from there."""

import time

import numpy as np
import pytest
import torch

import nnstudio.train.loop as loop
from nnstudio.data import Dataset
from nnstudio.model import build_model
from nnstudio.train import Callback, Recorder, TrainConfig, fit, load_checkpoint


def weights(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def without_seconds(history):
    return [{k: v for k, v in e.items() if k != "seconds"} for e in history]


class StopAt(Callback):
    """Asks to stop at the batch report (epoch, batch)."""

    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, step, logs):
        if (logs["epoch"], logs["batch"]) == self.at:
            self.stop_training = True


@pytest.mark.parametrize("stop_at", [(2, 5), (3, 1)])
def test_resume_after_a_mid_epoch_stop_equals_an_uninterrupted_run(tmp_path, monkeypatch, tiny_spec, tiny_data,
                                                                   stop_at):
    monkeypatch.setattr(loop, "BATCH_REPORT_SECONDS", 0.0)  # a report after every batch
    config = TrainConfig(epochs=4, batch_size=4, validation=0.2, patience=10, lr_decay="step", decay_every=1,
                         seed=3, lr=0.01)
    straight = build_model(tiny_spec, seed=0)  # dropout inside: the RNG state must carry over
    history = fit(straight, tiny_data, config)

    stopped = build_model(tiny_spec, seed=0)
    first = fit(stopped, tiny_data, config, checkpoint_dir=tmp_path, callbacks=[StopAt(*stop_at)])
    assert first.stop_requested and len(first) == stop_at[0] - 1
    record, _ = load_checkpoint(tmp_path)
    assert (record["epoch"], record["batch"]) == (stop_at[0] - 1, stop_at[1])

    resumed = build_model(tiny_spec, seed=5)
    torch.manual_seed(999)
    history2 = fit(resumed, tiny_data, config, checkpoint_dir=tmp_path, resume=True)
    assert without_seconds(history2) == without_seconds(history)
    assert all(torch.equal(a, b) for a, b in zip(weights(straight).values(), weights(resumed).values()))
    assert not history2.stop_requested


def test_batch_reports_carry_the_declared_keys(monkeypatch, tiny_net, tiny_data):
    monkeypatch.setattr(loop, "BATCH_REPORT_SECONDS", 0.0)
    rec = Recorder()
    fit(tiny_net, tiny_data, TrainConfig(epochs=2, batch_size=10), callbacks=[rec])
    assert [s for s, _ in rec.batches] == list(range(1, 7)) * 2
    step, logs = rec.batches[2]
    assert set(logs) == {"epoch", "batch", "batches", "loss", "accuracy"}
    assert logs["batches"] == 6 and 0 <= logs["accuracy"] <= 1 and np.isfinite(logs["loss"])
    assert rec.info["start_epoch"] == 1 and rec.info["start_batch"] == 0


def test_a_stop_request_during_a_long_epoch_takes_effect_within_a_second(tmp_path, tiny_spec):
    rng = np.random.default_rng(0)
    big = Dataset(rng.normal(size=(40_000, 4)).astype(np.float32), rng.integers(0, 3, 40_000), ["a", "b", "c"])
    net = build_model(tiny_spec, seed=0)
    started = time.perf_counter()

    class FirstReport(Callback):
        def on_batch_end(self, step, logs):
            self.stop_training = True

    history = fit(net, big, TrainConfig(epochs=1, batch_size=1), checkpoint_dir=tmp_path, callbacks=[FirstReport()])
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0 + loop.BATCH_REPORT_SECONDS, elapsed  # one epoch is 40,000 steps: many seconds
    assert history.stop_requested and len(history) == 0
    record, _ = load_checkpoint(tmp_path)
    assert record["epoch"] == 0 and 0 < record["batch"] < 40_000


def test_a_resumed_progress_bar_starts_at_the_resumed_epoch(monkeypatch):
    from nnstudio.cli import ProgressBar

    bar = ProgressBar()
    bar.on_train_begin({"epochs": 10, "start_epoch": 4, "start_batch": 0, "samples": 10, "validation_samples": 0,
                        "batches_per_epoch": 5, "batch_size": 2, "device": "cpu", "parameters": 1, "config": {}})
    try:
        assert bar._progress.tasks[0].completed == 3
    finally:
        bar.close()
