"""However a call is cancelled, no pool slot stays checked out (both backends).

httpcore loses a slot when asyncio's native ``Task.cancel()`` lands inside its shielded
cleanup (encode/httpcore#1093); ``aiospaces.core.cancelsafe`` keeps the pool consistent. These
storms are small; ``benchmarks/reliability.py`` runs 300 native + 300 anyio per backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import anyio
import pytest

from aiospaces.core.cancelsafe import run_shielded
from aiospaces.emulator import Emulator
from tests.reliability.cancellation import MODES, Mode, storm


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with Emulator().serve() as url:
        yield url


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
@pytest.mark.parametrize("mode", MODES)
async def test_no_slot_leaks_after_random_cancellations(
    served: str, backend: str, mode: Mode
) -> None:
    result = await storm(served, backend=backend, count=60, modes=(mode,))  # type: ignore[arg-type]
    assert result.leaked == 0
    assert result.healthy


async def test_a_result_that_arrives_as_the_caller_is_cancelled_is_undone() -> None:
    undone: list[str] = []
    started = asyncio.Event()

    async def step() -> str:
        started.set()
        await asyncio.sleep(0)
        return "response"

    async def undo(value: str) -> None:
        undone.append(value)

    async def caller() -> str:
        return await run_shielded(step, undo=undo)

    task = asyncio.ensure_future(caller())
    await started.wait()
    await asyncio.sleep(0)  # the step finishes; the caller has not resumed yet
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert undone == ["response"]


async def test_a_shielded_cleanup_ends_before_the_caller_sees_the_cancellation() -> None:
    events: list[str] = []

    async def step() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            with anyio.CancelScope(shield=True):  # as httpcore shields its cleanup
                events.append("cleanup started")
                await asyncio.sleep(0.01)
                events.append("cleanup done")

    task = asyncio.ensure_future(run_shielded(step))
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.sleep(0)
    task.cancel()  # a second cancellation must not cut the cleanup short
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events == ["cleanup started", "cleanup done"]


async def test_errors_and_results_pass_through() -> None:
    async def fails() -> None:
        raise KeyError("boom")

    async def works() -> int:
        return 7

    with pytest.raises(KeyError):
        await run_shielded(fails)
    assert await run_shielded(works) == 7
