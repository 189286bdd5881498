"""aiohttp failures mapped to what httpx would raise, their URLs redacted, bodies included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest

from aiospaces.core.aiohttp_errors import AiohttpErrorsTransport, map_aiohttp_error
from aiospaces.core.cancelsafe import READ_AHEAD


def test_a_raw_aiohttp_error_is_mapped_with_its_class_and_text() -> None:
    mapped = map_aiohttp_error(aiohttp.ServerDisconnectedError("gone"))
    assert type(mapped) is httpx.RemoteProtocolError
    assert str(mapped) == "ServerDisconnectedError: gone"


def test_urls_in_the_text_are_redacted() -> None:
    error = aiohttp.ClientOSError("cannot reach https://h/v2/x?auth=s3cret&q=1 now")
    mapped = map_aiohttp_error(error)
    assert type(mapped) is httpx.ReadError
    assert str(mapped) == "ClientOSError: cannot reach https://h/v2/x?auth=***&q=1 now"


def test_other_errors_pass_unchanged() -> None:
    error = ValueError("mine")
    assert map_aiohttp_error(error) is error


class Broken(httpx.AsyncByteStream):
    """A body whose reading and closing fail as aiohttp's do (or with another error)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"start"
        raise self.error

    async def aclose(self) -> None:
        raise self.error


class Inner(httpx.AsyncBaseTransport):
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Broken(self.error))


@pytest.mark.parametrize(
    ("error", "expected"),
    [(aiohttp.ClientPayloadError("cut"), httpx.ReadError), (KeyError("mine"), KeyError)],
)
async def test_a_body_that_breaks_is_mapped_too(
    error: Exception, expected: type[Exception]
) -> None:
    transport = AiohttpErrorsTransport(Inner(error))
    response = await transport.handle_async_request(httpx.Request("GET", "https://h/x"))
    stream = response.stream
    assert isinstance(stream, httpx.AsyncByteStream)
    with pytest.raises(expected):
        async for _ in stream:
            pass
    with pytest.raises(expected):
        await stream.aclose()


class Sized(httpx.AsyncByteStream):
    """A body in two chunks that records whether it was closed (its connection given back)."""

    def __init__(self, size: int, error: Exception | None = None) -> None:
        self.chunks = [b"a" * (size // 2), b"b" * (size - size // 2)]
        self.error = error
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
            if self.error is not None:
                raise self.error

    async def aclose(self) -> None:
        self.closed = True


class Answering(httpx.AsyncBaseTransport):
    def __init__(self, stream: Sized, length: str) -> None:
        self.stream = stream
        self.length = length

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": self.length}, stream=self.stream)


@pytest.mark.parametrize(
    ("size", "length", "read_ahead"),
    [(READ_AHEAD, str(READ_AHEAD), True), (10, "10", True), (READ_AHEAD + 1, None, False)],
)
async def test_small_bodies_are_read_with_the_head(
    size: int, length: str | None, read_ahead: bool
) -> None:
    inner = Sized(size)
    transport = AiohttpErrorsTransport(Answering(inner, length or str(size)))
    response = await transport.handle_async_request(httpx.Request("GET", "https://h/x"))
    assert isinstance(response.stream, httpx.ByteStream) is read_ahead
    assert inner.closed is read_ahead  # a body read ahead gives its connection back at once
    body = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
    assert body == b"a" * (size // 2) + b"b" * (size - size // 2)


@pytest.mark.parametrize("length", ["", "-1", "1e3", "0x10"])
async def test_a_length_that_is_no_number_is_streamed(length: str) -> None:
    inner = Sized(4)
    transport = AiohttpErrorsTransport(Answering(inner, length))
    response = await transport.handle_async_request(httpx.Request("GET", "https://h/x"))
    assert not isinstance(response.stream, httpx.ByteStream)
    assert not inner.closed


@pytest.mark.parametrize(
    ("error", "expected"),
    [(aiohttp.ClientPayloadError("cut"), httpx.ReadError), (KeyError("mine"), KeyError)],
)
async def test_a_body_read_ahead_that_breaks_is_mapped_and_closed(
    error: Exception, expected: type[Exception]
) -> None:
    inner = Sized(10, error)
    transport = AiohttpErrorsTransport(Answering(inner, "10"))
    with pytest.raises(expected) as raised:
        await transport.handle_async_request(httpx.Request("GET", "https://h/x"))
    assert inner.closed
    if expected is httpx.ReadError:
        assert str(raised.value) == "ClientPayloadError: cut"
        assert raised.value.__cause__ is None
