"""Saving pictures: SVG and PNG files, atomic writes, clear errors for bad paths."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from nnstudio.draw import draw_function, draw_network, save
from nnstudio.errors import DrawError


def test_svg_is_written_as_is(tmp_path):
    svg = draw_function("relu")
    path = save(svg, tmp_path / "relu.svg")
    assert path.read_text(encoding="utf-8") == svg
    assert [p.name for p in tmp_path.iterdir()] == ["relu.svg"]  # no temp file left


def test_png_is_a_valid_png_of_the_picture(tmp_path):
    path = save(draw_network("shapes-mlp"), tmp_path / "net.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size[0] > 500


def test_unknown_extension_names_path_and_allowed(tmp_path):
    with pytest.raises(DrawError, match=r"net\.jpg.*allowed: \.svg, \.png"):
        save("<svg/>", tmp_path / "net.jpg")


def test_missing_folder_names_the_folder(tmp_path):
    target = tmp_path / "nowhere" / "net.svg"
    with pytest.raises(DrawError, match="does not exist"):
        save("<svg/>", target)
    assert not target.parent.exists()


def test_overwrite_replaces_the_old_picture(tmp_path):
    path = tmp_path / "f.svg"
    save(draw_function("relu"), path)
    save(draw_function("tanh"), path)
    assert "tanh" in path.read_text(encoding="utf-8")
