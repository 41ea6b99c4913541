import math

import numpy as np
import pytest
import torch

from train_samples import TINY_MLP, blobs
from nnstudio.data import Dataset
from nnstudio.errors import TrainingError
from nnstudio.model import build_model
from nnstudio.spec import load_spec
from nnstudio.train import Callback, Recorder, TrainConfig, fit, stratified_split


def weights(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def without_seconds(history):
    return [{k: v for k, v in e.items() if k != "seconds"} for e in history]


def test_fit_learns_separable_blobs(tiny_net, tiny_data):
    history = fit(tiny_net, tiny_data, TrainConfig(epochs=15, batch_size=8, lr=0.03))
    assert len(history) == 15
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["accuracy"] > 0.9
    assert set(history[0]) == {"epoch", "loss", "accuracy", "lr", "seconds", "overfitting"}
    assert [e["epoch"] for e in history] == list(range(1, 16))


def test_same_seed_same_weights_and_metrics(tiny_spec, tiny_data):
    config = TrainConfig(epochs=3, batch_size=4, validation=0.2, seed=7)
    runs = []
    for _ in range(2):
        net = build_model(tiny_spec, seed=1)
        runs.append((None, fit(net, tiny_data, config), weights(net)))
    assert same_weights(runs[0][2], runs[1][2])
    assert without_seconds(runs[0][1]) == without_seconds(runs[1][1])
    other = build_model(tiny_spec, seed=1)
    fit(other, tiny_data, TrainConfig(epochs=3, batch_size=4, validation=0.2, seed=8))
    assert not same_weights(runs[0][2], weights(other))


def test_fit_leaves_the_global_rng_alone(tiny_net, tiny_data):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fit(tiny_net, tiny_data, TrainConfig(epochs=1))
    assert torch.equal(torch.rand(3), expected)


class Crash(Callback):
    """Simulates a crash right after the checkpoint of `epoch` is written."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        if epoch == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("decay", ["cosine", "step", "exponential"])
def test_resume_reaches_the_same_weights_and_metrics(tmp_path, tiny_spec, tiny_data, decay):
    config = TrainConfig(epochs=4, batch_size=4, validation=0.2, patience=10, lr_decay=decay, decay_every=1,
                         seed=3, lr=0.01)
    straight = build_model(tiny_spec, seed=0)  # dropout inside, so RNG state matters
    history = fit(straight, tiny_data, config)

    net = build_model(tiny_spec, seed=0)
    with pytest.raises(KeyboardInterrupt):
        fit(net, tiny_data, config, checkpoint_dir=tmp_path, callbacks=[Crash(2)])
    resumed = build_model(tiny_spec, seed=5)  # a fresh process would start from other weights
    torch.manual_seed(999)  # ... and another global RNG state
    history2 = fit(resumed, tiny_data, config, checkpoint_dir=tmp_path, resume=True)

    assert without_seconds(history) == without_seconds(history2)
    assert same_weights(weights(straight), weights(resumed))
    assert history.best_epoch == history2.best_epoch


def test_resume_sgd_with_momentum_and_clipping_from_shorter_run(tmp_path, tiny_spec, tiny_data):
    config = TrainConfig(epochs=4, batch_size=5, optimizer="sgd", momentum=0.9, clip_norm=0.5, seed=1)
    straight = build_model(tiny_spec, seed=0)
    history = fit(straight, tiny_data, config)
    net = build_model(tiny_spec, seed=0)
    first = TrainConfig(**{**config.to_dict(), "epochs": 2})
    fit(net, tiny_data, first, checkpoint_dir=tmp_path)
    history2 = fit(net, tiny_data, config, checkpoint_dir=tmp_path, resume=True)
    assert without_seconds(history) == without_seconds(history2)
    assert same_weights(weights(straight), weights(net))


def test_resume_without_checkpoint_is_an_error(tmp_path, tiny_net, tiny_data):
    with pytest.raises(TrainingError, match="no checkpoint"):
        fit(tiny_net, tiny_data, TrainConfig(epochs=1), checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(TrainingError, match="checkpoint_dir"):
        fit(tiny_net, tiny_data, TrainConfig(epochs=1), resume=True)


def test_resume_with_other_data_is_an_error(tmp_path, tiny_spec):
    fit(build_model(tiny_spec, seed=0), blobs(10), TrainConfig(epochs=1), checkpoint_dir=tmp_path)
    with pytest.raises(TrainingError, match="same data"):
        fit(build_model(tiny_spec, seed=0), blobs(12), TrainConfig(epochs=2), checkpoint_dir=tmp_path, resume=True)


class NanAtCall(torch.nn.Module):
    """Wraps a network; the `bad`-th training forward pass returns NaN logits."""

    def __init__(self, net, bad):
        super().__init__()
        self.net, self.spec, self.bad, self.calls = net, net.spec, bad, 0

    def forward(self, x):
        out = self.net(x)
        if self.training:
            self.calls += 1
            if self.calls == self.bad:
                out = out * math.nan
        return out


def test_nan_loss_names_epoch_batch_and_keeps_the_last_good_checkpoint(tmp_path, tiny_spec, tiny_data):
    from nnstudio.train import load_checkpoint

    net = NanAtCall(build_model(tiny_spec, seed=0), bad=2 * 2 + 1)  # 60 samples, batch 32: 2 batches per epoch
    with pytest.raises(TrainingError) as err:
        fit(net, tiny_data, TrainConfig(epochs=5), checkpoint_dir=tmp_path)
    message = str(err.value)
    assert message.startswith("epoch 3, batch 1: loss is nan")
    assert f"the last good checkpoint (epoch 2) is kept in {tmp_path}" in message
    assert "help:" in message and "clip_norm" in message
    record, tensors = load_checkpoint(tmp_path)  # written when the loss turned NaN, not before
    assert record["epoch"] == 2 and record["batch"] == 0 and len(record["history"]) == 2
    assert all(torch.isfinite(t).all() for k, t in tensors.items() if k.startswith("model."))
    straight = build_model(tiny_spec, seed=0)
    fit(straight, tiny_data, TrainConfig(epochs=2))
    saved = {k[len("model.net."):]: v for k, v in tensors.items() if k.startswith("model.")}
    assert same_weights(weights(straight), saved)  # exactly the weights after epoch 2
    assert same_weights(weights(net.net), saved)  # and the network is back on them


def test_nan_loss_finds_the_first_bad_batch(tiny_spec, tiny_data):
    net = NanAtCall(build_model(tiny_spec, seed=0), bad=17)
    with pytest.raises(TrainingError, match=r"^epoch 1, batch 17: loss is nan.*help:"):
        fit(net, tiny_data, TrainConfig(epochs=2, batch_size=2))
    net = NanAtCall(build_model(tiny_spec, seed=0), bad=30 + 4)  # 30 batches per epoch
    before = {}

    class KeepEpoch1(Callback):
        def on_epoch_end(self, epoch, logs):
            before.update(weights(net))

    with pytest.raises(TrainingError, match=r"^epoch 2, batch 4: .*no checkpoint.*before epoch 2"):
        fit(net, tiny_data, TrainConfig(epochs=3, batch_size=2), callbacks=[KeepEpoch1()])
    assert same_weights(weights(net), before)  # the diverged epoch is undone


def test_huge_learning_rate_diverges_with_a_clear_error(tiny_net, tiny_data):
    with pytest.raises(TrainingError, match=r"^epoch \d+, batch \d+: loss is (nan|inf)"):
        fit(tiny_net, tiny_data, TrainConfig(epochs=3, optimizer="sgd", lr=1e6, batch_size=4))


def random_labels(n=30):
    data = blobs(n // 3)
    data.y = np.random.default_rng(0).integers(0, 3, len(data.y))
    return data


BIG = {"name": "big", "input_shape": [4], "layers": [
    {"type": "Dense", "units": 128, "activation": "relu"},
    {"type": "Dense", "units": 128, "activation": "relu"},
    {"type": "Dense", "units": 3, "activation": "softmax"}]}


def test_overfitting_marker_appears_when_memorizing():
    net = build_model(load_spec(BIG), seed=0)
    history = fit(net, random_labels(), TrainConfig(epochs=40, lr=0.01, batch_size=8, validation=0.3))
    flags = history.column("overfitting")
    assert set(flags) <= {0.0, 1.0} and sum(flags) >= 3
    for prev, cur in zip(history, history[1:]):
        rose_fell = cur["val_loss"] > prev["val_loss"] and cur["loss"] < prev["loss"]
        assert cur["overfitting"] == float(rose_fell)
    assert history[-1]["loss"] < history[0]["loss"] and history[-1]["val_loss"] > min(history.column("val_loss"))


class Snapshots(Callback):
    def __init__(self, net):
        self.net, self.by_epoch = net, {}

    def on_epoch_end(self, epoch, logs):
        self.by_epoch[epoch] = weights(self.net)


def test_early_stopping_restores_best_weights():
    net = build_model(load_spec(BIG), seed=0)
    snaps, rec = Snapshots(net), Recorder()
    history = fit(net, random_labels(), TrainConfig(epochs=40, lr=0.01, batch_size=8, validation=0.3, patience=3),
                  callbacks=[snaps, rec])
    val = history.column("val_loss")
    best = int(np.argmin(val)) + 1
    assert history.stopped_early and len(history) == best + 3 < 40
    assert history.best_epoch == best
    assert same_weights(weights(net), snaps.by_epoch[best])
    assert rec.end["best_epoch"] == best and rec.end["stopped_early"] is True


def test_callbacks_see_begin_epochs_end_and_can_stop(tiny_net, tiny_data):
    class StopAt2(Recorder):
        def on_epoch_end(self, epoch, logs):
            super().on_epoch_end(epoch, logs)
            self.stop_training = epoch == 2

    rec = StopAt2()
    history = fit(tiny_net, tiny_data, TrainConfig(epochs=5, batch_size=7, validation=0.25), callbacks=[rec])
    assert len(history) == 2
    assert rec.info["epochs"] == 5 and rec.info["samples"] == 45 and rec.info["validation_samples"] == 15
    assert rec.info["batches_per_epoch"] == 7
    epoch, logs = rec.epochs[0]
    assert epoch == 1 and all(isinstance(v, (int, float)) for v in logs.values())
    assert {"val_loss", "val_accuracy"} <= set(logs)
    assert rec.end["epochs_run"] == 2


@pytest.mark.parametrize("decay, expected", [
    ("none", [0.1, 0.1, 0.1, 0.1]),
    ("exponential", [0.1, 0.05, 0.025, 0.0125]),
    ("step", [0.1, 0.1, 0.05, 0.05]),
    ("cosine", [0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05, 0.1 * (1 + math.cos(3 * math.pi / 4)) / 2]),
])
def test_learning_rate_decays_per_epoch(tiny_net, tiny_data, decay, expected):
    config = TrainConfig(epochs=4, optimizer="sgd", lr=0.1, lr_decay=decay, decay_rate=0.5, decay_every=2)
    history = fit(tiny_net, tiny_data, config)
    assert history.column("lr") == pytest.approx(expected)


def test_data_is_reshaped_to_the_spec_input(tiny_spec):
    data = blobs()
    images = Dataset(data.x.reshape(-1, 1, 2, 2), data.y, data.class_names)
    flat, square = build_model(tiny_spec, seed=0), build_model(tiny_spec, seed=0)
    a = fit(flat, data, TrainConfig(epochs=2))
    b = fit(square, images, TrainConfig(epochs=2))
    assert without_seconds(a) == without_seconds(b)  # the same numbers, only laid out as 2x2
    assert same_weights(weights(flat), weights(square))


def test_mismatched_shape_and_classes_are_errors(tiny_spec):
    data = blobs()
    wide = Dataset(np.zeros((6, 5), np.float32), np.arange(6) % 3, ["a", "b", "c"], name="wide")
    with pytest.raises(TrainingError, match=r"shape \[5\] \(5 values\).*input_shape \[4\] \(4 values\)"):
        fit(build_model(tiny_spec), wide, TrainConfig(epochs=1))
    four = Dataset(data.x, data.y, ["a", "b", "c", "d"])
    with pytest.raises(TrainingError, match="4 classes.*3 units"):
        fit(build_model(tiny_spec), four, TrainConfig(epochs=1))


def test_stratified_split_takes_the_fraction_of_every_class():
    y = np.array([0] * 10 + [1] * 20 + [2] * 5)
    train, val = stratified_split(y, 0.2, seed=0)
    assert np.bincount(y[val]).tolist() == [2, 4, 1]
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(35))
    assert stratified_split(y, 0.2, seed=0)[1].tolist() == val.tolist()
    assert stratified_split(y, 0.2, seed=1)[1].tolist() != val.tolist()
    with pytest.raises(TrainingError, match="validation"):
        stratified_split(np.array([0, 1]), 0.5, seed=0)


def test_cnn_with_batchnorm_trains_even_with_a_last_batch_of_one(cnn_spec, cnn_data):
    net = build_model(cnn_spec, seed=0)
    history = fit(net, cnn_data, TrainConfig(epochs=15, batch_size=29, lr=0.01))  # 30 = 29 + 1
    assert history[-1]["accuracy"] > history[0]["accuracy"]
    assert net.layers[1].running_mean.abs().sum() > 0


def test_batch_of_one_with_vector_batchnorm_is_refused():
    spec = load_spec({"name": "bn", "input_shape": [4], "layers": [
        {"type": "Dense", "units": 8}, {"type": "BatchNormalization"}, {"type": "Dense", "units": 3}]})
    with pytest.raises(TrainingError, match="batch_size"):
        fit(build_model(spec), blobs(), TrainConfig(epochs=1, batch_size=1))


def test_library_never_prints(capsys, tiny_net, tiny_data, tmp_path):
    fit(tiny_net, tiny_data, TrainConfig(epochs=2, validation=0.2, patience=1), checkpoint_dir=tmp_path)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_weight_decay_shrinks_weights(tiny_spec, tiny_data):
    norms = []
    for decay in (0.0, 0.5):
        net = build_model(tiny_spec, seed=0)
        fit(net, tiny_data, TrainConfig(epochs=5, optimizer="sgd", lr=0.05, weight_decay=decay))
        norms.append(float(net.layers[0].weight.detach().norm()))
    assert norms[1] < norms[0]


def test_without_config_the_spec_training_options_apply(tiny_data):
    spec = load_spec({**TINY_MLP, "training": {"epochs": 2, "batch_size": 5, "optimizer": "sgd"}})
    rec = Recorder()
    history = fit(build_model(spec, seed=0), tiny_data, callbacks=[rec])
    assert len(history) == 2 and rec.info["batch_size"] == 5 and history[0]["lr"] == 0.01
