"""What a network is trained to do, as the loop and the evaluation see it: its loss and
the count of right answers, in one object.

Training, validation and evaluation all ask the Task, so a run's loss means the same
thing on its training and its held-out samples (with label smoothing, both include it:
comparing a smoothed training loss with an unsmoothed validation loss would show
overfitting that is not there).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Classification:
    """One class per sample: cross-entropy on logits (N, classes) against labels (N,)."""

    label_smoothing: float = 0.0

    def loss_sum(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Return the summed loss of the samples (a 0-d tensor on their device)."""
        return F.cross_entropy(logits, labels, reduction="sum", label_smoothing=self.label_smoothing)

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Return the mean loss of the samples."""
        return F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)

    def predicted(self, logits: torch.Tensor) -> torch.Tensor:
        """Return each sample's answer (N,)."""
        return logits.argmax(dim=1)

    def correct(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Return how many answers are right (a 0-d int64 tensor, not waited for)."""
        return (self.predicted(logits) == labels).sum()


@dataclass(frozen=True)
class Regression:
    """One number per sample: mean squared error of outputs (N,) against targets (N,).

    An answer is right when it is within `tolerance` of its target: a number, or one per
    sample (N,) (for a next term scaled by 1/s, 0.5 / s means "right once rounded").
    """

    def loss_sum(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Return the summed squared error (a 0-d tensor on their device)."""
        return F.mse_loss(outputs, targets, reduction="sum")

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Return the mean squared error."""
        return F.mse_loss(outputs, targets)

    def predicted(self, outputs: torch.Tensor) -> torch.Tensor:
        """Return each sample's answer (N,)."""
        return outputs.reshape(len(outputs))

    def robust_loss(self, outputs: torch.Tensor, targets: torch.Tensor, tolerance: torch.Tensor) -> torch.Tensor:
        """Return the mean Huber loss with each sample's tolerance as its bend: squared within
        the tolerance, the absolute error beyond it. Unlike the squared error, an error ten
        times the tolerance but small next to 1 still pulls as hard as a large one, which is
        what counting exact answers needs."""
        error = (self.predicted(outputs) - targets).abs()
        return torch.where(error < tolerance, 0.5 * error ** 2 / tolerance, error - 0.5 * tolerance).mean()

    def correct(self, outputs: torch.Tensor, targets: torch.Tensor, tolerance: torch.Tensor | float = 0.5,
                ) -> torch.Tensor:
        """Return how many answers are within tolerance of their targets (0-d int64 tensor)."""
        return ((self.predicted(outputs) - targets).abs() < tolerance).sum()


Task = Classification  # what the image loop trains; sequences train with Regression (train.sequences)
