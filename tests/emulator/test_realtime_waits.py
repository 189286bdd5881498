"""The subscribe long-poll's waits: prompt answers, every waiter woken, nothing left behind.

No test sleeps to give the emulator time: each waits for what it expects (a waiter counted, an
answer) under a deadline, and the emulator itself wakes waiters on publish (no polling).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from aiospaces.emulator import Emulator, Fault
from aiospaces.emulator.pubnub.stream import Streams

SUB, PUB = "sub-c-wait", "pub-c-wait"


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


def streams(emulator: Emulator) -> Streams:
    found: Streams = emulator.vendors["pubnub"].streams  # type: ignore[attr-defined]
    return found


async def handshake(client: httpx.AsyncClient, channel: str = "ch") -> str:
    tt: str = (await client.get(f"/v2/subscribe/{SUB}/{channel}/0?tt=0")).json()["t"]["t"]
    return tt


async def poll(client: httpx.AsyncClient, tt: str, channel: str = "ch") -> dict[str, Any]:
    answer = await client.get(f"/v2/subscribe/{SUB}/{channel}/0", params={"tt": tt, "tr": "42"})
    body: dict[str, Any] = answer.json()
    return body


async def until(condition: Any, seconds: float = 5.0) -> None:
    """Wait until ``condition()`` holds (a test-side check, yielding to the loop)."""
    with anyio.fail_after(seconds):
        while not condition():  # noqa: ASYNC110 - the counters checked here have no event
            await anyio.sleep(0.001)


@pytest.mark.emulator(subscribe_timeout=60)
async def test_a_waiting_poll_answers_as_soon_as_a_message_arrives(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    tt = await handshake(client)
    answers: list[tuple[float, dict[str, Any]]] = []

    async def waiter() -> None:
        body = await poll(client, tt)
        answers.append((time.monotonic(), body))

    async with anyio.create_task_group() as group:
        group.start_soon(waiter)
        await until(lambda: streams(emulator).waiting == 1)
        published_at = time.monotonic()
        await client.get(f"/publish/{PUB}/{SUB}/0/ch/0/%22now%22")
    answered_at, body = answers[0]
    assert [item["d"] for item in body["m"]] == ["now"]
    assert answered_at - published_at < 1.0  # the hold is 60 s: it was the publish that woke it
    assert streams(emulator).waiting == 0


@pytest.mark.emulator(subscribe_timeout=60)
async def test_every_waiting_subscriber_is_woken(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    tt = await handshake(client)
    got: list[list[str]] = []

    async def waiter(channel: str) -> None:
        got.append([item["d"] for item in (await poll(client, tt, channel))["m"]])

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(waiter, "ch")
            group.start_soon(waiter, "ch,other")
            await until(lambda: streams(emulator).waiting == 21)
            await client.get(f"/publish/{PUB}/{SUB}/0/other/0/%22elsewhere%22")
            await until(lambda: len(got) == 1)  # only the one on "other" had something
            await client.get(f"/publish/{PUB}/{SUB}/0/ch/0/%22all%22")
    assert sorted(got) == [["all"]] * 20 + [["elsewhere"]]
    assert streams(emulator).waiting == 0


@pytest.mark.emulator(subscribe_timeout=60)
async def test_a_cancelled_poll_leaves_no_waiter(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    tt = await handshake(client)
    with anyio.move_on_after(10) as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(poll, client, tt)
            await until(lambda: streams(emulator).waiting == 1)
            group.cancel_scope.cancel()
    assert not scope.cancelled_caught
    assert streams(emulator).waiting == 0
    later = await client.get(f"/publish/{PUB}/{SUB}/0/ch/0/%22after%22")
    assert later.status_code == 200  # a publish after the cancel wakes no one and fails nothing


@pytest.mark.emulator(subscribe_timeout=60)
async def test_a_client_that_goes_away_stops_the_wait_on_a_socket(
    emulator: Emulator, emulator_url: str
) -> None:
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        tt = await handshake(client)
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"/v2/subscribe/{SUB}/ch/0", params={"tt": tt}, timeout=0.3)
    await until(lambda: streams(emulator).waiting == 0)  # the server saw the disconnect


@pytest.mark.emulator(subscribe_timeout=0.2)
async def test_with_nothing_to_deliver_the_poll_answers_empty_at_its_timeout(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    tt = await handshake(client)
    started = time.monotonic()
    body = await poll(client, tt)
    assert 0.15 < time.monotonic() - started < 5
    assert body["m"] == []
    assert int(body["t"]["t"]) >= int(tt)
    sent = await client.get(f"/publish/{PUB}/{SUB}/0/ch/0/%22next%22")
    follow = await poll(client, body["t"]["t"])  # nothing between the two is lost
    assert [i["d"] for i in follow["m"]] == ["next"]
    assert follow["t"]["t"] == sent.json()[2]


@pytest.mark.emulator(subscribe_timeout=0.2)
async def test_a_poll_from_the_future_is_taken_as_now(client: httpx.AsyncClient) -> None:
    future = str(int(await handshake(client)) + 10**12)
    body = await poll(client, future)
    assert int(body["t"]["t"]) < int(future)  # clamped: the next poll sees what comes next
    await client.get(f"/publish/{PUB}/{SUB}/0/ch/0/%22seen%22")
    assert [i["d"] for i in (await poll(client, body["t"]["t"]))["m"]] == ["seen"]


@pytest.mark.emulator(subscribe_timeout=60)
async def test_a_reset_answers_waiting_polls_at_once(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    tt = await handshake(client)
    bodies: list[dict[str, Any]] = []

    async def waiter() -> None:
        bodies.append(await poll(client, tt))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await until(lambda: streams(emulator).waiting == 1)
            await client.post("/_emulator/reset")
    assert bodies[0]["m"] == []
    assert int(bodies[0]["t"]["t"]) >= int(tt)
    assert emulator.vendors["pubnub"].snapshot() == {}
    assert streams(emulator).by_key == {}


async def test_batches_hold_at_most_100_and_resume_where_they_stopped(
    client: httpx.AsyncClient,
) -> None:
    tt = await handshake(client)
    for i in range(250):
        await client.get(f"/publish/{PUB}/{SUB}/0/ch/0/{i}")
    seen: list[int] = []
    sizes = []
    while len(seen) < 250:
        body = await poll(client, tt)
        sizes.append(len(body["m"]))
        seen.extend(item["d"] for item in body["m"])
        tt = body["t"]["t"]
        assert tt == body["m"][-1]["p"]["t"]
    assert sizes == [100, 100, 50]
    assert seen == list(range(250))


async def test_a_lost_publish_answer_still_delivers_the_message(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    tt = await handshake(client)
    emulator.faults.add(Fault(method="GET", path="/publish/*", lose_answer="drop", times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(f"/publish/{PUB}/{SUB}/0/ch/0/%22processed%22")
    assert [i["d"] for i in (await poll(client, tt))["m"]] == ["processed"]
    history = await client.get(f"/v3/history/sub-key/{SUB}/channel/ch")
    assert [m["message"] for m in history.json()["channels"]["ch"]] == ["processed"]


async def test_faults_apply_to_subscribe(client: httpx.AsyncClient, emulator: Emulator) -> None:
    tt = await handshake(client)
    await client.get(f"/publish/{PUB}/{SUB}/0/ch/0/%22kept%22")
    emulator.faults.add(Fault(method="GET", path="/v2/subscribe/*", status=500, times=1))
    emulator.faults.add(Fault(method="GET", path="/v2/subscribe/*", lose_answer="502", times=1))
    failed = await client.get(f"/v2/subscribe/{SUB}/ch/0", params={"tt": tt})
    assert failed.status_code == 500
    lost = await client.get(f"/v2/subscribe/{SUB}/ch/0", params={"tt": tt})
    assert lost.status_code == 502
    assert [i["d"] for i in (await poll(client, tt))["m"]] == ["kept"]  # re-polled with the old tt
