"""rnn-memory: SimpleRNN, LSTM and GRU asked for the first item of a sequence, T = 5 to 80 steps later.

Each sequence is T items, each one of four (A, B, C, D, given one-hot); the class is the
first item, the T - 1 after it are drawn at random from the same four. The items that
follow are of the same kind as the one to remember, so nothing but the network's memory
of step 1 tells the answer: a network that forgets scores chance, 25%. The gradient that
reaches step t is |dLoss/dx_t| over a batch (x_t: the items at step t, all of them
taking part in the loss only through the hidden state), at the start and after training.
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
         "network cannot learn to remember them; the gates of LSTM and GRU let it through.")
NETWORKS = ("SimpleRNN", "LSTM", "GRU")
ITEMS = ("A", "B", "C", "D")
UNITS = 16
SAMPLES = (1024, 512)  # training and held-out sequences per length
LEARNED = 0.9  # test accuracy that counts as remembering (chance is 1 / len(ITEMS))
BATCH = 32


@lru_cache(maxsize=16)
def memory_data(steps: int, count: int, seed: int) -> Any:
    """Return `count` sequences of `steps` one-hot items (N, steps, items), labelled by the first."""
    from nnstudio.data import Dataset

    rng = np.random.default_rng(seed)
    items = rng.integers(0, len(ITEMS), (count, steps))  # (N, T); column 0 is the class
    x = np.eye(len(ITEMS), dtype=np.float32)[items]  # (N, T, items)
    return Dataset(x, items[:, 0], list(ITEMS), name=f"first of {steps}")


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


def measure(kind: str, steps: int, settings: Settings, epochs: tuple[int, int]) -> dict[str, Any]:
    """Train `kind` on sequences of `steps` items for epochs[1] epochs, one run per seed; return
    its test accuracy (Stat) after epochs[0] ("early") and epochs[1] epochs ("accuracy"), the
    step 1 / step T gradient ratios at the start and after training (geometric means over the
    seeds) and the per-step gradients at the start (geometric mean per step)."""
    from nnstudio.model import build_model

    train, test = memory_data(steps, SAMPLES[0], 0), memory_data(steps, SAMPLES[1], 1)
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
    columns = ["steps T", "network", "gradient at step 1 / at step T, start", "same, after training",
               f"test accuracy after {budgets[0]} steps", f"after {budgets[1]} steps"]
    rows, measured = [], {}
    for length in lengths:
        for kind in NETWORKS:
            m = measure(kind, length, settings, epochs)
            measured[(length, kind)] = m
            rows.append([length, kind, f"{m['start']:.2g}", f"{m['trained']:.2g}",
                         m["early"].text(1, percent=True), m["accuracy"].text(1, percent=True)])
    numbers = {"budgets": list(budgets),
               **{key: {f"{t} {k}": (m[key].mean if isinstance(m[key], Stat) else m[key])
                        for (t, k), m in measured.items()} for key in ("early", "accuracy", "start", "trained")}}
    return Result(NAME, CLAIM, columns, rows, find(measured, lengths, budgets),
                  figures(measured, lengths, budgets), numbers)


def figures(measured: Mapping[tuple[int, str], Mapping[str, Any]], lengths: list[int],
            budgets: tuple[int, int]) -> dict[str, str]:
    """The gradient per step at the start for the longest sequences, and test accuracy against T."""
    from nnstudio.draw.lessons import draw_series_plot
    from nnstudio.experiments.figure import draw_xy

    longest = lengths[-1]
    gradient = draw_series_plot({kind: measured[(longest, kind)]["curve"] for kind in NETWORKS},
                                title=f"gradient reaching each step of {longest}, at the start",
                                xlabel="step t (1 = the item to remember)", ylabel="|dLoss/dx_t| (log scale)",
                                log_y=True, legend="bottom-right",
                                note=f"{UNITS} units, one batch of 256 sequences, freshly initialized")
    series = {f"{kind}, {budget} steps": (lengths, [measured[(t, kind)][key].mean for t in lengths])
              for key, budget in zip(("early", "accuracy"), budgets) for kind in NETWORKS}
    accuracy = draw_xy(series, title="remembering the first item: test accuracy",
                       xlabel="steps T in the sequence", ylabel="test accuracy", percent_y=True,
                       note=f"{UNITS} units, Adam lr 0.01, clip 1.0; chance is {1 / len(ITEMS):.0%}")
    return {"": gradient, "accuracy": accuracy}


def find(measured: Mapping[tuple[int, str], Mapping[str, Any]], lengths: list[int],
         budgets: tuple[int, int]) -> str:
    """Return the finding: how much gradient reaches step 1 at the longest T at the start, the
    longest T each network learns to remember (test accuracy >= LEARNED) after each training
    budget, how much gradient reaches step 1 after training there, and whether the longer
    training follows the claim."""
    longest = lengths[-1]
    start = {k: measured[(longest, k)]["start"] for k in NETWORKS}
    fading = [k for k in NETWORKS if start[k] < 1]
    text = (f"At the start, the gradient reaching step 1 of {longest} is {_ratios(start)} the one at step "
            f"{longest}: " + ("it fades through time in all three" if len(fading) == len(NETWORKS)
                              else f"it fades only in {', '.join(fading) or 'none'}"))
    if start["SimpleRNN"] > min(start["LSTM"], start["GRU"]):
        text += ", and SimpleRNN's is not the smallest"
    text += f". Test accuracy of at least {LEARNED:.0%} (chance {1 / len(ITEMS):.0%})"
    for key, budget in zip(("early", "accuracy"), budgets):
        learned = {k: _remembered(measured, lengths, k, key) for k in NETWORKS}
        text += f"{';' if key == 'accuracy' else ''} after {budget} steps: " + ", ".join(
            f"{k} up to T = {learned[k]}" if learned[k] else f"{k} at no length" for k in NETWORKS)
    simple, gated = learned["SimpleRNN"], max(learned["LSTM"], learned["GRU"])
    if gated > simple:
        trained = {k: measured[(gated, k)]["trained"] for k in NETWORKS}
        text += f". After training on T = {gated}, step 1 gets {_ratios(trained)} the gradient at step {gated}"
    if simple == longest:
        verdict = f"SimpleRNN remembers over every length tried, so the claim does not show up to T = {longest}"
    elif simple >= gated:
        verdict = f"no gated network remembers further back than SimpleRNN (at {LEARNED:.0%}), against the claim"
    else:
        verdict = "the gated networks remember further back than SimpleRNN, as the claim says"
    if gated < longest:
        verdict += f"; at T = {longest} no network learns within {budgets[1]} steps"
    return f"{text}. So, after {budgets[1]} steps, {verdict}."


def _ratios(ratios: Mapping[str, float]) -> str:
    return ", ".join(f"{value:.2g}x ({kind})" for kind, value in ratios.items())


def _remembered(measured: Mapping[tuple[int, str], Mapping[str, Any]], lengths: list[int], kind: str,
                key: str) -> int:
    """Return the longest T up to which measured[...][key] reaches LEARNED at every length tried
    (0: not even the shortest)."""
    longest = 0
    for length in lengths:
        accuracy: Stat = measured[(length, kind)][key]
        if accuracy.mean < LEARNED:
            break
        longest = length
    return longest
