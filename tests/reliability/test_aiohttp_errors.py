"""On the aiohttp backend, failures are aiospaces errors with the meaning httpx's would have.

A raw socket server misbehaves on purpose: it answers garbage, or hangs up once it has read
the request. The URL carries PubNub's ``auth`` and ``signature``: neither may show up in the
error, its chain or its traceback.
"""

from __future__ import annotations

import asyncio
import socket
import traceback
from collections.abc import AsyncIterator, Callable

import pytest

import aiospaces

pytest.importorskip("httpx_aiohttp")

SECRET = "sec-auth-0123456789"


async def _serve(answer: Callable[[bytes], bytes | None]) -> AsyncIterator[str]:
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        seen.append(request)
        reply = answer(request)
        if reply is not None:
            writer.write(reply)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"127.0.0.1:{port}"


@pytest.fixture
async def garbage() -> AsyncIterator[str]:
    async for origin in _serve(lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"):
        yield origin


@pytest.fixture
async def hangs_up() -> AsyncIterator[str]:
    async for origin in _serve(lambda _: None):
        yield origin


def _pubnub(session: aiospaces.Session, origin: str) -> aiospaces.PubNub:
    return session.pubnub(
        subscribe_key="sub-c",
        publish_key="pub-c",
        user_id="me",
        auth_key=SECRET,
        origin=origin,
        ssl=False,
        max_retries=1,
    )


def _no_secret(error: BaseException) -> None:
    text = "".join(traceback.format_exception(error))
    assert SECRET not in text
    assert "aiohttp.client_exceptions" not in text  # the raw aiohttp error is not chained


async def test_a_malformed_answer_is_a_transport_error_and_retried(
    garbage: str, retry_waits: list[float]
) -> None:
    async with aiospaces.Session(backend="aiohttp") as session:
        with pytest.raises(aiospaces.TransportError) as caught:
            await _pubnub(session, garbage).fetch_space(space_id="room")
    error = caught.value
    assert "ClientResponseError" in str(error)
    assert "after 2 attempts" in str(error)
    assert error.attempts == 2
    assert len(retry_waits) == 1
    _no_secret(error)


async def test_a_hang_up_is_retried_for_a_read(hangs_up: str, retry_waits: list[float]) -> None:
    async with aiospaces.Session(backend="aiohttp") as session:
        with pytest.raises(aiospaces.TransportError) as caught:
            await _pubnub(session, hangs_up).fetch_space(space_id="room")
    assert caught.value.attempts == 2
    assert "ServerDisconnectedError" in str(caught.value)
    _no_secret(caught.value)


async def test_a_hang_up_after_a_publish_is_ambiguous(
    hangs_up: str, retry_waits: list[float]
) -> None:
    async with aiospaces.Session(backend="aiohttp") as session:
        publish = _pubnub(session, hangs_up).publish_file_message(
            channel="ch", file_id="f1", file_name="a.txt"
        )
        with pytest.raises(aiospaces.AmbiguousResultError) as caught:
            await publish
    assert caught.value.attempts == 1
    assert retry_waits == []
    _no_secret(caught.value)


async def test_a_refused_connection_is_retried_even_for_a_publish(
    retry_waits: list[float],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    async with aiospaces.Session(backend="aiohttp") as session:
        publish = _pubnub(session, f"127.0.0.1:{port}").publish_file_message(
            channel="ch", file_id="f1", file_name="a.txt"
        )
        with pytest.raises(aiospaces.TransportError) as caught:
            await publish
    assert not isinstance(caught.value, aiospaces.AmbiguousResultError)
    assert caught.value.attempts == 2  # nothing was sent: safe to send again
    assert "ClientConnectorError" in str(caught.value)
    _no_secret(caught.value)
