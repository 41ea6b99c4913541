"""How long, in what batches and with what hold-out to train when nobody said.

The one place that decides training options from the data. A fixed epoch count fits no
data size: 5 epochs of 64 are 10,000 steps on 130,000 letters but 5 steps on 60 images.
So the length is a budget of optimizer steps (STEP_BUDGET), capped by a budget of
seconds (TIME_BUDGET_SECONDS, from one measured step); the batch is sized so that a small
set still gives several equal batches per epoch (batch normalization learns nothing
from a batch of one or two); a hold-out with early stopping only where every class can
spare some images. Options given explicitly, or by the network's own training section,
are kept as they are.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.spec.fitting import TUNED_FOR_DATA

STEP_BUDGET = 600  # optimizer steps for a network trained on data nobody tuned it for
TIME_BUDGET_SECONDS = 40.0  # at most this much training, from a measured step
MIN_BATCH, MAX_BATCH = 8, 32
BATCHES_PER_EPOCH = 6  # at least this many batches per epoch, where the data allow MIN_BATCH
HOLDOUT_MIN_PER_CLASS = 30  # classes this big spare a hold-out for early stopping
HOLDOUT = 0.15
DECIDED = TUNED_FOR_DATA  # the options decided here: those a preset refitted to other data loses


@dataclass
class Budget:
    """Training options fitted to the data, and why each has its value."""

    options: dict[str, Any] = field(default_factory=dict)  # the options this budget decided
    reasons: dict[str, str] = field(default_factory=dict)  # option name -> why


def fit_training(given: Mapping[str, Any], network_training: Mapping[str, Any], class_counts: np.ndarray,
                 step_seconds: Callable[[int], float] | None = None) -> Budget:
    """Return the options (epochs, batch_size, validation, patience) that neither given
    (explicit options, None ones ignored) nor network_training sets, fitted to data with
    class_counts samples per class; step_seconds(batch_size) measures one optimizer step
    for the time cap (None: no cap)."""
    fixed = {k: v for k, v in network_training.items()}
    fixed.update({k: v for k, v in given.items() if v is not None})
    budget = Budget()
    counts = np.asarray(class_counts)
    validation = fixed.get("validation")
    if validation is None:
        validation = HOLDOUT if counts.min() >= HOLDOUT_MIN_PER_CLASS else 0.0
        budget.options["validation"] = validation
        budget.reasons["validation"] = (
            f"every class has {HOLDOUT_MIN_PER_CLASS}+ samples: {HOLDOUT:.0%} held out for early stopping"
            if validation else f"a class has fewer than {HOLDOUT_MIN_PER_CLASS} samples: all of them train")
    train = int(sum(int(c) - held_out_count(int(c), float(validation)) for c in counts))
    batch = fixed.get("batch_size")
    if batch is None:
        batch = batch_size_for(train)
        budget.options["batch_size"] = batch
        budget.reasons["batch_size"] = f"{math.ceil(train / batch)} batches of about equal size per epoch"
    batches = max(1, math.ceil(train / int(batch)))
    epochs = fixed.get("epochs")
    if epochs is None:
        epochs = max(1, math.ceil(STEP_BUDGET / batches))
        budget.reasons["epochs"] = f"about {STEP_BUDGET} optimizer steps of {batches} per epoch"
        seconds = step_seconds(int(batch)) if step_seconds is not None else 0.0
        if seconds > 0 and epochs * batches * seconds > TIME_BUDGET_SECONDS:
            epochs = max(1, int(TIME_BUDGET_SECONDS / (batches * seconds)))
            budget.reasons["epochs"] = (f"as many as fit {TIME_BUDGET_SECONDS:.0f} s at {seconds * 1000:.0f} ms "
                                        f"a step ({batches} steps per epoch)")
        budget.options["epochs"] = epochs
    if fixed.get("patience") is None and validation and "epochs" in budget.options:
        budget.options["patience"] = max(5, epochs // 5)
        budget.reasons["patience"] = "stop when the validation loss has not improved for a fifth of the epochs"
    return budget


def batch_size_for(samples: int) -> int:
    """Return a batch size giving at least BATCHES_PER_EPOCH batches where the data
    allow MIN_BATCH, at most MAX_BATCH, with the batches of an epoch about equal."""
    target = min(MAX_BATCH, max(MIN_BATCH, samples // BATCHES_PER_EPOCH))
    batches = max(1, math.ceil(samples / target))
    return max(1, math.ceil(samples / batches))


def held_out_count(count: int, fraction: float) -> int:
    """Return the samples of a class of count that the trainer's stratified split holds
    out: round(fraction * count), at least one when fraction > 0 and the class has two,
    never the whole class."""
    if fraction <= 0 or count < 2:
        return 0
    return min(max(int(round(fraction * count)), 1), count - 1)


def measure_step_seconds(network: Any, input_shape: tuple[int, ...], classes: int, batch_size: int,
                         optimizer: str = "adam", repeats: int = 5, device: Any = "cpu") -> float:
    """Return the seconds one optimizer step of network takes on a batch of random inputs
    on device (the one that will train): the fastest of a few after two to warm up
    (PyTorch's first steps set up kernels and threads, and other programs on a busy
    machine only ever add time). network's weights are put back after."""
    import torch
    import torch.nn.functional as F

    from nnstudio.model.layout import PLAIN, arrange_inputs, arrange_network, training_layout

    device = torch.device(device)
    layout = training_layout(network)  # the layout it trains in
    network.to(device)
    arrange_network(network, layout)
    wait = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    state = {k: v.detach().clone() for k, v in network.state_dict().items()}
    params = [p for p in network.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params) if optimizer == "adam" else torch.optim.SGD(params, lr=0.0)
    generator = torch.Generator().manual_seed(0)
    x = arrange_inputs(torch.rand((max(batch_size, 2), *input_shape), generator=generator).to(device), layout)
    y = torch.randint(0, classes, (max(batch_size, 2),), generator=generator).to(device)
    times = []
    network.train()
    with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
        for _ in range(repeats + 2):
            started = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(network(x), y).backward()
            opt.step()
            wait()
            times.append(time.perf_counter() - started)
    network.load_state_dict(state)
    arrange_network(network, PLAIN)
    return min(times[2:])
