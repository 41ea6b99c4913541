"""overfitting: training against held-out loss as the network widens and the data shrinks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from nnstudio.experiments.runner import (Result, Settings, Stat, digits, mean_curve, mlp, stat, train_runs,
                                         within_noise)

NAME = "overfitting"
CLAIM = ("A network that is large for its data learns the training samples by heart: training loss "
         "keeps falling while validation loss turns up; early stopping keeps the best epoch.")
PATIENCE = 5


def early_stop(losses: Sequence[float], patience: int = PATIENCE) -> tuple[int, int]:
    """Return (epoch where early stopping with `patience` stops, best epoch so far), 1-based,
    for a validation-loss curve; (last epoch, best epoch) when it never stops."""
    best, best_epoch = float("inf"), 0
    for i, loss in enumerate(losses):
        if loss < best:
            best, best_epoch = loss, i + 1
        elif i + 1 - best_epoch >= patience:
            return i + 1, best_epoch
    return len(losses), best_epoch


def run(settings: Settings) -> Result:
    widths = settings.pick([16, 64, 256], [16, 256])
    sizes = settings.pick([10, 30, None], [10, None])  # images per class; None: all (about 135)
    epochs = settings.pick(60, 12)
    test = digits("test")
    columns = ["train images", "hidden units", "held-out loss lowest at epoch", "then rises by",
               "final loss gap (held-out - train)", "final test accuracy",
               f"early stopping (patience {PATIENCE}): stops at / accuracy"]
    rows, measured, curves = [], {}, {}
    for per_class in sizes:
        train = digits("train", per_class)
        for width in widths:
            runs = train_runs(mlp(64, [width, width]), train, test, settings, epochs=epochs,
                              batch_size=32, optimizer="adam", lr=0.003)
            stops = [early_stop(r.held_loss) for r in runs]
            m = {"best": Stat.of([b for _, b in stops]),
                 "gap": stat(runs, lambda r: r.held_loss[-1] - r.history[-1]["loss"]),
                 "rise": stat(runs, lambda r: r.held_loss[-1] - min(r.held_loss)),
                 "accuracy": stat(runs, lambda r: r.accuracy),
                 "stop": Stat.of([s for s, _ in stops]),
                 "stopped_accuracy": Stat.of([r.held_accuracy[b - 1] for r, (_, b) in zip(runs, stops)])}
            measured[(len(train), width)] = m
            rows.append([len(train), width, m["best"].text(1), m["rise"].text(3), m["gap"].text(3),
                         m["accuracy"].text(1, percent=True),
                         f"{m['stop'].mean:.0f} / {m['stopped_accuracy'].text(1, percent=True)}"])
            if width == widths[-1] and per_class in (sizes[0], sizes[-1]):
                curves[f"train, {len(train)} images"] = mean_curve(runs, lambda r: r.column("loss"))
                curves[f"held-out, {len(train)} images"] = mean_curve(runs, lambda r: r.held_loss)
    from nnstudio.draw.lessons import draw_series_plot

    figure = draw_series_plot(curves, title=f"loss of a {widths[-1]}-{widths[-1]} MLP on 8x8 digits",
                              xlabel="epoch", ylabel="cross-entropy (log scale)", log_y=True,
                              legend="bottom-left", note="held-out = the 450 test digits, scored after every epoch")
    return Result(NAME, CLAIM, columns, rows, find(measured, epochs), {"": figure},
                  {"epochs": epochs, "measured": {f"{n} {w}": {k: v.mean for k, v in m.items()}
                                                  for (n, w), m in measured.items()}})


def find(measured: Mapping[tuple[int, int], Mapping[str, Stat]], epochs: int) -> str:
    """Return the finding: where training and held-out loss part for the smallest data and the
    widest network, how the gap changes with more data and fewer units, and what early
    stopping saves."""
    sizes = sorted({n for n, _ in measured})
    widths = sorted({w for _, w in measured})
    small, big = measured[(sizes[0], widths[-1])], measured[(sizes[-1], widths[-1])]
    narrow = measured[(sizes[0], widths[0])]
    more_data = small["gap"].mean > big["gap"].mean and not within_noise(small["gap"], big["gap"])
    wider = small["gap"].mean > narrow["gap"].mean and not within_noise(small["gap"], narrow["gap"])
    parted = small["best"].mean < epochs
    if more_data and wider and parted:
        verdict = "the course's claim holds"
    elif more_data:
        verdict = ("more data closes the gap, as the course says, but the wider network's gap is not larger "
                   "beyond noise")
    elif wider:
        verdict = "the wider network's gap is larger, but more data does not close it, against the course"
    else:
        verdict = "neither less data nor more units widen the gap here, against the course"
    saving = 1 - small["stop"].mean / epochs
    return (f"With {sizes[0]} training images and {widths[-1]} units, held-out loss is lowest at epoch "
            f"{small['best'].mean:.0f} of {epochs}, rises {small['rise'].mean:.3f} after it, and ends "
            f"{small['gap'].mean:.2f} above training loss "
            f"({widths[0]} units: {narrow['gap'].mean:.2f}; {sizes[-1]} images: {big['gap'].mean:.2f}); "
            f"early stopping would end at epoch {small['stop'].mean:.0f} ({saving:.0%} fewer epochs) with "
            f"{small['stopped_accuracy'].mean:.1%} test accuracy against {small['accuracy'].mean:.1%} at the end; "
            f"{verdict}.")
