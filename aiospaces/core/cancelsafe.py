"""Keep httpcore's connection pool consistent however a call is cancelled.

httpcore protects its bookkeeping with anyio's shielded cancel scopes: closing a response
first awaits the connection's cleanup inside ``CancelScope(shield=True)``, then removes the
request from the pool. An anyio scope shields against anyio's own cancellation, but not
against asyncio's native ``Task.cancel()`` — which is what ``asyncio.timeout``,
``asyncio.wait_for`` and ``TaskGroup`` use. A native cancel that lands inside the shielded
await skips the removal, and the pool slot stays checked out for good
(encode/httpcore#1093): with ``max_connections=5``, a few hundred random cancellations leave
a Session that only times out.

[CancelSafeTransport][aiospaces.core.cancelsafe.CancelSafeTransport] wraps httpx's default
transport so that every step that touches the pool — sending a request, reading a chunk of
the body, closing the response — runs in a helper task that is never cancelled natively.
When the caller is cancelled, the helper is cancelled through an anyio cancel scope instead,
which waits for httpcore's shielded cleanup to finish; the caller then gets its
``CancelledError`` as usual. A response that arrives just as the caller is cancelled is
closed, not leaked. Under trio the wrapper passes calls straight through: trio's
cancellation is the one httpcore's shields were written for.

The cost is one small task per step (a few microseconds each); the aiohttp backend manages
its pool differently and does not need the wrapper.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TypeVar

import anyio
import httpx
import sniffio

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

__all__ = ["READ_AHEAD", "CancelSafeTransport", "read_with_head", "run_shielded"]

T = TypeVar("T")

_END = object()

READ_AHEAD = 64 * 1024
"""Bodies up to this size (by ``Content-Length``) are read with the response's head."""


def read_with_head(content_length: str) -> bool:
    """Whether a body of this ``Content-Length`` header value is read with its head.

    Only a plain decimal of at most [READ_AHEAD][aiospaces.core.cancelsafe.READ_AHEAD]
    (most API answers); no value (``""``), or anything else, is streamed.
    """
    return (
        content_length.isascii() and content_length.isdigit() and int(content_length) <= READ_AHEAD
    )


async def run_shielded(
    step: Callable[[], Awaitable[T]], *, undo: Callable[[T], Awaitable[object]] | None = None
) -> T:
    """Run ``step()`` so that cancelling the caller cancels it only through anyio's scopes.

    On asyncio, ``step`` runs in its own task inside an anyio cancel scope. If the caller is
    cancelled (natively or by anyio), the scope is cancelled, the task is awaited to its end
    (shielded cleanups included) and the caller's ``CancelledError`` is re-raised; if the
    step had already produced a result, ``undo(result)`` runs first (closing a response
    nobody will read). Other async libraries run ``step()`` directly.
    """
    if sniffio.current_async_library() != "asyncio":
        return await step()
    scope = anyio.CancelScope()

    async def guarded() -> T:
        with scope:
            return await step()
        raise asyncio.CancelledError  # the scope was cancelled for the caller and ended it

    task = asyncio.get_running_loop().create_task(guarded())
    try:
        await asyncio.wait((task,))
    except asyncio.CancelledError:
        scope.cancel()
        await _wait_out(task)
        if undo is not None and not task.cancelled() and task.exception() is None:
            await _wait_out(asyncio.get_running_loop().create_task(_call(undo, task.result())))
        elif not task.cancelled():  # pragma: no mutate - _wait_out retrieved it already
            task.exception()  # retrieved: the caller's cancellation wins
        raise
    return task.result()


async def _call(undo: Callable[[T], Awaitable[object]], value: T) -> None:
    await undo(value)


async def _wait_out(task: asyncio.Task[T]) -> None:
    """Wait until ``task`` is done, whatever cancellations reach the caller meanwhile."""
    while not task.done():
        try:
            await asyncio.wait((task,))
        except asyncio.CancelledError:
            continue  # the caller re-raises its own cancellation once the task is done
    if not task.cancelled():
        task.exception()  # mark as retrieved; the caller decides what to do with it


class _GuardedStream(httpx.AsyncByteStream):
    """A response body whose every read and close runs under [run_shielded][aiospaces.core.cancelsafe.run_shielded]."""  # noqa: E501

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        iterator = self._inner.__aiter__()

        async def step() -> object:
            return await anext(iterator, _END)

        while True:
            chunk = await run_shielded(step)
            if chunk is _END:
                return
            assert isinstance(chunk, bytes)  # noqa: S101 - httpx streams yield bytes
            yield chunk

    async def aclose(self) -> None:
        await run_shielded(self._inner.aclose)


class CancelSafeTransport(httpx.AsyncBaseTransport):
    """Wrap an httpcore-backed transport so that no cancellation can leak a pool slot.

    Args:
        inner: The transport doing the work (``httpx.AsyncHTTPTransport``).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the inner transport; the response's body reads are guarded too.

        A body of at most ``READ_AHEAD`` bytes by its ``Content-Length`` is read, and the
        response closed, in the same guarded step (most answers: one helper task per request);
        a longer or unsized body is streamed with each read guarded.
        """
        response = await run_shielded(lambda: self._send(request), undo=_close_unread)
        if not isinstance(response.stream, httpx.ByteStream):
            assert isinstance(response.stream, httpx.AsyncByteStream)  # noqa: S101 - async
            response.stream = _GuardedStream(response.stream)
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not read_with_head(response.headers.get("content-length", "")):
            return response
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)  # noqa: S101 - async transport
        try:
            body = b"".join([chunk async for chunk in stream])
        finally:
            await stream.aclose()  # the connection goes back to the pool now
        response.stream = httpx.ByteStream(body)
        return response

    async def aclose(self) -> None:
        """Close the inner transport (its pool)."""
        await self.inner.aclose()


async def _close_unread(response: httpx.Response) -> None:
    if not isinstance(response.stream, httpx.ByteStream):  # a read-ahead body is closed
        await response.aclose()
