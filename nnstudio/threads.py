"""How many CPU threads nnstudio's work runs on: torch's, and numpy's BLAS beside them."""

from __future__ import annotations


def use_threads(count: int) -> None:
    """Run torch's operations and numpy's BLAS on `count` threads each.

    BLAS counts too although the heavy work is torch's: idle OpenBLAS threads spin for
    a while after each numpy product, on a core that a training or the studio's server
    needs (in the studio's server they doubled the CPU time of a prediction, 6.2 ms
    against 3.1 ms).
    """
    import threadpoolctl
    import torch

    torch.set_num_threads(count)
    threadpoolctl.threadpool_limits(count)
