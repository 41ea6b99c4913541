"""stride-and-channels: what stride and channel counts cost and buy on 50x50 letters."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nnstudio.experiments.runner import Result, Settings, Stat, letters, stat, train_runs, within_noise
from nnstudio.spec.presets import conv_bn_relu

NAME = "stride-and-channels"
CLAIM = ("A stride of 2 halves the maps, so each layer costs a quarter of the work and the flattened "
         "vector shrinks; more channels cost weights and time and buy accuracy.")
PER_CLASS = 20


def cnn(channels: int, stride: int) -> dict[str, Any]:
    """Return a two-layer letters CNN: 5x5 patches, `channels` then twice as many, `stride`,
    batch norm before relu (as the course's design), then softmax over 26 letters."""
    return {"name": f"letters-cnn-{channels}-s{stride}", "input_shape": [1, 50, 50],
            "layers": [*conv_bn_relu(channels, 5, stride), *conv_bn_relu(2 * channels, 5, stride),
                       {"type": "Flatten"}, {"type": "Dense", "units": 26, "activation": "softmax"}]}


VARIANTS = {(2, 8): "stride 2, 8-16 channels", (2, 16): "stride 2, 16-32 channels",
            (2, 32): "stride 2, 32-64 channels", (1, 8): "stride 1, 8-16 channels"}


def run(settings: Settings) -> Result:
    epochs = settings.pick(8, 2)
    train, test = letters("train", PER_CLASS), letters("test", PER_CLASS // 2)
    columns = ["network", "map after 2 layers", "parameters", "seconds per epoch", "test accuracy"]
    rows, measured = [], {}
    for (stride, channels), name in VARIANTS.items():
        runs = train_runs(cnn(channels, stride), train, test, settings, epochs=epochs, batch_size=32,
                          optimizer="adam", lr=0.002)
        side = math.ceil(math.ceil(50 / stride) / stride)  # "same" padding rounds up
        m = {"params": Stat.of([runs[0].parameters]), "seconds": stat(runs, lambda r: r.seconds / epochs),
             "test": stat(runs, lambda r: r.accuracy)}
        measured[name] = m
        rows.append([name, f"{2 * channels}x{side}x{side}", f"{runs[0].parameters:,}", m["seconds"].text(2),
                     m["test"].text(1, percent=True)])
    from nnstudio.experiments.figure import draw_bars

    names = list(VARIANTS.values())
    slowest = max(measured[n]["seconds"].mean for n in names)
    figure = draw_bars([n.replace(" channels", "") for n in names],
                       {"test accuracy": [measured[n]["test"].mean for n in names],
                        "time per epoch, share of the slowest": [measured[n]["seconds"].mean / slowest for n in names]},
                       title="stride and channels on 50x50 letters", ylabel="share",
                       note=f"{len(train)} training letters, {epochs} epochs, Adam lr 0.002, two 5x5 conv layers")
    return Result(NAME, CLAIM, columns, rows, find(measured), {"": figure},
                  {"epochs": epochs, "measured": {n: {k: v.mean for k, v in m.items()} for n, m in measured.items()}})


def find(measured: Mapping[str, Mapping[str, Stat]]) -> str:
    """Return the finding: the time and weights stride 1 costs against stride 2 at the same
    channels, and what more channels buy."""
    s2, s1 = measured["stride 2, 8-16 channels"], measured["stride 1, 8-16 channels"]
    wide = measured["stride 2, 32-64 channels"]
    stride = (f"stride 1 instead of 2 (8-16 channels) costs {s1['seconds'].mean / s2['seconds'].mean:.1f}x the time "
              f"and {s1['params'].mean / s2['params'].mean:.1f}x the weights for {s1['test'].mean:.1%} against "
              f"{s2['test'].mean:.1%}" + (" (within noise)" if within_noise(s1["test"], s2["test"]) else ""))
    more = (f"32-64 channels instead of 8-16 cost {wide['seconds'].mean / s2['seconds'].mean:.1f}x the time and "
            f"{wide['params'].mean / s2['params'].mean:.1f}x the weights for {wide['test'].mean:.1%} against "
            f"{s2['test'].mean:.1%}" + (" (within noise)" if within_noise(wide["test"], s2["test"]) else ""))
    cheaper = s2["seconds"].mean < s1["seconds"].mean and s2["params"].mean < s1["params"].mean
    buys = wide["test"].mean > s2["test"].mean and not within_noise(wide["test"], s2["test"])
    verdict = ("stride 2 is the cheaper design" if cheaper else "stride 2 is not cheaper here, against the course")
    verdict += ("; more channels buy accuracy, as the course says" if buys
                else "; more channels buy no accuracy beyond noise here")
    return f"On letters, {stride}; {more}: {verdict}."
