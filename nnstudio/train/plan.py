"""What a training run is about to do and why, in one block a user reads before it starts.

workflows.plan_training fills a TrainingPlan from the choices made in spec.fitting (the
network) and train.budget (length, batch, hold-out); `lines()` is what the CLI prints
and what a callback's ``on_plan(plan)`` receives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from nnstudio.data import Dataset
from nnstudio.data.strokes import PathPreparation
from nnstudio.spec import Spec, count_params
from nnstudio.train.budget import held_out_count
from nnstudio.train.config import TrainConfig

FEW_STEPS = 100  # fewer optimizer steps than this rarely train a network well


@dataclass
class TrainingPlan:
    """The network, the data as the network will see them, and the training options,
    each with where its value came from."""

    spec: Spec
    dataset: Dataset
    config: TrainConfig
    network_reason: str  # why this network ("your choice", or what fitting decided)
    reasons: dict[str, str] = field(default_factory=dict)  # option name -> why
    skipped: list[str] = field(default_factory=list)  # images left out as "path: why"
    given: tuple[str, ...] = ()  # options the caller set explicitly

    @property
    def held_out(self) -> int:
        """Samples the trainer's stratified split holds out for validation."""
        return sum(held_out_count(int(c), self.config.validation) for c in self.dataset.class_counts())

    @property
    def steps(self) -> int:
        """Optimizer steps of a run of all its epochs."""
        train = len(self.dataset) - self.held_out
        return self.config.epochs * -(-train // self.config.batch_size)

    def lines(self) -> list[str]:
        """Return the plan as aligned lines: network, input, data, hold-out, epochs,
        batch, optimizer, and a note when the run looks too short to learn."""
        c, data = self.config, self.dataset
        shape = "x".join(str(d) for d in self.spec.input_shape)
        rows = [
            ("network", f"{self.spec.name}, {count_params(self.spec):,} parameters ({self.network_reason})"),
            ("input", f"{shape}: {_preparation(data)}"),
            ("data", _data_line(data, self.skipped)),
            ("hold-out", (f"{self.held_out} samples, {c.validation:.0%} of each class" if self.held_out else "none")
             + f" ({self.reasons.get('validation', _source('validation', self))})"),
            ("epochs", f"{c.epochs} ({self.reasons.get('epochs', _source('epochs', self))}); "
                       f"{self.steps:,} optimizer steps" + (f"; early stopping after {c.patience} epochs without "
                                                            "a better validation loss" if c.patience else "")),
            ("batch", f"{c.batch_size} ({self.reasons.get('batch_size', _source('batch_size', self))})"),
            ("optimizer", f"{c.optimizer}, learning rate {c.learning_rate:g}"
                          + (f" with {c.lr_decay} decay" if c.lr_decay != "none" else "")
                          + f" ({_source('lr', self)})"
                          + (f"; images changed at every epoch by {c.augment!r}" if c.augment != "none" else "")),
        ]
        if self.steps < FEW_STEPS:
            rows.append(("note", f"only {self.steps} optimizer steps: the network may learn little. "
                                 f"help: more epochs (--epochs {-(-FEW_STEPS * 3 * c.epochs // max(self.steps, 1))})"
                                 " or a smaller batch (--batch-size)"))
        return [f"{name:<10} {text}" for name, text in rows]


def _source(option: str, plan: TrainingPlan) -> str:
    if option in plan.given:
        return "your option"
    if option in plan.spec.training:
        return "the network's own"
    return "the default"


def _preparation(data: Dataset) -> str:
    prep = data.preparation
    if prep is None:
        return "numbers as given"
    if isinstance(prep, PathPreparation):
        return prep.describe()
    h, w = prep.size
    if not prep.crop:
        return f"greyscale, ink bright on black, scaled to {h}x{w}, not cropped"
    return (f"greyscale, ink bright on black, cropped to the ink, scaled into {h}x{w} "
            f"with a {prep.margin}-pixel margin, centered")


def _data_line(data: Dataset, skipped: list[str]) -> str:
    counts = data.class_counts()
    low, high = int(counts.min()), int(counts.max())
    per_class = f"{low} per class" if low == high else f"{low}-{high} per class (fewest: " \
        f"{data.class_names[int(counts.argmin())]})"
    text = f"{len(data)} samples, {data.num_classes} classes, {per_class}"
    if skipped:
        text += f"; {len(skipped)} bad image{'s' if len(skipped) > 1 else ''} left out"
    return text

