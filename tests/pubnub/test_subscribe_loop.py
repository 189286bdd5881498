"""The subscribe loop against scripted answers: cursor, resuming, repeats, changes, errors."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
import pytest

import aiospaces
from aiospaces.pubnub import subscribe as subscribe_module
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.events import Event, FileEvent, MessageEvent, UndecryptableEvent
from aiospaces.pubnub.subscribe import Subscription

SUB = "sub-c-x"
HOLD = object()
"""A step that holds the poll open until it is cancelled (PubNub's long-poll with nothing new)."""


class Script(httpx.AsyncBaseTransport):
    """Answer each request with the next step: a response, an exception, or HOLD."""

    def __init__(self, *steps: object) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self.arrived = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.arrived.set()
        self.arrived = anyio.Event()
        step = self.steps.pop(0) if self.steps else HOLD
        if step is HOLD:
            await anyio.sleep_forever()
        if isinstance(step, BaseException):
            raise step
        assert isinstance(step, httpx.Response)
        return step

    async def wait_for(self, count: int) -> None:
        with anyio.fail_after(5):
            while len(self.requests) < count:
                await self.arrived.wait()

    def polls(self) -> list[tuple[str, dict[str, str]]]:
        """(channels in the path, query) of each request."""
        found = []
        for request in self.requests:
            path = request.url.raw_path.decode().partition("?")[0]
            found.append((path.split("/")[4], dict(parse_qsl(request.url.query.decode()))))
        return found


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the backoff between failed polls instead of waiting."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(subscribe_module, "_sleep", fake_sleep)
    return recorded


def answer(tt: int, *messages: Any, region: int = 7) -> httpx.Response:
    return httpx.Response(200, json={"t": {"t": str(tt), "r": region}, "m": list(messages)})


def msg(channel: str, tt: int, payload: Any = None, **extra: Any) -> dict[str, Any]:
    return {"f": 0, "i": "pub", "p": {"t": str(tt), "r": 7}, "k": SUB, "c": channel,
            "d": payload if payload is not None else f"m{tt}", **extra}  # fmt: skip


def pubnub(script: Script, **extra: Any) -> tuple[aiospaces.Session, aiospaces.PubNub]:
    session = aiospaces.Session(transport=script)
    pn = session.pubnub(subscribe_key=SUB, user_id="me", origin="ps.example", **extra)
    return session, pn


async def take(sub: Subscription, count: int) -> list[Event]:
    events = []
    with anyio.fail_after(5):
        async for event in sub:
            events.append(event)
            if len(events) == count:
                break
    return events


async def test_the_cursor_follows_each_answer() -> None:
    script = Script(
        answer(100),
        answer(110, msg("a", 105), msg("a", 110)),
        answer(120),  # held until the server's timeout: nothing new
        answer(130, msg("a", 130), region=9),
    )
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub:
        assert sub.timetoken == 100  # entering made the handshake
        assert len(script.requests) == 1
        first = await anext(sub)
        assert sub.timetoken == 100  # one event of the batch is still to be handed out
        second = await anext(sub)
        assert sub.timetoken == 110
        third = await anext(sub)
        assert sub.timetoken == 130
    assert [e.timetoken for e in (first, second, third)] == [105, 110, 130]
    assert [(q["tt"], q.get("tr")) for _, q in script.polls()] == [
        ("0", None), ("100", "7"), ("110", "7"), ("120", "7"),
    ]  # fmt: skip


async def test_failed_polls_are_resent_with_the_same_cursor_losing_and_repeating_nothing(
    waits: list[float],
) -> None:
    script = Script(
        answer(100),
        answer(110, msg("a", 110)),
        httpx.Response(500, json={"status": 500}),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("nothing for 310 s"),
        httpx.Response(200, content=b"<html>502 Bad Gateway</html>"),
        httpx.Response(429, headers={"Retry-After": "1"}),
        answer(130, msg("a", 120), msg("a", 130)),
        answer(140, msg("a", 140)),
    )
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub:
        events = await take(sub, 4)
    assert [e.timetoken for e in events] == [110, 120, 130, 140]
    cursors = [q["tt"] for _, q in script.polls()]
    assert cursors == ["0", "100", "110", "110", "110", "110", "110", "110", "130"]
    assert len(waits) == 5
    assert waits[0] <= 0.5 < waits[2] <= 2.0  # the session's exponential backoff


async def test_an_answer_whose_cursor_steps_back_repeats_no_event() -> None:
    script = Script(
        answer(100),
        answer(120, msg("a", 110), msg("b", 120)),
        answer(115, msg("a", 110), msg("b", 120), msg("a", 125)),  # an older t.t: re-sent
        answer(130, msg("a", 130)),
    )
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels=["a", "b"]) as sub:
        events = await take(sub, 4)
    assert [(e.channel, e.timetoken) for e in events] == [
        ("a", 110), ("b", 120), ("a", 125), ("a", 130),
    ]  # fmt: skip
    assert [q["tt"] for _, q in script.polls()] == ["0", "100", "120", "115"]


async def test_undecryptable_and_unreadable_messages_never_stop_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    crypto = CryptoModule("my-key")
    script = Script(
        answer(100),
        answer(
            140,
            msg("a", 110, CryptoModule("wrong").encrypt_message("x")),
            {"c": "a"},  # no timetoken: skipped
            msg("a", 120, "garbage", e=77),  # an unknown kind: skipped
            msg("a", 130, crypto.encrypt_message({"ok": True})),
            "not even an object",
            msg("a", 140, {"plain": 1}),
        ),
    )
    session, pn = pubnub(script, cipher_key="my-key")
    async with session, pn.subscribe(channels="a") as sub:
        events = await take(sub, 3)
    assert [type(e) for e in events] == [UndecryptableEvent, MessageEvent, UndecryptableEvent]
    assert isinstance(events[1], MessageEvent)
    assert events[1].message == {"ok": True}
    assert "unreadable subscribe message" in caplog.text
    assert "unknown kind 77" in caplog.text


async def test_a_file_message_naming_an_unfetchable_file_is_an_event_not_a_loss() -> None:
    # A hostile or buggy publisher can announce any name; the file cannot be fetched, but the
    # message is still handed over (flagged) so a consumer can count it, never skipped.
    climb = {"message": None, "file": {"id": "id-1", "name": "../../etc/passwd"}}
    fine = {"message": None, "file": {"id": "id-2", "name": "ok.txt"}}
    script = Script(answer(100), answer(130, msg("a", 110, climb, e=4), msg("a", 120, fine, e=4)))
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub:
        flagged, good = await take(sub, 2)
    assert isinstance(flagged, UndecryptableEvent)
    assert (flagged.kind, flagged.payload) == ("file", climb)
    assert "cannot be fetched" in flagged.error
    assert isinstance(good, FileEvent)
    assert good.file_name == "ok.txt"


async def test_access_denied_and_bad_requests_are_raised_at_once(waits: list[float]) -> None:
    pam = {"message": "Forbidden", "payload": {"channels": ["a"]}, "error": True,
           "service": "Access Manager", "status": 403}  # fmt: skip
    script = Script(answer(100), httpx.Response(403, json=pam))
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub:
        with pytest.raises(aiospaces.PermissionDeniedError, match="Forbidden"):
            await anext(sub)
    script = Script(httpx.Response(400, json={"status": 400, "error": True, "message": "bad tt"}))
    session, pn = pubnub(script)
    async with session:
        sub = pn.subscribe(channels="a")
        with pytest.raises(aiospaces.BadRequestError, match="bad tt"):
            await sub.__aenter__()  # the handshake is refused: entering fails
        with pytest.raises(StopAsyncIteration):
            await anext(sub)
    assert waits == []


async def test_entering_retries_a_failed_handshake(waits: list[float]) -> None:
    script = Script(httpx.ConnectError("refused"), httpx.Response(503), answer(100))
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub:
        assert sub.timetoken == 100
    assert [q["tt"] for _, q in script.polls()] == ["0", "0", "0"]
    assert len(waits) == 2


async def test_max_retries_bounds_consecutive_failures() -> None:
    script = Script(answer(100), httpx.Response(503), httpx.Response(503), answer(110))
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a", max_retries=1) as sub:
        with pytest.raises(aiospaces.ServerError):
            await anext(sub)
    assert len(script.requests) == 3


async def test_channels_added_while_a_poll_waits_are_polled_at_once_with_the_same_cursor() -> None:
    script = Script(answer(100), HOLD, answer(110, msg("b", 110)), HOLD, answer(120, msg("a", 120)))
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub:
        async with anyio.create_task_group() as tg:
            received: list[Event] = []

            async def consume() -> None:
                received.extend(await take(sub, 2))

            tg.start_soon(consume)
            await script.wait_for(2)
            sub.add(channels=["b", "c d"], channel_groups="g")
            await script.wait_for(4)
            sub.remove(channels=["c d", "b"], channel_groups=["g"])
        assert sub.channels == {"a"}
        assert sub.channel_groups == frozenset()
    assert [(e.channel, e.timetoken) for e in received] == [("b", 110), ("a", 120)]
    polls = script.polls()
    assert [(path, q["tt"], q.get("channel-group")) for path, q in polls] == [
        ("a", "0", None),
        ("a", "100", None),
        ("a,b,c%20d", "100", "g"),
        ("a,b,c%20d", "110", "g"),
        ("a", "110", None),
    ]


async def test_removing_everything_waits_for_an_addition() -> None:
    script = Script(answer(100), HOLD, answer(110, msg("z", 110)))
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub, anyio.create_task_group() as tg:
        received: list[Event] = []

        async def consume() -> None:
            received.extend(await take(sub, 1))

        tg.start_soon(consume)
        await script.wait_for(2)
        sub.remove(channels="a")
        await anyio.sleep(0.05)
        assert len(script.requests) == 2  # nothing to poll
        sub.add(channels="z")
    assert [(path, q["tt"]) for path, q in script.polls()] == [
        ("a", "0"), ("a", "100"), ("z", "100"),
    ]  # fmt: skip
    assert received[0].channel == "z"


async def test_resuming_from_a_timetoken_handshakes_then_polls_from_it() -> None:
    script = Script(answer(500), answer(210, msg("a", 210)))
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a", timetoken="200") as sub:
        assert sub.timetoken == 200
        event = await anext(sub)
    assert event.timetoken == 210
    assert [(q["tt"], q.get("tr")) for _, q in script.polls()] == [("0", None), ("200", "7")]


async def test_closing_from_another_task_ends_the_iteration() -> None:
    script = Script(answer(100), HOLD)
    session, pn = pubnub(script)
    async with session:
        sub = pn.subscribe(channels="a")
        async with sub, anyio.create_task_group() as tg:
            received: list[Event] = []

            async def consume() -> None:
                received.extend([event async for event in sub])

            tg.start_soon(consume)
            await script.wait_for(2)
            await sub.aclose()
        assert received == []
        with pytest.raises(StopAsyncIteration):
            await anext(sub)


async def test_misuse_is_refused() -> None:
    script = Script(answer(100), HOLD)
    session, pn = pubnub(script)
    async with session:
        sub = pn.subscribe(channels="a")
        with pytest.raises(RuntimeError, match="async with"):
            await anext(sub)
        async with sub:
            with pytest.raises(RuntimeError, match="entered once"):
                await sub.__aenter__()
            task = asyncio.ensure_future(anext(sub))
            await script.wait_for(2)
            with pytest.raises(RuntimeError, match="another task"):
                await anext(sub)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    for bad in (
        {"channels": [""]},
        {"channels": ["."]},
        {"channels": 5},
        {"channel_groups": ["a,b"]},
        {"heartbeat": 0},
        {"timetoken": "soon"},
        {"filter_expression": ""},
        {"max_retries": -1},
    ):
        with pytest.raises(aiospaces.ValidationError):
            pn.subscribe(**bad)
    assert "channels=['a']" in repr(sub)


def test_a_subscription_can_be_made_outside_the_event_loop() -> None:
    session, pn = pubnub(Script(answer(100), answer(110, msg("a", 110))))
    sub = pn.subscribe(channels="a")
    sub.add(channels="b")  # nothing in flight: only the set changes

    async def main() -> list[Event]:
        async with session, sub:
            return await take(sub, 1)

    assert [e.timetoken for e in asyncio.run(main())] == [110]
    assert sub.channels == {"a", "b"}


async def test_answers_of_the_wrong_shape_are_polled_again(waits: list[float]) -> None:
    script = Script(
        answer(100),
        httpx.Response(200, json=["not", "an", "envelope"]),
        httpx.Response(200, json={"t": {"t": "120"}, "m": {"not": "a list"}}),
        httpx.Response(200, json={"t": {"t": "soon"}, "m": []}),
        answer(110, msg("a", 110)),
    )
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub:
        (event,) = await take(sub, 1)
    assert event.timetoken == 110
    assert [q["tt"] for _, q in script.polls()] == ["0", "100", "100", "100", "100"]
    assert len(waits) == 3


async def test_only_the_latest_events_are_remembered_for_repeats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subscribe_module, "DEDUPE_WINDOW", 2)
    script = Script(
        answer(100),
        answer(130, msg("a", 110), msg("a", 120), msg("a", 130)),
        answer(130, msg("a", 110), msg("a", 130)),  # 110 was forgotten, 130 was not
    )
    session, pn = pubnub(script)
    async with session, pn.subscribe(channels="a") as sub:
        sub.add(channels="a")  # already subscribed: nothing changes
        events = await take(sub, 4)
    assert [e.timetoken for e in events] == [110, 120, 130, 110]
    assert len(script.requests) == 3
