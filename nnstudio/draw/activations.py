"""What a trained network does with one input.

MLP: the input image (when the input is a square picture) beside the network, each
neuron filled with its activation, and the softmax output as labeled bars.
CNN: the input, then for every conv/pool stage a grid of small heatmaps (one per
channel, one color scale per stage), then the dense head as neurons and the bars.
Sequences: the recurrent layers unrolled in time, each cell's units filled with that
step's hidden state (see draw.unrolled).
Every heatmap tile and neuron carries its layer; neurons and bars carry their values.
"""

from __future__ import annotations

import numpy as np

from nnstudio.draw.colors import activation_scale, draw_colorbar, greys_rgb, scale_rgb
from nnstudio.draw.columns import (RADIUS, SPACING, build_columns, check_limits, elide_columns, fit_gap,
                                   most_columns, place_columns)
from nnstudio.draw.network import draw_column_net, draw_neuron_network, draw_title, right_margin
from nnstudio.draw.planes import build_stacks, stack_label
from nnstudio.draw.unrolled import draw_unrolled_network
from nnstudio.draw.svg import MAX_WIDTH, MUTED_COLOR, Canvas, fmt_value, text_width
from nnstudio.draw.view import NetView, Stage, required_output, square_side
from nnstudio.errors import DrawError

TILE = 34.0
TILE_GAP = 4.0
TILES_PER_ROW = 12
MAX_TILES = 32
INPUT_SIDE = 110.0


def draw_activation_picture(view: NetView, stages: list[Stage], *, max_neurons: int = 32,
                            keep: int = 4) -> Canvas:
    """Return the canvas showing every layer's activations for the view's input."""
    if view.outputs is None:
        raise DrawError("an activation picture needs an input and a trained model; "
                        "allowed: draw_activations(model, input)")
    if len(stages[0].shape) == 2:  # a sequence: each step's hidden state in its unrolled cell
        return draw_unrolled_network(view, stages, max_neurons=max_neurons, keep=keep)
    if all(stage.is_vector for stage in stages):
        return _mlp_picture(view, stages, max_neurons, keep)
    return _cnn_picture(view, stages, max_neurons, keep)


def draw_input_image(canvas: Canvas, values: np.ndarray, x: float, y: float,
                     side: float, title: str = "input") -> None:
    """Draw the input as a grey picture (ink dark) with a title above it."""
    height, width = values.shape
    canvas.text(x + side / 2, y - 8, title, cls="layer-label", size=12, weight="bold")
    canvas.image(x, y, side * width / max(height, width), side * height / max(height, width),
                 greys_rgb(values), cls="input-image", layer=-1)
    canvas.rect(x, y, side * width / max(height, width), side * height / max(height, width),
                cls="frame", fill="none", stroke="#888888", stroke_width=0.8)


def _mlp_picture(view: NetView, stages: list[Stage], max_neurons: int, keep: int) -> Canvas:
    values = view.outputs.get(-1) if view.outputs is not None else None
    side = square_side(stages[0].size)
    left = INPUT_SIDE + 40 if side and values is not None else 0.0
    canvas, columns = draw_neuron_network(view, stages, max_neurons=max_neurons, keep=keep,
                                          left=left)
    if side and values is not None:
        center_y = float(np.mean(columns[0].ys))
        draw_input_image(canvas, np.asarray(values, dtype=float).reshape(side, side), 20,
                         center_y - INPUT_SIDE / 2, INPUT_SIDE)
    _scale_note(canvas, 20, canvas.height - 6)
    canvas.grow(canvas.width, canvas.height + 10)
    return canvas


def _scale_note(canvas: Canvas, x: float, y: float) -> None:
    canvas.text(x, y, "neuron fill: activation, one scale per layer, 0 (white) to the "
                "layer's max (purple); blue: negative", cls="note",
                size=11, anchor="start", color=MUTED_COLOR)


def draw_heatmap_rows(canvas: Canvas, view: NetView, stages: list[Stage], x: float,
                      y: float) -> float:
    """Draw one titled grid of channel heatmaps per image stage after the input; return bottom y."""
    stacks = build_stacks(stages)
    for stack in stacks[1:]:
        values = required_output(view, stack.stage)  # (C, H, W)
        scale, vmax = activation_scale(values)
        label = stack_label(stack)
        notes = stack.stage.notes()
        title = f"{label[0]}: {label[1]}" + (f", {', '.join(notes)}" if notes else "")
        canvas.open_group({"class": "layer", "data-layer": stack.stage.layer, "data-name": label[0]})
        canvas.text(x, y + 12, title, cls="layer-label", size=12, anchor="start",
                    weight="bold", layer=stack.stage.layer)
        bar_x = max(x + text_width(title, 12) + 20, x + TILES_PER_ROW * (TILE + TILE_GAP) - 130)
        draw_colorbar(canvas, bar_x, y + 4, 110, scale=scale, vmax=vmax, title="", height=7,
                      layer=stack.stage.layer)
        shown = min(stack.channels, MAX_TILES)
        top = y + 30
        for c in range(shown):
            row, col = divmod(c, TILES_PER_ROW)
            tx, ty = x + col * (TILE + TILE_GAP), top + row * (TILE + TILE_GAP)
            canvas.image(tx, ty, TILE, TILE, scale_rgb(values[c], scale, vmax), cls="heatmap",
                         layer=stack.stage.layer, channel=c,
                         tip=f"{label[0]}, channel {c + 1}: {fmt_value(values[c].min())} to "
                             f"{fmt_value(values[c].max())}",
                         max=fmt_value(values[c].max()), min=fmt_value(values[c].min()))
            canvas.rect(tx, ty, TILE, TILE, cls="tile-frame", fill="none", stroke="#b0b0b0",
                        stroke_width=0.6)
        rows = -(-shown // TILES_PER_ROW)
        y = top + rows * (TILE + TILE_GAP)
        if shown < stack.channels:
            canvas.text(x, y + 11, f"channels 1-{shown} of {stack.channels} shown",
                        cls="note", size=11, anchor="start", color=MUTED_COLOR)
            y += 14
        canvas.close_group()
        y += 24
    return y


def _cnn_picture(view: NetView, stages: list[Stage], max_neurons: int, keep: int) -> Canvas:
    max_neurons, keep = check_limits(max_neurons, keep)
    image_stages = [stage for stage in stages if not stage.is_vector]
    canvas = Canvas(title=f"{view.spec.name} activations")
    draw_title(canvas, view, True)
    source = required_output(view, image_stages[0])  # (C, H, W)
    draw_input_image(canvas, source[0], 20, 70, INPUT_SIDE)
    bottom = draw_heatmap_rows(canvas, view, image_stages, 20, 70 + INPUT_SIDE + 20)
    columns = build_columns(stages[len(image_stages):], max_neurons, keep, view)
    grid_right = 20 + TILES_PER_ROW * (TILE + TILE_GAP)
    x_start = grid_right + 90
    room = MAX_WIDTH - 20 - x_start - right_margin(view, columns[-1])
    columns = elide_columns(columns, most_columns(room))
    tallest = max(column.slots for column in columns)
    center_y = 80 + (tallest - 1) / 2 * SPACING + RADIUS
    last_x = place_columns(columns, x_start, center_y, fit_gap(len(columns), room))
    label_top = center_y + (tallest - 1) / 2 * SPACING + RADIUS + 26
    column_bottom = draw_column_net(canvas, view, columns, label_top=label_top, note_x=20)
    bottom = max(bottom, column_bottom + 10)
    _scale_note(canvas, 20, bottom + 4)
    canvas.grow(last_x + right_margin(view, columns[-1]) + 10, bottom + 16)
    return canvas
