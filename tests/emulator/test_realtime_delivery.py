"""Exactly-once delivery: 1,000 messages and 200 file messages on 3 channels reach a raw long-poll
loop once each, in timetoken order per channel, across failures injected mid-stream.

The subscriber is the plain protocol loop any client runs: handshake with ``tt=0``, then poll
with the last ``t.t``; after a failure (a 500, a dropped connection, an answer lost after it
was processed) poll again with the same ``tt``. Run in-process and on a real socket.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest

from aiospaces.emulator import Emulator, Fault

SUB, PUB = "sub-c-delivery", "pub-c-delivery"
CHANNELS = ("alpha", "beta", "gamma")
TOTAL, FILES = 1200, 200
SUBSCRIBE = f"/v2/subscribe/{SUB}/{','.join(CHANNELS)}/0"
FAULTS: tuple[dict[str, Any], ...] = (
    {"status": 500},
    {"drop": True},
    {"lose_answer": "drop"},  # processed: the poll's messages were taken, then the answer lost
    {"lose_answer": "502"},
)


@pytest.fixture(params=["in-process", "socket"])
async def client(
    request: pytest.FixtureRequest, emulator: Emulator
) -> AsyncIterator[httpx.AsyncClient]:
    if request.param == "in-process":
        async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
            yield c
    else:
        with emulator.serve() as url:
            async with httpx.AsyncClient(base_url=url, timeout=30) as c:
                yield c


def message_path(i: int) -> str:
    channel = CHANNELS[i % len(CHANNELS)]
    if i % (TOTAL // FILES) == 0:  # every 6th is a file message
        file_message = {"message": {"n": i}, "file": {"id": f"id-{i}", "name": f"f {i}.txt"}}
        payload = quote(json.dumps(file_message), safe="~")
        return f"/v1/files/publish-file/{PUB}/{SUB}/0/{channel}/0/{payload}"
    return f"/publish/{PUB}/{SUB}/0/{channel}/0/{quote(json.dumps({'n': i}))}"


def number(item: dict[str, Any]) -> int:
    data = item["d"]
    value: int = data["message"]["n"] if item.get("e") == 4 else data["n"]
    return value


class Subscriber:
    """The protocol loop, counting what it receives and how many polls failed."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.received: list[dict[str, Any]] = []
        self.failures: list[str] = []
        self.tt = "0"
        self._wanted: list[tuple[int, anyio.Event]] = []

    async def until_received(self, count: int) -> None:
        """Return once ``count`` items have been received."""
        if len(self.received) < count:
            reached = anyio.Event()
            self._wanted.append((count, reached))
            await reached.wait()

    async def handshake(self) -> None:
        answer = await self.client.get(SUBSCRIBE, params={"tt": "0"})
        self.tt = answer.json()["t"]["t"]

    async def run(self) -> None:
        while len(self.received) < TOTAL:
            try:
                answer = await self.client.get(SUBSCRIBE, params={"tt": self.tt, "tr": "42"})
            except httpx.TransportError as exc:
                self.failures.append(type(exc).__name__)
                continue
            if answer.status_code != 200:
                self.failures.append(str(answer.status_code))
                continue
            body = answer.json()
            self.received.extend(body["m"])
            self.tt = body["t"]["t"]
            for count, reached in self._wanted:
                if len(self.received) >= count:
                    reached.set()


@pytest.mark.timeout(120)
@pytest.mark.emulator(subscribe_timeout=5)
async def test_every_message_once_in_order_across_failures(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    subscriber = Subscriber(client)
    await subscriber.handshake()
    parts = len(FAULTS) + 1
    chunk = TOTAL // parts
    with anyio.fail_after(100):
        async with anyio.create_task_group() as group:
            group.start_soon(subscriber.run)
            for part in range(parts):
                for i in range(part * chunk, (part + 1) * chunk):
                    sent = await client.get(message_path(i))
                    assert sent.status_code == 200, sent.text
                await subscriber.until_received((part + 1) * chunk)  # mid-stream, then fail
                if part < len(FAULTS):
                    fault = Fault(method="GET", path="/v2/subscribe/*", times=1, **FAULTS[part])
                    emulator.faults.add(fault)

    received = subscriber.received
    numbers = [number(item) for item in received]
    assert sorted(numbers) == list(range(TOTAL))  # each once: none lost, none repeated
    assert sum(item.get("e") == 4 for item in received) == FILES
    for channel in CHANNELS:
        tokens = [int(item["p"]["t"]) for item in received if item["c"] == channel]
        assert len(tokens) == TOTAL // len(CHANNELS)
        assert tokens == sorted(set(tokens))  # timetoken order, strictly
    files = [item for item in received if item.get("e") == 4]
    assert files[0]["d"] == {"message": {"n": 0}, "file": {"id": "id-0", "name": "f 0.txt"}}
    assert [rule.fired for rule in emulator.faults.rules] == [1, 1, 1, 1]
    assert len(received) == TOTAL
    assert subscriber.failures[0] == "500"
    assert subscriber.failures[-1] == "502"
    assert len(subscriber.failures) == len(FAULTS)
