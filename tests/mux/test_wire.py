"""Exact requests of the Mux calls (respx) and parsing of every response and error shape."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.mux import (
    Broadcast,
    BroadcastLayout,
    BroadcastRequest,
    BroadcastResolution,
    BroadcastStatus,
    LiveStreamStatus,
    Mux,
    MuxConfig,
    MuxRateLimitError,
    RateLimit,
    Space,
    SpaceStatus,
    SpaceType,
)
from aiospaces.mux.client import USER_AGENT

BASE = "https://mux.example"
SPACES = f"{BASE}/video/v1/spaces"
STREAMS = f"{BASE}/video/v1/live-streams"
AUTH = "Basic " + base64.b64encode(b"tok-id:tok-secret").decode()
BROADCAST = {
    "id": "b1",
    "layout": "gallery",
    "live_stream_id": "ls1",
    "resolution": "1920x1080",
    "status": "idle",
}
SPACE = {
    "created_at": "1607452572",
    "id": "uylLl3WuQ54CwqUB9UHySxnN66sqKue5",
    "status": "idle",
    "type": "server",
}
STREAM = {
    "id": "ls1",
    "created_at": "1607452572",
    "stream_key": "sk-secret",
    "status": "idle",
    "playback_ids": [{"id": "pb1", "policy": "public"}],
    "latency_mode": "standard",
    "reconnect_window": 60,
    "max_continuous_duration": 43200,
    "new_asset_settings": {"playback_policies": ["public"]},
    "some_future_field": True,
}


def client(**extra: Any) -> Mux:
    return Mux(token_id="tok-id", token_secret="tok-secret", base_url=BASE, **extra)


def assert_common(request: httpx.Request, *, body: bool) -> None:
    assert request.headers["authorization"] == AUTH
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    if body:
        assert request.headers["content-type"] == "application/json"
    else:
        assert "content-type" not in request.headers
        assert request.content == b""


# -- spaces -------------------------------------------------------------------------------------


@respx.mock
async def test_create_space_chained_style_request_and_result() -> None:
    created = {**SPACE, "passthrough": "p", "broadcasts": [BROADCAST]}
    route = respx.post(SPACES).mock(return_value=httpx.Response(201, json={"data": created}))
    async with client() as mux:
        space = (
            await mux.create_space()
            .type("server")
            .passthrough("p")
            .broadcast(live_stream_id="ls1", layout="active-speaker", resolution="1280x720")
        )
    request = route.calls.last.request
    assert_common(request, body=True)
    assert request.url.raw_path == b"/video/v1/spaces"
    assert request.content == (
        b'{"type":"server","passthrough":"p","broadcasts":'
        b'[{"live_stream_id":"ls1","layout":"active-speaker","resolution":"1280x720"}]}'
    )
    assert isinstance(space, Space)
    assert space.created_at == datetime(2020, 12, 8, 18, 36, 12, tzinfo=UTC)
    assert (space.type, space.status, space.passthrough) == (
        SpaceType.SERVER,
        SpaceStatus.IDLE,
        "p",
    )
    assert space.active_session_id is None
    assert space.broadcasts == [
        Broadcast(
            id="b1",
            live_stream_id="ls1",
            status=BroadcastStatus.IDLE,
            layout=BroadcastLayout.GALLERY,
            resolution=BroadcastResolution.R1920X1080,
        )
    ]


@respx.mock
async def test_create_space_keyword_style_and_empty_body() -> None:
    route = respx.post(SPACES).mock(return_value=httpx.Response(201, json={"data": SPACE}))
    async with client() as mux:
        await mux.spaces.create(type="server")
        await mux.create_space()
        await mux.create_space(
            broadcasts=[BroadcastRequest(live_stream_id="a"), {"live_stream_id": "b"}]
        )
        await mux.create_space().broadcast(BroadcastRequest(live_stream_id="c", passthrough="x"))
    bodies = [call.request.content for call in route.calls]
    assert bodies == [
        b'{"type":"server"}',
        b"{}",
        b'{"broadcasts":[{"live_stream_id":"a"},{"live_stream_id":"b"}]}',
        b'{"broadcasts":[{"live_stream_id":"c","passthrough":"x"}]}',
    ]


@respx.mock
async def test_get_and_delete_space() -> None:
    active = {**SPACE, "status": "active", "active_session_id": "sess-1", "passthrough": "p"}
    get = respx.get(f"{SPACES}/sp%2F1").mock(
        return_value=httpx.Response(200, json={"data": active})
    )
    delete = respx.delete(f"{SPACES}/sp1").mock(return_value=httpx.Response(204))
    async with client() as mux:
        space = await mux.get_space("sp/1")
        same = await mux.spaces.get(space_id="sp/1")
        await mux.delete_space(space_id="sp1")
        await mux.spaces.delete("sp1")
    assert space == same
    assert (space.status, space.active_session_id) == (SpaceStatus.ACTIVE, "sess-1")
    assert get.calls.last.request.url.raw_path == b"/video/v1/spaces/sp%2F1"
    assert_common(get.calls.last.request, body=False)
    assert_common(delete.calls.last.request, body=False)
    assert delete.call_count == 2


@respx.mock
async def test_list_spaces_walks_pages_until_an_empty_one() -> None:
    pages = {
        "1": [{**SPACE, "id": "a"}, {**SPACE, "id": "b"}],
        "2": [{**SPACE, "id": "c"}],
        "3": [],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": pages[request.url.params.get("page", "1")]})

    route = respx.get(SPACES).mock(side_effect=answer)
    async with client() as mux:
        ids = [space.id async for space in mux.list_spaces(limit=2)]
        first = await mux.list_spaces()
        second = await mux.spaces.list().page(2).limit(2)
    assert ids == ["a", "b", "c"]
    paths = [call.request.url.raw_path for call in route.calls]
    assert paths == [
        b"/video/v1/spaces?limit=2",
        b"/video/v1/spaces?limit=2&page=2",
        b"/video/v1/spaces?limit=2&page=3",
        b"/video/v1/spaces",
        b"/video/v1/spaces?limit=2&page=2",
    ]
    assert [s.id for s in first.data] == ["a", "b"]
    assert (first.page, second.page, [s.id for s in second.data]) == (1, 2, ["c"])


# -- broadcasts ---------------------------------------------------------------------------------


@respx.mock
async def test_create_space_broadcast_request() -> None:
    made = {**BROADCAST, "passthrough": "p", "background": "https://img/b.png", "layout": "crop"}
    route = respx.post(f"{SPACES}/sp1/broadcasts").mock(
        return_value=httpx.Response(201, json={"data": made})
    )
    async with client() as mux:
        broadcast = await (
            mux.create_space_broadcast("sp1")
            .live_stream_id("ls1")
            .passthrough("p")
            .layout(BroadcastLayout.CROP)
            .resolution("720x720")
            .background("https://img/b.png")
        )
        await mux.spaces.create_broadcast(space_id="sp1", live_stream_id="ls1")
    first, second = (call.request for call in route.calls)
    assert_common(first, body=True)
    assert json.loads(first.content) == {
        "live_stream_id": "ls1",
        "passthrough": "p",
        "layout": "crop",
        "resolution": "720x720",
        "background": "https://img/b.png",
    }
    assert second.content == b'{"live_stream_id":"ls1"}'
    assert broadcast.layout is BroadcastLayout.CROP
    assert broadcast.background == "https://img/b.png"


@respx.mock
async def test_broadcast_get_delete_start_stop_requests() -> None:
    path = f"{SPACES}/sp1/broadcasts/b1"
    get = respx.get(path).mock(
        return_value=httpx.Response(200, json={"data": {**BROADCAST, "status": "active"}})
    )
    delete = respx.delete(path).mock(return_value=httpx.Response(204))
    start = respx.post(f"{path}/start").mock(return_value=httpx.Response(200, json={"data": {}}))
    stop = respx.post(f"{path}/stop").mock(return_value=httpx.Response(200, json={"data": {}}))
    async with client() as mux:
        broadcast = await mux.get_space_broadcast("sp1", "b1")
        started = await mux.start_space_broadcast("sp1", "b1").future()
        await mux.stop_space_broadcast(space_id="sp1", broadcast_id="b1")
        await mux.delete_space_broadcast("sp1", broadcast_id="b1")
        await mux.spaces.get_broadcast("sp1", "b1")
        await mux.spaces.start_broadcast("sp1", "b1")
        await mux.spaces.stop_broadcast("sp1", "b1")
        await mux.spaces.delete_broadcast("sp1", "b1")
    assert broadcast.status is BroadcastStatus.ACTIVE
    assert (started.result, started.status.status_code) == (None, 200)
    for route in (get, delete, start, stop):
        assert route.call_count == 2
        assert_common(route.calls.last.request, body=False)
    assert start.calls.last.request.headers["content-length"] == "0"


# -- live streams -------------------------------------------------------------------------------


@respx.mock
async def test_live_stream_requests_and_result() -> None:
    create = respx.post(STREAMS).mock(return_value=httpx.Response(201, json={"data": STREAM}))
    listing = respx.get(STREAMS).mock(return_value=httpx.Response(200, json={"data": [STREAM]}))
    one = f"{STREAMS}/ls1"
    get = respx.get(one).mock(return_value=httpx.Response(200, json={"data": STREAM}))
    delete = respx.delete(one).mock(return_value=httpx.Response(204))
    complete = respx.put(f"{one}/complete").mock(
        return_value=httpx.Response(200, json={"data": {}})
    )
    async with client() as mux:
        stream = await (
            mux.create_live_stream()
            .playback_policy("public", ["signed"])
            .new_asset_settings({"playback_policies": ["public"]})
            .passthrough("p")
            .latency_mode("low")
            .reconnect_window(30)
            .max_continuous_duration(3600)
            .test()
            .audio_only(False)
        )
        page = await mux.list_live_streams(limit=5, page=2).status("active").stream_key("k")
        await mux.live_streams.list()
        assert await mux.live_streams.get("ls1") == stream
        await mux.get_live_stream(live_stream_id="ls1")
        await mux.live_streams.complete("ls1")
        await mux.complete_live_stream("ls1")
        await mux.live_streams.delete("ls1")
        await mux.delete_live_stream("ls1")
        await mux.live_streams.create()
    assert json.loads(create.calls[0].request.content) == {
        "playback_policy": ["public", "signed"],
        "new_asset_settings": {"playback_policies": ["public"]},
        "passthrough": "p",
        "latency_mode": "low",
        "reconnect_window": 30,
        "max_continuous_duration": 3600,
        "test": True,
        "audio_only": False,
    }
    assert create.calls[1].request.content == b"{}"
    assert [c.request.url.raw_path for c in listing.calls] == [
        b"/video/v1/live-streams?limit=5&page=2&stream_key=k&status=active",
        b"/video/v1/live-streams",
    ]
    assert page.page == 2
    assert stream.status is LiveStreamStatus.IDLE
    assert stream.playback_ids[0].policy == "public"
    assert "sk-secret" not in repr(stream)
    assert stream.stream_key == "sk-secret"
    for route in (get, delete, complete):
        assert route.call_count == 2
        assert_common(route.calls.last.request, body=False)


# -- errors -------------------------------------------------------------------------------------


@respx.mock
async def test_standard_error_shape_maps_to_typed_errors() -> None:
    answers = {
        400: ("invalid_parameters", "Broadcast cannot be started while the space is idle"),
        401: ("unauthorized", "Unauthorized request"),
        403: ("forbidden", "Forbidden"),
        404: ("not_found", "The requested resource either doesn't exist"),
        409: ("conflict", "Conflict"),
    }
    expected: dict[int, type[aiospaces.APIError]] = {
        400: aiospaces.BadRequestError,
        401: aiospaces.AuthenticationError,
        403: aiospaces.PermissionDeniedError,
        404: aiospaces.NotFoundError,
        409: aiospaces.ConflictError,
    }
    async with client() as mux:
        for status, (kind, message) in answers.items():
            respx.get(f"{SPACES}/s{status}").mock(
                return_value=httpx.Response(
                    status,
                    json={"error": {"type": kind, "messages": [message, "more"]}},
                    headers={"x-request-id": f"req-{status}"},
                )
            )
            with pytest.raises(expected[status]) as caught:
                await mux.get_space(f"s{status}")
            error = caught.value
            assert (error.status_code, error.vendor, error.error_type) == (status, "mux", kind)
            assert error.message == f"{message}; more"
            assert error.request_id == f"req-{status}"


@respx.mock
async def test_429_errors_shape_exposes_rate_limit_headers(sleeps: list[float]) -> None:
    route = respx.get(f"{SPACES}/sp1").mock(
        return_value=httpx.Response(
            429,
            json={"errors": ["Too many requests, retry later."]},
            headers={"x-ratelimit-limit": "5", "x-ratelimit-remaining": "0", "x-request-id": "r"},
        )
    )
    async with client() as mux:
        with pytest.raises(MuxRateLimitError) as caught:
            await mux.get_space("sp1")
    error = caught.value
    assert isinstance(error, aiospaces.RateLimitError)
    assert error.message == "Too many requests, retry later."
    assert error.rate_limit == RateLimit(limit=5, remaining=0)
    assert error.retry_after is None  # Mux sends no Retry-After
    assert route.call_count == 3  # two retries by default
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5  # exponential backoff, jittered
    assert 0.75 <= sleeps[1] <= 1.0


@respx.mock
async def test_429_storm_is_retried_and_remaining_is_on_the_envelope(sleeps: list[float]) -> None:
    limited = httpx.Response(429, json={"errors": ["Too many requests, retry later."]})
    ok = httpx.Response(
        200, json={"data": SPACE}, headers={"x-ratelimit-limit": "5", "x-ratelimit-remaining": "4"}
    )
    respx.get(f"{SPACES}/sp1").mock(side_effect=[limited] * 5 + [ok])
    async with client(max_retries=6) as mux:
        envelope = await mux.get_space("sp1").future()
    assert envelope.status.attempts == 6
    assert len(sleeps) == 5
    assert RateLimit.from_headers(envelope.status.headers) == RateLimit(5, 4)
    assert RateLimit.from_headers(httpx.Headers({"x-ratelimit-remaining": "x"})) == RateLimit()


@respx.mock
async def test_server_error_and_non_json_error() -> None:
    respx.get(f"{SPACES}/a").mock(return_value=httpx.Response(502, text="Bad gateway"))
    async with client(max_retries=0) as mux:
        with pytest.raises(aiospaces.ServerError) as caught:
            await mux.get_space("a")
    assert caught.value.message == "Bad gateway"


# -- configuration and validation ---------------------------------------------------------------


def test_env_vars_and_explicit_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUX_TOKEN_ID", "env-id")
    monkeypatch.setenv("MUX_TOKEN_SECRET", "env-secret")
    monkeypatch.setenv("MUX_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MUX_WEBHOOK_SECRET", "whsec")
    config = MuxConfig.from_env()
    assert (config.token_id, config.token_secret, config.base_url) == (
        "env-id",
        "env-secret",
        "http://127.0.0.1:9",
    )
    assert MuxConfig.from_env({"token_id": "arg-id", "base_url": None}).token_id == "arg-id"
    mux = Mux(token_secret="other-pw")
    text = repr(mux)
    assert "env-id" in text
    assert "other-pw" not in text
    assert "env-secret" not in text
    assert "whsec" not in text
    assert "whsec" not in repr(mux.webhooks)
    assert "other-pw" not in repr(mux.config)


def test_missing_or_bad_settings_raise_validation_errors() -> None:
    with pytest.raises(aiospaces.ValidationError, match="MUX_TOKEN_ID"):
        Mux(token_secret="s")
    with pytest.raises(aiospaces.ValidationError, match="MUX_TOKEN_SECRET"):
        Mux(token_id="i")
    with pytest.raises(aiospaces.ValidationError):
        Mux(token_id="i", token_secret="s", base_url="")
    with pytest.raises(TypeError):
        Mux(token_id="i", token_secret="s", nonsense=1)  # type: ignore[call-arg]
    for bad in (
        {"base_url": "api.mux.com"},
        {"timeout": "3"},
        {"timeout": 0},
        {"timeout": True},
        {"max_retries": -1},
        {"max_retries": "2"},
        {"max_retries": 1.5},
    ):
        with pytest.raises(aiospaces.ValidationError, match=next(iter(bad))):
            Mux(token_id="i", token_secret="s", **bad)
    with pytest.raises(TypeError):
        Mux(config=MuxConfig(token_id="i", token_secret="s"), token_id="i")


@respx.mock
async def test_session_factory_shares_the_pool_and_config_timeout() -> None:
    route = respx.get(f"{SPACES}/x").mock(return_value=httpx.Response(200, json={"data": SPACE}))
    async with aiospaces.Session() as session:
        mux = session.mux(token_id="i", token_secret="s", base_url=BASE, timeout=3.0, max_retries=1)
        other = session.mux(config=MuxConfig(token_id="j", token_secret="t"))
        assert mux.session is other.session is session
        await mux.get_space("x")
        await mux.get_space("x", timeout=1.0)
    first, second = (call.request.extensions["timeout"] for call in route.calls)
    assert first == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0}
    assert second == {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}


@pytest.mark.parametrize(
    "make",
    [
        lambda mux: mux.get_space(),
        lambda mux: mux.get_space(""),
        lambda mux: mux.get_space("x" * 256),
        lambda mux: mux.delete_space(),
        lambda mux: mux.start_space_broadcast("sp1"),
        lambda mux: mux.stop_space_broadcast(broadcast_id="b"),
        lambda mux: mux.create_space_broadcast("sp1"),
        lambda mux: mux.create_space_broadcast(live_stream_id="ls"),
        lambda mux: mux.get_live_stream(),
        lambda mux: mux.create_space(broadcasts=[{"nope": 1}]),
    ],
)
async def test_missing_arguments_fail_before_any_request(make: Any) -> None:
    with respx.mock(assert_all_called=False) as router:
        async with client() as mux:
            with pytest.raises(aiospaces.ValidationError):
                await make(mux)
        assert not router.calls


def test_setter_validation() -> None:
    mux: Any = client()
    bad = [
        lambda: mux.create_space(type="browser"),
        lambda: mux.create_space(passthrough="x" * 256),
        lambda: mux.create_space(passthrough=5),
        lambda: mux.create_space().broadcast(live_stream_id=""),
        lambda: mux.create_space().broadcast(live_stream_id="ls", layout="grid"),
        lambda: mux.create_space().broadcast(live_stream_id="ls", resolution="4k"),
        lambda: mux.create_space().broadcast(live_stream_id="ls", background=1),
        lambda: mux.create_space().broadcast(42),
        lambda: mux.create_space().broadcasts({"live_stream_id": "ls"}),
        lambda: mux.create_space_broadcast("s").layout("grid"),
        lambda: mux.list_spaces(limit=0),
        lambda: mux.list_spaces(limit=101),
        lambda: mux.list_spaces(page=True),
        lambda: mux.list_live_streams(status="gone"),
        lambda: mux.create_live_stream().playback_policy("open"),
        lambda: mux.create_live_stream().latency_mode("fast"),
        lambda: mux.create_live_stream().reconnect_window(1801),
        lambda: mux.create_live_stream().reconnect_window("1"),
        lambda: mux.create_live_stream().max_continuous_duration(59),
        lambda: mux.create_live_stream().new_asset_settings([]),
    ]
    make: Callable[[], object]
    for make in bad:
        with pytest.raises(aiospaces.ValidationError):
            make()
    with pytest.raises(TypeError):
        mux.create_space().broadcast({"live_stream_id": "a"}, layout="crop")
    with pytest.raises(TypeError):
        mux.get_space("a", space_id="b")
    with pytest.raises(TypeError):
        mux.create_space(bogus=1)
