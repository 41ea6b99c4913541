"""Where the studio runs a route's CPU work: inline while quick, in a thread when slow."""

from __future__ import annotations

import asyncio
import threading
import time

from nnstudio.studio.quick import QuickWork


def where(delay: float = 0.0) -> int:
    time.sleep(delay)
    return threading.get_ident()


def test_first_run_goes_to_a_thread_then_quick_work_runs_inline() -> None:
    quick = QuickWork(limit=0.05)

    async def twice() -> tuple[int, int, int]:
        loop_thread = threading.get_ident()
        first = await quick.run("k", where)
        second = await quick.run("k", where)
        return loop_thread, first, second

    loop_thread, first, second = asyncio.run(twice())
    assert first != loop_thread  # never timed: it could be a first load from disk
    assert second == loop_thread
    assert quick.is_quick("k")


def test_slow_work_moves_to_a_thread_and_back_when_quick_again() -> None:
    quick = QuickWork(limit=0.02)

    async def runs() -> list[bool]:
        loop_thread = threading.get_ident()
        inline = []
        for delay in (0.0, 0.0, 0.05, 0.0, 0.0):
            inline.append(await quick.run("k", where, delay) == loop_thread)
        return inline

    # unknown -> thread; quick -> inline; that run was slow -> next in a thread; quick again -> inline
    assert asyncio.run(runs()) == [False, True, True, False, True]


def test_a_failing_run_is_still_timed_and_raises() -> None:
    quick = QuickWork(limit=1.0)

    def fail() -> None:
        raise ValueError("bad input")

    async def run() -> None:
        await quick.run("k", fail)

    try:
        asyncio.run(run())
    except ValueError as error:
        assert "bad input" in str(error)
    else:
        raise AssertionError("the error was swallowed")
    assert quick.is_quick("k")


def test_each_key_is_timed_on_its_own() -> None:
    quick = QuickWork(limit=0.02)

    async def run() -> None:
        await quick.run("slow", where, 0.05)
        await quick.run("fast", where)

    asyncio.run(run())
    assert quick.is_quick("fast") and not quick.is_quick("slow")
