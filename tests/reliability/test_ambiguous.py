"""Lost answers never make a duplicate: every create is reconciled or an AmbiguousResultError.

The server processes the request, then its answer is lost (a dropped connection, a proxy's
502, a read timeout). None of these vendors accepts an idempotency key, so a blind retry would
create the thing twice. Here the emulator processes each request for real and
[LosingTransport][tests.reliability.test_ambiguous.LosingTransport] throws the first answer
away; afterwards the vendor's own list call counts what exists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx
import pytest

import aiospaces
from aiospaces.emulator import Emulator
from tests.reliability.lost_answers import CASES, how_many, settings

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
    builder = await make(session, emulator, "http://emu")
    before = await how_many(name, session, emulator, "http://emu")
    losing.lose(method, path_part, loss)
    with pytest.raises(aiospaces.AmbiguousResultError) as caught:
        await builder
    assert losing.lost == 1
    assert caught.value.attempts == 1
    assert caught.value.check  # says how to find out
    assert (
        await how_many(name, session, emulator, "http://emu") == before + 1
    )  # applied once, not twice


@pytest.mark.parametrize("name", list(CASES))
async def test_the_blind_retry_is_an_opt_in_that_may_duplicate(
    name: str,
    session: aiospaces.Session,
    losing: LosingTransport,
    emulator: Emulator,
    retry_waits: list[float],
) -> None:
    method, path_part, make = CASES[name]
    builder = await make(session, emulator, "http://emu")
    before = await how_many(name, session, emulator, "http://emu")
    losing.lose(method, path_part, "502")
    await builder.retry_ambiguous()
    assert (
        await how_many(name, session, emulator, "http://emu") == before + 2
    )  # what users opt into


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
    mux = session.mux(**settings(emulator, "mux"))
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
    mux = session.mux(**settings(emulator, "mux"))
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
        mux = refusing.mux(**settings(emulator, "mux"))
        envelope = await mux.create_space().future()
    assert envelope.status.attempts == 2
    assert len(retry_waits) == 1
