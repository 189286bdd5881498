"""Give aiohttp's failures the httpx meaning the request path relies on, without leaking URLs.

``httpx-aiohttp`` maps a few aiohttp exceptions to httpx ones, but coarsely — a server that
disconnects becomes ``httpx.ConnectTimeout``, as if nothing had been sent — and lets others
through raw: a malformed response raises ``aiohttp.ClientResponseError``, whose message holds
the full URL (PubNub's ``auth`` and ``signature``, NeuroIO token keys). Whether a failed
request may have been processed decides whether it can be retried (see
[BaseClient.request][aiospaces.core.client.BaseClient.request]), so
[AiohttpErrorsTransport][aiospaces.core.aiohttp_errors.AiohttpErrorsTransport] re-maps every
aiohttp failure by what it means:

| aiohttp | httpx | sent? |
|---|---|---|
| ``ClientConnectorError`` (refused, DNS, TLS) | ``ConnectError`` | no |
| ``ConnectionTimeoutError`` | ``ConnectTimeout`` | no |
| ``SocketTimeoutError``, other ``ServerTimeoutError`` | ``ReadTimeout`` | maybe |
| ``ServerDisconnectedError``, ``ClientResponseError`` | ``RemoteProtocolError`` | maybe |
| ``ClientPayloadError``, ``ClientOSError``, others | ``ReadError`` | maybe |

Messages keep aiohttp's class name and text with every URL in them redacted; the aiohttp
exception is not chained, so no traceback prints it.

A small body (at most [READ_AHEAD][aiospaces.core.cancelsafe.READ_AHEAD] bytes by its
``Content-Length``, most API answers) is read with the response's head, as on the httpx
backend: its connection goes back to the pool at once, and reading the body later costs no
trip through aiohttp's stream.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import aiohttp
import httpx

from aiospaces.core.cancelsafe import read_with_head
from aiospaces.core.transport import redact_url

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["AiohttpErrorsTransport", "map_aiohttp_error"]

_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")

_BY_MEANING: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientError, httpx.ReadError),
)


def _redacted(text: str) -> str:
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def map_aiohttp_error(exc: BaseException) -> BaseException:
    """Return the httpx exception for an aiohttp failure (or ``exc`` when it is not one)."""
    cause = exc if isinstance(exc, aiohttp.ClientError) else exc.__cause__
    if not isinstance(cause, aiohttp.ClientError):
        return exc
    mapped = next(target for source, target in _BY_MEANING if isinstance(cause, source))
    if isinstance(cause, aiohttp.ClientResponseError):
        detail = f"{cause.status}, {cause.message}"  # str(cause) would carry the URL
    else:
        detail = str(cause)
    return mapped(f"{type(cause).__name__}: {_redacted(detail)}")


class _MappedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as exc:
            mapped = map_aiohttp_error(exc)
            if mapped is exc:
                raise
            raise mapped from None

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except Exception as exc:
            mapped = map_aiohttp_error(exc)
            if mapped is exc:
                raise
            raise mapped from None


async def _read_all(stream: httpx.AsyncByteStream) -> bytes:
    """Return the whole body and close ``stream`` (its connection back to the pool), mapped."""
    try:
        try:
            return b"".join([chunk async for chunk in stream])
        finally:
            await stream.aclose()
    except Exception as exc:
        mapped = map_aiohttp_error(exc)
        if mapped is exc:
            raise
        raise mapped from None


class AiohttpErrorsTransport(httpx.AsyncBaseTransport):
    """Wrap ``httpx_aiohttp.AiohttpTransport`` so its failures mean what httpx's would.

    Args:
        inner: The aiohttp-backed transport.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through aiohttp; map its failures (here and while the body is read).

        A body of at most ``READ_AHEAD`` bytes by its ``Content-Length`` is read here, and
        its connection given back; a longer or unsized one is streamed.
        """
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as exc:
            mapped = map_aiohttp_error(exc)
            if mapped is exc:
                raise
            raise mapped from None
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)  # noqa: S101 - async transport
        if isinstance(stream, httpx.ByteStream):  # read with its head already
            return response
        if read_with_head(response.headers.get("content-length", "")):
            response.stream = httpx.ByteStream(await _read_all(stream))
        else:
            response.stream = _MappedStream(stream)
        return response

    async def aclose(self) -> None:
        """Close aiohttp's session (its pool)."""
        await self.inner.aclose()
