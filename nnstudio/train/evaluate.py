"""Accuracy, loss, per-class accuracy and confusion matrix of a network on a dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nnstudio.errors import TrainingError
from nnstudio.train.tensors import check_classes, input_tensors


@dataclass
class Evaluation:
    """How a network did on one dataset. confusion[i][j] counts samples of class i
    predicted as class j; per_class maps a class to its accuracy (None: no sample)."""

    accuracy: float
    loss: float
    samples: int
    per_class: dict[str, float | None]
    confusion: list[list[int]]
    class_names: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the evaluation as a JSON-ready dict."""
        return {"accuracy": self.accuracy, "loss": self.loss, "samples": self.samples,
                "per_class": dict(self.per_class), "confusion": [list(r) for r in self.confusion],
                "class_names": list(self.class_names)}


def evaluate(network: torch.nn.Module, data, *, batch_size: int = 256, device: str = "cpu") -> Evaluation:
    """Return the Evaluation of network on data (a Dataset whose classes are the network's outputs)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise TrainingError(f"The 'batch_size' option must be an int in the range [1, inf). "
                            f"Got {batch_size!r} instead.")
    spec = network.spec
    classes = check_classes(spec, data)
    x, y = input_tensors(spec, data)
    if len(y) == 0:
        raise TrainingError(f"cannot evaluate on {data.name or 'the data'!r}: it has no samples.")
    network.to(device)
    loss_sum, correct, predicted = predict_tensors(network, x.to(device), y.to(device), batch_size)
    labels = predicted.cpu().numpy()
    truth = y.numpy()
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (truth, labels), 1)
    totals = confusion.sum(axis=1)
    names = list(data.class_names)
    per_class = {name: (float(confusion[i, i] / totals[i]) if totals[i] else None) for i, name in enumerate(names)}
    n = len(truth)
    return Evaluation(accuracy=float(correct) / n, loss=float(loss_sum) / n, samples=n, per_class=per_class,
                      confusion=confusion.tolist(), class_names=names)


def predict_tensors(network: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                    batch_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (summed cross-entropy, number correct, predicted classes), all still on
    x's device so the caller decides when to wait for them. Runs in eval mode and
    puts the network back in the mode it was in."""
    was_training = network.training
    network.eval()
    losses, labels = [], []
    try:
        with torch.inference_mode():
            for xb, yb in zip(x.split(batch_size), y.split(batch_size)):
                logits = network(xb)  # (B, classes)
                losses.append(F.cross_entropy(logits, yb, reduction="sum"))
                labels.append(logits.argmax(dim=1))
    finally:
        network.train(was_training)
    predicted = torch.cat(labels)
    loss_sum = torch.stack(losses).sum() if losses else torch.zeros((), device=x.device)
    return loss_sum, (predicted == y).sum(), predicted

