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
import collections
import os
import threading
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar, TypeVarTuple, Unpack

import anyio
import anyio.lowlevel
import anyio.to_thread
import sniffio

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

__all__ = [
    "AHEAD_PIECES",
    "BLOCKING_THREADS",
    "DEPTH",
    "RUN_PIECES",
    "read_ahead",
    "run_blocking",
    "run_waiting",
]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

BLOCKING_THREADS = min(4, os.cpu_count() or 1)
"""Worker threads available to aiospaces' blocking work, per event loop."""

AHEAD_PIECES = 4 * BLOCKING_THREADS
"""Pieces [read_ahead][aiospaces.core.threads.read_ahead] may prepare ahead, per event loop.
With only one per thread, 32 concurrent uploads rarely had a slot free, so nearly every
piece cost its own thread hop; four per thread cut the hops by a third, for at most a few
more 128 KiB pieces in memory."""

DEPTH = 2
"""Pieces one [read_ahead][aiospaces.core.threads.read_ahead] may have ready or under way
beyond the one its consumer is using (each takes one of the loop's ``AHEAD_PIECES``)."""

RUN_PIECES = 16
"""Pieces one [read_ahead][aiospaces.core.threads.read_ahead] thread call may prepare in a row
(while its consumer keeps taking them) before it lets other work have the thread."""

_limiter: anyio.lowlevel.RunVar[anyio.CapacityLimiter] = anyio.lowlevel.RunVar(
    "aiospaces_blocking_limiter"
)
_ahead: anyio.lowlevel.RunVar[list[int]] = anyio.lowlevel.RunVar("aiospaces_ahead_slots")
_lock = threading.Lock()  # read_ahead's state and slots, changed from the loop and threads


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
    may keep state (a file position, an encryptor). On asyncio, the next piece is prepared
    while the consumer uses the current one, if fewer than
    [AHEAD_PIECES][aiospaces.core.threads.AHEAD_PIECES] pieces are being prepared ahead in
    this event loop (otherwise the next piece is prepared when asked for, as on other async
    libraries); never more than [DEPTH][aiospaces.core.threads.DEPTH] pieces ahead of the
    consumer, each taking one of those slots. A piece finished while the
    consumer waits for it is handed over and the same thread call goes on with the next one
    (up to [RUN_PIECES][aiospaces.core.threads.RUN_PIECES] in a row), so the thread does not
    wait for the event loop between pieces. ``ended()``, asked after each piece in the thread
    that ran ``step``, may tell that ``step`` has no more to give (a file read to its end),
    which spares the call that would return None: a small file is then one thread call. When
    the consumer stops early (an error, a cancellation, ``aclose``), the piece under way is
    waited for before this generator ends, so no thread still uses ``step``'s file or state
    afterwards; its result is dropped. ``step`` must not wait on anyone else (a pipe's
    writer): that wait could not be cut short.
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
    ahead = _Ahead(step, run, ended, slots)
    try:
        while (piece := await ahead.get()) is not None:
            yield piece
            del piece
    finally:
        await ahead.close()


_Result: TypeAlias = tuple[T | None, BaseException | None]


class _Ahead(Generic[T]):
    """The state [read_ahead][aiospaces.core.threads.read_ahead] shares with its thread jobs.

    A job (one ``run`` call) prepares pieces one after the other while it may: while the
    consumer waits for the piece (the piece is then handed over directly), or, up to
    ``DEPTH`` pieces ahead of the consumer, while a slot of the event loop's
    ``AHEAD_PIECES`` is free for each. It ends when ``DEPTH`` pieces wait for the consumer,
    after ``RUN_PIECES`` pieces (so that other uploads get the thread too), at the end of
    ``step`` or when the consumer stops; the consumer starts the next job when it takes a
    piece. All fields change under ``_lock`` (from the loop and from the job's thread).
    """

    def __init__(
        self,
        step: Callable[[], T | None],
        run: Callable[[Callable[[], T | None]], Awaitable[T | None]],
        ended: Callable[[], bool],
        slots: list[int],
    ) -> None:
        self._step = step
        self._run = run
        self._ended = ended
        self._slots = slots
        self._loop = asyncio.get_running_loop()
        self._jobs: set[asyncio.Task[T | None]] = set()
        # finished pieces the consumer did not take yet, each with whether it holds a slot
        self._ready: collections.deque[tuple[_Result[T], bool]] = collections.deque()
        self._waiter: asyncio.Future[_Result[T]] | None = None  # the consumer waits on it
        self._outstanding = 0  # pieces ready or being prepared
        self._running = False  # a job is (about to be) running
        self._rearm = False  # start a job once the last one's task is done
        self._done = False  # step gave its last piece (or failed)
        self._stopping = False

    async def get(self) -> T | None:
        """Return the next piece (None at the end), waiting for it if it is not ready."""
        with _lock:
            if self._ready:
                result, held = self._ready.popleft()
                self._outstanding -= 1
                self._slots[0] += held  # no longer ahead: its slot is free again
                waiter = None
            elif self._done:
                return None
            else:
                waiter = self._waiter = self._loop.create_future()
        if waiter is not None:
            self._arm()
            result = await waiter
        self._arm()  # the next piece is prepared while this one is used
        piece, error = result
        if error is not None:
            raise error
        return piece

    def _arm(self) -> None:
        """Start a job unless one runs, the pieces ended or the consumer stopped.

        While the last job's task is not done, its thread may not be back in anyio's idle
        pool yet: starting now could make anyio spawn another thread (a stack and a malloc
        arena more, ~1 MiB of RSS). The job is then started once that task is done.
        """
        if self._jobs:
            with _lock:  # a job still running serves the consumer itself
                self._rearm = not (self._running or self._done or self._stopping)
            return
        with _lock:
            if self._running or self._done or self._stopping:
                return
            self._running = True
        task = self._loop.create_task(_call(self._run, self._job))
        self._jobs.add(task)
        task.add_done_callback(self._job_done)

    def _job(self) -> None:
        """Prepare pieces in this thread while allowed (see the class)."""
        for count in range(RUN_PIECES + 1):
            held = self._begin(count < RUN_PIECES)
            if held is None:
                return
            result: _Result[T]
            try:
                piece = self._step()
                result = (piece, None)
                last = piece is None or self._ended()
            except BaseException as exc:  # handed to the consumer, raised there
                result, last = (None, exc), True
            with _lock:
                self._done = self._done or last
                waiter, self._waiter = self._waiter, None
                if waiter is None:  # the consumer is busy: it takes the piece when it asks
                    self._ready.append((result, held))
                    continue
                self._outstanding -= 1
                self._slots[0] += held
            self._loop.call_soon_threadsafe(_hand_over, waiter, result)

    def _begin(self, allowed: bool) -> bool | None:
        """Claim the next piece (True: with a slot); None ends the job."""
        with _lock:
            waiting = self._waiter is not None
            go = allowed and self._outstanding < DEPTH and not (self._stopping or self._done)
            held = go and not waiting  # ahead of the consumer: it needs a free slot
            if held:
                go = self._slots[0] > 0
                self._slots[0] -= go
            if go:
                self._outstanding += 1
                return held
            self._running = False
            # ended by RUN_PIECES while the consumer waits: a new job (queued behind other work)
            again = waiting and not (self._stopping or self._done)
        if again:
            self._loop.call_soon_threadsafe(self._arm)
        return None

    def _job_done(self, task: asyncio.Task[T | None]) -> None:
        """Forget a finished job; if it failed to run at all, fail the consumer's wait."""
        self._jobs.discard(task)
        error = asyncio.CancelledError() if task.cancelled() else task.exception()
        if error is None:
            if self._rearm:
                self._rearm = False
                self._arm()
            return
        with _lock:
            self._running = False
            self._done = True
            waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    async def close(self) -> None:
        """Stop after the piece under way; wait until no job runs; give the slot back."""
        with _lock:
            self._stopping = True
            self._waiter = None
        while self._jobs:
            job = next(iter(self._jobs))
            await _wait_out(job)
            self._jobs.discard(job)
            if not job.cancelled():
                job.exception()  # retrieved: the consumer's own error or exit wins
        with _lock:
            while self._ready:
                self._slots[0] += self._ready.popleft()[1]


def _hand_over(waiter: asyncio.Future[_Result[T]], result: _Result[T]) -> None:
    if not waiter.done():  # the consumer may have been cancelled meanwhile
        waiter.set_result(result)


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
