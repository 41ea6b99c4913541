"""`nnstudio` with every value in float64 (torch's default float type set before the
network is built), for checks of rounding: bench/scaling.py runs it under torchrun.

Usage: torchrun --standalone --nproc-per-node N bench/float64_train.py train ...
"""

import torch

torch.set_default_dtype(torch.float64)

from nnstudio.cli import main  # noqa: E402  (after the default type is set)

main(prog_name="nnstudio")
