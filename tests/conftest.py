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


# The modules that take longest (20 s or more on 2 cores), longest first. With
# `pytest -n 2 --dist loadfile --no-loadscope-reorder` (make test) each module runs whole on
# one worker, and the workers take modules in collection order: these go first, so that no
# long module is left to run alone at the end while the other worker idles.
LONGEST = ("test_accuracy.py", "test_train_distributed.py", "test_studio_command.py", "test_api_queue.py",
           "test_browser.py", "test_browser_own.py", "test_browser_runs.py", "test_bench_smoke.py",
           "test_gallery.py", "test_api_runs.py", "test_sharded_training.py", "test_experiments.py",
           "test_export.py")


def pytest_collection_modifyitems(config, items):
    if not hasattr(config, "workerinput"):  # only under xdist: a plain run keeps its order
        return
    rank = {name: n for n, name in enumerate(LONGEST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST)))  # stable: files stay whole
