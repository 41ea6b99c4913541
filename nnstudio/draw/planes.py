"""Plane style for CNNs: each image-shaped stage as a stack of planes, then neurons.

A stack shows at most MAX_PLANES planes, the front one being channel 1, and states the
true channel count as "×C". Plane sides are to scale but compressed (side grows with
the square root of the map size), so a 50x50 input and a 7x7 map both stay readable.
Each Conv2D or pooling stage shows its patch on the front plane before it, at two
successive positions `stride` input pixels apart (the second dashed), and the point
each produces on its own front plane. Patches carry data-x / data-y in input-pixel
units and planes carry data-cell (pixels per cell), so a test can check the geometry.
After Flatten the dense layers are drawn as neurons (see network.py).
With an input, the patch sits where the map before it is most active (on the letter's
stroke, not a blank corner). Pictures fit MAX_WIDTH: planes shrink (to 35%), and a CNN
too deep even then shows its first and last stages around a count of the others.
Each stage is one <g class="layer"> named by its title; planes carry a <title>.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.draw.colors import activation_scale, greys_rgb, scale_rgb
from nnstudio.draw.columns import MIN_GAP, RADIUS, SPACING, build_columns, check_limits, fit_gap, place_columns
from nnstudio.draw.network import draw_column_net, draw_title, right_margin
from nnstudio.draw.svg import MAX_WIDTH, MUTED_COLOR, TEXT_COLOR, Canvas, fmt, fmt_value, text_width
from nnstudio.draw.view import NetView, Stage, stage_output
from nnstudio.spec import same_padding

MAX_PLANES = 5
DEPTH = 9.0  # offset between successive planes of a stack, up and to the right
SCALE = 24.0  # plane side = SCALE * sqrt(map side): 50 -> 170 px, 7 -> 64 px
PATCH_COLORS = ("#e07b00", "#1a9850")  # first position, next position (one stride on)
PLANE_FILL = "#eef3fa"
STACK_GAP = 24.0
SHRINK = (1.0, 0.85, 0.72, 0.6, 0.5, 0.42, 0.35)  # plane scale factors tried, largest first


@dataclass
class Stack:
    """One image-shaped stage drawn as planes; (x, y) is the front plane's top-left corner."""

    stage: Stage
    title: str
    cell: float
    x: float = 0.0
    y: float = 0.0
    skipped: list[str] | None = None  # titles of stages elided right before this one

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
        lines.append(f"{window[0]}\u00d7{window[1]} {what}")
        # 'valid' (no padding) is the default and goes unsaid, keeping labels narrow.
        lines.append(f"stride {stride}" + (", same" if config["padding"] == "same" else ""))
    return lines + stack.stage.notes()


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


def stack_room(stack: Stack) -> float:
    """Return the width a stack takes: its planes or its widest label line."""
    return max(stack.extent, max(text_width(line, 12 if n == 0 else 11)
                                 for n, line in enumerate(stack_label(stack))))


def fit_stacks(stacks: list[Stack], room: float) -> list[Stack]:
    """Shrink the planes until the stacks fit `room` px; if even the smallest do not,
    return the first and last stacks, the one after the cut naming those left out."""
    natural = [stack.cell for stack in stacks]
    for factor in SHRINK:
        for stack, cell in zip(stacks, natural):
            stack.cell = cell * factor
        if sum(stack_room(stack) for stack in stacks) + STACK_GAP * (len(stacks) - 1) <= room:
            return stacks
    while len(stacks) > 3:
        head = (len(stacks) - 1) // 2
        kept = stacks[:head] + stacks[head + 1:]
        kept[head].skipped = ((stacks[head].skipped or []) + [stacks[head].title]
                              + (stacks[head + 1].skipped or []))
        stacks = kept
        extra = 60.0  # the count of left-out stages between two stacks
        if sum(stack_room(s) for s in stacks) + STACK_GAP * (len(stacks) - 1) + extra <= room:
            break
    return stacks


def place_stacks(stacks: list[Stack], x_start: float, center_y: float) -> float:
    """Set each stack's position centered on `center_y`; return the x right of the last."""
    x = x_start
    for stack in stacks:
        if stack.skipped:
            x += 60.0
        room = stack_room(stack)
        stack.x = x + (room - stack.extent) / 2
        stack.y = center_y - stack.height / 2 + DEPTH * (stack.planes - 1) / 2
        x += room + STACK_GAP
    return x - STACK_GAP


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
    channels, height, width = stack.stage.shape
    for plane in reversed(range(stack.planes)):
        x, y = stack.x + DEPTH * plane, stack.y - DEPTH * plane
        data = {"layer": layer, "channel": plane, "cell": fmt(stack.cell)}
        tip = f"{stack.title}, channel {plane + 1} of {channels}: {height}\u00d7{width} map"
        if outputs is not None:
            tip += (f", values {fmt_value(outputs[plane].min())} to "
                    f"{fmt_value(outputs[plane].max())}")
            canvas.image(x, y, stack.width, stack.height, plane_rgb(outputs[plane], stack.stage),
                         cls="feature-map", layer=layer, channel=plane)
            canvas.rect(x, y, stack.width, stack.height, cls="plane", fill="none",
                        stroke="#44546a", stroke_width=0.8, tip=tip, **data)
        else:
            canvas.rect(x, y, stack.width, stack.height, cls="plane", fill=PLANE_FILL,
                        stroke="#44546a", stroke_width=0.8, tip=tip, **data)
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


def active_patch(values: np.ndarray, window: list[int], strides: list[int],
                 padding: str) -> tuple[int, int, int, int] | None:
    """Return (out_y, start_y, out_x, start_x) of the patch whose two positions (one stride
    apart) cover the most activity of map `values` (H, W), both inside it; None if no
    such pair exists or the map is blank."""
    height, width = values.shape
    before_y = same_padding(height, window[0], strides[0])[0] if padding == "same" else 0
    before_x = same_padding(width, window[1], strides[1])[0] if padding == "same" else 0
    magnitude = np.abs(values)
    best, found = 0.0, None
    for out_y in range(-(-height // strides[0]) + 1):
        start_y = out_y * strides[0] - before_y
        if start_y < 0 or start_y + window[0] > height:
            continue
        for out_x in range(-(-width // strides[1]) + 1):
            start_x = out_x * strides[1] - before_x
            if start_x < 0 or start_x + strides[1] + window[1] > width:
                continue
            score = float(magnitude[start_y:start_y + window[0],
                                    start_x:start_x + strides[1] + window[1]].sum())
            if score > best:
                best, found = score, (out_y, start_y, out_x, start_x)
    return found


def draw_patches(canvas: Canvas, source: Stack, target: Stack,
                 values: np.ndarray | None = None) -> None:
    """Draw the target stage's patch at two successive positions and the points they produce;
    with the source's front map `values`, where that map is most active."""
    config = target.stage.config
    window = config.get("kernel_size") or config["pool_size"]
    strides, padding = config["strides"], config["padding"]
    _, in_h, in_w = source.stage.shape
    out_y, start_y, _ = patch_positions(in_h, window[0], strides[0], padding)
    out_x, start_x, has_next = patch_positions(in_w, window[1], strides[1], padding)
    placed = None if values is None else active_patch(values, window, strides, padding)
    if placed is not None:
        out_y, start_y, out_x, start_x = placed
        has_next = True
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
    columns = build_columns(stages[len(image_stages):], max_neurons, keep, view)
    head_room = 0.0
    if columns:
        label_room = max(text_width(f"{i + 1}", 11) for i in columns[0].shown.tolist())
        head_room = 90 + label_room + MIN_GAP * (len(columns) - 1) + right_margin(view, columns[-1])
    stacks = fit_stacks(stacks, MAX_WIDTH - 60 - head_room)
    tallest_stack = max(stack.height + DEPTH * (stack.planes - 1) for stack in stacks)
    tallest_column = max((column.slots - 1) * SPACING + 2 * RADIUS for column in columns) if columns else 0
    half = max(tallest_stack, tallest_column) / 2
    center_y = 70 + half
    x = place_stacks(stacks, 30, center_y)
    canvas = Canvas(title=f"{view.spec.name} network")
    draw_title(canvas, view, view.outputs is not None)
    stacks_bottom = max(stack.y + stack.height for stack in stacks)
    bottom = stacks_bottom
    for n, stack in enumerate(stacks):
        canvas.open_group({"class": "layer", "data-layer": stack.stage.layer,
                           "data-name": stack.title})
        draw_stack(canvas, view, stack)
        if n and not stack.skipped:
            before = stage_output(view, stacks[n - 1].stage)
            draw_patches(canvas, stacks[n - 1], stack, None if before is None else before[0])
        elif n:
            draw_skipped_stages(canvas, stack, center_y)
        # Stack labels right under the stacks; a tall output column keeps its labels lower.
        bottom = max(bottom, draw_stack_labels(canvas, [stack], stacks_bottom + 26))
        canvas.close_group()
    right = x
    if columns:
        flatten_x = x + 70 + max(text_width(f"{i + 1}", 11) for i in columns[0].shown.tolist())
        room = MAX_WIDTH - 20 - flatten_x - right_margin(view, columns[-1])
        last_x = place_columns(columns, flatten_x, center_y, fit_gap(len(columns), room))
        draw_flatten_link(canvas, stacks[-1], columns[0].x, float(columns[0].ys[0]),
                          float(columns[0].ys[-1]))
        bottom = max(bottom, draw_column_net(canvas, view, columns, label_top=center_y + half + 26,
                                             note_x=30))
        right = last_x + right_margin(view, columns[-1])
    canvas.grow(right + 10, bottom + 20)
    return canvas


def draw_skipped_stages(canvas: Canvas, stack: Stack, center_y: float) -> None:
    """Write, left of `stack`, how many stages a too-deep CNN leaves out there."""
    skipped = stack.skipped or []
    middle = stack.x - STACK_GAP / 2 - 30
    canvas.element("text", {"class": "ellipsis", "x": middle, "y": center_y + 7,
                            "font-size": 20, "text-anchor": "middle", "fill": MUTED_COLOR,
                            "data-layers": len(skipped)}, "\u22ef",
                   tip=f"left out: {', '.join(skipped)}")
    canvas.text(middle, center_y + 26, f"{len(skipped)} more", cls="more", size=11,
                color=MUTED_COLOR)


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
