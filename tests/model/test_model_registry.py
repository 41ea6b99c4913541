"""One check over every registered layer type: the torch module built for it gives the
output shape and parameter count that the spec's shape rule infers, on every input kind
the type takes."""

import pytest
import torch

from nnstudio.model.layers import BUILDERS, build_layer, initialize_layer
from nnstudio.spec import LAYERS, RECURRENT_TYPES, LayerInfo
from nnstudio.spec.registry import layer_output
from nnstudio.spec.schema import normalize_layer
from nnstudio.spec.shapes import walk_layers

EXAMPLE_INPUTS = {"vector": (6,), "sequence": (5, 3), "image": (2, 7, 7)}
CASES = [(name, kind) for name, layer_type in LAYERS.items() for kind in layer_type.inputs]
CASES += [(name, "sequence", {"return_sequences": True}) for name in RECURRENT_TYPES]  # type: ignore[misc]


def test_every_spec_layer_type_has_a_builder():
    assert set(BUILDERS) == set(LAYERS)
    assert {"vector", "sequence", "image"} == {kind for t in LAYERS.values() for kind in t.inputs}


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(str(part) for part in case[:2]) + (
    "-seq" if len(case) > 2 else ""))
def test_built_module_matches_the_inferred_shape(case):
    name, kind, *extra = case
    layer = normalize_layer({"type": name, **LAYERS[name].example, **(extra[0] if extra else {})}, 0)
    shape = EXAMPLE_INPUTS[kind]
    out_shape, params, trainable = layer_output(layer, shape, "layer 0")
    info = LayerInfo(0, name, out_shape, params, layer, shape, trainable)
    module = build_layer(info)
    initialize_layer(module, name, torch.Generator().manual_seed(0))
    module.eval()
    out = module(torch.randn(2, *EXAMPLE_INPUTS[kind], generator=torch.Generator().manual_seed(1)))
    assert tuple(out.shape) == (2, *info.output_shape)
    assert sum(p.numel() for p in module.parameters()) == info.trainable_params
    assert torch.isfinite(out).all()


def test_recurrent_initial_values_follow_keras():
    layer = normalize_layer({"type": "LSTM", "units": 4}, 0)
    info = walk_layers((5, 3), [layer])[0]
    module = build_layer(info)
    initialize_layer(module, "LSTM", torch.Generator().manual_seed(0))
    assert module.bias_ih_l0[4:8].eq(1).all() and module.bias_ih_l0[:4].eq(0).all()
    assert module.bias_hh_l0.eq(0).all()
    gate = module.weight_hh_l0[:4]
    assert torch.allclose(gate @ gate.T, torch.eye(4), atol=1e-5)  # orthogonal recurrent kernel
