"""Studio API fixtures: apps on temporary workspaces, one small trained model shared by
the session (helpers are in studio_helpers.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from studio_helpers import CNN, MODEL, studio_client


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with two model folders: MODEL (shapes-mlp trained 20 epochs, 1-2 s) and
    CNN (digits-cnn with its initial weights and odd batch-norm statistics)."""
    import torch

    from nnstudio.model import build_model
    from nnstudio.store import save_model
    from nnstudio.workflows import train_model

    root = tmp_path_factory.mktemp("trained")
    train_model("shapes", out=root / MODEL, model="shapes-mlp", epochs=20, validation=0.2, batch_size=8,
                optimizer="adam", lr=0.01)
    network = build_model("digits-cnn", seed=1)
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                assert module.running_mean is not None and module.running_var is not None  # tracked by default
                module.running_mean.uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(2))
                module.running_var.uniform_(0.5, 2.0, generator=torch.Generator().manual_seed(3))
    save_model(root / CNN, network.eval(), class_names=[str(d) for d in range(10)])
    return root


@pytest.fixture
def workspace(tmp_path: Path, trained_models: Path) -> Path:
    """A fresh workspace whose models/ holds copies of the trained models."""
    root = tmp_path / "workspace"
    for name in (MODEL, CNN):
        shutil.copytree(trained_models / name, root / "models" / name)
    return root


@pytest.fixture
def client(workspace: Path) -> Iterator[TestClient]:
    """A client of a studio app on the fresh workspace, sending its token."""
    with studio_client(workspace) as test_client:
        yield test_client
