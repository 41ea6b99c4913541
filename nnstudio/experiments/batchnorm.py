"""batchnorm: epochs to a target accuracy with and without batch normalization, at two learning rates."""

from __future__ import annotations

from collections.abc import Mapping

from nnstudio.experiments.runner import (Result, Settings, Stat, digits, epochs_text, first_epoch_reaching,
                                         mean_curve, mlp,
                                         stat, train_runs, within_noise)

NAME = "batchnorm"
CLAIM = ("Batch normalization keeps each layer's inputs centred and scaled, so training converges "
         "in fewer epochs and tolerates a higher learning rate.")
TARGET = 0.95
RATES = (0.01, 0.1)


def run(settings: Settings) -> Result:
    epochs = settings.pick(30, 5)
    train, test = digits("train"), digits("test")
    columns = ["batch norm", "learning rate (plain SGD)", f"epochs to {TARGET:.0%} (test)", "test accuracy"]
    rows, measured, curves = [], {}, {}
    for lr in RATES:
        for norm in (False, True):
            spec = mlp(64, [128] * 4, batchnorm=norm)
            runs = train_runs(spec, train, test, settings, epochs=epochs, batch_size=32, optimizer="sgd",
                              lr=lr, momentum=0.0)
            hits = [first_epoch_reaching(r.held_accuracy, TARGET) for r in runs]
            m = {"epochs": Stat.of([h if h is not None else epochs + 1 for h in hits]),
                 "missed": Stat.of([h is None for h in hits]), "test": stat(runs, lambda r: r.accuracy)}
            measured[(norm, lr)] = m
            rows.append(["yes" if norm else "no", lr, epochs_text(hits),
                         m["test"].text(1, percent=True)])
            curves[f"{'with' if norm else 'without'} BN, lr {lr}"] = mean_curve(runs, lambda r: r.held_accuracy)
    from nnstudio.draw.lessons import draw_series_plot

    figure = draw_series_plot(curves, title="test accuracy per epoch, MLP 64-4x128-10", xlabel="epoch",
                              ylabel="test accuracy", legend="bottom-right",
                              note="8x8 digits, plain SGD, batch 32; BN = Dense, BatchNormalization, relu")
    return Result(NAME, CLAIM, columns, rows, find(measured, epochs), {"": figure},
                  {"epochs": epochs, "measured": {f"{n} {lr}": {k: v.mean for k, v in m.items()}
                                                  for (n, lr), m in measured.items()}})


def find(measured: Mapping[tuple[bool, float], Mapping[str, Stat]], epochs: int) -> str:
    """Return the finding: epochs to the target with and without batch norm at each rate,
    whether batch norm was faster (beyond noise) at both, and the final test accuracies."""
    rates = sorted({lr for _, lr in measured})
    parts, faster, final = [], [], []
    for lr in rates:
        without, with_ = measured[(False, lr)], measured[(True, lr)]
        parts.append(f"lr {lr}: {_epochs(without, epochs)} without, {_epochs(with_, epochs)} with")
        faster.append(with_["epochs"].mean < without["epochs"].mean
                      and not within_noise(with_["epochs"], without["epochs"]))
        final.append(f"lr {lr} {without['test'].mean:.1%} without, {with_['test'].mean:.1%} with"
                     + (" (within noise)" if within_noise(without["test"], with_["test"]) else ""))
    if all(faster):
        verdict = "batch norm is faster at both rates, as the course says"
    elif any(faster):
        verdict = "batch norm is faster only at " + ", ".join(f"lr {lr}" for lr, f in zip(rates, faster) if f)
    else:
        verdict = "batch norm is not faster beyond noise here"
    return (f"Epochs to {TARGET:.0%} test accuracy: " + "; ".join(parts) + f"; {verdict}. "
            f"Final test accuracy after {epochs} epochs: " + "; ".join(final) + ".")


def _epochs(m: Mapping[str, Stat], epochs: int) -> str:
    runs, missed = len(m["epochs"].values), int(sum(m["missed"].values))
    if missed == runs:
        return f"not within {epochs}"
    if missed:
        return f"{missed} of {runs} runs not within {epochs}"
    return f"{m['epochs'].mean:.1f}"
