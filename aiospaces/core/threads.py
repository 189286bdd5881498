"""Where blocking work (file I/O, bulk AES) runs: a few worker threads, shared per event loop.

[run_blocking][aiospaces.core.threads.run_blocking] is ``anyio.to_thread.run_sync`` with a
capacity limiter of its own (``min(4, cpu count)`` threads per event loop) instead of anyio's
default of 40. Many concurrent uploads then share a handful of threads: AES and disk reads
cannot use more cores than there are, while every extra thread costs a malloc arena and a
buffer in flight (with 40 threads, 32 concurrent 5 MiB encrypted uploads peaked at 32 MiB of
RSS; with 2, at 14 MiB, and ran faster).

[read_ahead][aiospaces.core.threads.read_ahead] pipelines such work: while the consumer sends
one piece, the next is read and encrypted in a worker thread, so an encrypted upload runs at
about the slower of AES and the network instead of their sum. At most
[AHEAD_PIECES][aiospaces.core.threads.AHEAD_PIECES] pieces are prepared ahead per event loop,
whatever the number of concurrent uploads, so memory stays flat.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, TypeVar, TypeVarTuple, Unpack

import anyio
import anyio.lowlevel
import anyio.to_thread
import sniffio

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

__all__ = ["AHEAD_PIECES", "BLOCKING_THREADS", "read_ahead", "run_blocking", "run_waiting"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

BLOCKING_THREADS = min(4, os.cpu_count() or 1)
"""Worker threads available to aiospaces' blocking work, per event loop."""

AHEAD_PIECES = BLOCKING_THREADS
"""Pieces [read_ahead][aiospaces.core.threads.read_ahead] may prepare ahead, per event loop."""

_limiter: anyio.lowlevel.RunVar[anyio.CapacityLimiter] = anyio.lowlevel.RunVar(
    "aiospaces_blocking_limiter"
)
_ahead: anyio.lowlevel.RunVar[list[int]] = anyio.lowlevel.RunVar("aiospaces_ahead_slots")


async def run_blocking(func: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
    """Run ``func(*args)`` in one of the ``BLOCKING_THREADS`` worker threads; return its result."""
    try:
        limiter = _limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(BLOCKING_THREADS)
        _limiter.set(limiter)
    return await anyio.to_thread.run_sync(func, *args, limiter=limiter)


async def run_waiting(func: Callable[[*Ts], T], *args: *Ts) -> T:
    """Run ``func(*args)`` that may wait on someone else (a pipe, a socket) in a worker thread.

    Such reads can stall for as long as their producer does, so they do not take one of the
    few ``run_blocking`` threads (stalled pipes would starve every file operation); they use
    anyio's default pool, and a cancelled caller does not wait for the read to return.
    """
    return await anyio.to_thread.run_sync(func, *args, abandon_on_cancel=True)


async def read_ahead(
    step: Callable[[], T | None],
    *,
    run: Callable[[Callable[[], T | None]], Awaitable[T | None]] = run_blocking,
    ended: Callable[[], bool] = lambda: False,
) -> AsyncGenerator[T, None]:
    """Yield ``step()``'s results until it returns None, preparing the next while one is used.

    ``step`` runs through ``run`` (a worker thread), one call at a time and in order, so it
    may keep state (a file position, an encryptor). On asyncio, the call for the next piece
    starts as soon as the current one is yielded, so the thread reads and encrypts while the
    consumer sends; it does so only while fewer than
    [AHEAD_PIECES][aiospaces.core.threads.AHEAD_PIECES] pieces are being prepared ahead in
    this event loop (otherwise the next piece is prepared when asked for, as on other async
    libraries). ``ended()``, asked after each piece, may tell that ``step`` has no more to
    give (a file read to its end), which spares the call that would return None: a small
    file is then one thread call. When the consumer stops early (an error, a cancellation,
    ``aclose``), the piece under way is waited for before this generator ends, so no thread
    still uses ``step``'s file or state afterwards; its result is dropped. ``step`` must not
    wait on anyone else (a pipe's writer): that wait could not be cut short.
    """
    if sniffio.current_async_library() != "asyncio":
        while (piece := await run(step)) is not None:
            yield piece
            del piece
            if ended():
                return
        return
    try:
        slots = _ahead.get()
    except LookupError:
        slots = [AHEAD_PIECES]
        _ahead.set(slots)
    loop = asyncio.get_running_loop()
    pending: asyncio.Task[T | None] | None = None
    held = False  # whether ``pending`` holds one of the slots
    try:
        while True:
            if pending is None:
                piece = await run(step)
            else:
                await _wait_out(pending)
                piece = pending.result()
                pending = None
            if held:
                slots[0] += 1
                held = False
            if piece is None:
                return
            if ended():
                yield piece
                return
            if slots[0] > 0:  # prepare the next piece while this one is used
                slots[0] -= 1
                held = True
                pending = loop.create_task(_call(run, step))
            yield piece
            del piece
    finally:
        if pending is not None:
            # never cancelled: a native cancel would end the task while its thread still runs
            await _wait_out(pending)
            if not pending.cancelled():
                pending.exception()  # retrieved: the consumer's own error or exit wins
        if held:
            slots[0] += 1


async def _call(
    run: Callable[[Callable[[], T | None]], Awaitable[T | None]], step: Callable[[], T | None]
) -> T | None:
    return await run(step)


async def _wait_out(task: asyncio.Task[T | None]) -> None:
    """Wait until ``task`` is done; a cancellation meanwhile is re-raised once it is."""
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.wait((task,))
        except asyncio.CancelledError as exc:
            cancelled = exc
    if cancelled is not None:
        raise cancelled
