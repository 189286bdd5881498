"""The realtime client against the emulator: delivery exactly once, encryption, files, history,
filters, live channel changes, lost publish answers, and pool slots on a real socket."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal

import anyio
import httpx
import pytest

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub import subscribe as subscribe_module
from aiospaces.pubnub.events import (
    Event,
    FileEvent,
    MessageEvent,
    SignalEvent,
    UndecryptableEvent,
)
from aiospaces.pubnub.subscribe import Subscription

KEYS: dict[str, Any] = {"subscribe_key": "sub-c-rt", "publish_key": "pub-c-rt", "user_id": "me"}
CHANNELS = ("alpha", "beta", "gamma")
TOTAL, FILES = 1200, 200

pytestmark = pytest.mark.usefixtures("retry_waits")


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(subscribe_module, "_sleep", fake_sleep)
    return waits


def client(
    session: aiospaces.Session, emulator: Emulator, url: str, **extra: Any
) -> aiospaces.PubNub:
    return session.pubnub(**KEYS, **emulator.settings(url)["pubnub"], **extra)


async def collect(sub: Subscription, count: int, *, within: float = 30) -> list[Event]:
    events: list[Event] = []
    with anyio.fail_after(within):
        async for event in sub:
            events.append(event)
            if len(events) == count:
                break
    return events


FAULTS: tuple[dict[str, Any], ...] = (
    {"status": 500},
    {"drop": True},
    {"lose_answer": "drop"},
    {"lose_answer": "502"},
)


@pytest.mark.timeout(180)
@pytest.mark.emulator(subscribe_timeout=5)
@pytest.mark.parametrize("where", ["in-process", "httpx", "aiohttp"])
async def test_every_event_once_in_timetoken_order_across_failures(
    emulator: Emulator, where: str
) -> None:
    with contextlib.ExitStack() as stack:
        if where == "in-process":
            session = aiospaces.Session(transport=emulator.transport())
            url = "http://emu"
        else:
            url = stack.enter_context(emulator.serve())
            session = aiospaces.Session(backend=where)  # type: ignore[arg-type]
        async with session:
            pn = client(session, emulator, url)
            events: list[Event] = []
            async with pn.subscribe(channels=CHANNELS) as sub:
                parts = len(FAULTS) + 1
                chunk = TOTAL // parts
                for part in range(parts):
                    for i in range(part * chunk, (part + 1) * chunk):
                        channel = CHANNELS[i % 3]
                        if i % (TOTAL // FILES) == 0:
                            await pn.publish_file_message(
                                channel=channel, file_id=f"id-{i}", file_name=f"f {i}.txt",
                                message={"n": i},
                            )  # fmt: skip
                        else:
                            await pn.publish(channel=channel, message={"n": i})
                    events += await collect(sub, chunk, within=60)  # mid-stream, then fail
                    if part < len(FAULTS):
                        fault = Fault(method="GET", path="/v2/subscribe/*", times=1, **FAULTS[part])
                        emulator.faults.add(fault)
    numbers = [e.message["n"] for e in events if isinstance(e, MessageEvent | FileEvent)]
    assert sorted(numbers) == list(range(TOTAL))
    files = [e for e in events if isinstance(e, FileEvent)]
    assert len(files) == FILES
    assert (files[0].file_id, files[0].file_name) == ("id-0", "f 0.txt")
    assert "/files/id-0/f%200.txt?" in files[0].url
    for channel in CHANNELS:
        tokens = [e.timetoken for e in events if e.channel == channel]
        assert len(tokens) == TOTAL // 3
        assert tokens == sorted(set(tokens))
    assert [rule.fired for rule in emulator.faults.rules] == [1, 1, 1, 1]


@pytest.mark.parametrize("crypto", ["aescbc", "legacy"])
async def test_encrypted_messages_files_and_signals_round_trip(
    emulator_session: aiospaces.Session, emulator: Emulator, crypto: Literal["aescbc", "legacy"]
) -> None:
    pn = client(emulator_session, emulator, "http://emu", cipher_key="k", crypto=crypto)
    stranger = client(emulator_session, emulator, "http://emu", cipher_key="other")
    async with pn.subscribe(channels="ch") as sub, stranger.subscribe(channels="ch") as other:
        await pn.publish(channel="ch", message={"secret": 1}, meta={"m": 1})
        await pn.signal(channel="ch", message="typing")
        sent = await pn.send_file(channel="ch", file_name="a b.txt", file_object=b"content")
        message, signal, file = await collect(sub, 3)
        wrong = await collect(other, 3)
    assert isinstance(message, MessageEvent)
    assert (message.message, message.meta, message.publisher) == ({"secret": 1}, {"m": 1}, "me")
    assert isinstance(signal, SignalEvent)
    assert signal.message == "typing"
    assert isinstance(file, FileEvent)
    assert file.file_id == sent.file_id
    assert await file.download_file() == b"content"
    assert [type(e) for e in wrong] == [UndecryptableEvent, SignalEvent, UndecryptableEvent]


async def test_history_walks_back_and_recognises_files(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    pn = client(emulator_session, emulator, "http://emu", cipher_key="k")
    for i in range(120):
        await pn.publish(channel="ch", message={"n": i})
    sent = await pn.send_file(
        channel="ch", file_name="f.txt", file_object=b"x", message="see", should_store=True
    )
    found = [m async for m in pn.fetch_messages(channel="ch", count=50, include_message_type=True)]
    assert len(found) == 121
    # pages go back in time; each page is oldest first
    numbers = [m.message["n"] if not m.is_file else "file" for m in found]
    assert numbers == [*range(71, 120), "file", *range(21, 71), *range(21)]
    (file,) = [m for m in found if m.is_file]
    assert (file.file_id, file.file_name, file.message, file.message_type) == (
        sent.file_id, "f.txt", "see", 4,
    )  # fmt: skip
    first_page = await pn.fetch_messages(channel="ch", count=50)
    assert len(first_page.messages) == 50


async def test_a_lost_publish_answer_is_ambiguous_and_history_shows_it_once(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    pn = client(emulator_session, emulator, "http://emu")
    emulator.faults.add(Fault(method="GET", path="/publish/*", lose_answer="drop", times=1))
    with pytest.raises(aiospaces.AmbiguousResultError):
        await pn.publish(channel="ch", message={"id": "once"}, meta={"id": "once"})
    page = await pn.fetch_messages(channel="ch", include_meta=True)
    assert [m.meta for m in page.messages] == [{"id": "once"}]


async def test_filters_and_live_channel_changes(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    pn = client(emulator_session, emulator, "http://emu")
    async with pn.subscribe(channels="a", filter_expression="meta.lang == 'en'") as sub:
        await pn.publish(channel="a", message="fr", meta={"lang": "fr"})
        await pn.publish(channel="a", message="en", meta={"lang": "en"})
        (first,) = await collect(sub, 1)
        async with anyio.create_task_group() as tg:
            got: list[Event] = []

            async def wait_one() -> None:
                got.extend(await collect(sub, 1))

            tg.start_soon(wait_one)
            await anyio.sleep(0.05)  # the poll is held
            sub.add(channels="b")
            await anyio.sleep(0.05)
            await pn.publish(channel="b", message="on b", meta={"lang": "en"})
    assert isinstance(first, MessageEvent)
    assert first.message == "en"
    assert [(e.channel, e.message) for e in got if isinstance(e, MessageEvent)] == [("b", "on b")]


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
async def test_a_cancelled_subscription_leaves_no_connection_checked_out(
    emulator: Emulator, emulator_url: str, backend: Literal["httpx", "aiohttp"]
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with aiospaces.Session(backend=backend, limits=limits) as session:
        pn = client(session, emulator, emulator_url)
        for delay in (0.0, 0.002, 0.01, 0.05, 0.1):
            sub = pn.subscribe(channels="a")
            async with sub:
                task = asyncio.ensure_future(anext(sub))
                await asyncio.sleep(delay)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0.05)
        stats = session.pool_stats()
        assert stats is not None
        assert stats.in_flight == 0
        with anyio.fail_after(5):
            await pn.publish(channel="a", message="after")
