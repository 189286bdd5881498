"""Random cancellations against a served emulator: does any pool slot stay checked out?

[storm][tests.reliability.cancellation.storm] cancels calls at random moments with one of
asyncio's or anyio's tools, then checks the pool: nothing in flight, and a normal call still
gets through a small pool. The quick tests use a few hundred cancellations;
``benchmarks/reliability.py`` runs the full sizes.
"""

from __future__ import annotations

import asyncio
import random
from typing import Literal

import anyio
import attrs
import httpx

import aiospaces
from aiospaces.core.errors import AiospacesError

Mode = Literal["timeout", "wait_for", "task_cancel", "taskgroup", "twice", "anyio"]
MODES: tuple[Mode, ...] = ("timeout", "wait_for", "task_cancel", "taskgroup", "twice", "anyio")


@attrs.frozen
class StormResult:
    """What a cancellation storm left behind.

    Attributes:
        backend: The Session's backend.
        cancellations: Calls started (most are cancelled part-way).
        leaked: Requests still holding a pool slot once every call ended.
        healthy: Whether a normal call still succeeded afterwards.
    """

    backend: str
    cancellations: int
    leaked: int
    healthy: bool


async def storm(
    url: str,
    *,
    backend: Literal["httpx", "aiohttp"],
    count: int,
    seed: int = 1,
    max_connections: int = 5,
    modes: tuple[Mode, ...] = MODES,
    bare_httpx: bool = False,
) -> StormResult:
    """Cancel ``count`` calls at random moments (round-robin over ``modes``) and check the pool.

    ``url`` is a served emulator (``Emulator().serve()``); the calls are PubNub
    ``fetch_space``, ``create_space`` and a walk of ``fetch_spaces``. ``bare_httpx`` gives the
    Session a plain ``httpx.AsyncClient`` (the baseline: httpcore without our wrapper).
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible timing, not secrets
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=5)
    host = url.split("://", 1)[1]
    if bare_httpx:
        made = aiospaces.Session(http_client=httpx.AsyncClient(limits=limits))
    else:
        made = aiospaces.Session(backend=backend, limits=limits)
    async with made as session:
        pn = session.pubnub(subscribe_key="sub-c-storm", user_id="me", origin=host, ssl=False)
        await pn.create_space(space_id="room", name="Room")
        # a single call takes ~1-3 ms on loopback: cancel within that window
        for i in range(count):
            mode = modes[i % len(modes)]
            delay = rng.uniform(0.0, 0.004)
            call = _call(pn, i)
            await _cancel(call, mode, delay)
        await asyncio.sleep(0.05)  # let closed connections settle
        stats = session.pool_stats()
        leaked = stats.in_flight if stats is not None else 0
        try:
            with anyio.fail_after(10):
                await pn.fetch_space(space_id="room").timeout(5)
            healthy = True
        except (AiospacesError, TimeoutError):
            healthy = False
    return StormResult(backend, count, leaked, healthy)


async def _call(pn: aiospaces.PubNub, i: int) -> None:
    if i % 3 == 0:
        await pn.fetch_space(space_id="room")
    elif i % 3 == 1:
        await pn.create_space(space_id=f"room-{i % 7}", name="Room")
    else:
        async for _ in pn.fetch_spaces().limit(5):
            pass


async def _cancel(call: object, mode: Mode, delay: float) -> None:
    """Run ``call`` (a coroutine) and cancel it after ``delay`` seconds with ``mode``'s tool."""
    import collections.abc

    assert isinstance(call, collections.abc.Coroutine)
    try:
        if mode == "timeout":
            async with asyncio.timeout(delay):
                await call
        elif mode == "wait_for":
            await asyncio.wait_for(call, delay)
        elif mode == "task_cancel":
            task = asyncio.ensure_future(call)
            await asyncio.sleep(delay)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        elif mode == "taskgroup":
            try:
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(call)
                    tg.create_task(_fail_after(delay))
            except* _Boom:
                pass
        elif mode == "twice":  # two cancellations in a row: the second lands in the cleanup
            task = asyncio.ensure_future(call)
            await asyncio.sleep(delay)
            task.cancel()
            await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        else:
            with anyio.move_on_after(delay):
                await call
    except TimeoutError:
        pass


class _Boom(Exception):
    """A sibling task's failure that makes a TaskGroup cancel the call."""


async def _fail_after(delay: float) -> None:
    await asyncio.sleep(delay)
    raise _Boom
