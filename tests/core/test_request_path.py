"""The one request path: ``request()`` and ``stream()`` that multi-step calls are built on."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import attrs
import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.convert import Model
from aiospaces.core.request import CallOptions, RequestSpec
from aiospaces.core.transport import Backend, PoolStats, redact_url, register_secrets
from aiospaces.pubnub.models import Space
from tests.core.toy import ToyClient

BASE = "https://toy.example"


@respx.mock
async def test_request_returns_the_read_response_and_its_status() -> None:
    route = respx.post(f"{BASE}/things").mock(
        return_value=httpx.Response(201, json={"ok": True}, headers={"x-request-id": "r1"})
    )
    async with ToyClient(base_url=BASE) as toy:
        spec = RequestSpec.with_json("POST", "/things", {"name": "é", "n": 1})
        options = CallOptions(headers={"X-Trace": "t"}, query=[("debug", "1")])
        exchange = await toy.request(spec, options)
    assert exchange.response.is_closed
    assert exchange.response.json() == {"ok": True}
    assert (exchange.status.status_code, exchange.status.request_id) == (201, "r1")
    assert exchange.status.attempts == 1
    sent = route.calls.last.request
    assert sent.content == '{"name":"é","n":1}'.encode()
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["x-trace"] == "t"
    assert sent.url.query == b"debug=1"


@respx.mock
async def test_request_maps_errors_and_retries_per_the_options(retry_waits: list[float]) -> None:
    route = respx.get(f"{BASE}/flaky").mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(404)]
    )
    down = respx.get(f"{BASE}/down").mock(return_value=httpx.Response(503))
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.NotFoundError):
            await toy.request(RequestSpec(method="GET", path="/flaky"), CallOptions(max_retries=5))
        with pytest.raises(aiospaces.ServerError):
            await toy.request(RequestSpec(method="GET", path="/down"), CallOptions(max_retries=0))
    assert (route.call_count, down.call_count) == (3, 1)
    assert len(retry_waits) == 2  # two backoffs, none of them slept for real


async def test_stream_leaves_the_body_to_the_caller_and_closes_it() -> None:
    # the httpcore mocker hands out an unread body (the "httpx" mocker, a read one)
    async with aiospaces.Session(backend="httpx") as session, respx.mock(using="httpcore") as mock:
        mock.get(f"{BASE}/big").mock(return_value=httpx.Response(200, content=b"x" * 100_000))
        toy = ToyClient(session, base_url=BASE)
        async with toy.stream(RequestSpec(method="GET", path="/big")) as exchange:
            open_inside = not exchange.response.is_closed
            body = b"".join([chunk async for chunk in exchange.response.aiter_bytes()])
        assert open_inside
        assert exchange.response.is_closed
    assert len(body) == 100_000


@pytest.mark.parametrize("backend", ["auto", "httpx", "aiohttp"])
async def test_stream_reads_a_real_streamed_body_on_every_backend(
    loopback_url: str, backend: Backend
) -> None:
    async with aiospaces.Session(backend=backend) as session:
        toy = ToyClient(session, base_url=loopback_url)
        async with toy.stream(RequestSpec(method="GET", path="/download")) as exchange:
            open_inside = not exchange.response.is_closed
            body = b"".join([chunk async for chunk in exchange.response.aiter_bytes()])
        assert open_inside
        assert exchange.response.is_closed
        assert session.pool_stats() == PoolStats(connections=1, in_flight=0)
    assert body == b"x" * 4000


@respx.mock
async def test_a_broken_body_inside_stream_is_a_transport_error() -> None:
    respx.get(f"{BASE}/big").mock(return_value=httpx.Response(200, content=b"x"))
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.TransportError, match="ReadError"):
            async with toy.stream(RequestSpec(method="GET", path="/big")) as exchange:
                raise httpx.ReadError("connection reset", request=exchange.response.request)


@respx.mock
async def test_redirects_are_followed_only_when_the_spec_asks() -> None:
    respx.get(f"{BASE}/moved").mock(
        return_value=httpx.Response(307, headers={"Location": f"{BASE}/here"})
    )
    respx.get(f"{BASE}/here").mock(return_value=httpx.Response(200, content=b"here"))
    async with ToyClient(base_url=BASE) as toy:
        kept = await toy.request(RequestSpec(method="GET", path="/moved"))
        followed = await toy.request(
            RequestSpec(method="GET", path="/moved", follow_redirects=True)
        )
    assert kept.status.status_code == 307
    assert (followed.response.content, followed.status.attempts) == (b"here", 2)


def test_vendors_register_the_secrets_their_urls_carry() -> None:
    url = "https://h/v1/tokens/abcdef/x?auth=a1&signature=s1&token=t1&name=n"
    assert redact_url(url) == "https://h/v1/tokens/***/x?auth=***&signature=***&token=***&name=n"
    register_secrets(query=["Api-Key"], path_parents=["Keys"])
    assert redact_url("https://h/keys/k1/keys/42?api-key=z") == (
        "https://h/keys/***/keys/42?api-key=***"
    )


async def test_the_debug_retry_log_masks_registered_secrets(
    caplog: pytest.LogCaptureFixture, retry_waits: list[float]
) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    async with aiospaces.Session(transport=transport) as session:
        pn = session.pubnub(subscribe_key="sub", user_id="u", auth_key="sekrit", max_retries=1)
        with (
            caplog.at_level(logging.INFO, logger="aiospaces"),
            pytest.raises(aiospaces.ServerError),
        ):
            await pn.fetch_space(space_id="room")
    assert "auth=***" in caplog.text
    assert "sekrit" not in caplog.text


@attrs.frozen
class Thing(Model):
    name: str
    when: datetime
    tags: list[str] = attrs.field(factory=list)


def test_results_turn_into_json_ready_dicts() -> None:
    thing = Thing("a", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), ["x"])
    assert thing.to_dict() == {"name": "a", "when": "2026-01-02T03:04:05Z", "tags": ["x"]}
    space = Space(id="r", updated=thing.when, etag="e", custom={"k": 1})
    assert json.loads(json.dumps(space.to_dict()))["custom"] == {"k": 1}
