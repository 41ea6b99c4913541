"""Training options fitted to the data: a budget of steps and seconds, equal batches,
a hold-out only where classes can spare it; the plan that says so; divergence warnings."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from nnstudio.train import stratified_split
from nnstudio.train.budget import STEP_BUDGET, TIME_BUDGET_SECONDS, batch_size_for, fit_training, held_out_count
from nnstudio.train.callbacks import DivergenceWatch


def test_sixty_images_get_hundreds_of_steps_in_equal_batches():
    budget = fit_training({}, {}, np.array([20, 20, 20]))
    options = budget.options
    assert options["validation"] == 0.0 and "patience" not in options  # too few to hold some out
    assert options["batch_size"] == 10 and 60 % options["batch_size"] == 0
    assert options["epochs"] * 60 // options["batch_size"] >= STEP_BUDGET
    assert set(budget.reasons) == {"validation", "batch_size", "epochs"}


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.15, 0.5, 0.9])
def test_held_out_count_is_what_the_stratified_split_holds_out(fraction):
    counts = [1, 2, 3, 7, 20, 33]
    y = np.repeat(np.arange(len(counts)), counts)
    _, val = stratified_split(y, fraction, seed=0)
    assert [int(np.sum(y[val] == c)) for c in range(len(counts))] == [held_out_count(n, fraction) for n in counts]
    assert held_out_count(1, 0.5) == 0 and held_out_count(2, 0.1) == 1 and held_out_count(20, 0.9) == 18


def test_enough_data_holds_some_out_and_stops_early():
    options = fit_training({}, {}, np.array([50] * 10)).options
    assert options["validation"] == pytest.approx(0.15)
    assert options["patience"] >= 5 and options["epochs"] > options["patience"]
    assert 8 <= options["batch_size"] <= 32


@pytest.mark.parametrize("samples", [7, 9, 31, 60, 61, 200, 1000, 5000])
def test_batches_of_an_epoch_are_about_equal(samples):
    size = batch_size_for(samples)
    batches = -(-samples // size)
    last = samples - (batches - 1) * size
    assert size <= 32 and last >= size - batches  # never a stray batch of one or two


def test_options_given_or_set_by_the_network_are_kept():
    budget = fit_training({"epochs": 3, "batch_size": None}, {"batch_size": 64, "validation": 0.1},
                          np.array([100, 100]))
    assert "epochs" not in budget.options and "batch_size" not in budget.options
    assert "validation" not in budget.options


def test_a_slow_step_caps_the_epochs_by_the_time_budget():
    budget = fit_training({}, {}, np.array([20, 20, 20]), step_seconds=lambda batch: 1.0)
    assert budget.options["epochs"] == int(TIME_BUDGET_SECONDS / 6)
    assert "s at 1000 ms a step" in budget.reasons["epochs"]


def test_divergence_warning_names_the_learning_rate(caplog):
    watch = DivergenceWatch(classes=5)
    watch.on_train_begin({"config": {"lr": 50.0, "optimizer": "sgd"}})  # type: ignore[typeddict-item]
    with caplog.at_level(logging.WARNING, logger="nnstudio"):
        watch.on_epoch_end(1, {"loss": 1.7})  # type: ignore[typeddict-item]
        watch.on_epoch_end(2, {"loss": 1.2})  # type: ignore[typeddict-item]
        assert not caplog.records
        watch.on_epoch_end(3, {"loss": 28.0})  # type: ignore[typeddict-item]
        watch.on_epoch_end(4, {"loss": 30.0})  # type: ignore[typeddict-item]
    assert len(caplog.records) == 1  # once
    assert "diverging" in caplog.text and "lr is 50" in caplog.text and "--lr 5" in caplog.text


def test_a_calm_run_gets_no_divergence_warning(caplog):
    watch = DivergenceWatch(classes=2)
    watch.on_train_begin({"config": {"lr": None, "optimizer": "adam"}})  # type: ignore[typeddict-item]
    with caplog.at_level(logging.WARNING, logger="nnstudio"):
        for epoch, loss in enumerate([0.69, 0.8, 0.5, 0.3], 1):
            watch.on_epoch_end(epoch, {"loss": loss})  # type: ignore[typeddict-item]
    assert not caplog.records


def test_a_time_limit_ends_the_run_complete_and_says_so(caplog):
    from nnstudio.data import load_dataset
    from nnstudio.model import build_model
    from nnstudio.spec import get_preset
    from nnstudio.train import TrainConfig, fit
    from nnstudio.train.callbacks import TimeLimit

    net = build_model(get_preset("shapes-mlp"), seed=0)
    config = TrainConfig(epochs=50, batch_size=20, optimizer="adam")
    with caplog.at_level(logging.WARNING, logger="nnstudio"):
        history = fit(net, load_dataset("shapes", per_class=4), config, callbacks=[TimeLimit(0.0)])
    assert len(history) == 1 and history.stopped_early and not history.stop_requested
    assert "ended after epoch 1 of 50" in caplog.text and "--epochs" in caplog.text
