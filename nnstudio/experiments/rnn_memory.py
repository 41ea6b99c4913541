"""rnn-memory: SimpleRNN against LSTM, asked for the first item of a sequence T = 5 to 80 steps later.

The first step is one of four items (A, B, C, D, one-hot) and is the class; the T - 1 steps
after it are filler of one of two kinds:

- items: random items from the same four, so nothing but the network's memory of step 1
  tells the answer;
- noise: standard normal values in each of the four inputs, large enough to push a
  SimpleRNN's tanh towards its flat ends at every step (its slope, which multiplies the
  gradient at each step back, falls well below 1), while an LSTM carries its memory in a
  cell that no tanh squeezes from one step to the next.

A network that forgets scores chance, 25%. The gradient reaching step t is |dLoss/dx_t|
over a batch (x_t: the inputs at step t), at the start and after training. GRU is left
out: its CPU kernel cost as much here as SimpleRNN and LSTM together; add "GRU" to
NETWORKS to measure it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from nnstudio.experiments.runner import Result, Settings, Stat, stat, train_runs

NAME = "rnn-memory"
CLAIM = ("A SimpleRNN multiplies the gradient by its recurrent weights and tanh's slope at every step "
         "back in time, so over a long sequence almost none of it reaches the first steps and the "
         "network cannot learn to remember them; an LSTM's gated cell lets it through.")
NETWORKS = ("SimpleRNN", "LSTM")
FILLERS = ("items", "noise")
ITEMS = ("A", "B", "C", "D")
UNITS = 16
SAMPLES = (1024, 512)  # training and held-out sequences per length
LEARNED = 0.9  # test accuracy that counts as remembering (chance is 1 / len(ITEMS))
BATCH = 32
Measured = Mapping[tuple[str, int, str], Mapping[str, Any]]  # (filler, T, network) -> measures


@lru_cache(maxsize=32)
def memory_data(steps: int, count: int, seed: int, filler: str = "items") -> Any:
    """Return `count` sequences (N, steps, items): a one-hot item, then `steps` - 1 steps of
    `filler` ("items": random one-hot items, "noise": standard normal values); labels: the first item."""
    from nnstudio.data import Dataset

    rng = np.random.default_rng(seed)
    items = rng.integers(0, len(ITEMS), (count, steps))  # (N, T); column 0 is the class
    x = np.eye(len(ITEMS), dtype=np.float32)[items]  # (N, T, items)
    if filler == "noise":
        x[:, 1:] = rng.standard_normal((count, steps - 1, len(ITEMS)), dtype=np.float32)
    return Dataset(x, items[:, 0], list(ITEMS), name=f"first of {steps}, {filler}")


def recurrent(kind: str, steps: int) -> dict[str, Any]:
    """Return the spec of one recurrent layer of UNITS units reading the sequence, then softmax."""
    return {"name": f"{kind.lower()}-{steps}", "input_shape": [steps, len(ITEMS)],
            "layers": [{"type": kind, "units": UNITS}, {"type": "Dense", "units": len(ITEMS), "activation": "softmax"}]}


def step_gradients(network: Any, data: Any, batch: int = 256) -> list[float]:
    """Return |dLoss/dx_t| for t = 1..T over the first `batch` sequences of `data` (one backward pass)."""
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(data.x[:batch]).clone().requires_grad_(True)  # (N, T, items)
    y = torch.as_tensor(data.y[:batch])
    with torch.enable_grad():
        F.cross_entropy(network(x), y).backward()  # forward gives logits
    assert x.grad is not None  # x requires grad and the loss depends on it
    return [float(v) for v in torch.linalg.vector_norm(x.grad, dim=(0, 2))]


def geometric(values: Sequence[float]) -> float:
    """Return the geometric mean: ratios spread over orders of magnitude."""
    return float(10 ** np.mean(np.log10(np.maximum(values, 1e-30))))


def measure(kind: str, steps: int, filler: str, settings: Settings, epochs: tuple[int, int]) -> dict[str, Any]:
    """Train `kind` on sequences of `steps` with `filler` for epochs[1] epochs, one run per seed;
    return its test accuracy (Stat) after epochs[0] ("early") and epochs[1] epochs ("accuracy"),
    the step 1 / step T gradient ratios at the start and after training (geometric means over
    the seeds) and the per-step gradients at the start (geometric mean per step)."""
    from nnstudio.model import build_model

    train, test = memory_data(steps, SAMPLES[0], 0, filler), memory_data(steps, SAMPLES[1], 1, filler)
    spec = recurrent(kind, steps)
    start = [step_gradients(build_model(spec, seed=seed), train) for seed in settings.seeds]
    runs = train_runs(spec, train, test, settings, keep=True, epochs=epochs[1], batch_size=BATCH,
                      optimizer="adam", lr=0.01, clip_norm=1.0)
    trained = [step_gradients(run.network, train) for run in runs]
    # a constant learning rate: the first epochs of a long run are the whole of a short one
    return {"early": stat(runs, lambda r: r.held_accuracy[min(epochs[0], len(r.held_accuracy)) - 1]),
            "accuracy": stat(runs, lambda r: r.accuracy),
            "start": geometric([g[0] / g[-1] for g in start]),
            "trained": geometric([g[0] / g[-1] for g in trained]),
            "curve": [geometric(column) for column in zip(*start)]}


def run(settings: Settings) -> Result:
    lengths = settings.pick([5, 10, 20, 40, 80], [5, 20])
    epochs = settings.pick((10, 40), (1, 3))
    per_epoch = -(-SAMPLES[0] // BATCH)
    budgets = (epochs[0] * per_epoch, epochs[1] * per_epoch)  # optimizer steps
    columns = ["filler", "steps T", "network", "gradient at step 1 / at step T, start", "same, after training",
               f"test accuracy after {budgets[0]} steps", f"after {budgets[1]} steps"]
    rows, measured = [], {}
    for filler in FILLERS:
        for length in lengths:
            for kind in NETWORKS:
                m = measure(kind, length, filler, settings, epochs)
                measured[(filler, length, kind)] = m
                rows.append([filler, length, kind, f"{m['start']:.2g}", f"{m['trained']:.2g}",
                             m["early"].text(1, percent=True), m["accuracy"].text(1, percent=True)])
    numbers = {"budgets": list(budgets),
               **{key: {" ".join(str(k) for k in where): (m[key].mean if isinstance(m[key], Stat) else m[key])
                        for where, m in measured.items()} for key in ("early", "accuracy", "start", "trained")},
               # each seed's final test accuracy: the table's spreads are seeds that learned and seeds that did not
               "accuracy per seed": {" ".join(str(k) for k in where): list(m["accuracy"].values)
                                     for where, m in measured.items()}}
    return Result(NAME, CLAIM, columns, rows, find(measured, lengths, budgets),
                  figures(measured, lengths, budgets), numbers)


def figures(measured: Measured, lengths: list[int], budgets: tuple[int, int]) -> dict[str, str]:
    """The gradient per step at the start for the longest sequences, and test accuracy against T."""
    from nnstudio.draw.lessons import draw_series_plot
    from nnstudio.experiments.figure import draw_xy

    longest = lengths[-1]
    gradient = draw_series_plot({f"{kind}, {filler}": measured[(filler, longest, kind)]["curve"]
                                 for filler in FILLERS for kind in NETWORKS},
                                title=f"gradient reaching each step of {longest}, at the start",
                                xlabel="step t (1 = the item to remember)", ylabel="|dLoss/dx_t| (log scale)",
                                log_y=True, legend="bottom-right",
                                note=f"{UNITS} units, one batch of 256 sequences, freshly initialized")
    series = {f"{kind}, {filler}": (lengths, [measured[(filler, t, kind)]["accuracy"].mean for t in lengths])
              for filler in FILLERS for kind in NETWORKS}
    accuracy = draw_xy(series, title=f"remembering the first item: test accuracy after {budgets[1]} steps",
                       xlabel="steps T in the sequence", ylabel="test accuracy", percent_y=True,
                       note=f"{UNITS} units, Adam lr 0.01, clip 1.0; chance is {1 / len(ITEMS):.0%}")
    return {"": gradient, "accuracy": accuracy}


def find(measured: Measured, lengths: list[int], budgets: tuple[int, int]) -> str:
    """Return the finding, one sentence per filler (see `find_filler`), and whether any network
    remembers over the longest sequences."""
    longest = lengths[-1]
    parts = [find_filler(measured, filler, lengths, budgets) for filler in FILLERS]
    if all(measured[(f, longest, k)]["accuracy"].mean < LEARNED for f in FILLERS for k in NETWORKS):
        parts.append(f"At T = {longest} no network learns within {budgets[1]} steps.")
    return " ".join(parts)


def find_filler(measured: Measured, filler: str, lengths: list[int], budgets: tuple[int, int]) -> str:
    """Return the finding for one filler: how much gradient reaches step 1 at the longest T at
    the start, the longest T each network learns to remember (test accuracy >= LEARNED at every
    length up to it) after each budget, the gradient reaching step 1 after training where
    LSTM learns and SimpleRNN does not, and whether the longer training follows the claim."""
    longest = lengths[-1]
    start = {k: measured[(filler, longest, k)]["start"] for k in NETWORKS}
    spans = [_spans(measured, filler, lengths, key) for key in ("early", "accuracy")]
    text = (f"With {filler} as filler: at the start, step 1 of {longest} gets {_ratios(start)} the gradient at "
            f"step {longest}; the longest T learned to {LEARNED:.0%} test accuracy (chance {1 / len(ITEMS):.0%}), "
            f"at every length up to it, is {_span_text(spans[1])} after {budgets[1]} steps, "
            f"{_span_text(spans[0])} after {budgets[0]}")
    simple, gated = spans[1]["SimpleRNN"], max(v for k, v in spans[1].items() if k != "SimpleRNN")
    if gated > simple:
        trained = {k: measured[(filler, gated, k)]["trained"] for k in NETWORKS}
        text += f"; trained on T = {gated}, step 1 gets {_ratios(trained)} the gradient at step {gated}"
    if simple == longest:
        verdict = f"SimpleRNN remembers over every length tried, so the claim does not show up to T = {longest}"
    elif simple >= gated:
        verdict = "LSTM does not remember further back than SimpleRNN, against the claim"
    else:
        verdict = "LSTM remembers further back than SimpleRNN, as the claim says"
    return f"{text}: {verdict}."


def _spans(measured: Measured, filler: str, lengths: list[int], key: str) -> dict[str, int]:
    """Return network -> the longest T up to which measured[...][key] reaches LEARNED at every
    length tried (0: not even the shortest)."""
    spans = {}
    for kind in NETWORKS:
        spans[kind] = 0
        for length in lengths:
            accuracy: Stat = measured[(filler, length, kind)][key]
            if accuracy.mean < LEARNED:
                break
            spans[kind] = length
    return spans


def _span_text(spans: Mapping[str, int]) -> str:
    return ", ".join(f"{value or 'none'} ({kind})" for kind, value in spans.items())


def _ratios(ratios: Mapping[str, float]) -> str:
    return ", ".join(f"{value:.2g}x ({kind})" for kind, value in ratios.items())
