"""vanishing-gradient: per-layer gradient size and accuracy of sigmoid and relu stacks, depth 2 to 10."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nnstudio.experiments.runner import Result, Settings, Stat, digits, mlp, stat, train_runs, within_noise

NAME = "vanishing-gradient"
CLAIM = ("Sigmoid's slope is at most 0.25, so each layer back shrinks the gradient: a deep "
         "sigmoid stack hardly learns in its first layers, while relu passes the gradient through.")
WIDTH = 32
ACTIVATIONS = ("sigmoid", "relu")


def run(settings: Settings) -> Result:
    from nnstudio.lessons import gradient_norms

    depths = settings.pick([2, 4, 6, 8, 10], [2, 10])
    epochs = settings.pick(15, 3)
    train, test = digits("train"), digits("test")
    columns = ["depth", "activation", "gradient size, layer 1 / last hidden layer",
               f"test accuracy after {epochs} epochs"]
    rows, ratios, accuracy, norms_deepest = [], {}, {}, {}
    for depth in depths:
        norms = {a: [gradient_norms(train, depth=depth, width=WIDTH, seed=s)[a] for s in settings.seeds]
                 for a in ACTIVATIONS}
        for activation in ACTIVATIONS:
            # layer 1 next to the input against the last hidden layer, one batch at initialization
            ratio = Stat.of([n[0] / n[-1] for n in norms[activation]])
            runs = train_runs(mlp(64, [WIDTH] * depth, activation=activation), train, test, settings,
                              epochs=epochs, batch_size=32, optimizer="sgd", lr=0.1, momentum=0.0)
            ratios[(depth, activation)] = ratio
            accuracy[(depth, activation)] = stat(runs, lambda r: r.accuracy)
            rows.append([depth, activation, f"{ratio.mean:.2g}", accuracy[(depth, activation)].text(1, percent=True)])
            if depth == depths[-1]:
                norms_deepest[activation] = [float(v) for v in np.mean(norms[activation], axis=0)]
    from nnstudio.draw import draw_vanishing_gradient
    from nnstudio.experiments.figure import draw_xy

    figures = {
        "": draw_vanishing_gradient({f"{a}, depth {depths[-1]}": v for a, v in norms_deepest.items()}),
        "accuracy": draw_xy({a: (depths, [accuracy[(d, a)].mean for d in depths]) for a in ACTIVATIONS},
                            title=f"test accuracy after {epochs} epochs of plain SGD (lr 0.1)",
                            xlabel="hidden layers", ylabel="test accuracy", percent_y=True, legend="top-right",
                            note=f"8x8 digits, {WIDTH} units per layer, mean of {len(settings.seeds)} seed(s)"),
    }
    numbers = {"ratios": {f"{d} {a}": r.mean for (d, a), r in ratios.items()},
               "accuracy": {f"{d} {a}": s.mean for (d, a), s in accuracy.items()}}
    return Result(NAME, CLAIM, columns, rows, find(ratios, accuracy, depths, epochs), figures, numbers)


def find(ratios: Mapping[tuple[int, str], Stat], accuracy: Mapping[tuple[int, str], Stat],
         depths: list[int], epochs: int) -> str:
    """Return the finding: how much smaller the first layer's gradient is than the last's at
    the deepest depth, and how accuracy changes from the shallowest to the deepest stack."""
    low, high = depths[0], depths[-1]
    sig, rel = ratios[(high, "sigmoid")].mean, ratios[(high, "relu")].mean
    gradient = (f"At depth {high} the first layer's gradient is {sig:.2g}x the last hidden layer's with sigmoid "
                f"and {rel:.2g}x with relu")
    deep_s, deep_r = accuracy[(high, "sigmoid")], accuracy[(high, "relu")]
    if sig >= rel:
        verdict = "sigmoid's gradient does not shrink more than relu's here, against the course"
    elif within_noise(deep_s, deep_r):
        verdict = f"the gradient does shrink with sigmoid, but at depth {high} the accuracies are within noise"
    elif deep_s.mean < deep_r.mean:
        verdict = "the course's claim holds"
    else:
        verdict = (f"the gradient does shrink with sigmoid, yet at depth {high} sigmoid learns better, "
                   "against the course")
    return (f"{gradient}; after {epochs} epochs, going from {low} to {high} layers moves test accuracy "
            f"from {accuracy[(low, 'sigmoid')].mean:.1%} to {deep_s.mean:.1%} (sigmoid) and "
            f"from {accuracy[(low, 'relu')].mean:.1%} to {deep_r.mean:.1%} (relu): {verdict}.")
