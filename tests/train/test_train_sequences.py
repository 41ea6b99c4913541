"""The Regression task and training a network on sequences (a tiny run)."""

import numpy as np
import pytest
import torch

from nnstudio.data.sequence_prep import SequencePreparation
from nnstudio.data.sequences import generate_sequences
from nnstudio.model import build_model
from nnstudio.spec import Spec
from nnstudio.train import TrainConfig
from nnstudio.train.sequences import fit_sequences, higher_cost, predict_next
from nnstudio.train.task import Regression

TINY = Spec.from_dict({"name": "tiny", "input_shape": list(SequencePreparation().input_shape), "layers": [
    {"type": "GRU", "units": 8}, {"type": "Dense", "units": 3}]})


def test_regression_task():
    task = Regression()
    out, target = torch.tensor([[1.0], [2.0], [4.0]]), torch.tensor([1.2, 2.0, 3.0])
    assert task.loss_sum(out.squeeze(1), target).item() == pytest.approx(0.04 + 0 + 1)
    assert task.loss(out.squeeze(1), target).item() == pytest.approx(1.04 / 3)
    assert task.correct(out, target, 0.5).item() == 2
    assert task.correct(out, target, torch.tensor([0.1, 0.1, 2.0])).item() == 2


def test_robust_loss_bends_at_each_tolerance():
    task = Regression()
    out, target = torch.tensor([0.1, 3.0]), torch.tensor([0.0, 1.0])
    tolerance = torch.tensor([0.5, 0.5])
    assert task.robust_loss(out, target, tolerance).item() == pytest.approx((0.5 * 0.01 / 0.5 + 2.0 - 0.25) / 2)


def test_higher_differences_cost_more():
    differences = torch.tensor([[1.0, 0.5, 0.25], [2.0, 0.0, 0.1]])
    assert higher_cost(torch.tensor([[5.0, 0.0, 0.0], [1.0, 7.0, 0.0]]), differences).item() == 0
    weights = torch.tensor([[1.0, -1.0, 2.0], [0.0, 1.0, 1.0]])
    assert higher_cost(weights, differences).item() == pytest.approx((0.5 + 10 * 0.5 + 10 * 0.1) / 2)


def test_a_tiny_training_learns_and_keeps_its_best_epoch():
    torch.set_num_threads(1)
    data = generate_sequences(400, seed=1)
    network = build_model(TINY, seed=0)
    prep = SequencePreparation()
    config = TrainConfig.from_options({}, epochs=3, batch_size=32, lr=0.01, validation=0.2, device="cpu")
    seen = []

    class Watch:
        def on_epoch_end(self, epoch, logs):
            seen.append(epoch)

    history = fit_sequences(network, data, prep, config, [Watch()])
    assert seen == [1, 2, 3] and len(history) == 3
    assert history[-1]["loss"] < history[0]["loss"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"} <= set(history[0])
    best = max(row["val_accuracy"] for row in history)
    # The kept weights are the best epoch's: scoring the same held-out share again gives its figure.
    order = np.random.default_rng(config.seed).permutation(len(data))[:80]
    held = data.subset(order)
    again = np.mean(np.rint(predict_next(network, prep, held.terms)) == held.targets)
    assert again == best
