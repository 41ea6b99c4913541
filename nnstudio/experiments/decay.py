"""lr-decay: constant, step, exponential and cosine learning rates on the same network."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nnstudio.experiments.runner import (Result, Settings, Stat, digits, mean_curve, mlp, stat, train_runs,
                                         within_noise)

NAME = "lr-decay"
CLAIM = ("A learning rate that falls during training takes big steps early and careful ones late: "
         "the loss ends lower and steadier than with a constant rate.")
LR = 0.05  # SGD with momentum: high enough that a constant rate keeps jumping around late


def run(settings: Settings) -> Result:
    epochs = settings.pick(30, 6)
    schedules = {"constant": {"lr_decay": "none"},
                 "step": {"lr_decay": "step", "decay_rate": 0.5, "decay_every": max(1, epochs // 4)},
                 "exponential": {"lr_decay": "exponential", "decay_rate": 0.9},
                 "cosine": {"lr_decay": "cosine"}}
    train, test = digits("train"), digits("test")
    columns = ["schedule", "options", "final training loss", "loss wobble (last 5 epochs)", "test accuracy"]
    rows, measured, curves, rates = [], {}, {}, {}
    for name, options in schedules.items():
        runs = train_runs(mlp(64, [128, 128]), train, test, settings, epochs=epochs, batch_size=32,
                          optimizer="sgd", lr=LR, momentum=0.9, **options)
        m = {"loss": stat(runs, lambda r: r.history[-1]["loss"]),
             "wobble": stat(runs, lambda r: float(np.std(r.held_loss[-5:]))),
             "test": stat(runs, lambda r: r.accuracy)}
        measured[name] = m
        rows.append([name, ", ".join(f"{k} {v}" for k, v in options.items()), m["loss"].text(4),
                     m["wobble"].text(4), m["test"].text(1, percent=True)])
        curves[name] = mean_curve(runs, lambda r: r.column("loss"))
        rates[name] = runs[0].column("lr")
    from nnstudio.draw import draw_lr_schedules
    from nnstudio.draw.lessons import draw_series_plot

    figures = {"": draw_series_plot(curves, title=f"training loss, SGD + momentum from lr {LR}", xlabel="epoch",
                                    ylabel="cross-entropy (log scale)", log_y=True, legend="bottom-left",
                                    note="MLP 64-128-128-10 on 8x8 digits, mean over the seeds"),
               "rates": draw_lr_schedules(rates, base_lr=LR)}
    return Result(NAME, CLAIM, columns, rows, find(measured), figures,
                  {"epochs": epochs, "measured": {n: {k: v.mean for k, v in m.items()} for n, m in measured.items()}})


def find(measured: Mapping[str, Mapping[str, Stat]]) -> str:
    """Return the finding: which schedules end with a lower training loss and a better test
    accuracy than the constant rate, and by how much."""
    base = measured["constant"]
    decays = [n for n in measured if n != "constant"]
    lower = [n for n in decays if measured[n]["loss"].mean < base["loss"].mean and
             not within_noise(measured[n]["loss"], base["loss"])]
    best = max(decays, key=lambda n: measured[n]["test"].mean)
    accuracy = (f"the best test accuracy is {best}'s {measured[best]['test'].mean:.1%} against constant "
                f"{base['test'].mean:.1%}" + (" (within noise)" if within_noise(measured[best]["test"], base["test"])
                                              else ""))
    if len(lower) == len(decays):
        verdict = "every decay ends below the constant rate's loss: the course's claim holds for the loss"
    elif lower:
        verdict = f"only {', '.join(lower)} of {', '.join(decays)} end below the constant rate's loss"
    else:
        verdict = "no decay ends below the constant rate's loss, against the course"
    losses = ", ".join(f"{n} {measured[n]['loss'].mean:.3g}" for n in measured)
    steadier = [n for n in decays if measured[n]["wobble"].mean < base["wobble"].mean
                and not within_noise(measured[n]["wobble"], base["wobble"])]
    steady = ("every decay leaves the held-out loss steadier over the last 5 epochs, as the course says"
              if len(steadier) == len(decays) else
              f"the held-out loss is steadier late only with {', '.join(steadier) or 'none'} of the decays")
    return f"Final training loss: {losses}; {verdict}; {steady}; {accuracy}."
