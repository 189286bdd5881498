"""The aiohttp backend's send: headers as given, small answers read with their head, timeouts.

A raw asyncio server on loopback records each request's head and body and answers by path:
``/small`` (10 bytes), ``/long`` (one byte more than is read ahead), ``/cut`` (announces 100
bytes, sends 10 and hangs up).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest

import aiospaces
from aiospaces.core.aiohttp_send import LeanAiohttpTransport, _client_timeout
from aiospaces.core.cancelsafe import READ_AHEAD
from aiospaces.core.transport import PoolStats


class Server:
    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.heads.append(head)
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.lower().split(b"\r\n")
                        if line.startswith(b"content-length:")
                    ),
                    0,
                )
                self.bodies.append(await reader.readexactly(length))
                path = head.split(b" ", 2)[1]
                if path.startswith(b"/cut"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
                    await writer.drain()
                    break
                body = b"y" * (READ_AHEAD + 1 if path.startswith(b"/long") else 10)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    found = Server()
    listening = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    found.url = f"http://127.0.0.1:{port}"
    async with listening:
        yield found


@pytest.fixture
async def session() -> AsyncIterator[aiospaces.Session]:
    async with aiospaces.Session(backend="aiohttp") as made:
        yield made


def in_flight(session: aiospaces.Session) -> int:
    stats = session.pool_stats()
    assert isinstance(stats, PoolStats)
    return stats.in_flight


async def test_headers_reach_the_server_as_given_repeated_ones_too(
    server: Server, session: aiospaces.Session
) -> None:
    headers = [("X-Many", "1"), ("X-Many", "2"), ("X-Case", "Value")]
    response = await session.http_client.get(f"{server.url}/small", headers=headers)
    assert response.content == b"y" * 10
    lines = server.heads[0].split(b"\r\n")
    assert [line for line in lines if line.lower().startswith(b"x-")] == [
        b"X-Many: 1",
        b"X-Many: 2",
        b"X-Case: Value",
    ]


@pytest.mark.parametrize(
    "content", [b"abc", b"", [b"ab", b"cd"]], ids=["bytes", "empty", "streamed"]
)
async def test_bodies_reach_the_server(
    server: Server, session: aiospaces.Session, content: bytes | list[bytes]
) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        for piece in content:
            assert isinstance(piece, bytes)
            yield piece

    if isinstance(content, bytes):
        await session.http_client.post(f"{server.url}/small", content=content)
    else:
        size = str(sum(map(len, content)))
        await session.http_client.post(
            f"{server.url}/small", content=pieces(), headers={"Content-Length": size}
        )
    assert server.bodies == [b"abc" if content == b"abc" else b"" if content == b"" else b"abcd"]


async def test_a_small_answer_is_read_with_its_head_and_frees_its_connection(
    server: Server, session: aiospaces.Session
) -> None:
    request = session.http_client.build_request("GET", f"{server.url}/small")
    response = await session.transport.send(request)
    assert in_flight(session) == 0  # given back before anyone reads the body
    assert await response.aread() == b"y" * 10
    await response.aclose()


@pytest.mark.parametrize(("path", "read_ahead"), [("/small", True), ("/long", False)])
async def test_only_a_small_answer_is_read_with_its_head(
    server: Server, path: str, read_ahead: bool
) -> None:
    transport = LeanAiohttpTransport()
    try:
        request = httpx.Request("GET", f"{server.url}{path}")
        response = await transport.handle_async_request(request)
        assert isinstance(response.stream, httpx.ByteStream) is read_ahead
        body = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
        assert body == b"y" * (10 if read_ahead else READ_AHEAD + 1)
        await response.aclose()
    finally:
        await transport.aclose()


async def test_a_small_answer_cut_short_is_a_read_error_and_frees_its_connection(
    server: Server, session: aiospaces.Session
) -> None:
    request = session.http_client.build_request("GET", f"{server.url}/cut")
    with pytest.raises(httpx.ReadError, match=r"^ClientPayloadError: "):
        await session.transport.send(request)
    assert in_flight(session) == 0
    stats = session.pool_stats()
    assert stats is not None
    assert stats.connections == 0  # a connection cut mid-body is not kept


def test_timeouts_map_to_aiohttps_parts_and_are_made_once() -> None:
    made = _client_timeout(1.0, 2.0, 3.0)
    assert made == aiohttp.ClientTimeout(sock_connect=1.0, sock_read=2.0, connect=3.0)
    assert _client_timeout(1.0, 2.0, 3.0) is made
    assert _client_timeout(None, None, None).total is None
