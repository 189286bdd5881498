"""aiohttp failures mapped to what httpx would raise, their URLs redacted, bodies included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest

from aiospaces.core.aiohttp_errors import AiohttpErrorsTransport, map_aiohttp_error


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
