"""The Mux emulation against Mux's own description of its API, one test per endpoint.

The facts pinned here come from Mux's OpenAPI document as it stood in February 2023, while
Spaces was live (its schemas, request and response examples), and from answers Mux gave that
an official SDK recorded (marked "recorded"). Only small literal facts are carried over: key
sets, statuses, defaults, enum values. ``docs/fidelity.md`` names these tests per endpoint.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.emulator.mux.routes import DEFAULT_TOKEN_ID, DEFAULT_TOKEN_SECRET
from aiospaces.mux import LiveStream, Mux
from aiospaces.mux.models import converter

EMU = "http://emu"
AUTH = base64.b64encode(f"{DEFAULT_TOKEN_ID}:{DEFAULT_TOKEN_SECRET}".encode()).decode()
JSON_TYPE = "application/json; charset=utf-8"  # recorded on every JSON answer

# -- schema facts (components/schemas) -----------------------------------------------------------
SPACE_KEYS = {"id", "created_at", "type", "status"}  # Space.required; the create example's keys
SPACE_OPTIONAL = {"passthrough", "broadcasts", "active_session_id"}
BROADCAST_KEYS = {"id", "live_stream_id", "status", "layout", "resolution"}  # Broadcast.required
BROADCAST_OPTIONAL = {"passthrough", "background"}
# the live-stream examples' keys (create, get, list, update, reset-stream-key)
# fmt: off
LIVE_STREAM_KEYS = {
    "id", "created_at", "stream_key", "status", "reconnect_window", "playback_ids",
    "new_asset_settings", "latency_mode", "max_continuous_duration",
}
LIVE_STREAM_OPTIONAL = {  # LiveStream's other properties
    "active_asset_id", "recent_asset_ids", "passthrough", "audio_only", "embedded_subtitles",
    "generated_subtitles", "use_slate_for_standard_latency", "reconnect_slate_url",
    "reduced_latency", "low_latency", "simulcast_targets", "test",
}
# fmt: on
SPACE_STATUSES = {"idle", "active"}
BROADCAST_STATUSES = {"idle", "active"}
LIVE_STREAM_STATUSES = {"active", "idle", "disabled"}
STREAM_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CREATED_AT = re.compile(r"^[0-9]+$")  # "format: int64" on a string: Unix seconds


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Basic {AUTH}"}
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url=f"{EMU}/video/v1", headers=headers
    ) as client:
        yield client


def data(response: httpx.Response, status: int) -> Any:
    """Return the ``data`` of a JSON answer after checking its status and envelope."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON_TYPE
    body = response.json()
    assert set(body) == {"data"}  # no totals, no cursors: pages end on an empty one
    return body["data"]


def assert_space(space: dict[str, Any]) -> None:
    assert SPACE_KEYS <= set(space) <= SPACE_KEYS | SPACE_OPTIONAL
    assert CREATED_AT.match(space["created_at"])
    assert space["type"] == "server"
    assert space["status"] in SPACE_STATUSES
    for broadcast in space.get("broadcasts", []):
        assert_broadcast(broadcast)


def assert_broadcast(broadcast: dict[str, Any]) -> None:
    assert BROADCAST_KEYS <= set(broadcast) <= BROADCAST_KEYS | BROADCAST_OPTIONAL
    assert broadcast["status"] in BROADCAST_STATUSES


def assert_live_stream(stream: dict[str, Any]) -> None:
    assert {"id", "created_at", "stream_key", "status"} <= set(stream)
    assert set(stream) <= LIVE_STREAM_KEYS | LIVE_STREAM_OPTIONAL
    assert CREATED_AT.match(stream["created_at"])
    assert STREAM_KEY.match(stream["stream_key"])
    assert stream["status"] in LIVE_STREAM_STATUSES
    assert stream["latency_mode"] in {"low", "reduced", "standard"}
    for playback in stream.get("playback_ids", []):
        assert set(playback) == {"id", "policy"}


async def live_stream(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = data(await http.post("/live-streams", json=body), 201)
    return result


async def space_with_broadcast(http: httpx.AsyncClient) -> tuple[str, str]:
    stream = await live_stream(http)
    space = data(
        await http.post("/spaces", json={"broadcasts": [{"live_stream_id": stream["id"]}]}), 201
    )
    return space["id"], space["broadcasts"][0]["id"]


async def join(http: httpx.AsyncClient, space_id: str) -> None:
    url = f"{EMU}/_emulator/mux/spaces/{space_id}/participants"
    assert (await http.post(url, json={"participant_id": "p"})).status_code == 201


# -- spaces -------------------------------------------------------------------------------------


async def test_create_space(http: httpx.AsyncClient) -> None:
    """create-space: 201 "Space Created"; the example request ``{"type": "server"}``."""
    space = data(await http.post("/spaces", json={"type": "server"}), 201)
    assert set(space) == SPACE_KEYS
    assert (space["type"], space["status"]) == ("server", "idle")
    assert_space(space)
    defaulted = data(await http.post("/spaces", json={}), 201)  # x-mux-no-required-properties
    assert defaulted["type"] == "server"  # SpaceType's default


async def test_list_spaces(http: httpx.AsyncClient) -> None:
    """list-spaces: 200, ``{"data": [Space]}``; ``limit`` defaults to 25, ``page`` to 1."""
    for _ in range(26):
        await http.post("/spaces", json={})
    first = data(await http.get("/spaces"), 200)
    assert len(first) == 25
    for space in first:
        assert_space(space)
    assert len(data(await http.get("/spaces", params={"page": 2}), 200)) == 1
    assert data(await http.get("/spaces", params={"page": 3}), 200) == []


async def test_get_space(http: httpx.AsyncClient) -> None:
    """get-space: 200, "the same information is returned when creating a space"."""
    created = data(await http.post("/spaces", json={"passthrough": "p"}), 201)
    got = data(await http.get(f"/spaces/{created['id']}"), 200)
    assert got == created
    assert got["passthrough"] == "p"
    assert_space(got)


async def test_delete_space(http: httpx.AsyncClient) -> None:
    """delete-space: 204 "No Content"."""
    created = data(await http.post("/spaces", json={}), 201)
    deleted = await http.delete(f"/spaces/{created['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert "content-type" not in deleted.headers


# -- space broadcasts ---------------------------------------------------------------------------


async def test_create_space_broadcast(http: httpx.AsyncClient) -> None:
    """create-space-broadcast: 201; the example request ``{"live_stream_id": ...}`` answers the
    defaults ``layout: gallery``, ``resolution: 1920x1080``, ``status: idle``."""
    stream = await live_stream(http)
    space = data(await http.post("/spaces", json={}), 201)
    body = {"live_stream_id": stream["id"]}
    broadcast = data(await http.post(f"/spaces/{space['id']}/broadcasts", json=body), 201)
    assert set(broadcast) == BROADCAST_KEYS
    assert broadcast["live_stream_id"] == stream["id"]
    assert (broadcast["layout"], broadcast["resolution"], broadcast["status"]) == (
        "gallery",
        "1920x1080",
        "idle",
    )
    missing = await http.post(f"/spaces/{space['id']}/broadcasts", json={})  # required
    assert missing.status_code == 400


async def test_get_space_broadcast(http: httpx.AsyncClient) -> None:
    """get-space-broadcast: 200, the Broadcast; the space lists it under ``broadcasts``."""
    space_id, broadcast_id = await space_with_broadcast(http)
    broadcast = data(await http.get(f"/spaces/{space_id}/broadcasts/{broadcast_id}"), 200)
    assert set(broadcast) == BROADCAST_KEYS
    assert data(await http.get(f"/spaces/{space_id}"), 200)["broadcasts"] == [broadcast]


async def test_delete_space_broadcast(http: httpx.AsyncClient) -> None:
    """delete-space-broadcast: 204 "No Content"."""
    space_id, broadcast_id = await space_with_broadcast(http)
    deleted = await http.delete(f"/spaces/{space_id}/broadcasts/{broadcast_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")


async def test_start_space_broadcast(http: httpx.AsyncClient) -> None:
    """start-space-broadcast: 200 ``{"data": {}}`` once the space is active."""
    space_id, broadcast_id = await space_with_broadcast(http)
    await join(http, space_id)
    assert data(await http.post(f"/spaces/{space_id}/broadcasts/{broadcast_id}/start"), 200) == {}
    got = data(await http.get(f"/spaces/{space_id}/broadcasts/{broadcast_id}"), 200)
    assert got["status"] == "active"


async def test_stop_space_broadcast(http: httpx.AsyncClient) -> None:
    """stop-space-broadcast: 200 ``{"data": {}}``; the live stream becomes idle."""
    space_id, broadcast_id = await space_with_broadcast(http)
    await join(http, space_id)
    path = f"/spaces/{space_id}/broadcasts/{broadcast_id}"
    await http.post(f"{path}/start")
    assert data(await http.post(f"{path}/stop"), 200) == {}
    broadcast = data(await http.get(path), 200)
    stream = data(await http.get(f"/live-streams/{broadcast['live_stream_id']}"), 200)
    assert (broadcast["status"], stream["status"]) == ("idle", "idle")
    assert_live_stream(stream)


# -- live streams -------------------------------------------------------------------------------


async def test_create_live_stream(http: httpx.AsyncClient) -> None:
    """create-live-stream: 201; the example request answers the example's keys and values."""
    body = {"playback_policy": ["public"], "new_asset_settings": {"playback_policy": ["public"]}}
    stream = await live_stream(http, **body)
    assert set(stream) == LIVE_STREAM_KEYS
    assert stream["new_asset_settings"] == {"playback_policies": ["public"]}  # normalised
    assert [p["policy"] for p in stream["playback_ids"]] == ["public"]
    assert stream["status"] == "idle"
    assert (stream["latency_mode"], stream["max_continuous_duration"]) == ("standard", 43200)
    assert stream["reconnect_window"] == 60
    assert isinstance(stream["reconnect_window"], int)  # 60, not 60.0
    assert "playback_policy" not in stream
    assert_live_stream(stream)


async def test_get_live_stream(http: httpx.AsyncClient) -> None:
    """get-live-stream: 200, "the same information is returned when creating a live stream"."""
    created = await live_stream(http, playback_policy="public")
    got = data(await http.get(f"/live-streams/{created['id']}"), 200)
    assert got == created
    assert_live_stream(got)


async def test_list_live_streams(http: httpx.AsyncClient) -> None:
    """list-live-streams: 200 ``{"data": [LiveStream]}``, newest first (recorded); ``status``
    takes LiveStreamStatus and ``stream_key`` one key."""
    older = await live_stream(http, playback_policy=["public"])
    newer = await live_stream(http)
    listed = data(await http.get("/live-streams"), 200)
    assert [s["id"] for s in listed] == [newer["id"], older["id"]]
    for stream in listed:
        assert_live_stream(stream)
    for status in LIVE_STREAM_STATUSES:
        assert (await http.get("/live-streams", params={"status": status})).status_code == 200
    by_key = data(await http.get("/live-streams", params={"stream_key": older["stream_key"]}), 200)
    assert by_key == [older]


async def test_delete_live_stream(http: httpx.AsyncClient) -> None:
    """delete-live-stream: 204 "No Content"."""
    created = await live_stream(http)
    deleted = await http.delete(f"/live-streams/{created['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await http.get(f"/live-streams/{created['id']}")).status_code == 404


async def test_signal_live_stream_complete(http: httpx.AsyncClient) -> None:
    """signal-live-stream-complete: 200 ``{"data": {}}``, on an idle stream too."""
    created = await live_stream(http)
    assert data(await http.put(f"/live-streams/{created['id']}/complete"), 200) == {}


# -- normalisations and echoes of a live-stream create ------------------------------------------


async def test_live_stream_policies_are_normalised_as_recorded(http: httpx.AsyncClient) -> None:
    """Recorded: a single name stands for a list, and ``playback_ids`` is absent with none."""
    body = {"playback_policy": "signed", "new_asset_settings": {"playback_policy": "signed"}}
    stream = await live_stream(http, **body)
    assert stream["new_asset_settings"] == {"playback_policies": ["signed"]}
    assert [p["policy"] for p in stream["playback_ids"]] == ["signed"]
    bare = await live_stream(http)
    assert {"playback_ids", "new_asset_settings"}.isdisjoint(bare)
    kept = await live_stream(http, new_asset_settings={"mp4_support": "standard"})
    assert kept["new_asset_settings"] == {"mp4_support": "standard"}
    newer = await live_stream(http, new_asset_settings={"playback_policies": ["public"]})
    assert newer["new_asset_settings"] == {"playback_policies": ["public"]}
    for settings in ({"playback_policy": ["open"]}, {"playback_policy": 1}):
        refused = await http.post("/live-streams", json={"new_asset_settings": settings})
        assert refused.status_code == 400


async def test_live_stream_deprecated_latency_flags(http: httpx.AsyncClient) -> None:
    """``reduced_latency``/``low_latency`` (deprecated) set ``latency_mode`` and are echoed
    (recorded before ``latency_mode`` existed); "cannot be combined" with each other."""
    low = await live_stream(http, low_latency=True)
    assert (low["latency_mode"], low["low_latency"]) == ("low", True)
    reduced = await live_stream(http, reduced_latency=True)
    assert (reduced["latency_mode"], reduced["reduced_latency"]) == ("reduced", True)
    mode_wins = await live_stream(http, latency_mode="standard", reduced_latency=False)
    assert mode_wins["latency_mode"] == "standard"
    for body in ({"low_latency": True, "reduced_latency": True}, {"low_latency": "yes"}):
        assert (await http.post("/live-streams", json=body)).status_code == 400


async def test_live_stream_settings_are_echoed_with_their_defaults(
    http: httpx.AsyncClient,
) -> None:
    """LiveStream's other properties come back as set, with the schemas' defaults filled in."""
    stream = await live_stream(
        http,
        reconnect_window=30.5,
        test=True,
        audio_only=False,
        use_slate_for_standard_latency=True,
        reconnect_slate_url="https://example.com/slate.png",
        embedded_subtitles=[{"name": "cc"}],
        generated_subtitles=[{"name": "asr", "transcription_vocabulary_ids": ["v1"]}],
        simulcast_targets=[{"url": "rtmp://live.example.com/app", "stream_key": "k"}],
    )
    assert stream["reconnect_window"] == 30.5
    assert (stream["test"], stream["audio_only"]) == (True, False)
    assert stream["use_slate_for_standard_latency"] is True
    assert stream["reconnect_slate_url"] == "https://example.com/slate.png"
    assert stream["embedded_subtitles"] == [
        {"name": "cc", "language_code": "en", "language_channel": "cc1"}
    ]
    assert stream["generated_subtitles"] == [
        {"name": "asr", "language_code": "en", "transcription_vocabulary_ids": ["v1"]}
    ]
    (target,) = stream["simulcast_targets"]
    assert set(target) == {"id", "status", "url", "stream_key"}
    assert target["status"] == "idle"
    assert_live_stream(stream)
    assert data(await http.get(f"/live-streams/{stream['id']}"), 200) == stream


@pytest.mark.parametrize(
    "body",
    [
        {"test": "yes"},
        {"audio_only": 1},
        {"use_slate_for_standard_latency": "true"},
        {"reconnect_slate_url": 5},
        {"embedded_subtitles": {}},
        {"embedded_subtitles": ["cc"]},
        {"embedded_subtitles": [{"language_channel": "cc2"}]},
        {"embedded_subtitles": [{"colour": "red"}]},
        {"generated_subtitles": [{"language_code": "fr"}]},
        {"generated_subtitles": [{"transcription_vocabulary_ids": "v1"}]},
        {"simulcast_targets": [{"stream_key": "k"}]},
        {"simulcast_targets": [{"url": 5}]},
    ],
)
async def test_live_stream_settings_of_the_wrong_type_are_refused(
    http: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await http.post("/live-streams", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_parameters"


# -- errors and webhooks ------------------------------------------------------------------------


async def test_error_answers_have_muxs_shape(http: httpx.AsyncClient) -> None:
    """Recorded: ``{"error": {"type", "messages": [...]}}`` with Mux's content type."""
    answers = [
        (await http.get("/spaces/nope"), 404, "not_found"),
        (
            await http.post("/live-streams", json={"latency_mode": "fast"}),
            400,
            "invalid_parameters",
        ),
        (await http.get("/spaces", headers={"Authorization": "Basic !!"}), 401, "unauthorized"),
    ]
    for response, status, kind in answers:
        assert response.status_code == status
        assert response.headers["content-type"] == JSON_TYPE
        error = response.json()["error"]
        assert set(error) == {"type", "messages"}
        assert error["type"] == kind
        assert error["messages"]
        assert all(isinstance(m, str) for m in error["messages"])


async def test_webhook_events_have_the_sdk_typed_envelope(http: httpx.AsyncClient) -> None:
    """The envelope Mux's Node SDK typed (``BaseWebhookEvent``), the Spaces event names, and a
    live stream's webhook data as observed (mux-go issue 39)."""
    space_id, broadcast_id = await space_with_broadcast(http)
    await join(http, space_id)
    await http.post(f"/spaces/{space_id}/broadcasts/{broadcast_id}/start")
    events = (await http.get(f"{EMU}/_emulator/mux/webhooks")).json()
    for event in events:
        required = {"id", "type", "created_at", "data", "object", "environment", "attempts"}
        assert required <= set(event) <= required | {"accessor", "accessor_source", "request_id"}
        assert set(event["object"]) == {"id", "type"}
        assert set(event["environment"]) == {"id", "name"}
        assert event["object"]["id"] == event["data"]["id"]
        kind = event["type"]
        if kind.startswith("video.space.broadcast."):
            assert_broadcast(event["data"])
        elif kind.startswith("video.space."):
            assert_space(event["data"])
        else:  # observed: created_at a number, connected/recording true while active
            stream = event["data"]
            assert isinstance(stream["created_at"], int)
            assert stream["connected"] is stream["recording"] is (stream["status"] == "active")
            api = {k: v for k, v in stream.items() if k not in ("connected", "recording")}
            assert_live_stream(api | {"created_at": str(stream["created_at"])})
    assert [e["type"] for e in events] == [
        "video.live_stream.created",
        "video.space.created",
        "video.space.broadcast.created",
        "video.space.active",
        "video.live_stream.active",
        "video.space.broadcast.active",
    ]


# -- our client reads both the spec's answer and the emulator's ---------------------------------


async def test_client_parses_the_spec_example_and_the_emulators_answer(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    example = {  # create-live-stream's response example, abridged ids
        "stream_key": "abcdefgh",
        "status": "idle",
        "reconnect_window": 60,
        "playback_ids": [{"policy": "public", "id": "HNRD"}],
        "new_asset_settings": {"playback_policies": ["public"]},
        "id": "ZEBr",
        "created_at": "1609937654",
        "latency_mode": "standard",
        "max_continuous_duration": 43200,
    }
    parsed = converter.structure(example, LiveStream)
    assert parsed.new_asset_settings == {"playback_policies": ["public"]}
    assert parsed.reconnect_window == 60.0
    recorded = {"stream_key": "k", "status": "idle", "id": "x", "created_at": "1592367125"}
    assert converter.structure(recorded, LiveStream).playback_ids == []
    mux: Mux = emulator_session.mux(**emulator.settings(EMU)["mux"])
    stream = await (
        mux.create_live_stream()
        .playback_policy("public")
        .new_asset_settings({"playback_policy": ["public"]})
    )
    assert stream.new_asset_settings == {"playback_policies": ["public"]}
    assert stream.reconnect_window == 60.0
    assert STREAM_KEY.match(stream.stream_key)
    assert await mux.get_live_stream(stream.id) == stream
