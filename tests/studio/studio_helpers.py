"""Helpers of the studio API tests: clients that carry the token, request bodies (PNGs), waiting."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from nnstudio.studio.app import create_app

BASE_URL = "http://127.0.0.1:8765"  # the Host guard lets 127.0.0.1 in
TOKEN = "studio-test-token"  # the access token of every test app
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BROKEN_SQUARE = [[1, 1, 1, 0, 1], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [0, 0, 0, 0, 1], [1, 1, 1, 1, 1]]
CROSS = [[1, 0, 0, 0, 1], [0, 1, 0, 1, 0], [0, 0, 1, 0, 0], [0, 1, 0, 1, 0], [1, 0, 0, 0, 1]]
MODEL = "shapes-small"  # the trained model every workspace starts with
CNN = "digits-random"  # an untrained CNN with BatchNormalization and pooling


def studio_client(workspace: Path, base_url: str = BASE_URL, **options: Any) -> TestClient:
    """Return a client of a studio app on workspace (token TOKEN) that sends the token as
    a bearer header; use it in a with block (it starts and stops the app)."""
    return TestClient(create_app(workspace, token=TOKEN, **options), base_url=base_url, headers=AUTH)


def png_bytes(pixels: Any, scale: int = 1) -> bytes:
    """Return a grey PNG of pixels (2-D, 1 = ink); ink is drawn black on white, as a pen does."""
    array = np.asarray(pixels, dtype=np.float32)
    grey = np.rint((1.0 - array) * 255).astype(np.uint8)
    image = Image.fromarray(grey, "L")
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """Return a tiny PNG file that claims width x height grey pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def files_under(root: Path) -> list[str]:
    """Return every path under root (relative, sorted), to show that nothing changed."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def wait_for(check: Any, timeout: float = 60.0, every: float = 0.1) -> Any:
    """Call check() until it returns something true; return it (fail after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout} s")
        time.sleep(every)


def save_sequence_model(folder: Path) -> Path:
    """Save an untrained sequence-lstm whose output layer always weighs the newest difference
    1: it continues arithmetic sequences (2 4 6 8 -> 10), as a trained one would."""
    import torch

    from nnstudio.data.sequence_prep import SequencePreparation
    from nnstudio.model import build_model
    from nnstudio.store import save_model
    from nnstudio.workflows.sequences import output_names

    network = build_model("sequence-lstm", seed=1)
    last = network.layers[-1]
    assert isinstance(last, torch.nn.Linear)
    with torch.no_grad():
        last.weight.mul_(0.01)
        last.bias.copy_(torch.tensor([1.0, 0.0, 0.0]))
    prep = SequencePreparation()
    return save_model(folder, network.eval(), class_names=output_names(prep), preparation=prep)


def save_path_model(folder: Path) -> Path:
    """Save an untrained letter-paths-gru (26 letters) that reads pen paths."""
    from nnstudio.data.strokes import PathPreparation
    from nnstudio.model import build_model
    from nnstudio.store import save_model

    network = build_model("letter-paths-gru", seed=1)
    return save_model(folder, network.eval(), class_names=[chr(65 + i) for i in range(26)],
                      preparation=PathPreparation())
