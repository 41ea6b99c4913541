"""dropout: with and without dropout in the Dense layers of an MLP, and in the convolutional
layers of a CNN (which the course advises against)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.experiments.runner import (Result, Settings, Stat, digits, mean_curve, mlp, stat, train_runs,
                                         within_noise)

NAME = "dropout"
CLAIM = ("Dropout fights overfitting: it narrows the gap between training and validation and "
         "helps test accuracy. Use it in the fully connected layers, not in the convolutional ones.")
PER_CLASS = 30  # a small training set, so that there is overfitting to fight


def cnn(conv_dropout: float) -> dict[str, Any]:
    """Return a small digits CNN: two 3x3 convolutions (optionally followed by dropout),
    one 2x2 max pool, a Dense layer with dropout 0.3, softmax."""
    def conv(filters: int) -> list[dict[str, Any]]:
        layer = [{"type": "Conv2D", "filters": filters, "kernel_size": 3, "padding": "same", "activation": "relu"}]
        return layer + ([{"type": "Dropout", "rate": conv_dropout}] if conv_dropout else [])

    return {"name": "digits-small-cnn", "input_shape": [1, 8, 8], "layers": [
        *conv(16), *conv(32), {"type": "MaxPooling2D", "pool_size": 2}, {"type": "Flatten"},
        {"type": "Dense", "units": 64, "activation": "relu"}, {"type": "Dropout", "rate": 0.3},
        {"type": "Dense", "units": 10, "activation": "softmax"}]}


VARIANTS = {
    "MLP": mlp(64, [256, 256]),
    "MLP + dropout 0.5": mlp(64, [256, 256], dropout=0.5),
    "CNN (dropout 0.3 in Dense only)": cnn(0.0),
    "CNN + dropout 0.2 after each conv": cnn(0.2),
}


def run(settings: Settings) -> Result:
    from nnstudio.train.evaluate import evaluate

    epochs = settings.pick(60, 8)
    train, test = digits("train", PER_CLASS), digits("test")
    columns = ["network", "train accuracy", "test accuracy", "gap (train - test)", "final held-out loss"]
    rows, measured, curves = [], {}, {}
    for name, spec in VARIANTS.items():
        runs = train_runs(spec, train, test, settings, keep=True, epochs=epochs, batch_size=32,
                          optimizer="adam", lr=0.002)
        train_accuracy = [evaluate(r.network, train).accuracy for r in runs]  # eval mode: no dropout
        m = {"train": Stat.of(train_accuracy), "test": stat(runs, lambda r: r.accuracy),
             "gap": Stat.of([a - r.accuracy for a, r in zip(train_accuracy, runs)]),
             "loss": stat(runs, lambda r: r.held_loss[-1])}
        measured[name] = m
        rows.append([name, m["train"].text(1, percent=True), m["test"].text(1, percent=True),
                     m["gap"].text(1, percent=True), m["loss"].text(3)])
        curves[name] = mean_curve(runs, lambda r: r.held_loss)
    from nnstudio.draw.lessons import draw_series_plot

    figure = draw_series_plot(curves, title=f"held-out loss, {len(train)} training digits",
                              xlabel="epoch", ylabel="test cross-entropy (log scale)", log_y=True,
                              legend="top-right", note="dropout is off when scoring; Adam lr 0.002, batch 32")
    return Result(NAME, CLAIM, columns, rows, find(measured), {"": figure},
                  {"epochs": epochs, "measured": {n: {k: v.mean for k, v in m.items()} for n, m in measured.items()}})


def find(measured: Mapping[str, Mapping[str, Stat]]) -> str:
    """Return the finding: what Dense dropout did to the gap and the test accuracy of the MLP,
    and whether dropout in the convolutional layers helped or hurt the CNN."""
    names = list(measured)
    plain, dropped, cnn_dense, cnn_conv = (measured[n] for n in names)
    gap_text = f"the train-test gap goes from {plain['gap'].mean:.1%} to {dropped['gap'].mean:.1%}"
    change = dropped["test"].mean - plain["test"].mean
    if within_noise(plain["test"], dropped["test"]):
        mlp_verdict = f"test accuracy {plain['test'].mean:.1%} -> {dropped['test'].mean:.1%} (within noise)"
    else:
        mlp_verdict = (f"test accuracy {'rises' if change > 0 else 'falls'} {plain['test'].mean:.1%} -> "
                       f"{dropped['test'].mean:.1%}")
    conv_change = cnn_conv["test"].mean - cnn_dense["test"].mean
    if within_noise(cnn_dense["test"], cnn_conv["test"]):
        conv = (f"conv dropout changes CNN test accuracy {cnn_dense['test'].mean:.1%} -> {cnn_conv['test'].mean:.1%}, "
                "within noise: it buys nothing, so the advice holds")
    elif conv_change < 0:
        conv = (f"conv dropout lowers CNN test accuracy {cnn_dense['test'].mean:.1%} -> {cnn_conv['test'].mean:.1%}: "
                "the advice holds")
    else:
        conv = (f"conv dropout raises CNN test accuracy {cnn_dense['test'].mean:.1%} -> {cnn_conv['test'].mean:.1%}: "
                "here the advice does not hold")
    return f"Dense dropout 0.5 on the MLP: {gap_text}, {mlp_verdict}; {conv}."
