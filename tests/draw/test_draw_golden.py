"""Golden SVG files: pictures drawn from specs and numbers must keep their exact bytes.

After an intended change of the drawing, regenerate them and review the diff:

    .venv/bin/python tests/draw/test_draw_golden.py
"""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


# Specs written out here, not presets, so a tuned preset never changes a golden file.
LETTERS_MLP = {"name": "course-letters-mlp", "input_shape": [2500], "layers": [
    {"type": "Dense", "units": 64, "activation": "relu"}, {"type": "Dropout", "rate": 0.2},
    {"type": "Dense", "units": 10, "activation": "relu"},
    {"type": "Dense", "units": 26, "activation": "softmax"}]}
LETTERS_CNN = {"name": "course-letters-cnn", "input_shape": [1, 50, 50], "layers": [
    {"type": "Conv2D", "filters": 16, "kernel_size": 5, "strides": 2, "padding": "same"},
    {"type": "BatchNormalization"}, {"type": "Activation", "activation": "relu"},
    {"type": "Conv2D", "filters": 32, "kernel_size": 5, "strides": 2, "padding": "same"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Flatten"}, {"type": "Dense", "units": 128, "activation": "relu"},
    {"type": "Dropout", "rate": 0.3}, {"type": "Dense", "units": 26, "activation": "softmax"}]}
SEQUENCE_LSTM = {"name": "sequence-lstm", "input_shape": [6, 1], "layers": [
    {"type": "LSTM", "units": 4}, {"type": "Dense", "units": 1}]}


def pictures() -> dict[str, str]:
    """Return the golden pictures by file name (no torch, no training: stable everywhere)."""
    import nnstudio.draw as draw

    broken = [[1, 1, 1, 0, 1], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [0, 0, 0, 0, 1], [1, 1, 1, 1, 1]]
    return {
        "network-letters-mlp.svg": draw.draw_network(
            LETTERS_MLP, class_names=[chr(65 + i) for i in range(26)]),
        "network-letters-cnn.svg": draw.draw_network(LETTERS_CNN),
        "function-sigmoid.svg": draw.draw_function("sigmoid"),
        "grid-broken-square.svg": draw.draw_grid(broken, titles=["broken square"]),
        "cell-lstm.svg": draw.draw_lstm_cell(),
        "network-lstm.svg": draw.draw_network(SEQUENCE_LSTM),
    }


@pytest.mark.parametrize("name", sorted(pictures()))
def test_picture_matches_its_golden_file(name):
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert pictures()[name] == expected, (
        f"{name} changed; if intended, run: .venv/bin/python tests/draw/test_draw_golden.py")


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for file_name, svg in pictures().items():
        (GOLDEN / file_name).write_text(svg, encoding="utf-8")
        print(f"wrote {GOLDEN / file_name}")
