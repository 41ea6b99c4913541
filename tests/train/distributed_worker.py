"""One process of a training shared by several (run by test_train_distributed).

Usage: python distributed_worker.py OUT_DIR CASE[,CASE...]; RANK, WORLD_SIZE, MASTER_ADDR
and MASTER_PORT in the environment as torchrun would set them (absent: one process).
For each case in turn, in the one process group (a start of the processes costs more than
a training here), trains the case's network on the case's data and writes
OUT_DIR/CASE/weights-RANK.safetensors and OUT_DIR/CASE/report-RANK.json (history, the
callbacks seen, the placement). "float64" changes torch's default type: give it last.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

from nnstudio.model import build_model
from nnstudio.spec import load_spec
from nnstudio.train import Recorder, TrainConfig, fit
from nnstudio.train.placement import Placement

CNN: dict[str, Any] = {
    "name": "shared-cnn",
    "input_shape": [1, 8, 8],
    "layers": [
        # No bias before batch normalization: its true gradient is 0, and Adam would turn the
        # rounding noise of that 0 into steps of lr, different in every summation order.
        {"type": "Conv2D", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
         "use_bias": False},
        {"type": "BatchNormalization"},
        {"type": "Activation", "activation": "relu"},
        {"type": "Flatten"},
        {"type": "Dense", "units": 12, "activation": "relu", "use_bias": False},
        {"type": "BatchNormalization"},
        {"type": "Dropout", "rate": 0.3},
        {"type": "Dense", "units": 3, "activation": "softmax"},
    ],
}


class Codes:
    """Images as uint8 codes (value = code / 255), optionally only one process's rows."""

    def __init__(self, shard: tuple[int, int] | None = None, count: int = 47) -> None:
        rng = np.random.default_rng(7)
        self.y = np.arange(count) % 3
        x = rng.integers(0, 60, size=(count, 1, 8, 8))
        for c in range(3):  # a bright row per class, so there is something to learn
            x[self.y == c, 0, 2 + 2 * c, :] += 180
        self.x = x.astype(np.uint8)
        self.shard = shard
        if shard is not None:
            self.x = self.x[shard[0]::shard[1]]
        self.class_names = ["a", "b", "c"]
        self.num_classes = 3
        self.name = "codes"


# Case "float64": every value in float64, a convolution bias before batch normalization and
# SGD with a large step, so that float32 rounding would grow into visible differences; in
# float64 one process and two must still agree to rounding's own size.
ROUGH = {**CNN, "layers": [{**CNN["layers"][0], "use_bias": True}, *CNN["layers"][1:]]}


def main(out: Path, cases: list[str]) -> None:
    placement = Placement.from_environment("cpu")
    for case in cases:
        train_case(out / case, case, placement)
    placement.close()


def train_case(out: Path, case: str, placement: Placement) -> None:
    out.mkdir(parents=True, exist_ok=True)
    shard = (placement.rank, placement.world) if case == "sharded" else None
    if case == "float64":
        torch.set_default_dtype(torch.float64)
        data = Codes(count=301)
        network = build_model(load_spec(ROUGH), seed=3)
        config = TrainConfig(epochs=4, batch_size=16, validation=0.2, optimizer="sgd", lr=0.3, seed=5,
                             device="cpu")
    else:
        data = Codes(shard)
        network = build_model(load_spec(CNN), seed=3)
        config = TrainConfig(epochs=3, batch_size=8, validation=0.2, optimizer="adam", seed=5, device="cpu")
    recorder = Recorder()
    checkpoints = out / "checkpoint"
    history = fit(network, data, config, callbacks=[recorder], placement=placement, checkpoint_dir=checkpoints)
    weights = {k: v.contiguous() for k, v in network.state_dict().items()}
    save_file(weights, out / f"weights-{placement.rank}.safetensors")
    report = {"history": [dict(e) for e in history], "epochs_seen": len(recorder.epochs),
              "began": recorder.info is not None, "rank": placement.rank, "world": placement.world}
    (out / f"report-{placement.rank}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2].split(","))
