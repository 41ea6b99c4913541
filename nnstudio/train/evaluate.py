"""Accuracy, loss, per-class accuracy and confusion matrix of a network on a dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from nnstudio.errors import TrainingError
from nnstudio.train.batches import as_float
from nnstudio.train.task import Task
from nnstudio.train.tensors import check_classes, input_tensors


@dataclass
class Evaluation:
    """How a network did on one dataset. confusion[i][j] counts samples of class i
    predicted as class j; per_class maps a class to its accuracy (None: no sample);
    probabilities (N, classes) are the softmax outputs of the same pass, when asked for."""

    accuracy: float
    loss: float
    samples: int
    per_class: dict[str, float | None]
    confusion: list[list[int]]
    class_names: list[str] = field(default_factory=list)
    probabilities: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the evaluation as a JSON-ready dict."""
        return {"accuracy": self.accuracy, "loss": self.loss, "samples": self.samples,
                "per_class": dict(self.per_class), "confusion": [list(r) for r in self.confusion],
                "class_names": list(self.class_names)}


def evaluate(network: torch.nn.Module, data, *, batch_size: int = 256, device: str = "cpu",
             keep_probabilities: bool = False) -> Evaluation:
    """Return the Evaluation of network on data (a Dataset whose classes are the network's
    outputs); with keep_probabilities, also every sample's class probabilities from the
    same forward pass (a caller that shows answers needs no second pass)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise TrainingError(f"The 'batch_size' option must be an int in the range [1, inf). "
                            f"Got {batch_size!r} instead.")
    spec = network.spec
    classes = check_classes(spec, data)
    x, y = input_tensors(spec, data)
    if len(y) == 0:
        raise TrainingError(f"cannot evaluate on {data.name or 'the data'!r}: it has no samples.")
    network.to(device)
    logits: list[torch.Tensor] | None = [] if keep_probabilities else None
    loss_sum, correct, predicted = predict_tensors(network, x.to(device), y.to(device), batch_size, logits)
    labels = predicted.cpu().numpy()
    truth = y.numpy()
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (truth, labels), 1)
    totals = confusion.sum(axis=1)
    names = list(data.class_names)
    per_class = {name: (float(confusion[i, i] / totals[i]) if totals[i] else None) for i, name in enumerate(names)}
    n = len(truth)
    probabilities = torch.softmax(torch.cat(logits), dim=1).cpu().numpy() if logits is not None else None
    return Evaluation(accuracy=float(correct) / n, loss=float(loss_sum) / n, samples=n, per_class=per_class,
                      confusion=confusion.tolist(), class_names=names, probabilities=probabilities)


def predict_tensors(network: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int,
                    logits_out: list[torch.Tensor] | None = None,
                    task: Task | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (summed loss, number correct, predicted classes), all still on x's
    device so the caller decides when to wait for them; x is float32 or uint8 codes.
    Each batch's logits are appended to logits_out when given. The loss is the task's
    (default: plain cross-entropy). Runs in eval mode and puts the network back in the
    mode it was in."""
    task = task if task is not None else Task()
    was_training = network.training
    network.eval()
    losses, labels = [], []
    try:
        with torch.inference_mode():
            for xb, yb in zip(x.split(batch_size), y.split(batch_size)):
                logits = network(as_float(xb))  # (B, classes)
                losses.append(task.loss_sum(logits, yb))
                labels.append(task.predicted(logits))
                if logits_out is not None:
                    logits_out.append(logits)
    finally:
        network.train(was_training)
    predicted = torch.cat(labels)
    loss_sum = torch.stack(losses).sum() if losses else torch.zeros((), device=x.device)
    return loss_sum, (predicted == y).sum(), predicted

