"""The subscribers of ``benchmarks/realtime.py``: one child process runs one client's subscribers.

Every client hands each message it receives to the same ``Recorder``, which notes its arrival
time (``time.perf_counter_ns``: ``CLOCK_MONOTONIC``, the same clock in every process on Linux)
next to the send time the publisher put inside the message.

* ``raw-httpx``: the physical limit of the emulator and loopback: per subscriber, one task
  and one ``httpx.AsyncClient`` (one connection) doing PubNub's long-poll by hand (handshake
  ``tt=0``, then ``tt``/``tr`` from each answer), ``json.loads`` of each answer, no events;
* ``aiospaces`` (``aiospaces-aiohttp``): one ``aiospaces.Session()`` (with
  ``backend="aiohttp"``); each subscriber is its own ``pn.subscribe(channels=[...])``,
  iterated by its own task;
* ``official``: the official ``pubnub`` 10.8.0 SDK, one ``PubNubAsyncio`` per subscriber (each
  has its own event engine, httpx client and long-poll), a ``SubscribeCallback`` listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import warnings
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx

import aiospaces
from aiospaces.pubnub import MessageEvent, Subscription

if TYPE_CHECKING:
    from aiospaces.core.transport import Backend

SUBSCRIBE_KEY = "sub-c-bench"
PUBLISH_KEY = "pub-c-bench"
CHANNEL_PREFIX = "bench-rt"


class Recorder:
    """Count each subscriber's messages, keep latencies and the burst's last arrival.

    Messages are ``{"n": <sequence>, "t": <perf_counter_ns before the publish call>}``;
    sequence numbers below ``latency_n`` belong to the fixed-rate phase, the rest to the burst.
    """

    def __init__(self, subscribers: int, latency_n: int, burst_n: int) -> None:
        self.latency_n = latency_n
        self.total = latency_n + burst_n
        self.seen = [bytearray(self.total) for _ in range(subscribers)]
        self.latencies: list[int] = []
        self.burst_sent_first: int | None = None
        self.burst_last_arrival = 0
        self.received = 0
        self.latency_target = subscribers * latency_n
        self.target = subscribers * self.total
        self.latency_done = asyncio.Event()
        self.done = asyncio.Event()

    def record(self, subscriber: int, message: Any) -> None:
        """Note one message's arrival at one subscriber."""
        now = time.perf_counter_ns()
        number = message["n"]
        sent = message["t"]
        if number < self.latency_n:
            self.latencies.append(now - sent)
        else:
            first = self.burst_sent_first
            if first is None or sent < first:
                self.burst_sent_first = sent
            self.burst_last_arrival = now
        seen = self.seen[subscriber]
        seen[number] = min(255, seen[number] + 1)
        self.received += 1
        if self.received == self.latency_target:
            self.latency_done.set()
        if self.received >= self.target:
            self.done.set()

    def problems(self) -> list[str]:
        """Return what went wrong: lost or repeated messages, per subscriber."""
        found = []
        for index, seen in enumerate(self.seen):
            lost = seen.count(0)
            repeated = sum(1 for count in seen if count > 1)
            if lost or repeated:
                found.append(f"subscriber {index}: {lost} lost, {repeated} repeated")
        return found


Subscribers = Callable[[str, str, int, Recorder], contextlib.AbstractAsyncContextManager[None]]


@contextlib.asynccontextmanager
async def raw_httpx(
    base_url: str, channel: str, count: int, recorder: Recorder
) -> AsyncIterator[None]:
    """Run ``count`` hand-written long-poll loops; ready once every handshake answered.

    Each loop has an ``httpx.AsyncClient`` of its own (one connection): httpcore's pool scans
    all its connections on every request and release, so one pool shared by 100 long-polls
    spends most of its time there, and would not be a limit.
    """
    url = f"{base_url}/v2/subscribe/{SUBSCRIBE_KEY}/{channel}/0?uuid=bench-sub&tt="
    timeout = httpx.Timeout(10, read=320)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(timeout=timeout))
            for _ in range(count)
        ]

        async def handshake(client: httpx.AsyncClient) -> tuple[str, str]:
            response = await client.get(url + "0")
            cursor = json.loads(response.content)["t"]
            return cursor["t"], str(cursor["r"])

        async def loop(index: int, client: httpx.AsyncClient, tt: str, tr: str) -> None:
            record = recorder.record
            while True:
                response = await client.get(f"{url}{tt}&tr={tr}")
                if response.status_code != 200:
                    raise RuntimeError(f"subscribe answered {response.status_code}")
                body = json.loads(response.content)
                for item in body["m"]:
                    record(index, item["d"])
                tt = body["t"]["t"]

        cursors = await asyncio.gather(*(handshake(client) for client in clients))
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(loop(i, client, *cursor))
                for i, (client, cursor) in enumerate(zip(clients, cursors, strict=True))
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()


@contextlib.asynccontextmanager
async def aiospaces_subscribers(
    base_url: str, channel: str, count: int, recorder: Recorder, *, backend: Backend = "httpx"
) -> AsyncIterator[None]:
    """Subscribe ``count`` aiospaces subscriptions on one Session; ready once all are entered."""
    origin = base_url.split("://", 1)[1]
    async with aiospaces.Session(backend=backend) as session, contextlib.AsyncExitStack() as stack:
        pn = session.pubnub(
            subscribe_key=SUBSCRIBE_KEY, user_id="bench-sub", origin=origin, ssl=False
        )
        subs = [
            await stack.enter_async_context(pn.subscribe(channels=[channel])) for _ in range(count)
        ]

        async def loop(index: int, sub: Subscription) -> None:
            record = recorder.record
            async for event in sub:
                if isinstance(event, MessageEvent):
                    record(index, event.message)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(loop(i, sub)) for i, sub in enumerate(subs)]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()


@contextlib.asynccontextmanager
async def official(
    base_url: str, channel: str, count: int, recorder: Recorder
) -> AsyncIterator[None]:
    """Subscribe ``count`` official ``PubNubAsyncio`` clients, each with its own listener."""
    from pubnub.callbacks import SubscribeCallback  # noqa: PLC0415 - only in this child
    from pubnub.enums import PNStatusCategory  # noqa: PLC0415
    from pubnub.pnconfiguration import PNConfiguration  # noqa: PLC0415
    from pubnub.pubnub_asyncio import PubNubAsyncio  # noqa: PLC0415

    connected = asyncio.Queue[int]()

    class Listener(SubscribeCallback):  # type: ignore[misc]
        def __init__(self, index: int) -> None:
            self.index = index

        def status(self, pubnub: Any, status: Any) -> None:
            if status.category == PNStatusCategory.PNConnectedCategory:
                connected.put_nowait(self.index)

        def message(self, pubnub: Any, message: Any) -> None:
            recorder.record(self.index, message.message)

    clients = []
    try:
        for index in range(count):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Mutable config", DeprecationWarning)
                config = PNConfiguration()
                config.subscribe_key = SUBSCRIBE_KEY
                config.publish_key = PUBLISH_KEY
                config.user_id = "bench-sub"
                config.origin = base_url.split("://", 1)[1]
                config.ssl = False
                pubnub = PubNubAsyncio(config)
            clients.append(pubnub)
            pubnub.add_listener(Listener(index))
            pubnub.subscribe().channels([channel]).execute()
        for _ in range(count):
            await asyncio.wait_for(connected.get(), timeout=30)
        yield
    finally:
        for pubnub in clients:
            pubnub.unsubscribe_all()
        await asyncio.sleep(0)  # the engines cancel their polls on the next turn of the loop
        for pubnub in clients:
            await pubnub.stop()
            leaked = getattr(pubnub._subscription_manager, "loop", None)
            if leaked is not None:
                leaked.close()  # the event loop its subscription manager opens and never closes


def subscribers(key: str) -> Subscribers:
    """Return the subscriber factory of a client key."""
    if key == "raw-httpx":
        return raw_httpx
    if key == "aiospaces":
        return aiospaces_subscribers
    if key == "aiospaces-aiohttp":
        return lambda *args: aiospaces_subscribers(*args, backend="aiohttp")
    if key == "official":
        return official
    raise ValueError(f"unknown client {key!r}")
