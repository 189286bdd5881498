"""Lost answers never make a duplicate: every create is reconciled or an AmbiguousResultError.

The server processes the request, then its answer is lost (a dropped connection, a proxy's
502, a read timeout). None of these vendors accepts an idempotency key, so a blind retry would
create the thing twice. Here the emulator processes each request for real and
[LosingTransport][tests.reliability.test_ambiguous.LosingTransport] throws the first answer
away; afterwards the vendor's own list call counts what exists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import httpx
import pytest

import aiospaces
from aiospaces.core.builder import Builder
from aiospaces.emulator import Emulator

Loss = Literal["drop", "502", "timeout"]
LOSSES: tuple[Loss, ...] = ("drop", "502", "timeout")


class LosingTransport(httpx.AsyncBaseTransport):
    """Let the app process matching requests, then lose their answer (``times`` times)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.method = ""
        self.path_part = ""
        self.loss: Loss = "drop"
        self.times = 0
        self.lost = 0

    def lose(self, method: str, path_part: str, loss: Loss, times: int = 1) -> None:
        self.method, self.path_part, self.loss, self.times = method, path_part, loss, times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        matches = request.method == self.method and self.path_part in request.url.path
        if not matches or self.lost >= self.times:
            return response
        self.lost += 1
        await response.aread()  # processed: the server's work is done
        await response.aclose()
        if self.loss == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if self.loss == "timeout":
            raise httpx.ReadTimeout("timed out")
        return httpx.Response(502, text="<html>502 Bad Gateway</html>")


@pytest.fixture
def losing(emulator: Emulator) -> LosingTransport:
    return LosingTransport(emulator.transport())


@pytest.fixture
async def session(losing: LosingTransport) -> AsyncIterator[aiospaces.Session]:
    async with aiospaces.Session(transport=losing) as session:
        yield session


def _settings(emulator: Emulator, vendor: str) -> dict[str, Any]:
    found: dict[str, Any] = emulator.settings("http://emu")[vendor]
    return found


async def _count(items: Any) -> int:
    return len([item async for item in items])


Make = Callable[[aiospaces.Session, Emulator], Awaitable[Builder[Any]]]


async def _mux_space(session: aiospaces.Session, emulator: Emulator) -> Builder[Any]:
    return session.mux(**_settings(emulator, "mux")).create_space()


async def _mux_stream(session: aiospaces.Session, emulator: Emulator) -> Builder[Any]:
    return session.mux(**_settings(emulator, "mux")).create_live_stream(playback_policy="public")


async def _nio_space(session: aiospaces.Session, emulator: Emulator) -> Builder[Any]:
    return session.neuroio(**_settings(emulator, "neuroio")).spaces.create(name="room")


async def _nio_token(session: aiospaces.Session, emulator: Emulator) -> Builder[Any]:
    return session.neuroio(**_settings(emulator, "neuroio")).tokens.create()


async def _admin_block(session: aiospaces.Session, emulator: Emulator) -> Builder[Any]:
    adm = session.pubnub_admin(**_settings(emulator, "pubnub_admin"))
    apps = await adm.list_apps()
    return adm.create_block(key_id=apps[0].keys[0].id, name="greeter")


async def _publish(session: aiospaces.Session, emulator: Emulator) -> Builder[Any]:
    pn = session.pubnub(
        subscribe_key="sub-c", publish_key="pub-c", user_id="me", **_settings(emulator, "pubnub")
    )
    sent = await pn.send_file(channel="ch", file_name="a.txt", file_object=b"a")
    return pn.publish_file_message(channel="ch", file_id=sent.file_id, file_name="a.txt")


CASES: dict[str, tuple[str, str, Make]] = {
    "mux create_space": ("POST", "/video/v1/spaces", _mux_space),
    "mux create_live_stream": ("POST", "/video/v1/live-streams", _mux_stream),
    "neuroio spaces.create": ("POST", "/v1/spaces/", _nio_space),
    "neuroio tokens.create": ("POST", "/v1/tokens/", _nio_token),
    "admin create_block": ("POST", "/block", _admin_block),
    "pubnub publish_file_message": ("GET", "/publish-file/", _publish),
}


async def _how_many(name: str, session: aiospaces.Session, emulator: Emulator) -> int:
    """Count what the operation creates, through the vendor's own reads."""
    if name.startswith("mux"):
        mux = session.mux(**_settings(emulator, "mux"))
        lister = mux.list_spaces() if "space" in name else mux.list_live_streams()
        return await _count(lister)
    if name.startswith("neuroio"):
        nio = session.neuroio(**_settings(emulator, "neuroio"))
        if "spaces" in name:
            return await _count(nio.spaces.list()) - 1  # the implicit "default" space
        return await _count(nio.tokens.list())
    if name.startswith("admin"):
        adm = session.pubnub_admin(**_settings(emulator, "pubnub_admin"))
        apps = await adm.list_apps()
        return len(await adm.list_blocks(key_id=apps[0].keys[0].id))
    snapshot = emulator.vendors["pubnub"].snapshot()
    return len(snapshot.get("sub-c", {}).get("messages", []))


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("name", list(CASES))
async def test_a_lost_answer_makes_no_duplicate(
    name: str,
    loss: Loss,
    session: aiospaces.Session,
    losing: LosingTransport,
    emulator: Emulator,
    retry_waits: list[float],
) -> None:
    method, path_part, make = CASES[name]
    builder = await make(session, emulator)
    before = await _how_many(name, session, emulator)
    losing.lose(method, path_part, loss)
    with pytest.raises(aiospaces.AmbiguousResultError) as caught:
        await builder
    assert losing.lost == 1
    assert caught.value.attempts == 1
    assert caught.value.check  # says how to find out
    assert await _how_many(name, session, emulator) == before + 1  # applied once, not twice


@pytest.mark.parametrize("name", list(CASES))
async def test_the_blind_retry_is_an_opt_in_that_may_duplicate(
    name: str,
    session: aiospaces.Session,
    losing: LosingTransport,
    emulator: Emulator,
    retry_waits: list[float],
) -> None:
    method, path_part, make = CASES[name]
    builder = await make(session, emulator)
    before = await _how_many(name, session, emulator)
    losing.lose(method, path_part, "502")
    await builder.retry_ambiguous()
    assert await _how_many(name, session, emulator) == before + 2  # what users opt into


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("kind", ["space", "live stream"])
async def test_a_mux_create_with_a_passthrough_is_reconciled(
    kind: str,
    loss: Loss,
    session: aiospaces.Session,
    losing: LosingTransport,
    emulator: Emulator,
    retry_waits: list[float],
) -> None:
    mux = session.mux(**_settings(emulator, "mux"))
    made: Any
    listed: list[Any]
    if kind == "space":
        losing.lose("POST", "/video/v1/spaces", loss)
        made = await mux.create_space(passthrough="order-17")
        listed = [s async for s in mux.list_spaces()]
    else:
        losing.lose("POST", "/video/v1/live-streams", loss)
        made = await mux.create_live_stream(playback_policy="public", passthrough="order-17")
        listed = [s async for s in mux.list_live_streams()]
    assert losing.lost == 1
    assert [item.id for item in listed] == [made.id]
    assert made.passthrough == "order-17"


async def test_a_passthrough_that_matches_twice_stays_ambiguous(
    session: aiospaces.Session, losing: LosingTransport, emulator: Emulator
) -> None:
    mux = session.mux(**_settings(emulator, "mux"))
    await mux.create_space(passthrough="same")
    losing.lose("POST", "/video/v1/spaces", "drop")
    with pytest.raises(aiospaces.AmbiguousResultError, match="2 listed with passthrough 'same'"):
        await mux.create_space(passthrough="same")


async def test_failures_before_sending_are_still_retried(
    session: aiospaces.Session, emulator: Emulator, retry_waits: list[float]
) -> None:
    calls = 0

    def refuse_once(request: httpx.Request) -> httpx.Response | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("connection refused")
        return None

    inner = emulator.transport()

    class Refusing(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            refuse_once(request)
            return await inner.handle_async_request(request)

    async with aiospaces.Session(transport=Refusing()) as refusing:
        mux = refusing.mux(**_settings(emulator, "mux"))
        envelope = await mux.create_space().future()
    assert envelope.status.attempts == 2
    assert len(retry_waits) == 1
