"""activations: relu, leaky relu, tanh and sigmoid as the hidden activation of the letters MLP."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from nnstudio.experiments.runner import Result, Settings, Stat, letters, mean_curve, stat, train_runs, within_noise

NAME = "activations"
CLAIM = ("relu (and leaky relu) train faster and better than sigmoid and tanh, whose flat ends slow "
         "the gradient; that is why hidden layers use relu.")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
PER_CLASS = 20  # generated letters per class for training (10 for testing)


def letters_mlp(activation: str) -> dict[str, Any]:
    """Return the course's letters MLP (the letters-mlp preset) with `activation` in its hidden layers."""
    from nnstudio.spec import get_preset

    spec = copy.deepcopy(get_preset("letters-mlp").to_dict())
    for layer in spec["layers"][:-1]:
        if layer["type"] == "Dense":
            layer["activation"] = activation
    spec.pop("training", None)
    return spec


def run(settings: Settings) -> Result:
    epochs = settings.pick(20, 3)
    train, test = letters("train", PER_CLASS), letters("test", PER_CLASS // 2)
    columns = ["hidden activation", "test accuracy", "final training loss", "epoch of best test accuracy"]
    rows, measured, curves = [], {}, {}
    for activation in ACTIVATIONS:
        runs = train_runs(letters_mlp(activation), train, test, settings, epochs=epochs, batch_size=32,
                          optimizer="adam", lr=0.001)
        m = {"test": stat(runs, lambda r: r.accuracy), "loss": stat(runs, lambda r: r.history[-1]["loss"]),
             "best": stat(runs, lambda r: 1 + max(range(len(r.held_accuracy)), key=r.held_accuracy.__getitem__))}
        measured[activation] = m
        rows.append([activation.replace("_", " "), m["test"].text(1, percent=True), m["loss"].text(3),
                     m["best"].text(1)])
        curves[activation.replace("_", " ")] = mean_curve(runs, lambda r: r.held_accuracy)
    from nnstudio.draw.lessons import draw_series_plot

    figure = draw_series_plot(curves, title="letters MLP (2500-256-128-64-26), hidden activation",
                              xlabel="epoch", ylabel="test accuracy", legend="bottom-right",
                              note=f"{len(train)} generated letters to train, {len(test)} to test; Adam lr 0.001")
    return Result(NAME, CLAIM, columns, rows, find(measured), {"": figure},
                  {"epochs": epochs, "measured": {n: {k: v.mean for k, v in m.items()} for n, m in measured.items()}})


def find(measured: Mapping[str, Mapping[str, Stat]]) -> str:
    """Return the finding: the activations ranked by test accuracy, and whether the relu
    family beats sigmoid and tanh beyond noise."""
    order = sorted(measured, key=lambda a: -measured[a]["test"].mean)
    ranking = ", ".join(f"{a.replace('_', ' ')} {measured[a]['test'].mean:.1%}" for a in order)
    best_relu = max(("relu", "leaky_relu"), key=lambda a: measured[a]["test"].mean)
    best_flat = max(("tanh", "sigmoid"), key=lambda a: measured[a]["test"].mean)
    a, b = measured[best_relu]["test"], measured[best_flat]["test"]
    if within_noise(a, b):
        verdict = "the best of relu/leaky relu and of tanh/sigmoid are within noise"
    elif a.mean > b.mean:
        verdict = "the relu family wins, as the course says"
    else:
        verdict = f"{best_flat} beats the relu family, against the course"
    sigmoid_last = order[-1] == "sigmoid"
    return (f"Test accuracy: {ranking}; {verdict}"
            + ("; sigmoid is last" if sigmoid_last else "") + ".")
