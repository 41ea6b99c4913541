"""Saving pictures: SVG and PNG files, atomic writes, clear errors for bad paths."""

from __future__ import annotations

import io

import numpy as np
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


def _rgb_at(png: bytes, x: float, y: float) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    r, g, b = image.getpixel((int(x), int(y)))  # type: ignore[misc]  # an RGB image's pixel is a triple
    return r, g, b


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_png_keeps_the_colorbar_end_colors_exactly(parse, scale):
    """A palette would turn the strongest weight's red (#b2182b) brown; the PNG must not."""
    from nnstudio.draw import NetView
    from nnstudio.draw.colors import NEGATIVE_END, POSITIVE_END
    from nnstudio.draw.output import svg_to_png
    from nnstudio.spec import get_preset
    from test_draw_network import fake_weights

    spec = get_preset("shapes-mlp")
    svg = draw_network(NetView(spec, fake_weights(spec)))
    png = svg_to_png(svg, scale)
    bars = parse(svg).all("colorbar-step")
    assert len(bars) >= 40
    for step, expected in ((bars[0], NEGATIVE_END), (bars[39], POSITIVE_END)):
        x = (float(step.get("x")) + float(step.get("width")) / 2 - 0.15) * scale
        y = (float(step.get("y")) + float(step.get("height")) / 2) * scale
        assert step.get("fill") == expected
        assert _rgb_at(png, x, y) == _hex(expected)
    # every step of the bar keeps its color, not only the ends (no uneven steps)
    for step in bars[:40]:
        x = (float(step.get("x")) + float(step.get("width")) / 2 - 0.15) * scale
        y = (float(step.get("y")) + float(step.get("height")) / 2) * scale
        assert _rgb_at(png, x, y) == _hex(step.get("fill"))


def test_png_of_few_colors_is_a_lossless_palette():
    from nnstudio.draw import draw_grid
    from nnstudio.draw.output import svg_to_png

    svg = draw_grid([[0.0, 1.0], [0.5, 0.25]])
    exact, small = svg_to_png(svg, 1.0, None), svg_to_png(svg, 1.0)
    a = Image.open(io.BytesIO(exact)).convert("RGB")
    b = Image.open(io.BytesIO(small))
    assert b.mode == "P" and np.array_equal(np.asarray(a), np.asarray(b.convert("RGB")))
