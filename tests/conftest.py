"""Settings for the whole suite.

Torch runs one thread per process here. The suite starts training processes beside
itself (the studio's runs, CLI subprocesses, a browser), and on a 2-core machine a
2-thread training beside any other work ran 12x slower than a 1-thread one (digits-mlp,
100 epochs: 167 s against 13 s). The variable is set before torch is imported, so child
processes inherit it too.
"""

import os
import sys

os.environ["OMP_NUM_THREADS"] = "1"
if "torch" in sys.modules:  # imported by a plugin before this file: set it directly
    sys.modules["torch"].set_num_threads(1)
