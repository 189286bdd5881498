"""A subscription's long-poll holds one pool slot, and gives it back however it ends.

Against a real server on a loopback port (real pools, real sockets), on both backends: a
subscription cancelled while its poll waits (by each of asyncio's and anyio's tools, at random
moments), closed from another task, or changed mid-poll leaves no connection checked out, and
the pool stays usable.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import parse_qs

import anyio
import httpx
import pytest

import aiospaces
from aiospaces.emulator.app import serve_asgi
from tests.conftest import Receive, Scope, Send
from tests.reliability.cancellation import MODES, Mode, _cancel

Backend = Literal["httpx", "aiohttp"]
BACKENDS: tuple[Backend, ...] = ("httpx", "aiohttp")


async def long_poll_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a handshake at once; hold any other poll for 30 s; publish at once."""
    assert scope["type"] == "http"
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    body: Any
    if scope["path"].startswith("/v2/subscribe/"):
        if query.get("tt") != "0":
            await asyncio.sleep(30)
        body = {"t": {"t": "17309129601106056", "r": 4}, "m": []}
    else:
        body = [1, "Sent", "17309129601106057"]
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/javascript")]})  # fmt: skip
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with serve_asgi(long_poll_app) as url:
        yield url


def session_for(backend: Backend, connections: int = 2) -> aiospaces.Session:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return aiospaces.Session(backend=backend, limits=limits)


def pubnub_at(session: aiospaces.Session, url: str) -> aiospaces.PubNub:
    host = url.split("://", 1)[1]
    return session.pubnub(
        subscribe_key="sub-c-x", publish_key="pub-c-x", user_id="me", origin=host, ssl=False
    )


def in_flight(session: aiospaces.Session) -> int:
    stats = session.pool_stats()
    assert stats is not None
    return stats.in_flight


async def until(condition: Any) -> None:
    with anyio.fail_after(5):
        while not condition():  # noqa: ASYNC110 - polling the pool's counters, no event to wait on
            await anyio.sleep(0.005)


async def next_event(pn: aiospaces.PubNub) -> None:
    async with pn.subscribe(channels="a") as sub:
        await anext(sub)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_waiting_subscription_holds_exactly_one_slot(served: str, backend: Backend) -> None:
    async with session_for(backend) as session:
        pn = pubnub_at(session, served)
        async with pn.subscribe(channels="a") as sub:
            task = asyncio.ensure_future(anext(sub))
            await until(lambda: in_flight(session) == 1)
            await asyncio.sleep(0.05)
            assert in_flight(session) == 1  # the handshake's slot came back; the poll's is held
            sent = await pn.publish(channel="a", message="meanwhile")  # the pool's other slot
            assert sent.timetoken == 17309129601106057
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await until(lambda: in_flight(session) == 0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", MODES)
async def test_no_slot_leaks_when_a_subscription_is_cancelled(
    served: str, backend: Backend, mode: Mode
) -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible timing
    async with session_for(backend, connections=1) as session:
        pn = pubnub_at(session, served)
        for _ in range(8):  # some land in the handshake, most in the held poll
            await _cancel(next_event(pn), mode, rng.uniform(0.0, 0.03))
        await until(lambda: in_flight(session) == 0)
        with anyio.fail_after(5):  # the one slot is free: a call gets through
            await pn.publish(channel="a", message="after")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_leaving_or_changing_a_subscription_mid_poll_frees_its_slot(
    served: str, backend: Backend
) -> None:
    async with session_for(backend, connections=1) as session:
        pn = pubnub_at(session, served)
        sub = pn.subscribe(channels="a")
        async with sub, anyio.create_task_group() as tg:
            tg.start_soon(next_event_of, sub)
            await until(lambda: in_flight(session) == 1)
            await asyncio.sleep(0.05)
            sub.add(channels="b")  # interrupts the poll and sends another
            await asyncio.sleep(0.05)
            assert in_flight(session) == 1
            await sub.aclose()  # ends the iteration
        await until(lambda: in_flight(session) == 0)
        with anyio.fail_after(5):
            await pn.publish(channel="a", message="after")


async def next_event_of(sub: Any) -> None:
    async for _ in sub:
        pass
