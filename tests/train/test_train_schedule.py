import pytest
import torch

from nnstudio.train import TrainConfig, make_optimizer, make_scheduler
from nnstudio.train.schedule import clip_gradients


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])
def test_clip_gradients_matches_torch(max_norm):
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(s)) for s in ((5, 4), (4,), (3, 5))]
    grads = [torch.randn_like(p) for p in params]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    expected_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    expected = [p.grad.clone() for p in params]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    norm = clip_gradients(params, max_norm)
    assert torch.equal(norm, expected_norm)
    assert all(torch.equal(p.grad, e) for p, e in zip(params, expected))


def test_optimizers_take_config_values():
    params = [torch.nn.Parameter(torch.zeros(3))]
    sgd = make_optimizer(params, TrainConfig(optimizer="sgd", momentum=0.5, weight_decay=0.1))
    group = sgd.param_groups[0]
    assert isinstance(sgd, torch.optim.SGD) and (group["lr"], group["momentum"], group["weight_decay"]) == (
        0.01, 0.5, 0.1)
    adam = make_optimizer(params, TrainConfig(lr=0.003))
    assert isinstance(adam, torch.optim.Adam) and adam.param_groups[0]["lr"] == 0.003
    assert make_scheduler(adam, TrainConfig()) is None
