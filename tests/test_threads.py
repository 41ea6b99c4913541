"""--threads sets torch's threads and numpy's BLAS threads together."""

from __future__ import annotations

import threadpoolctl
import torch

from nnstudio.threads import use_threads


def test_use_threads_limits_torch_and_blas() -> None:
    before_torch = torch.get_num_threads()
    try:
        with threadpoolctl.threadpool_limits(2):  # restores the BLAS limits on leaving
            torch.set_num_threads(2)
            use_threads(1)
            assert torch.get_num_threads() == 1
            blas = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
            assert blas, "numpy has a BLAS"
            assert all(pool["num_threads"] == 1 for pool in blas)
    finally:
        torch.set_num_threads(before_torch)
