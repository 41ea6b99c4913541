"""Plane style for CNNs: each image-shaped stage as a stack of planes, then neurons.

A stack shows at most MAX_PLANES planes, the front one being channel 1, and states the
true channel count as "×C". Plane sides are to scale but compressed (side grows with
the square root of the map size), so a 50x50 input and a 7x7 map both stay readable.
Each Conv2D or pooling stage shows its patch on the front plane before it, at two
successive positions `stride` input pixels apart (the second dashed), and the point
each produces on its own front plane. Patches carry data-x / data-y in input-pixel
units and planes carry data-cell (pixels per cell), so a test can check the geometry.
After Flatten the dense layers are drawn as neurons (see network.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.draw.colors import activation_scale, greys_rgb, scale_rgb
from nnstudio.draw.network import (RADIUS, SPACING, build_columns, check_limits,
                                   draw_column_net, draw_title, place_columns, right_margin)
from nnstudio.draw.svg import Canvas, MUTED_COLOR, TEXT_COLOR, fmt, text_width
from nnstudio.draw.view import NetView, Stage, stage_output
from nnstudio.spec import same_padding

MAX_PLANES = 5
DEPTH = 9.0  # offset between successive planes of a stack, up and to the right
SCALE = 24.0  # plane side = SCALE * sqrt(map side): 50 -> 170 px, 7 -> 64 px
PATCH_COLORS = ("#e07b00", "#1a9850")  # first position, next position (one stride on)
PLANE_FILL = "#eef3fa"


@dataclass
class Stack:
    """One image-shaped stage drawn as planes; (x, y) is the front plane's top-left corner."""

    stage: Stage
    title: str
    cell: float
    x: float = 0.0
    y: float = 0.0

    @property
    def channels(self) -> int:
        """Return the stage's channel count."""
        return self.stage.shape[0]

    @property
    def planes(self) -> int:
        """Return how many planes are drawn."""
        return min(self.channels, MAX_PLANES)

    @property
    def width(self) -> float:
        """Return the front plane's width in pixels."""
        return self.cell * self.stage.shape[2]

    @property
    def height(self) -> float:
        """Return the front plane's height in pixels."""
        return self.cell * self.stage.shape[1]

    @property
    def extent(self) -> float:
        """Return the stack's full width, back planes included."""
        return self.width + DEPTH * (self.planes - 1)


def plane_cell(height: int, width: int) -> float:
    """Return the pixels per map cell for a map of height x width (compressed scaling)."""
    side = max(height, width)
    return SCALE * math.sqrt(side) / side


def stack_label(stack: Stack) -> list[str]:
    """Return the lines under a stack: title, C × H×W, window and stride, notes."""
    channels, height, width = stack.stage.shape
    lines = [stack.title, f"{channels} \u00d7 {height}\u00d7{width}"]
    config = stack.stage.config
    window = config.get("kernel_size") or config.get("pool_size")
    if window:
        strides = config["strides"]
        stride = f"{strides[0]}" if strides[0] == strides[1] else f"{strides[0]}\u00d7{strides[1]}"
        what = "patch" if stack.stage.kind == "conv" else "window"
        lines.append(f"{window[0]}\u00d7{window[1]} {what}, stride {stride}, {config['padding']}")
    notes = stack.stage.notes()
    if notes:
        lines.append(", ".join(notes))
    return lines


def build_stacks(stages: list[Stage]) -> list[Stack]:
    """Return one Stack per image-shaped stage, titled input, conv 1, pool 1, ..."""
    stacks, counts = [], {"conv": 0, "pool": 0}
    for stage in stages:
        if stage.kind == "input":
            title = "input"
        else:
            counts[stage.kind] += 1
            name = "conv" if stage.kind == "conv" else stage.config["type"].replace("Pooling2D", "pool").lower()
            title = f"{name} {counts[stage.kind]}"
        stacks.append(Stack(stage, title, plane_cell(stage.shape[1], stage.shape[2])))
    return stacks


def place_stacks(stacks: list[Stack], x_start: float, center_y: float) -> float:
    """Set each stack's position centered on `center_y`; return the x right of the last."""
    x = x_start
    for stack in stacks:
        label_width = max(text_width(line, 11) for line in stack_label(stack))
        room = max(stack.extent, label_width)
        stack.x = x + (room - stack.extent) / 2
        stack.y = center_y - stack.height / 2 + DEPTH * (stack.planes - 1) / 2
        x += room + 60
    return x - 60


def plane_rgb(values: np.ndarray, stage: Stage) -> np.ndarray:
    """Return uint8 colors for one channel map (H, W): greys for the input, else activation scale."""
    if stage.kind == "input":
        return greys_rgb(values)
    scale, vmax = activation_scale(values)
    return scale_rgb(values, scale, vmax)


def draw_stack(canvas: Canvas, view: NetView, stack: Stack) -> None:
    """Draw a stack's planes back to front (front = channel 1) and its ×C count."""
    outputs = stage_output(view, stack.stage)
    layer = stack.stage.layer
    for plane in reversed(range(stack.planes)):
        x, y = stack.x + DEPTH * plane, stack.y - DEPTH * plane
        data = {"layer": layer, "channel": plane, "cell": fmt(stack.cell)}
        if outputs is not None:
            canvas.image(x, y, stack.width, stack.height, plane_rgb(outputs[plane], stack.stage),
                         cls="feature-map", layer=layer, channel=plane)
            canvas.rect(x, y, stack.width, stack.height, cls="plane", fill="none",
                        stroke="#44546a", stroke_width=0.8, **data)
        else:
            canvas.rect(x, y, stack.width, stack.height, cls="plane", fill=PLANE_FILL,
                        stroke="#44546a", stroke_width=0.8, **data)
    if stack.channels > 1:
        # Above the back plane: right of the stack is where the next patch lines run.
        back = stack.planes - 1
        canvas.text(stack.x + DEPTH * back + stack.width / 2, stack.y - DEPTH * back - 6,
                    f"\u00d7{stack.channels}", cls="channels", size=12, weight="bold",
                    layer=layer, channels=stack.channels)


def patch_positions(size: int, window: int, stride: int, padding: str) -> tuple[int, int, bool]:
    """Return (output index, input start, whether a next position exists) for the first
    patch whose next position still fits inside the map (else the first patch)."""
    before = same_padding(size, window, stride)[0] if padding == "same" else 0
    outputs = -(-size // stride) if padding == "same" else (size - window) // stride + 1
    for index in range(1, max(1, outputs - 1)):
        start = index * stride - before
        if start >= 0 and start + stride + window <= size:
            return index, start, True
    return 0, -before, outputs > 1


def draw_patches(canvas: Canvas, source: Stack, target: Stack) -> None:
    """Draw the target stage's patch at two successive positions and the points they produce."""
    config = target.stage.config
    window = config.get("kernel_size") or config["pool_size"]
    strides, padding = config["strides"], config["padding"]
    _, in_h, in_w = source.stage.shape
    out_y, start_y, _ = patch_positions(in_h, window[0], strides[0], padding)
    out_x, start_x, has_next = patch_positions(in_w, window[1], strides[1], padding)
    layer = target.stage.layer
    for step in ((0, 1) if has_next else (0,)):
        px = start_x + step * strides[1]  # input-pixel units
        ox = out_x + step
        dash, color = ("4 3" if step else None), PATCH_COLORS[step]
        x = source.x + px * source.cell
        y = source.y + start_y * source.cell
        w, h = window[1] * source.cell, window[0] * source.cell
        canvas.element("rect", {"class": "kernel", "x": x, "y": y, "width": w, "height": h,
                                "fill": color, "fill-opacity": 0.15 if step else 0.3,
                                "stroke": color, "stroke-width": 1.5,
                                "stroke-dasharray": dash, "data-layer": layer,
                                "data-step": step, "data-x": px, "data-y": start_y,
                                "data-width": window[1], "data-height": window[0],
                                "data-stride": strides[1]})
        if step == 0:
            draw_patch_grid(canvas, x, y, window, source.cell, layer)
        tx = target.x + ox * target.cell
        ty = target.y + out_y * target.cell
        canvas.element("rect", {"class": "kernel-target", "x": tx, "y": ty,
                                "width": target.cell, "height": target.cell,
                                "fill": color, "fill-opacity": 0.9, "stroke": color,
                                "stroke-width": 1, "data-layer": layer, "data-step": step,
                                "data-x": ox, "data-y": out_y})
        cx, cy = tx + target.cell / 2, ty + target.cell / 2
        for corner_x, corner_y in ((x + w, y), (x + w, y + h)):
            canvas.line(corner_x, corner_y, cx, cy, cls="projection", stroke=color,
                        stroke_width=0.9, dash=dash, layer=layer, step=step)


def draw_patch_grid(canvas: Canvas, x: float, y: float, window: list[int], cell: float,
                    layer: int) -> None:
    """Draw the cell lines inside a patch, when cells are big enough to tell apart."""
    if cell < 3 or window[0] * window[1] > 64:
        return
    color = PATCH_COLORS[0]
    for i in range(1, window[1]):
        canvas.line(x + i * cell, y, x + i * cell, y + window[0] * cell, cls="kernel-grid",
                    stroke=color, stroke_width=0.4, layer=layer)
    for i in range(1, window[0]):
        canvas.line(x, y + i * cell, x + window[1] * cell, y + i * cell, cls="kernel-grid",
                    stroke=color, stroke_width=0.4, layer=layer)


def draw_flatten_link(canvas: Canvas, stack: Stack, column_x: float, top: float,
                      bottom: float) -> None:
    """Draw the funnel from the last stack to the flatten column."""
    right = stack.x + stack.extent
    points = np.array([[right, stack.y - DEPTH * (stack.planes - 1)],
                       [column_x - RADIUS - 34, top - RADIUS],
                       [column_x - RADIUS - 34, bottom + RADIUS],
                       [stack.x + stack.width, stack.y + stack.height]])
    canvas.element("polygon", {"class": "flatten-link", "points": " ".join(
        f"{fmt(px)},{fmt(py)}" for px, py in points), "fill": "#c9d3e0", "fill-opacity": 0.55})


def draw_plane_network(view: NetView, stages: list[Stage], *, max_neurons: int = 32,
                       keep: int = 4) -> Canvas:
    """Return the canvas of a CNN: stacks of planes with patches, then the dense layers as neurons."""
    max_neurons, keep = check_limits(max_neurons, keep)
    image_stages = [stage for stage in stages if not stage.is_vector]
    stacks = build_stacks(image_stages)
    columns = build_columns(stages[len(image_stages):], max_neurons, keep)
    tallest_stack = max(stack.height + DEPTH * (stack.planes - 1) for stack in stacks)
    tallest_column = max((column.slots - 1) * SPACING + 2 * RADIUS for column in columns) if columns else 0
    half = max(tallest_stack, tallest_column) / 2
    center_y = 62 + half
    x = place_stacks(stacks, 40, center_y)
    canvas = Canvas(title=f"{view.spec.name} network")
    draw_title(canvas, view, view.outputs is not None)
    for stack in stacks:
        draw_stack(canvas, view, stack)
    for source, target in zip(stacks, stacks[1:]):
        draw_patches(canvas, source, target)
    # Stack labels right under the stacks; a tall output column keeps its labels lower.
    stacks_bottom = max(stack.y + stack.height for stack in stacks)
    bottom = draw_stack_labels(canvas, stacks, stacks_bottom + 26)
    label_top = center_y + half + 26
    right = x
    if columns:
        flatten_x = x + 90 + max(text_width(f"{i + 1}", 10) for i in columns[0].shown.tolist())
        last_x = place_columns(columns, flatten_x, center_y)
        draw_flatten_link(canvas, stacks[-1], columns[0].x, float(columns[0].ys[0]),
                          float(columns[0].ys[-1]))
        bottom = max(bottom, draw_column_net(canvas, view, columns,
                                             neutral_edges=view.outputs is not None,
                                             label_top=label_top))
        right = last_x + right_margin(view, columns[-1])
    canvas.grow(right + 20, bottom + 20)
    return canvas


def draw_stack_labels(canvas: Canvas, stacks: list[Stack], top: float) -> float:
    """Write each stack's label lines under it; return the y below the lowest line."""
    bottom = top
    for stack in stacks:
        center = stack.x + stack.extent / 2
        lines = stack_label(stack)
        for n, line in enumerate(lines):
            canvas.text(center, top + 14 * n, line, cls="layer-label", size=11 if n else 12,
                        weight="bold" if n == 0 else None,
                        color=MUTED_COLOR if n else TEXT_COLOR, layer=stack.stage.layer)
        bottom = max(bottom, top + 14 * len(lines))
    return bottom
