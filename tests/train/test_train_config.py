import pytest

from nnstudio.errors import TrainingError
from nnstudio.train import TrainConfig


def test_defaults_live_in_the_dataclass():
    c = TrainConfig.from_options({})
    assert (c.epochs, c.batch_size, c.optimizer, c.lr, c.lr_decay) == (10, 32, "adam", None, "none")
    assert c.learning_rate == 1e-3
    assert TrainConfig.from_options({}, optimizer="sgd").learning_rate == 1e-2


def test_overrides_beat_spec_which_beats_defaults():
    c = TrainConfig.from_options({"epochs": 300, "lr": 0.5, "batch_size": 1}, epochs=3, lr=None)
    assert c.epochs == 3  # override
    assert c.lr == 0.5  # None override ignored, spec value kept
    assert c.batch_size == 1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"optimizer": "sgdd"}, "The 'optimizer' option must be one of {'sgd', 'adam'}. Got 'sgdd' instead."),
        ({"epochs": 0}, "The 'epochs' option must be an int in the range [1, inf). Got 0 instead."),
        ({"batch_size": 2.5}, "'batch_size' option must be an int"),
        ({"lr": -1.0}, "The 'lr' option must be a float in the range (0.0, inf) or None. Got -1.0 instead."),
        ({"lr": float("nan")}, "'lr' option"),
        ({"momentum": 1.0}, "'momentum' option must be a float in the range [0.0, 1.0)"),
        ({"lr_decay": "linear"}, "one of {'none', 'exponential', 'step', 'cosine'}. Got 'linear'"),
        ({"decay_rate": 0}, "'decay_rate'"),
        ({"decay_every": 0}, "'decay_every'"),
        ({"clip_norm": 0}, "'clip_norm'"),
        ({"validation": 1.0}, "'validation' option must be a float in the range [0.0, 1.0)"),
        ({"seed": -1}, "'seed'"),
        ({"device": "tpu"}, "'device' option must be one of {'auto', 'cpu', 'cuda', 'cuda:N'}. Got 'tpu'"),
        ({"patience": 0}, "'patience'"),
        ({"weight_decay": -0.1}, "'weight_decay'"),
        ({"epochs": True}, "'epochs'"),
        ({"epochz": 3}, "Unknown training option 'epochz'"),
    ],
)
def test_every_field_is_validated(options, message):
    with pytest.raises(TrainingError) as err:
        TrainConfig.from_options({}, **options)
    assert message in str(err.value)


def test_spec_section_errors_say_where():
    with pytest.raises(TrainingError, match="spec's training section"):
        TrainConfig.from_options({"bogus": 1})


def test_cuda_without_gpu_is_refused_with_help(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(TrainingError, match="sees no CUDA GPU.*help:"):
        TrainConfig.from_options({}, device="cuda")


def test_whole_floats_from_json_become_ints_and_round_trip():
    c = TrainConfig.from_options({"epochs": 5.0, "optimizer": "SGD"})
    assert c.epochs == 5 and isinstance(c.epochs, int) and c.optimizer == "sgd"
    assert TrainConfig.from_options(c.to_dict()) == c
