"""Training options: one dataclass, its defaults and their validation.

Options come from three places, in rising priority: the defaults below, the spec's
``training`` section, and explicit overrides (CLI flags, studio form, code).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from nnstudio.errors import TrainingError

OPTIMIZERS = ("sgd", "adam")
LR_DECAYS = ("none", "exponential", "step", "cosine")
# Learning rate used when none is given, per optimizer (the usual starting points).
DEFAULT_LR = {"sgd": 1e-2, "adam": 1e-3}


@dataclass
class TrainConfig:
    """Everything that decides how a network is trained (the only place defaults live)."""

    epochs: int = 10
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float | None = None  # None: DEFAULT_LR[optimizer]
    momentum: float = 0.9  # SGD only
    lr_decay: str = "none"
    decay_rate: float = 0.5  # exponential: factor per epoch; step: factor per step
    decay_every: int = 10  # step: epochs between two decays
    clip_norm: float | None = None  # max L2 norm of all gradients together
    validation: float = 0.0  # fraction of each class held out
    seed: int = 0
    device: str = "cpu"
    patience: int | None = None  # epochs without val_loss improvement before stopping
    weight_decay: float = 0.0

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
                        f"Unknown training option {key!r} in {where}. Allowed: {', '.join(_FIELDS)}."
                    )
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
        """Check every field, normalize numbers to their types; return self. Raises TrainingError."""
        self.epochs = _int(self, "epochs", low=1)
        self.batch_size = _int(self, "batch_size", low=1)
        self.optimizer = _choice(self, "optimizer", OPTIMIZERS)
        self.lr = _real(self, "lr", low=0.0, low_open=True, optional=True)
        self.momentum = _real(self, "momentum", low=0.0, high=1.0, high_open=True)
        self.lr_decay = _choice(self, "lr_decay", LR_DECAYS)
        self.decay_rate = _real(self, "decay_rate", low=0.0, high=1.0, low_open=True)
        self.decay_every = _int(self, "decay_every", low=1)
        self.clip_norm = _real(self, "clip_norm", low=0.0, low_open=True, optional=True)
        self.validation = _real(self, "validation", low=0.0, high=1.0, high_open=True)
        self.seed = _int(self, "seed", low=0, high=2**63 - 1)
        self.patience = _int(self, "patience", low=1, optional=True)
        self.weight_decay = _real(self, "weight_decay", low=0.0)
        self.device = _device(self.device)
        return self


_FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig))


def _bad(name: str, allowed: str, value: Any) -> TrainingError:
    return TrainingError(f"The {name!r} option must be {allowed}. Got {value!r} instead.")


def _range_text(kind: str, low, high, low_open: bool, high_open: bool, optional: bool) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    text = f"{kind} in the range {left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
    return text + (" or None" if optional else "")


def _int(config: TrainConfig, name: str, *, low=None, high=None, optional: bool = False) -> int | None:
    value = getattr(config, name)
    if value is None and optional:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON writers sometimes turn 10 into 10.0
    ok = isinstance(value, int) and not isinstance(value, bool)
    if ok and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    raise _bad(name, _range_text("an int", low, high, False, False, optional), value)


def _real(config: TrainConfig, name: str, *, low=None, high=None, low_open=False, high_open=False,
          optional: bool = False) -> float | None:
    value = getattr(config, name)
    if value is None and optional:
        return None
    allowed = _range_text("a float", low, high, low_open, high_open, optional)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(name, allowed, value)
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        raise _bad(name, allowed, value)
    return float(value)


def _choice(config: TrainConfig, name: str, choices: tuple[str, ...]) -> str:
    value = getattr(config, name)
    if isinstance(value, str) and value.lower() in choices:
        return value.lower()
    listed = ", ".join(repr(c) for c in choices)
    raise _bad(name, f"one of {{{listed}}}", value)


def _device(value: Any) -> str:
    """Accept 'cpu', 'cuda' or 'cuda:N'; CUDA only when this torch can use a GPU."""
    text = value.lower() if isinstance(value, str) else value
    index = text[5:] if isinstance(text, str) and text.startswith("cuda:") else ""
    if text == "cpu":
        return "cpu"
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
    raise _bad("device", "one of {'cpu', 'cuda', 'cuda:N'}", value)
