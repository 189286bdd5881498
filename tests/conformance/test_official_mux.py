"""The official Mux SDK (mux-python==3.20.0, the last with Spaces), unchanged, against the emulator.

mux-python is synchronous (urllib3); its calls run in a worker thread while the emulator
serves on a loopback port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import anyio
import pytest

import aiospaces
from aiospaces.emulator import Emulator

T = TypeVar("T")

TOKEN_ID = "conformance-token"
TOKEN_SECRET = "conformance-secret"


async def in_thread(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await anyio.to_thread.run_sync(lambda: call(*args, **kwargs))


@pytest.fixture
def official(emulator_url: str) -> Iterator[Any]:
    """An official ``ApiClient`` pointed at the emulator."""
    import mux_python

    configuration = mux_python.Configuration(
        host=emulator_url, username=TOKEN_ID, password=TOKEN_SECRET
    )
    client = mux_python.ApiClient(configuration)
    yield client
    client.close()


def spaces_api(client: Any) -> Any:
    import mux_python

    return mux_python.SpacesApi(client)


def live_streams_api(client: Any) -> Any:
    import mux_python

    return mux_python.LiveStreamsApi(client)


def mux_of(session: aiospaces.Session, emulator_url: str) -> Any:
    return session.mux(token_id=TOKEN_ID, token_secret=TOKEN_SECRET, base_url=emulator_url)


async def join(session: aiospaces.Session, emulator_url: str, space_id: str, who: str) -> None:
    url = f"{emulator_url}/_emulator/mux/spaces/{space_id}/participants"
    response = await session.http_client.post(url, json={"participant_id": who})
    response.raise_for_status()


async def leave(session: aiospaces.Session, emulator_url: str, space_id: str, who: str) -> None:
    url = f"{emulator_url}/_emulator/mux/spaces/{space_id}/participants/{who}"
    (await session.http_client.delete(url)).raise_for_status()


async def test_official_sdk_runs_the_broadcast_lifecycle(official: Any, emulator_url: str) -> None:
    import mux_python
    from mux_python import exceptions as mux_exceptions

    spaces = spaces_api(official)
    streams = live_streams_api(official)
    stream = await in_thread(
        streams.create_live_stream,
        mux_python.CreateLiveStreamRequest(playback_policy=[mux_python.PlaybackPolicy.PUBLIC]),
    )
    space = await in_thread(
        spaces.create_space, mux_python.CreateSpaceRequest(type=mux_python.SpaceType.SERVER)
    )
    assert space.data.status == "idle"
    broadcast = await in_thread(
        spaces.create_space_broadcast,
        space.data.id,
        mux_python.CreateBroadcastRequest(
            live_stream_id=stream.data.id, layout=mux_python.BroadcastLayout.ACTIVE_SPEAKER
        ),
    )
    assert (broadcast.data.layout, broadcast.data.resolution) == ("active-speaker", "1920x1080")

    with pytest.raises(mux_python.ApiException) as caught:  # the space is still idle
        await in_thread(spaces.start_space_broadcast, space.data.id, broadcast.data.id)
    assert caught.value.status == 400

    async with aiospaces.Session() as session:
        await join(session, emulator_url, space.data.id, "alice")
        await in_thread(spaces.start_space_broadcast, space.data.id, broadcast.data.id)
        got = await in_thread(spaces.get_space_broadcast, space.data.id, broadcast.data.id)
        assert got.data.status == "active"
        await in_thread(spaces.stop_space_broadcast, space.data.id, broadcast.data.id)
        live = await in_thread(streams.get_live_stream, stream.data.id)
        assert live.data.status == "idle"
        assert len(live.data.recent_asset_ids) == 1
        await leave(session, emulator_url, space.data.id, "alice")

    await in_thread(spaces.delete_space_broadcast, space.data.id, broadcast.data.id)
    listed = await in_thread(spaces.list_spaces, limit=10, page=1)
    assert [s.id for s in listed.data] == [space.data.id]
    await in_thread(spaces.delete_space, space.data.id)
    with pytest.raises(mux_exceptions.NotFoundException):
        await in_thread(spaces.get_space, space.data.id)


async def test_official_writes_aiospaces_controls(official: Any, emulator_url: str) -> None:
    import mux_python

    stream = await in_thread(
        live_streams_api(official).create_live_stream, mux_python.CreateLiveStreamRequest()
    )
    request = mux_python.CreateSpaceRequest(
        passthrough="by-official",
        broadcasts=[mux_python.CreateBroadcastRequest(live_stream_id=stream.data.id)],
    )
    made = await in_thread(spaces_api(official).create_space, request)
    async with aiospaces.Session() as session:
        mux = mux_of(session, emulator_url)
        space = await mux.get_space(made.data.id)
        assert space.passthrough == "by-official"
        broadcast = space.broadcasts[0]
        await join(session, emulator_url, space.id, "bob")
        await mux.wait_until_active(space.id, timeout=5, interval=0.005)
        await mux.start_space_broadcast(space.id, broadcast.id)
        assert (await mux.get_live_stream(stream.data.id)).status == "active"
        await mux.stop_space_broadcast(space.id, broadcast.id)
        await leave(session, emulator_url, space.id, "bob")
        await mux.delete_space(space.id)
    listed = await in_thread(spaces_api(official).list_spaces)
    assert listed.data == []


async def test_aiospaces_writes_official_reads(official: Any, emulator_url: str) -> None:

    async with aiospaces.Session() as session:
        mux = mux_of(session, emulator_url)
        stream = await mux.create_live_stream().playback_policy("public")
        space = (
            await mux.create_space()
            .passthrough("by-aiospaces")
            .broadcast(live_stream_id=stream.id, resolution="1280x720", layout="crop")
        )
        await join(session, emulator_url, space.id, "carol")
        await mux.start_space_broadcast(space.id, space.broadcasts[0].id)
        spaces = spaces_api(official)
        fetched = await in_thread(spaces.get_space, space.id)
        assert fetched.data.status == "active"
        assert fetched.data.active_session_id
        assert fetched.data.passthrough == "by-aiospaces"
        (broadcast,) = fetched.data.broadcasts
        assert (broadcast.status, broadcast.resolution, broadcast.layout) == (
            "active",
            "1280x720",
            "crop",
        )
        live = await in_thread(live_streams_api(official).get_live_stream, stream.id)
        assert live.data.status == "active"
        assert live.data.playback_ids[0].policy == "public"
        await in_thread(spaces.stop_space_broadcast, space.id, broadcast.id)
        await leave(session, emulator_url, space.id, "carol")
        assert (await mux.get_space(space.id)).status == "idle"
        await in_thread(spaces.delete_space, space.id)
        with pytest.raises(aiospaces.NotFoundError):
            await mux.get_space(space.id)


async def test_official_sdk_lists_completes_and_deletes_live_streams(official: Any) -> None:
    import mux_python
    from mux_python import exceptions as mux_exceptions

    streams = live_streams_api(official)
    request = mux_python.CreateLiveStreamRequest(
        playback_policy=[mux_python.PlaybackPolicy.SIGNED],
        new_asset_settings=mux_python.CreateAssetRequest(
            playback_policy=[mux_python.PlaybackPolicy.PUBLIC]
        ),
        reduced_latency=True,
    )
    created = (await in_thread(streams.create_live_stream, request)).data
    assert (created.latency_mode, created.reconnect_window) == ("reduced", 60.0)
    assert [p.policy for p in created.playback_ids] == ["signed"]
    listed = await in_thread(streams.list_live_streams, limit=5, page=1, status="idle")
    assert [s.id for s in listed.data] == [created.id]
    done = await in_thread(streams.signal_live_stream_complete, created.id)
    assert done.data == {}
    await in_thread(streams.delete_live_stream, created.id)
    with pytest.raises(mux_exceptions.NotFoundException):
        await in_thread(streams.get_live_stream, created.id)


@pytest.mark.emulator(strict=True)
async def test_official_sdk_in_strict_mode(emulator: Emulator, emulator_url: str) -> None:
    import mux_python
    from mux_python import exceptions as mux_exceptions

    def client(token_id: str, secret: str) -> Any:
        configuration = mux_python.Configuration(
            host=emulator_url, username=token_id, password=secret
        )
        return mux_python.ApiClient(configuration)

    stranger = client(TOKEN_ID, TOKEN_SECRET)
    with pytest.raises(mux_exceptions.UnauthorizedException):
        await in_thread(spaces_api(stranger).list_spaces)
    stranger.close()
    emulator.vendors["mux"].seed({"token_id": TOKEN_ID, "token_secret": TOKEN_SECRET})
    seeded = client(TOKEN_ID, TOKEN_SECRET)
    assert (await in_thread(spaces_api(seeded).list_spaces)).data == []
    seeded.close()
