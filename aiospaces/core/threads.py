"""Where blocking work (file I/O, bulk AES) runs: a few worker threads, shared per event loop.

[run_blocking][aiospaces.core.threads.run_blocking] is ``anyio.to_thread.run_sync`` with a
capacity limiter of its own (``min(4, cpu count)`` threads per event loop) instead of anyio's
default of 40. Many concurrent uploads then share a handful of threads: AES and disk reads
cannot use more cores than there are, while every extra thread costs a malloc arena and a
buffer in flight (with 40 threads, 32 concurrent 5 MiB encrypted uploads peaked at 32 MiB of
RSS; with 2, at 14 MiB, and ran faster).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TypeVar, TypeVarTuple, Unpack

import anyio
import anyio.lowlevel
import anyio.to_thread

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["BLOCKING_THREADS", "run_blocking", "run_waiting"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

BLOCKING_THREADS = min(4, os.cpu_count() or 1)
"""Worker threads available to aiospaces' blocking work, per event loop."""

_limiter: anyio.lowlevel.RunVar[anyio.CapacityLimiter] = anyio.lowlevel.RunVar(
    "aiospaces_blocking_limiter"
)


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
