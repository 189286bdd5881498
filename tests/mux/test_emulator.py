"""The Mux client against the emulator: the broadcast lifecycle, state rules, paging, 429s."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.mux import (
    BroadcastStatus,
    LiveStreamStatus,
    Mux,
    MuxRateLimitError,
    RateLimit,
    SpaceStatus,
)

EMU = "http://emu"


@pytest.fixture
def mux(emulator_session: aiospaces.Session, emulator: Emulator) -> Mux:
    return emulator_session.mux(**emulator.settings(EMU)["mux"])


async def control(
    session: aiospaces.core.Session, method: str, path: str, **kwargs: Any
) -> dict[str, Any]:
    response = await session.http_client.request(method, f"{EMU}/_emulator/mux{path}", **kwargs)
    assert response.status_code < 400, response.text
    result: dict[str, Any] = response.json()
    return result


async def join(mux: Mux, space_id: str, who: str) -> dict[str, Any]:
    body = {"participant_id": who}
    return await control(mux.session, "POST", f"/spaces/{space_id}/participants", json=body)


async def leave(mux: Mux, space_id: str, who: str) -> dict[str, Any]:
    return await control(mux.session, "DELETE", f"/spaces/{space_id}/participants/{who}")


async def test_whole_broadcast_lifecycle(mux: Mux) -> None:
    stream = await mux.create_live_stream().playback_policy("public")
    space = (
        await mux.create_space().type("server").passthrough("p").broadcast(live_stream_id=stream.id)
    )
    assert space.status is SpaceStatus.IDLE
    assert space.active_session_id is None
    broadcast = space.broadcasts[0]
    assert (broadcast.live_stream_id, broadcast.status) == (stream.id, BroadcastStatus.IDLE)

    await join(mux, space.id, "alice")
    active = await mux.wait_until_active(space.id, timeout=5)
    assert active.status is SpaceStatus.ACTIVE
    assert active.active_session_id

    await mux.start_space_broadcast(space.id, broadcast.id)
    assert (await mux.get_space_broadcast(space.id, broadcast.id)).status is BroadcastStatus.ACTIVE
    live = await mux.get_live_stream(stream.id)
    assert live.status is LiveStreamStatus.ACTIVE
    assert live.active_asset_id

    await mux.stop_space_broadcast(space.id, broadcast.id)
    assert (await mux.get_space_broadcast(space.id, broadcast.id)).status is BroadcastStatus.IDLE
    completed = await mux.get_live_stream(stream.id)
    assert completed.status is LiveStreamStatus.IDLE
    assert completed.recent_asset_ids == [live.active_asset_id]  # recording ended

    await leave(mux, space.id, "alice")
    idle = await mux.wait_until_idle(space.id, timeout=5)
    assert idle.active_session_id is None
    await mux.delete_space(space.id)
    with pytest.raises(aiospaces.NotFoundError) as caught:
        await mux.get_space(space.id)
    assert caught.value.error_type == "not_found"


async def test_each_idle_to_active_change_gets_a_new_session(mux: Mux) -> None:
    space = await mux.spaces.create()
    first = (await join(mux, space.id, "a"))["space"]["active_session_id"]
    again = (await join(mux, space.id, "b"))["space"]["active_session_id"]
    assert first == again  # still the same session while anyone is connected
    await leave(mux, space.id, "a")
    assert (await mux.get_space(space.id)).status is SpaceStatus.ACTIVE
    await leave(mux, space.id, "b")
    third = (await join(mux, space.id, "c"))["space"]["active_session_id"]
    assert third not in (None, first)


async def test_rule_violations_are_typed_errors_with_mux_messages(mux: Mux) -> None:
    stream = await mux.create_live_stream()
    space = await mux.create_space(broadcasts=[{"live_stream_id": stream.id}])
    broadcast_id = space.broadcasts[0].id

    with pytest.raises(aiospaces.BadRequestError) as caught:
        await mux.start_space_broadcast(space.id, broadcast_id)
    assert caught.value.error_type == "invalid_parameters"
    assert "space is idle" in caught.value.message

    await join(mux, space.id, "alice")
    with pytest.raises(
        aiospaces.BadRequestError, match="Space cannot be deleted while it is active"
    ):
        await mux.delete_space(space.id)

    await mux.start_space_broadcast(space.id, broadcast_id)
    await mux.start_space_broadcast(space.id, broadcast_id)  # starting twice is harmless
    with pytest.raises(aiospaces.BadRequestError, match="Broadcast cannot be deleted"):
        await mux.delete_space_broadcast(space.id, broadcast_id)

    # the space going idle stops the broadcast and completes its live stream
    await leave(mux, space.id, "alice")
    assert (await mux.get_space_broadcast(space.id, broadcast_id)).status is BroadcastStatus.IDLE
    assert (await mux.get_live_stream(stream.id)).status is LiveStreamStatus.IDLE
    await mux.stop_space_broadcast(space.id, broadcast_id)  # stopping an idle one is harmless
    await mux.delete_space_broadcast(space.id, broadcast_id)
    with pytest.raises(aiospaces.NotFoundError):
        await mux.get_space_broadcast(space.id, broadcast_id)
    await mux.delete_space(space.id)


async def test_rule_status_is_configurable(mux: Mux) -> None:
    await control(mux.session, "POST", "/config", json={"rule_status": 409})
    space = await mux.create_space()
    await join(mux, space.id, "a")
    with pytest.raises(aiospaces.ConflictError):
        await mux.delete_space(space.id)


async def test_broadcast_validation_in_the_emulator(mux: Mux) -> None:
    with pytest.raises(aiospaces.BadRequestError, match="does not exist"):
        await mux.create_space().broadcast(live_stream_id="missing")
    stream = await mux.create_live_stream()
    space = await mux.create_space()
    created = await mux.create_space_broadcast(space.id, live_stream_id=stream.id, layout="crop")
    assert created.layout == "crop"
    with pytest.raises(aiospaces.BadRequestError, match="at most 1 broadcast"):
        await mux.create_space_broadcast(space.id, live_stream_id=stream.id)
    await mux.live_streams.complete(stream.id)  # idle stream: nothing to complete
    await mux.live_streams.delete(stream.id)
    with pytest.raises(aiospaces.NotFoundError):
        await mux.live_streams.get(stream.id)


async def test_list_spaces_pages_newest_first(mux: Mux) -> None:
    made = [(await mux.create_space(passthrough=f"s{i}")).id for i in range(7)]
    walked = [space.id async for space in mux.list_spaces(limit=3)]
    assert walked == made[::-1]
    pages = [page async for page in mux.list_spaces(limit=3).pages()]
    assert [len(p.data) for p in pages] == [3, 3, 1, 0]
    assert len((await mux.list_spaces()).data) == 7  # default limit 25


async def test_list_live_streams_filters(mux: Mux) -> None:
    first = await mux.create_live_stream()
    await mux.create_live_stream()
    assert [s.id async for s in mux.list_live_streams(stream_key=first.stream_key)] == [first.id]
    assert len([s async for s in mux.live_streams.list(limit=1)]) == 2
    assert (await mux.list_live_streams(status="active")).data == []


async def test_wait_until_active_polls_until_someone_joins(mux: Mux) -> None:
    space = await mux.create_space()

    async def join_soon() -> None:
        await anyio.sleep(0.005)
        await join(mux, space.id, "late")

    async with anyio.create_task_group() as tg:
        tg.start_soon(join_soon)
        active = await mux.wait_until_active(
            space.id, timeout=5, interval=0.001, max_interval=0.002
        )
    assert active.status is SpaceStatus.ACTIVE


async def test_wait_until_a_missing_space_fails_at_once(mux: Mux) -> None:
    with pytest.raises(aiospaces.NotFoundError):
        await mux.wait_until_active("no-such-space", timeout=5)


async def test_wait_until_times_out_with_a_typed_error(mux: Mux) -> None:
    space = await mux.create_space()
    with pytest.raises(aiospaces.TimeoutError, match="not active"):
        await mux.wait_until_active(space.id, timeout=0.01, interval=0.002, max_interval=0.004)
    with pytest.raises(aiospaces.ValidationError):
        await mux.wait_until_idle(space.id, timeout=0)
    with pytest.raises(aiospaces.ValidationError):
        await mux.wait_until_idle("")


async def test_429_storm_is_retried_and_succeeds(
    mux: Mux, emulator: Emulator, sleeps: list[float]
) -> None:
    emulator.faults.add(
        Fault(
            method="POST",
            path="/video/v1/spaces",
            status=429,
            body={"errors": ["Too many requests, retry later."]},
            times=4,
        )
    )
    envelope = await mux.create_space().max_retries(5).future()
    assert envelope.status.attempts == 5
    assert envelope.status.status_code == 201
    assert len(sleeps) == 4  # backed off without Retry-After, no real waiting


async def test_emulated_rate_limit_exposes_remaining(mux: Mux, sleeps: list[float]) -> None:
    await control(mux.session, "POST", "/config", json={"rate_limit": 2, "rate_window": 3600})
    envelope = await mux.list_spaces().future()
    assert RateLimit.from_headers(envelope.status.headers) == RateLimit(limit=2, remaining=1)
    await mux.list_spaces()
    with pytest.raises(MuxRateLimitError) as caught:
        await mux.list_spaces().max_retries(1)
    assert caught.value.rate_limit == RateLimit(limit=2, remaining=0)
    assert caught.value.message == "Too many requests, retry later."
    assert caught.value.request_id


async def test_official_style_and_env_settings(
    emulator: Emulator, emulator_session: aiospaces.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUX_TOKEN_ID", "from-env")
    monkeypatch.setenv("MUX_TOKEN_SECRET", "env-secret")
    monkeypatch.setenv("MUX_BASE_URL", EMU)
    mux = emulator_session.mux()
    await mux.create_space()
    assert "from-env" in emulator.vendors["mux"].snapshot()


@pytest.mark.emulator(strict=True)
async def test_strict_mode_accepts_only_seeded_tokens(
    emulator: Emulator, emulator_session: aiospaces.Session
) -> None:
    anyone = emulator_session.mux(token_id="nobody", token_secret="x", base_url=EMU)
    with pytest.raises(aiospaces.AuthenticationError) as caught:
        await anyone.list_spaces()
    assert caught.value.error_type == "unauthorized"
    assert caught.value.message == "Unauthorized request"

    seeded = await emulator_session.http_client.post(
        f"{EMU}/_emulator/mux/seed", json={"token_id": "tid", "token_secret": "tsecret"}
    )
    assert seeded.status_code == 201
    settings = emulator.settings(EMU)["mux"]
    assert (settings["token_id"], settings["token_secret"]) == ("tid", "tsecret")
    mux = emulator_session.mux(**settings)
    assert (await mux.list_spaces()).data == []
    wrong = emulator_session.mux(token_id="tid", token_secret="guess", base_url=EMU)
    with pytest.raises(aiospaces.AuthenticationError):
        await wrong.list_spaces()
