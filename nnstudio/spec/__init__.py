"""The network as plain data: schema, validation, shape inference and presets (no torch).

>>> spec = get_preset("letters-cnn")
>>> [info.output_shape for info in infer_shapes(spec)][:2]
[(16, 25, 25), (16, 25, 25)]
"""

from nnstudio.spec.loading import load_spec, read_spec_file
from nnstudio.spec.netspec import Spec, num_classes, with_classes, with_input_shape
from nnstudio.spec.fitting import DEFAULT_PRESETS, default_preset, default_spec, fit_spec_to_data
from nnstudio.spec.presets import PRESETS, get_preset, preset_names
from nnstudio.spec.registry import LAYERS, RECURRENT_TYPES, LayerType
from nnstudio.spec.schema import ACTIVATIONS, LAYER_FIELDS, LAYER_TYPES
from nnstudio.spec.shapes import (
    LayerInfo,
    count_params,
    count_trainable_params,
    infer_shapes,
    output_size,
    same_padding,
)

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_PRESETS",
    "LAYER_FIELDS",
    "LAYER_TYPES",
    "LAYERS",
    "RECURRENT_TYPES",
    "LayerType",
    "PRESETS",
    "LayerInfo",
    "Spec",
    "count_params",
    "count_trainable_params",
    "default_preset",
    "default_spec",
    "fit_spec_to_data",
    "get_preset",
    "infer_shapes",
    "load_spec",
    "num_classes",
    "output_size",
    "preset_names",
    "read_spec_file",
    "same_padding",
    "with_classes",
    "with_input_shape",
]
