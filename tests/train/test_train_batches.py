"""The loop's batches: uint8 codes train as their float values, augmentation streamed in
blocks draws as one call over the epoch, the Task's loss on both sides of a run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnstudio.model import build_model
from nnstudio.spec import load_spec
from nnstudio.train import TrainConfig, fit
from nnstudio.train.augment import CHUNK, distort
from nnstudio.train.batches import EpochBatches, as_float
from nnstudio.train.task import Classification

from train_samples import TINY_CNN


class Images:
    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y
        self.class_names, self.num_classes, self.name = ["a", "b", "c"], 3, "images"


def coded_images(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    codes = rng.integers(0, 80, size=(n, 1, 6, 6))
    for c in range(3):
        codes[y == c, 0, 2 * c, :] += 170
    return codes.astype(np.uint8), y


def test_uint8_codes_train_to_the_same_weights_as_their_float_values():
    codes, y = coded_images()
    floats = codes.astype(np.float32) / np.float32(255)
    config = TrainConfig(epochs=3, batch_size=8, validation=0.2, device="cpu")
    weights = []
    for x in (codes, floats):
        net = build_model(load_spec(TINY_CNN), seed=1)
        history = fit(net, Images(x, y), config)
        weights.append(net.state_dict())
    for key in weights[0]:
        assert torch.equal(weights[0][key], weights[1][key]), key
    assert history[-1]["val_loss"] > 0


def test_as_float_divides_codes_by_255_and_leaves_floats_alone():
    codes = torch.tensor([0, 1, 128, 255], dtype=torch.uint8)
    assert torch.equal(as_float(codes), torch.tensor([0, 1, 128, 255], dtype=torch.float32) / 255)
    x = torch.rand(3)
    assert as_float(x) is x


def test_streamed_augmentation_draws_as_one_call_over_the_epoch():
    n = CHUNK + 300  # two blocks, the second one partial
    rng = np.random.default_rng(3)
    x = torch.from_numpy(rng.integers(0, 255, size=(n, 1, 8, 8)).astype(np.uint8))
    ids = torch.randperm(n, generator=torch.Generator().manual_seed(1))
    whole = distort(as_float(x[ids]), torch.Generator().manual_seed(9))
    batches = EpochBatches(x, x, ids, 64, lambda i: i, 0, 1, distort, torch.Generator().manual_seed(9))
    streamed = torch.cat([batches.inputs(i) for i in range(len(batches))])
    assert torch.equal(streamed, whole)
    # A resumed epoch skips its first batches' draws, then goes on identically.
    resumed = EpochBatches(x, x, ids, 64, lambda i: i, 0, 1, distort, torch.Generator().manual_seed(9))
    resumed.skip_to(33)  # past the first block
    assert torch.equal(resumed.inputs(33), whole[33 * 64:34 * 64])


def test_a_process_gets_the_samples_of_its_rank_in_every_batch():
    ids = torch.tensor([5, 2, 8, 1, 4, 7, 0])  # batches [5 2 8] [1 4 7] [0]
    x = torch.arange(9, dtype=torch.float32)[:, None]
    for rank in (0, 1):
        batches = EpochBatches(x, x, ids, 3, lambda i: i, rank, 2, None, torch.Generator())
        got = [batches.ids(i).tolist() for i in range(len(batches))]
        expected = [[i for i in b if i % 2 == rank] for b in ([5, 2, 8], [1, 4, 7], [0])]
        assert got == expected
        assert [batches.positions(i).tolist() for i in range(3)] == [
            [p for p, i in enumerate(b) if i % 2 == rank] for b in ([5, 2, 8], [1, 4, 7], [0])]
        assert batches.global_sizes == [3, 3, 1]


def test_validation_loss_includes_label_smoothing_like_the_training_loss():
    codes, y = coded_images()
    net = build_model(load_spec(TINY_CNN), seed=1)
    history = fit(net, Images(codes, y), TrainConfig(epochs=1, batch_size=8, validation=0.3, label_smoothing=0.5,
                                                     device="cpu"))
    # With smoothing 0.5 over 3 classes, no answer can bring the loss below the entropy of
    # the smoothed target; the validation loss obeys the same floor as the training loss.
    target = np.array([0.5 + 0.5 / 3, 0.5 / 3, 0.5 / 3])
    floor = float(-(target * np.log(target)).sum())
    assert history[-1]["loss"] >= floor and history[-1]["val_loss"] >= floor
    task = Classification(label_smoothing=0.5)
    logits = torch.tensor([[9.0, 0.0, 0.0]])
    assert float(task.loss_sum(logits, torch.tensor([0]))) > floor


def test_bfloat16_precision_trains_on_the_cpu_when_asked():
    codes, y = coded_images()
    net = build_model(load_spec(TINY_CNN), seed=1)
    history = fit(net, Images(codes, y), TrainConfig(epochs=2, batch_size=8, precision="bfloat16", device="cpu"))
    assert np.isfinite(history[-1]["loss"])
    assert all(p.dtype == torch.float32 for p in net.parameters())  # autocast: the weights stay float32


def test_precision_is_validated():
    with pytest.raises(Exception, match="'precision' option must be one of"):
        TrainConfig(precision="fp8").validate()
