"""Experiments: the shared runner, the registry and CLI verb, every experiment's quick run, and
every experiment's finding computed from made-up numbers (the finding must follow the numbers,
also when they contradict the course)."""

from __future__ import annotations

import importlib
import re
import json
import math

import pytest
from click.testing import CliRunner

from nnstudio.cli import main
from nnstudio.experiments import EXPERIMENTS, ExperimentError, experiment_module, run_experiment
from nnstudio.experiments.runner import Settings, Stat, first_epoch_reaching, mlp, within_noise


def s(*values: float) -> Stat:
    return Stat.of(values)


# ---- runner ----------------------------------------------------------------------------


def test_stat_mean_spread_and_text():
    stat = s(0.9, 0.92, 0.94)
    assert stat.mean == pytest.approx(0.92)
    assert stat.spread == pytest.approx(math.sqrt(((0.02 ** 2) * 2) / 3))
    assert stat.text(1, percent=True) == "92.0% ± 1.6"
    assert s(0.5).text(2) == "0.50"  # one seed: no spread shown


def test_within_noise_uses_both_spreads():
    assert within_noise(s(1.0, 3.0), s(3.0, 4.0))  # gap 1.5 <= 1.0 + 0.5
    assert not within_noise(s(1.0, 1.2), s(3.0, 3.2))
    assert not within_noise(s(1.0), s(1.1))  # one seed each: no noise to hide in
    assert within_noise(s(1.0), s(1.0))


def test_settings_seeds_and_pick():
    assert Settings(seed=5).seeds == [5, 6, 7]
    assert Settings(quick=True, seed=5).seeds == [5]
    assert Settings(quick=True).pick(30, 3) == 3 and Settings().pick(30, 3) == 30


def test_epochs_text_counts_runs_that_never_reach():
    from nnstudio.experiments.runner import epochs_text

    assert epochs_text([5, 7, None]) == "6.0 ± 1.0 (1 of 3 never)"
    assert epochs_text([None, None]) == "never"
    assert epochs_text([4]) == "4.0"


def test_first_epoch_reaching():
    assert first_epoch_reaching([0.5, 0.94, 0.95, 0.99], 0.95) == 3
    assert first_epoch_reaching([0.5, 0.6], 0.95) is None


def test_mlp_spec_with_batchnorm_and_dropout_builds():
    from nnstudio.model import build_model

    spec = mlp(64, [16, 8], batchnorm=True, dropout=0.2)
    kinds = [layer["type"] for layer in spec["layers"]]
    assert kinds == ["Dense", "BatchNormalization", "Activation", "Dropout"] * 2 + ["Dense"]
    build_model(spec, seed=0)


# ---- registry and CLI ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_experiment_module_declares_itself(name):
    module = importlib.import_module(EXPERIMENTS[name])
    assert module.NAME == name
    assert module.CLAIM.strip()
    assert callable(module.run) and callable(module.find)


def test_unknown_experiment_names_the_allowed_ones():
    with pytest.raises(ExperimentError, match="allowed: optimizers"):
        experiment_module("dropouts")


def test_cli_lists_experiments_and_rejects_unknown_names():
    runner = CliRunner()
    listing = runner.invoke(main, ["experiment", "--list"])
    assert listing.exit_code == 0
    for name in EXPERIMENTS:
        assert name in listing.output
    bad = runner.invoke(main, ["experiment", "no-such"])
    assert bad.exit_code == 2 and "allowed: optimizers" in bad.output


# ---- two quick runs end to end (the fastest two) -----------------------------------------


def check_written(result, folder, rows: int) -> None:
    assert len(result.rows) == rows
    for row in result.rows:
        assert len(row) == len(result.columns)
    written = json.loads((folder / f"{result.name}.json").read_text())
    assert written["finding"] == result.finding and written["quick"] is True
    md = (folder / f"{result.name}.md").read_text()
    assert result.table() in md and result.finding in md
    for suffix in result.figures:
        stem = result.name + (f"-{suffix}" if suffix else "")
        assert "<svg" in (folder / f"{stem}.svg").read_text()
        assert (folder / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"


def test_lr_decay_quick_run_writes_table_figures_and_a_finding(tmp_path):
    result = run_experiment("lr-decay", quick=True, out=tmp_path)
    check_written(result, tmp_path, rows=4)
    assert [row[0] for row in result.rows] == ["constant", "step", "exponential", "cosine"]
    for values in result.numbers["measured"].values():
        assert all(math.isfinite(v) for v in values.values())
    assert "constant" in result.finding and "cosine" in result.finding
    again = run_experiment("lr-decay", quick=True)
    assert again.rows == result.rows and again.finding == result.finding  # seeded: same numbers


def test_batchnorm_quick_run_through_the_cli(tmp_path):
    out = CliRunner().invoke(main, ["experiment", "batchnorm", "--quick", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "Epochs to 95% test accuracy" in out.output
    written = json.loads((tmp_path / "batchnorm.json").read_text())
    assert len(written["rows"]) == 4
    assert all(math.isfinite(v["test"]) for v in written["numbers"]["measured"].values())


LETTERS = {"activations", "stride-and-channels"}  # these pay the letters generator's start-up


def finite_numbers(value) -> list[float]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in finite_numbers(item)]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in finite_numbers(item)]
    return [float(value)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


# rnn-memory's quick run: tests/test_experiment_rnn_memory.py
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in LETTERS else n
                                  for n in EXPERIMENTS if n not in ("lr-decay", "batchnorm", "rnn-memory")])
def test_every_experiment_runs_quick_with_finite_numbers(name, tmp_path):
    result = run_experiment(name, quick=True, out=tmp_path)
    check_written(result, tmp_path, rows=len(result.rows))
    assert result.rows and result.figures and result.finding.endswith(".")
    numbers = finite_numbers(result.numbers)
    assert numbers and all(math.isfinite(v) for v in numbers)


# ---- findings from made-up numbers -----------------------------------------------------


def test_optimizers_finding_follows_the_order():
    from nnstudio.experiments.optimizers import find

    def entry(epochs, missed=0):
        return {"epochs": s(*epochs), "missed": missed, "accuracy": s(0.97)}

    course = {"SGD": entry([30, 31, 32]), "SGD + momentum": entry([10, 11, 12]), "Adam": entry([4, 5, 6])}
    assert "the course's order holds" in find(course, 40)
    tie = {"SGD": entry([41, 41, 41], 3), "SGD + momentum": entry([5, 6, 7]), "Adam": entry([5, 6, 8])}
    text = find(tie, 40)
    assert "SGD never within 40 epochs" in text and "within noise" in text
    against = {"SGD": entry([3, 3, 3]), "SGD + momentum": entry([10, 10, 10]), "Adam": entry([5, 5, 5])}
    assert "not the slowest, against the course" in find(against, 40)


def test_overfitting_finding_and_early_stopping():
    from nnstudio.experiments.overfitting import early_stop, find

    assert early_stop([1.0, 0.8, 0.7, 0.75, 0.8, 0.9, 1.0, 1.1], patience=3) == (6, 3)
    assert early_stop([1.0, 0.9, 0.8], patience=3) == (3, 3)

    def m(gap, best=10, stop=15):
        return {"best": s(best), "rise": s(0.05), "gap": s(gap - 0.02, gap + 0.02), "accuracy": s(0.9), "stop": s(stop),
                "stopped_accuracy": s(0.92)}

    holds = {(100, 16): m(0.05), (100, 256): m(0.5), (1347, 16): m(0.02), (1347, 256): m(0.06)}
    assert "the course's claim holds" in find(holds, 60)
    assert "epoch 10 of 60" in find(holds, 60)
    no_width = {(100, 16): m(0.49), (100, 256): m(0.5), (1347, 16): m(0.02), (1347, 256): m(0.06)}
    assert "wider network's gap is not larger" in find(no_width, 60)
    fails = {(100, 16): m(0.6), (100, 256): m(0.05), (1347, 16): m(0.02), (1347, 256): m(0.06)}
    assert "against the course" in find(fails, 60)


def test_vanishing_finding_names_ratios_and_verdict():
    from nnstudio.experiments.vanishing import find

    ratios = {(2, "sigmoid"): s(0.3), (2, "relu"): s(1.0), (10, "sigmoid"): s(1e-6), (10, "relu"): s(1.2)}
    acc = {(2, "sigmoid"): s(0.9, 0.91), (2, "relu"): s(0.95, 0.96), (10, "sigmoid"): s(0.1, 0.11),
           (10, "relu"): s(0.9, 0.92)}
    text = find(ratios, acc, [2, 10], 15)
    assert "1e-06x" in text and "the course's claim holds" in text
    acc[(10, "sigmoid")] = s(0.9, 0.93)
    assert "within noise" in find(ratios, acc, [2, 10], 15)
    ratios[(10, "sigmoid")] = s(2.0)
    assert "against the course" in find(ratios, acc, [2, 10], 15)


def test_lr_decay_finding():
    from nnstudio.experiments.decay import find

    def m(loss, test, wobble=0.001):
        return {"loss": s(loss, loss * 1.01), "wobble": s(wobble), "test": s(test, test + 0.001)}

    all_lower = {"constant": m(0.1, 0.95, wobble=0.01), "step": m(0.01, 0.97), "exponential": m(0.02, 0.96),
                 "cosine": m(0.005, 0.975)}
    text = find(all_lower)
    assert "holds for the loss" in text and "cosine's 97.5%" in text and "every decay leaves" in text
    some = dict(all_lower, step=m(0.2, 0.9))
    assert "only exponential, cosine of step, exponential, cosine end below" in find(some)
    worse = {n: m(0.2, 0.95) for n in ("step", "exponential", "cosine")}
    assert "no decay ends below the constant rate's loss, against the course" in find(dict(all_lower, **worse))


def test_dropout_finding():
    from nnstudio.experiments.dropout import find

    def m(gap, test):
        return {"train": s(1.0), "test": s(test, test + 0.002), "gap": s(gap), "loss": s(0.2)}

    numbers = {"MLP": m(0.08, 0.90), "MLP + dropout 0.5": m(0.03, 0.94), "CNN": m(0.05, 0.95),
               "CNN + conv dropout": m(0.04, 0.93)}
    text = find(numbers)
    assert "8.0% to 3.0%" in text and "rises" in text and "lowers CNN" in text and "the advice holds" in text
    numbers["CNN + conv dropout"] = m(0.04, 0.97)
    assert "the advice does not hold" in find(numbers)


def test_batchnorm_finding():
    from nnstudio.experiments.batchnorm import find

    def m(epochs):
        return {"epochs": s(*epochs), "missed": s(*(e > 30 for e in epochs)), "test": s(0.95, 0.95)}

    faster = {(False, 0.01): m([12, 13]), (True, 0.01): m([4, 5]), (False, 0.1): m([31, 31]),
              (True, 0.1): m([2, 3])}
    text = find(faster, 30)
    assert "faster at both rates" in text and "lr 0.1: not within 30 without" in text
    assert "Final test accuracy after 30 epochs: lr 0.01 95.0% without, 95.0% with (within noise)" in text
    faster[(True, 0.01)] = m([12, 14])
    assert "faster only at lr 0.1" in find(faster, 30)
    faster[(False, 0.01)] = m([12, 31])
    assert "lr 0.01: 1 of 2 runs not within 30 without" in find(faster, 30)


def test_mlp_vs_cnn_finding_and_transforms():
    from nnstudio.experiments.mlp_vs_cnn import find, shifted, shrunk
    from nnstudio.experiments.runner import digits

    test = digits("test")
    moved = shifted(test)
    assert (moved.x[:, :, :, 0] == 0).all() and (moved.x[:, :, :, 1:] == test.x[:, :, :, :-1]).all()
    small = shrunk(test)
    assert small.x.shape == test.x.shape and (small.x[:, :, 0, :] == 0).all()

    def m(params, test):
        return {"params": s(params), "test": s(test, test), "shifted": s(0.5), "shrunk": s(0.6)}

    measured = {"MLP": m(17000, 0.96), "CNN": m(6000, 0.98)}
    holds = find(measured, {"MLP": (s(0.97, 0.97), s(0.97, 0.96)), "CNN": (s(0.99, 0.99), s(0.80, 0.82))})
    assert "97.0% -> 96.5%" in holds and "the shuffle test holds" in holds
    fails = find(measured, {"MLP": (s(0.97), s(0.80)), "CNN": (s(0.99), s(0.99))})
    assert "does not hold" in fails


def test_activations_finding():
    from nnstudio.experiments.activations import find

    def m(test):
        return {"test": s(test, test + 0.01), "loss": s(0.1), "best": s(10)}

    course = {"relu": m(0.9), "leaky_relu": m(0.88), "tanh": m(0.8), "sigmoid": m(0.5)}
    text = find(course)
    assert text.startswith("Test accuracy: relu") and "relu family wins" in text and "sigmoid is last" in text
    assert "against the course" in find(dict(course, tanh=m(0.95)))


def test_stride_finding():
    from nnstudio.experiments.stride import find

    def m(params, seconds, test):
        return {"params": s(params), "seconds": s(seconds), "test": s(test, test + 0.01)}

    text = find({"stride 2, 8-16 channels": m(70000, 0.2, 0.8), "stride 2, 16-32 channels": m(150000, 0.4, 0.85),
                 "stride 2, 32-64 channels": m(330000, 0.9, 0.9), "stride 1, 8-16 channels": m(1e6, 1.4, 0.7)})
    assert "costs 7.0x the time and 14.3x the weights" in text and "90.5% against 80.5%" in text
    assert "more channels buy accuracy, as the course says" in text


def test_every_command_in_the_guide_names_a_real_verb_and_experiment():
    from pathlib import Path

    guide = Path(__file__).resolve().parents[1] / "docs" / "guide.md"
    commands = [line.split("#")[0].split()[2:] for line in guide.read_text().splitlines()
                if line.startswith("$ nnstudio ")]
    assert len(commands) > 10
    for words in commands:
        assert words[0] in main.commands, words
        if words[0] == "experiment" and not words[1].startswith("-"):
            assert words[1] in EXPERIMENTS, words
    shown = {words[1] for words in commands if words[0] == "experiment" and words[1] in EXPERIMENTS}
    assert shown == set(EXPERIMENTS)  # every experiment has its section
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", guide.read_text())
    assert len(images) >= len(EXPERIMENTS)
    for image in images:
        assert (guide.parent / image).is_file(), image
