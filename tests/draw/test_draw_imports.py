"""Layout code must not import torch: only nnstudio.draw.adapter may."""

from __future__ import annotations

import subprocess
import sys

MODULES = ["nnstudio.draw", "nnstudio.draw.svg", "nnstudio.draw.colors", "nnstudio.draw.view",
           "nnstudio.draw.network", "nnstudio.draw.planes", "nnstudio.draw.activations",
           "nnstudio.draw.data", "nnstudio.draw.functions", "nnstudio.draw.plot",
           "nnstudio.draw.output", "nnstudio.draw.unrolled", "nnstudio.draw.arrows",
           "nnstudio.draw.timeline", "nnstudio.draw.cells"]

CHECK = """
import importlib, sys
for name in {modules!r}:
    importlib.import_module(name)
    if 'torch' in sys.modules:
        sys.exit('importing ' + name + ' imported torch')
import nnstudio.draw as d
d.draw_network('letters-cnn'); d.draw_network('shapes-mlp', class_names=list('abcde'))
d.draw_function('relu'); d.draw_grid([[0, 1], [1, 0]])
d.draw_network({{'name': 's', 'input_shape': [6, 1], 'layers': [{{'type': 'LSTM', 'units': 2}}]}})
if 'torch' in sys.modules:
    sys.exit('drawing a spec imported torch')
"""


def test_layout_modules_do_not_import_torch():
    code = CHECK.format(modules=MODULES)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
