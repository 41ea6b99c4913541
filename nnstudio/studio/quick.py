"""Where a route's CPU work runs: on the event loop while it stays quick, else in a thread.

A drawn letter's whole prediction (decoding, preparation, forward pass) costs about
1.5 ms. Handing it to a worker thread and back costs two wake-ups and two waits for
the interpreter lock, and under load those waits were longer than the work itself.
So work that took at most LIMIT_SECONDS last time runs where the request arrived, and
anything slower (a big network, a first load from disk) runs in a worker thread, where
it does not hold up the other requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
LIMIT_SECONDS = 0.01


class QuickWork:
    """Runs each kind of work inline or in a thread, by how long it took last time."""

    def __init__(self, limit: float = LIMIT_SECONDS) -> None:
        self.limit = limit
        self.took: dict[Hashable, float] = {}  # never run yet: unknown, so a thread

    def is_quick(self, key: Hashable) -> bool:
        return self.took.get(key, float("inf")) <= self.limit

    async def run(self, key: Hashable, work: Callable[..., T], *args: Any) -> T:
        """Return work(*args), timed under key for the next call's choice."""
        if self.is_quick(key):
            return self._timed(key, work, *args)
        return await run_in_threadpool(self._timed, key, work, *args)

    def _timed(self, key: Hashable, work: Callable[..., T], *args: Any) -> T:
        started = time.perf_counter()
        try:
            return work(*args)
        finally:
            self.took[key] = time.perf_counter() - started
