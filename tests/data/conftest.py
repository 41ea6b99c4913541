"""Small drawing helpers for the data tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from nnstudio.data.fonts import ttf_dir


@pytest.fixture(scope="session")
def draw_letter():
    """draw_letter(letter, canvas, box, mode, ink, paper) -> PIL image with the letter
    filling `box` = (left, top, height) of a canvas of side `canvas`."""
    path = str(ttf_dir() / "DejaVuSans-Bold.ttf")

    def draw(letter="R", canvas=400, box=(100, 80, 240), mode="L", ink=0, paper=255):
        left, top, height = box
        font = ImageFont.truetype(path, 200)
        big = Image.new("L", (260, 260), 0)
        ImageDraw.Draw(big).text((30, 10), letter, font=font, fill=255)
        glyph = big.crop(big.getbbox())
        w = max(1, round(glyph.width * height / glyph.height))
        mask = glyph.resize((w, height), Image.LANCZOS)
        img = Image.new(mode, (canvas, canvas), paper)
        img.paste(Image.new(mode, mask.size, ink), (left, top), mask)
        return img

    return draw


def png_claiming_size(path: Path, width: int, height: int) -> Path:
    """Write a tiny PNG whose header claims width x height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))
    path.write_bytes(body)
    return path


@pytest.fixture
def bomb_png():
    return png_claiming_size
