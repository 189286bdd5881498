"""Where blocking work runs: a small pool for file work, anyio's pool for waiting reads."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from aiospaces.core.threads import BLOCKING_THREADS, run_blocking, run_waiting


def test_blocking_threads_are_few() -> None:
    assert 1 <= BLOCKING_THREADS <= 4


async def test_run_blocking_uses_at_most_blocking_threads_at_once() -> None:
    lock = threading.Lock()
    all_in = threading.Event()
    running = peak = 0

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            if running == BLOCKING_THREADS:
                all_in.set()
        all_in.wait(10)  # the first few are admitted together and hold their threads a while
        time.sleep(0.02)
        with lock:
            running -= 1
        return n * 2

    results: list[int] = []

    async def one(n: int) -> None:
        results.append(await run_blocking(work, n))

    async with anyio.create_task_group() as tg:
        for n in range(4 * BLOCKING_THREADS):
            tg.start_soon(one, n)
    assert sorted(results) == [2 * n for n in range(4 * BLOCKING_THREADS)]
    assert peak == BLOCKING_THREADS


async def test_run_waiting_passes_arguments_and_returns_the_result() -> None:
    assert await run_waiting(divmod, 17, 5) == (3, 2)


async def test_a_cancelled_run_waiting_does_not_wait_for_its_thread() -> None:
    release = threading.Event()
    finished = threading.Event()

    def stalled_read(timeout: float) -> bytes:
        release.wait(timeout)
        finished.set()
        return b""

    started = time.monotonic()
    with anyio.move_on_after(0.05) as scope:
        await run_waiting(stalled_read, 10.0)
    waited = time.monotonic() - started
    release.set()  # let the abandoned thread end
    assert scope.cancelled_caught
    assert waited < 2.0
    assert finished.wait(5)


@pytest.mark.parametrize("runner", [run_blocking, run_waiting])
async def test_errors_in_the_thread_reach_the_caller(runner: object) -> None:
    def broken() -> None:
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        await runner(broken)  # type: ignore[operator]
