"""Training options: one dataclass whose fields declare every option once.

Each field carries its bounds, choices and help as metadata. Validation reads them,
and so do the front ends: the CLI's options and the studio's request model are
generated from ``option_specs()``, so a bound or a choice is never restated elsewhere.

Options come from three places, in rising priority: the defaults below, the spec's
``training`` section, and explicit overrides (CLI flags, studio form, code).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from nnstudio.errors import TrainingError, Where
from nnstudio.train.augment_names import AUGMENTATION_NAMES as AUGMENTATIONS

OPTIMIZERS = ("sgd", "adam")
LR_DECAYS = ("none", "exponential", "step", "cosine")
PRECISIONS = ("auto", "float32", "bfloat16")
# Learning rate used when none is given, per optimizer (the usual starting points).
DEFAULT_LR = {"sgd": 1e-2, "adam": 1e-3}


def option(default: Any, help: str, *, kind: type, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, choices: tuple[str, ...] | None = None,
           optional: bool = False) -> Any:
    """Declare one training option: a dataclass field with its rules as metadata."""
    rules = {"help": help, "kind": kind, "low": low, "high": high, "low_open": low_open,
             "high_open": high_open, "choices": choices, "optional": optional}
    return field(default=default, metadata=rules)


@dataclass
class TrainConfig:
    """Everything that decides how a network is trained (the only place defaults live)."""

    epochs: int = option(10, "Passes over the training data.", kind=int, low=1)
    batch_size: int = option(32, "Samples per optimizer step.", kind=int, low=1)
    optimizer: str = option("adam", "The optimizer.", kind=str, choices=OPTIMIZERS)
    lr: float | None = option(None, "Learning rate.", kind=float,
                              low=0.0, low_open=True, optional=True)
    momentum: float = option(0.9, "Momentum of SGD (sgd only).", kind=float, low=0.0, high=1.0, high_open=True)
    lr_decay: str = option("none", "How the learning rate falls after each epoch.", kind=str, choices=LR_DECAYS)
    decay_rate: float = option(0.5, "Factor of exponential (per epoch) and step decay.", kind=float,
                               low=0.0, high=1.0, low_open=True)
    decay_every: int = option(10, "Epochs between two step decays.", kind=int, low=1)
    clip_norm: float | None = option(None, "Largest L2 norm of all gradients together (none: no clipping).",
                                     kind=float, low=0.0, low_open=True, optional=True)
    validation: float = option(0.0, "Fraction of each class held out for validation.", kind=float,
                               low=0.0, high=1.0, high_open=True)
    seed: int = option(0, "Random seed; same seed, same weights.", kind=int, low=0, high=2**63 - 1)
    device: str = option("auto", "Where to train: auto (cuda when PyTorch sees a GPU, else cpu), cpu, cuda or "
                         "cuda:N.", kind=str)
    patience: int | None = option(None, "Stop after this many epochs without a better validation loss, "
                                  "keeping the best weights (none: no early stopping).", kind=int, low=1,
                                  optional=True)
    weight_decay: float = option(0.0, "L2 penalty on the weights.", kind=float, low=0.0)
    augment: str = option("none", "Random changes to the training images at every epoch.", kind=str,
                          choices=tuple(AUGMENTATIONS))
    label_smoothing: float = option(0.0, "Share of each target spread over the other classes (calmer "
                                    "confidences).", kind=float, low=0.0, high=1.0, high_open=True)
    precision: str = option("auto", "Number format of the forward pass: auto (bfloat16 autocast on CUDA, "
                            "float32 on the CPU), float32, or bfloat16.", kind=str, choices=PRECISIONS)

    @classmethod
    def from_options(cls, spec_training: dict[str, Any] | None = None, **overrides: Any) -> TrainConfig:
        """Return a validated config: overrides (None ones ignored) > spec_training > defaults."""
        merged: dict[str, Any] = {}
        for where, options in (("the spec's training section", spec_training or {}), ("the options", overrides)):
            if not isinstance(options, dict):
                raise TrainingError(f"{where} must be a mapping of option names to values. Got {options!r} instead.")
            for key, value in options.items():
                if key not in _FIELDS:
                    raise TrainingError(
                        f"Unknown training option {key!r} in {where}. Allowed: {', '.join(_FIELDS)}.",
                        where=Where(option=key), worded=True, given=key, allowed=", ".join(_FIELDS))
                if options is overrides and value is None:
                    continue
                merged[key] = value
        config = cls(**merged)
        config.validate()
        return config

    @property
    def learning_rate(self) -> float:
        """Return the learning rate in force: lr, or the optimizer's default."""
        return float(self.lr) if self.lr is not None else DEFAULT_LR[self.optimizer]

    def to_dict(self) -> dict[str, Any]:
        """Return the options as a JSON-ready dict (lr as given, None kept)."""
        return dataclasses.asdict(self)

    def validate(self) -> TrainConfig:
        """Check every field against its declaration, normalize numbers to their types;
        return self. Raises TrainingError naming the option."""
        for spec in option_specs():
            if spec.name == "device":
                self.device = _device(self.device)
            else:
                setattr(self, spec.name, spec.check(getattr(self, spec.name)))
        return self


@dataclass(frozen=True)
class OptionSpec:
    """One training option as front ends see it: name, type, default, bounds, choices, help."""

    name: str
    kind: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    optional: bool = False

    def allowed(self) -> str:
        """Return what the option accepts, in words ("an int in the range [1, inf)")."""
        if self.choices is not None:
            return "one of {" + ", ".join(repr(c) for c in self.choices) + "}"
        if self.name == "device":
            return "one of {'auto', 'cpu', 'cuda', 'cuda:N'}"
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        low = "-inf" if self.low is None else _number(self.low, self.kind)
        high = "inf" if self.high is None else _number(self.high, self.kind)
        text = f"{'an int' if self.kind is int else 'a float'} in the range {left}{low}, {high}{right}"
        return text + (" or None" if self.optional else "")

    def check(self, value: Any) -> Any:
        """Return value normalized (10.0 -> 10 for ints, 'Adam' -> 'adam'); TrainingError if not allowed."""
        if value is None and self.optional:
            return None
        if self.choices is not None:
            if isinstance(value, str) and value.lower() in self.choices:
                return value.lower()
            raise self.error(value)
        if self.kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON writers sometimes turn 10 into 10.0
        numeric = (int,) if self.kind is int else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric) or not math.isfinite(value):
            raise self.error(value)
        below = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        above = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if below or above:
            raise self.error(value)
        return self.kind(value)

    def error(self, value: Any) -> TrainingError:
        """The one message for a bad value."""
        return TrainingError(f"The {self.name!r} option must be {self.allowed()}. Got {value!r} instead.",
                             where=Where(option=self.name), worded=True, given=value, allowed=self.allowed())


def option_specs() -> list[OptionSpec]:
    """Return every training option's declaration, in TrainConfig's field order."""
    specs = []
    for f in dataclasses.fields(TrainConfig):
        rules = dict(f.metadata)
        specs.append(OptionSpec(name=f.name, default=f.default, **rules))
    return specs


_FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig))


def _number(value: float, kind: type) -> str:
    return str(int(value)) if kind is int else str(float(value))


def _device(value: Any) -> str:
    """Accept 'cpu', 'cuda' or 'cuda:N'; CUDA only when this torch can use a GPU."""
    text = value.lower() if isinstance(value, str) else value
    index = text[5:] if isinstance(text, str) and text.startswith("cuda:") else ""
    if text in ("cpu", "auto"):
        return text
    if text == "cuda" or (index.isdigit()):
        import torch

        if not torch.cuda.is_available():
            raise TrainingError(
                f"The 'device' option is {value!r}, but this PyTorch sees no CUDA GPU. "
                "help: use device 'cpu', or install a CUDA build of PyTorch on a machine with an NVIDIA GPU."
            )
        if index and int(index) >= torch.cuda.device_count():
            raise TrainingError(
                f"The 'device' option is {value!r}, but only {torch.cuda.device_count()} CUDA device(s) exist."
            )
        return text
    raise TrainingError(f"The 'device' option must be one of {{'auto', 'cpu', 'cuda', 'cuda:N'}}. "
                        f"Got {value!r} instead.")
