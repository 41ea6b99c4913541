"""Plane-style pictures of CNNs: stacks, channel counts, the patch moving by its stride."""

from __future__ import annotations

import pytest

from nnstudio.draw import draw_network
from nnstudio.draw.planes import MAX_PLANES, patch_positions
from nnstudio.spec import get_preset


def test_each_stage_is_a_stack_with_capped_planes_and_true_channels(parse):
    picture = parse(draw_network("letters-cnn"))
    planes = {}
    for plane in picture.all("plane"):
        planes.setdefault(int(plane.get("data-layer")), []).append(plane)
    # input, then the three Conv2D layers at spec indices 0, 3, 6
    assert sorted(planes) == [-1, 0, 3, 6]
    assert len(planes[-1]) == 1
    assert all(len(planes[layer]) == MAX_PLANES for layer in (0, 3, 6))
    channels = {int(t.get("data-layer")): t.text for t in picture.all("channels")}
    assert channels == {0: "\u00d716", 3: "\u00d732", 6: "\u00d764"}


def test_maps_are_to_scale_but_compressed(parse):
    picture = parse(draw_network("letters-cnn"))
    widths = {}
    for plane in picture.all("plane", channel=0):
        widths[int(plane.get("data-layer"))] = float(plane.get("width"))
    # sides 50, 25, 13, 7: bigger maps are drawn bigger, but less than proportionally
    assert widths[-1] > widths[0] > widths[3] > widths[6]
    assert widths[-1] / widths[6] < 50 / 7


@pytest.mark.parametrize("preset", ["letters-cnn", "seed-cnn", "digits-cnn", "mnist-cnn"])
def test_second_patch_is_offset_by_exactly_the_stride(parse, preset):
    picture = parse(draw_network(preset))
    spec = get_preset(preset)
    windowed = [i for i, layer in enumerate(spec.layers)
                if layer["type"] in ("Conv2D", "MaxPooling2D", "AveragePooling2D")]
    cells = {int(p.get("data-layer")): float(p.get("data-cell")) for p in picture.all("plane", channel=0)}
    layers_in_order = sorted(cells)
    for layer in windowed:
        first, second = (picture.all("kernel", layer=layer, step=step)[0] for step in (0, 1))
        stride = spec.layers[layer]["strides"][1]
        assert int(second.get("data-x")) - int(first.get("data-x")) == stride
        assert second.get("data-y") == first.get("data-y")
        assert int(first.get("data-width")) == (spec.layers[layer].get("kernel_size")
                                                or spec.layers[layer]["pool_size"])[1]
        # drawn geometry: the offset is stride cells of the plane the patch lies on
        source = layers_in_order[layers_in_order.index(layer) - 1]
        offset = float(second.get("x")) - float(first.get("x"))
        assert offset == pytest.approx(stride * cells[source], abs=0.02)
        targets = picture.all("kernel-target", layer=layer)
        assert [int(t.get("data-x")) for t in targets] == [int(targets[0].get("data-x")),
                                                             int(targets[0].get("data-x")) + 1]


def test_patch_positions_stay_inside_the_map():
    for size, window, stride, padding in [(50, 5, 2, "same"), (50, 12, 1, "same"),
                                          (25, 2, 2, "valid"), (7, 5, 2, "same"), (8, 3, 1, "same")]:
        out, start, has_next = patch_positions(size, window, stride, padding)
        assert has_next and start >= 0 and start + stride + window <= size


def test_a_single_position_has_no_second_patch(parse):
    spec = {"name": "one", "input_shape": [1, 6, 6], "layers": [
        {"type": "Conv2D", "filters": 2, "kernel_size": 6, "padding": "valid"},
        {"type": "Flatten"}, {"type": "Dense", "units": 2}]}
    picture = parse(draw_network(spec))
    assert [k.get("data-step") for k in picture.all("kernel")] == ["0"]


def test_dense_head_is_drawn_as_neurons_with_true_sizes(parse):
    picture = parse(draw_network("letters-cnn"))
    sizes = {int(e.get("data-layer")): int(e.get("data-size")) for e in picture.all("ellipsis")}
    assert sizes == {9: 3136, 10: 128}
    assert len(picture.all("neuron", layer=12)) == 26
    assert len(picture.all("edge", layer=10)) == 8 * 8
    assert len(picture.all("edge", layer=12)) == 8 * 26
    assert "5\u00d75 patch" in picture.texts("layer-label")
    assert "stride 2, same" in picture.texts("layer-label")


def test_plane_pictures_are_deterministic():
    assert draw_network("seed-cnn") == draw_network("seed-cnn")
