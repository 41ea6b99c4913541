"""mlp-vs-cnn: parameters, accuracy, robustness to shifted and shrunken digits, and the
shuffled-pixels test (a fixed pixel shuffle leaves an MLP as good as before, not a CNN)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nnstudio.experiments.runner import Result, Settings, Stat, digits, mlp, stat, train_runs, within_noise

NAME = "mlp-vs-cnn"
CLAIM = ("Flattening throws away the 2-D structure: an MLP cannot tell a pixel's neighbours from any "
         "other pixel, a CNN's patches can, so the CNN does better with fewer weights and copes better "
         "with moved or resized inputs. An MLP trained on pixels in a fixed shuffled order does as well "
         "as on the original images; a CNN does not.")

CNN = {"name": "digits-small-cnn", "input_shape": [1, 8, 8], "layers": [
    {"type": "Conv2D", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Conv2D", "filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}]}
NETWORKS = {"MLP 64-128-64-10": mlp(64, [128, 64]), "CNN 16-32 conv, 3x3": CNN}
# the shuffled-pixels test uses the tuned presets through nnstudio.lessons
PRESETS = {"MLP": "digits-mlp", "CNN": "digits-cnn"}


def shifted(data: Any, dx: int = 1, dy: int = 0) -> Any:
    """Return `data` with every image moved dx pixels right and dy down (blank edges)."""
    x = np.zeros_like(data.x)  # (N, 1, 8, 8)
    x[:, :, dy:, dx:] = data.x[:, :, :x.shape[2] - dy, :x.shape[3] - dx]
    return type(data)(x, data.y, list(data.class_names), data.name + " shifted")


def shrunk(data: Any, size: int = 6) -> Any:
    """Return `data` with every image scaled down to size x size, centred on a blank 8x8."""
    from PIL import Image

    values = data.floats()  # (N, 1, 8, 8) float32: PIL's mode "F" resamples real values
    side = values.shape[-1]
    x = np.zeros_like(values)
    at = (side - size) // 2
    for i, image in enumerate(values[:, 0]):
        small = Image.fromarray(image, mode="F").resize((size, size), Image.Resampling.BILINEAR)
        x[i, 0, at:at + size, at:at + size] = np.asarray(small)
    return type(data)(x, data.y, list(data.class_names), data.name + " shrunk")


def run(settings: Settings) -> Result:
    from nnstudio.lessons import shuffle_accuracies
    from nnstudio.train.evaluate import evaluate

    epochs = settings.pick(30, 4)
    shuffle_epochs = settings.pick(8, 1)
    train, test = digits("train"), digits("test")
    moved, small = shifted(test), shrunk(test)
    columns = ["network", "parameters", "test accuracy", "shifted 1 px right", "shrunk to 6x6"]
    rows, measured = [], {}
    for name, spec in NETWORKS.items():
        runs = train_runs(spec, train, test, settings, keep=True, epochs=epochs, batch_size=32,
                          optimizer="adam", lr=0.002)
        m = {"params": Stat.of([runs[0].parameters]), "test": stat(runs, lambda r: r.accuracy),
             "shifted": Stat.of([evaluate(r.network, moved).accuracy for r in runs]),
             "shrunk": Stat.of([evaluate(r.network, small).accuracy for r in runs])}
        measured[name] = m
        rows.append([name, f"{runs[0].parameters:,}",
                     *(m[k].text(1, percent=True) for k in ("test", "shifted", "shrunk"))])
    shuffle: dict[str, tuple[list[float], list[float]]] = {key: ([], []) for key in PRESETS}
    for seed in settings.seeds:
        _, scores = shuffle_accuracies(train, test, PRESETS, epochs=shuffle_epochs, seed=seed)
        for key, (on_images, on_shuffled) in scores.items():
            shuffle[key][0].append(on_images)
            shuffle[key][1].append(on_shuffled)
    shuffled = {key: (Stat.of(a), Stat.of(b)) for key, (a, b) in shuffle.items()}
    for key, (plain, mixed) in shuffled.items():
        rows.append([f"{PRESETS[key]} preset, {shuffle_epochs} epochs: original / pixels shuffled", "",
                     f"{plain.text(1, percent=True)} / {mixed.text(1, percent=True)}", "", ""])
    figures = {"": _figure(measured), "shuffled": _shuffle_figure(shuffled)}
    return Result(NAME, CLAIM, columns, rows, find(measured, shuffled), figures,
                  {"measured": {n: {k: v.mean for k, v in m.items()} for n, m in measured.items()},
                   "shuffled": {k: [a.mean, b.mean] for k, (a, b) in shuffled.items()}})


def _figure(measured: Mapping[str, Mapping[str, Stat]]) -> str:
    from nnstudio.experiments.figure import draw_bars

    series = {name: [m["test"].mean, m["shifted"].mean, m["shrunk"].mean] for name, m in measured.items()}
    groups = ["original", "shifted 1 px right", "shrunk to 6x6"]
    figure = draw_bars(groups, series, title="MLP against CNN on 8x8 test digits", ylabel="test accuracy",
                       note="trained on the original digits only; mean over the seeds")
    return figure


def _shuffle_figure(shuffled: Mapping[str, tuple[Stat, Stat]]) -> str:
    from nnstudio.experiments.figure import draw_bars

    series = {"original pixels": [shuffled[k][0].mean for k in PRESETS],
              "one fixed shuffle": [shuffled[k][1].mean for k in PRESETS]}
    return draw_bars([PRESETS[k] for k in PRESETS], series, title="the shuffled-pixels test",
                     ylabel="test accuracy", note="each preset trained and tested on the same fixed pixel shuffle")


def find(measured: Mapping[str, Mapping[str, Stat]], shuffled: Mapping[str, tuple[Stat, Stat]]) -> str:
    """Return the finding: parameters and accuracies of both networks on original, shifted and
    shrunk digits, and what a fixed pixel shuffle costs each."""
    (mlp_name, m), (cnn_name, c) = measured.items()
    accuracy = (f"MLP {m['params'].mean:,.0f} weights, CNN {c['params'].mean:,.0f}; test accuracy MLP "
                f"{m['test'].mean:.1%}, CNN {c['test'].mean:.1%}"
                + (" (within noise)" if within_noise(m["test"], c["test"]) else ""))
    robust = (f"shifted 1 px: MLP {m['shifted'].mean:.1%}, CNN {c['shifted'].mean:.1%}; shrunk: "
              f"MLP {m['shrunk'].mean:.1%}, CNN {c['shrunk'].mean:.1%}")
    loss = {k: a.mean - b.mean for k, (a, b) in shuffled.items()}
    holds = loss["CNN"] > loss["MLP"] and not within_noise(shuffled["CNN"][0], shuffled["CNN"][1])
    mixed = {k: f"{a.mean:.1%} -> {b.mean:.1%}" for k, (a, b) in shuffled.items()}
    shuffle = (f"a fixed pixel shuffle takes the MLP preset {mixed['MLP']} and the CNN preset {mixed['CNN']}"
               + (": the shuffle test holds" if holds else ": the shuffle test does not hold here"))
    return f"{accuracy}; {robust}; {shuffle}."
