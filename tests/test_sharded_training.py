"""Two training processes on an image folder, each reading only its shard of the images,
end on the weights of one process reading them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from click.testing import CliRunner, Result
from PIL import Image, ImageDraw
from safetensors.torch import load_file

from nnstudio.cli import main

REPO = Path(__file__).resolve().parents[1]
SPEC = {"name": "tiny", "input_shape": [1, 16, 16], "layers": [
    {"type": "Flatten"}, {"type": "Dense", "units": 8, "activation": "relu"},
    {"type": "Dense", "units": 3, "activation": "softmax"}]}


def shapes_folder(root: Path, per_class: int = 7) -> Path:
    """root/<box|bar|cross>/<i>.png: 24x24 dark shapes on white, placed at random."""
    rng = np.random.default_rng(1)
    for kind in ("box", "bar", "cross"):
        (root / kind).mkdir(parents=True)
        for i in range(per_class):
            image = Image.new("L", (24, 24), 255)
            pen = ImageDraw.Draw(image)
            x0, y0 = (int(v) for v in rng.integers(1, 8, 2))
            x1, y1 = (int(v) for v in rng.integers(15, 23, 2))
            if kind == "box":
                pen.rectangle((x0, y0, x1, y1), outline=0, width=2)
            elif kind == "bar":
                pen.line((x0, (y0 + y1) // 2, x1, (y0 + y1) // 2), fill=0, width=3)
            else:
                pen.line((x0, y0, x1, y1), fill=0, width=2)
                pen.line((x0, y1, x1, y0), fill=0, width=2)
            image.save(root / kind / f"{i}.png")
    return root


TRAIN = ["--threads", "1", "train", "--data", "figures", "--model", "tiny.json", "--epochs", "3", "--batch-size", "4",
         "--validation", "0", "--device", "cpu", "--quiet"]


def train(cwd: Path, out: str, *extra: str) -> subprocess.CompletedProcess:
    """`nnstudio train` in a process of its own (it starts the processes of --nproc)."""
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    command = [sys.executable, "-m", "nnstudio", *TRAIN, "--out", out, *extra]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def train_here(cwd: Path, out: str, *extra: str) -> Result:
    """The same command in this process, for one process's run (no process to start)."""
    folder = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [*TRAIN, "--out", out, *extra])
    finally:
        os.chdir(folder)


def test_two_processes_reading_their_shards_of_a_folder_train_as_one(tmp_path):
    shapes_folder(tmp_path / "figures")  # 21 images: the shards hold 11 and 10
    (tmp_path / "tiny.json").write_text(json.dumps(SPEC))
    one = train_here(tmp_path, "one")
    assert one.exit_code == 0, one.output
    two = train(tmp_path, "two", "--nproc", "2")
    assert two.returncode == 0, two.stderr
    a, b = load_file(tmp_path / "one/weights.safetensors"), load_file(tmp_path / "two/weights.safetensors")
    assert max(float((a[k].double() - b[k].double()).abs().max()) for k in a) < 1e-4
    assert json.loads((tmp_path / "two/model.json").read_text())["training"]["samples"] == 21


def test_each_process_reads_its_own_shard_so_a_bad_image_cannot_be_skipped(tmp_path):
    shapes_folder(tmp_path / "figures")
    (tmp_path / "tiny.json").write_text(json.dumps(SPEC))
    (tmp_path / "figures" / "bar" / "0.png").write_bytes(b"not a png")  # sample 0: shard 0 of 2
    alone = train_here(tmp_path, "alone", "--skip-bad")
    assert alone.exit_code == 0, alone.output  # one process may leave it out
    two = train(tmp_path, "two", "--skip-bad", "--nproc", "2")
    assert two.returncode != 0
    assert "bar/0.png" in two.stderr
    assert "A shard read by one of several processes cannot leave images out" in two.stderr
