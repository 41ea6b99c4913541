"""optimizers: SGD, SGD with momentum and Adam race to a target accuracy on 8x8 digits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.experiments.runner import (Result, Settings, Stat, digits, epochs_text, first_epoch_reaching,
                                         mean_curve, mlp, stat, train_runs, within_noise)

NAME = "optimizers"
CLAIM = ("Plain SGD creeps; momentum speeds it up; Adam, which adapts each weight's step, "
         "gets there fastest.")
TARGET = 0.95
# name -> training options (the usual starting learning rates)
RACERS = {
    "SGD": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.0},
    "SGD + momentum": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9},
    "Adam": {"optimizer": "adam", "lr": 0.001},
}


def run(settings: Settings) -> Result:
    epochs = settings.pick(40, 8)
    train, test = digits("train"), digits("test")
    spec = mlp(64, [64, 64], name="digits-64-64")
    columns = ["optimizer", "options", f"epochs to {TARGET:.0%} (test)", "seconds to target", "test accuracy",
               "final loss"]
    rows, curves = [], {}
    reached: dict[str, dict[str, Any]] = {}
    for name, options in RACERS.items():
        runs = train_runs(spec, train, test, settings, epochs=epochs, batch_size=32, **options)
        hits = [first_epoch_reaching(r.held_accuracy, TARGET) for r in runs]
        # not reached: counted as one epoch past the end, so the mean stays a lower bound
        epochs_to = Stat.of([h if h is not None else epochs + 1 for h in hits])
        seconds = Stat.of([r.seconds * (h or epochs) / epochs for r, h in zip(runs, hits)])
        reached[name] = {"epochs": epochs_to, "missed": sum(h is None for h in hits),
                         "accuracy": stat(runs, lambda r: r.accuracy)}
        rows.append([name, ", ".join(f"{k} {v}" for k, v in options.items() if k != "optimizer"), epochs_text(hits),
                     seconds.text(2), reached[name]["accuracy"].text(1, percent=True),
                     stat(runs, lambda r: r.history[-1]["loss"]).text(3)])
        curves[name] = mean_curve(runs, lambda r: r.held_accuracy)
    from nnstudio.draw.lessons import draw_series_plot

    figure = draw_series_plot(curves, title=f"optimizer race on 8x8 digits (target {TARGET:.0%})",
                              xlabel="epoch", ylabel="test accuracy", legend="bottom-right",
                              note=f"MLP 64-64-64-10, batch 32, mean of {len(settings.seeds)} seed(s)")
    return Result(NAME, CLAIM, columns, rows, find(reached, epochs), {"": figure},
                  {"epochs": epochs, "curves": curves})


def find(reached: Mapping[str, Mapping], epochs: int) -> str:
    """Return the finding: epochs each optimizer needed to reach the target, and whether the
    order is the course's (Adam, then SGD with momentum, then plain SGD)."""
    order = sorted(reached, key=lambda n: reached[n]["epochs"].mean)
    parts = []
    for name in order:
        r = reached[name]
        runs = len(r["epochs"].values)
        if r["missed"] == runs:
            parts.append(f"{name} never within {epochs} epochs")
        elif r["missed"]:
            parts.append(f"{name} missed it within {epochs} epochs in {r['missed']} of {runs} runs")
        else:
            parts.append(f"{name} {r['epochs'].text(1)}")
    first, second = reached[order[0]]["epochs"], reached[order[1]]["epochs"]
    tie = within_noise(first, second)
    if order == ["Adam", "SGD + momentum", "SGD"] and not tie:
        verdict = "the course's order holds"
    elif order[-1] == "SGD" and tie:
        verdict = f"plain SGD is slowest as the course says, but {order[0]} and {order[1]} are within noise"
    elif order[-1] == "SGD":
        verdict = f"plain SGD is slowest, but {order[0]} beats {order[1]}, against the course's order"
    else:
        verdict = "plain SGD is not the slowest, against the course"
    return f"Epochs to {TARGET:.0%} test accuracy: " + ", ".join(parts) + f"; {verdict}."
