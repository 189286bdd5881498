"""Failures and cancellations must leave nothing checked out of the real connection pool."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

import aiospaces
from aiospaces.core.transport import PoolStats
from tests.core.toy import ToyClient

pytestmark = [
    pytest.mark.parametrize("backend", ["httpx", "aiohttp"]),
    pytest.mark.usefixtures("retry_waits"),
]


@pytest.fixture
async def toy(loopback_url: str, backend: str) -> AsyncIterator[ToyClient]:
    async with aiospaces.Session(backend=backend) as session:  # type: ignore[arg-type]
        yield ToyClient(session, base_url=loopback_url)


def in_flight(toy: ToyClient) -> int:
    stats = toy.session.pool_stats()
    assert isinstance(stats, PoolStats)
    return stats.in_flight


async def test_success_returns_the_connection(toy: ToyClient) -> None:
    thing = await toy.get_thing(thing_id="a")
    assert thing.id == "a"
    stats = toy.session.pool_stats()
    assert stats == PoolStats(connections=1, in_flight=0)


async def test_retried_server_errors_dont_leak(toy: ToyClient) -> None:
    for status in (500, 503, 404, 412):
        with pytest.raises(aiospaces.APIError) as caught:
            await toy.call(path=f"/status/{status}")
        assert caught.value.status_code == status
        assert caught.value.request_id == "req-err"
        assert in_flight(toy) == 0
    # the pool is still usable and reuses its connection
    assert (await toy.get_thing(thing_id="b")).id == "b"
    assert toy.session.pool_stats() == PoolStats(connections=1, in_flight=0)


async def test_cancelled_call_doesnt_leak(toy: ToyClient) -> None:
    with anyio.move_on_after(0.3) as scope:
        await toy.call(path="/slow", query=[("seconds", "3")])
    assert scope.cancelled_caught
    assert in_flight(toy) == 0
    assert (await toy.get_thing(thing_id="c")).id == "c"
    assert in_flight(toy) == 0


async def test_cancelled_streaming_download_doesnt_leak(toy: ToyClient) -> None:
    assert await toy.download() == b"x" * 4000
    with anyio.move_on_after(0.1) as scope:  # the server pauses 50 ms between chunks
        await toy.download()
    assert scope.cancelled_caught
    assert in_flight(toy) == 0


async def test_timed_out_call_doesnt_leak(toy: ToyClient) -> None:
    with pytest.raises(aiospaces.TimeoutError):
        await toy.call(path="/slow", query=[("seconds", "2")]).timeout(0.2).max_retries(1)
    assert in_flight(toy) == 0


async def test_connection_refused_doesnt_leak(backend: str) -> None:
    with anyio.fail_after(10):
        async with aiospaces.Session(backend=backend) as session:  # type: ignore[arg-type]
            toy = ToyClient(session, base_url="http://127.0.0.1:9")  # discard port: nothing listens
            with pytest.raises(aiospaces.TransportError) as caught:
                await toy.get_thing(thing_id="a").max_retries(1)
            assert not isinstance(caught.value, aiospaces.TimeoutError)
            stats = session.pool_stats()
            assert stats is not None
            assert stats.in_flight == 0


async def test_streamed_upload_over_a_real_socket(toy: ToyClient) -> None:
    envelope = await toy.upload(chunks=[b"a" * 70_000, b"b" * 5]).future()
    assert envelope.result == 70_005
    assert in_flight(toy) == 0
