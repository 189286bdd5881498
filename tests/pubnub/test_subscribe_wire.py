"""Exact requests of subscribe (respx): the handshake, the cursor, channels, groups, filters,
signatures and the long-poll's own read timeout; and the file URL a file event carries."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import respx

import aiospaces
from tests.pubnub.test_realtime_wire import (
    JS,
    NOW,
    ORIGIN,
    SDK,
    SENT,
    SUB,
    client,
    expected_v2,
    query_pairs,
    raw,
)


@pytest.fixture(autouse=True)
def no_waiting(retry_waits: list[float]) -> list[float]:
    return retry_waits


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(time, "time", lambda: float(NOW))
    return NOW


# -- subscribe --------------------------------------------------------------------------------


def answer(
    tt: str, region: int = 42, messages: list[dict[str, Any]] | None = None
) -> httpx.Response:
    return httpx.Response(200, json={"t": {"t": tt, "r": region}, "m": messages or []}, headers=JS)


def message(channel: str, tt: str, payload: Any = "hey", **extra: Any) -> dict[str, Any]:
    return {"a": "3", "f": 0, "i": "pub-1", "p": {"t": tt, "r": 42}, "k": SUB, "c": channel,
            "d": payload, **extra}  # fmt: skip


@respx.mock
async def test_subscribe_handshakes_then_polls_with_tt_and_tr() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v2/subscribe/")
    route.side_effect = [
        answer("17309129601106056"),
        answer("17379929965457610", messages=[message("ch", "17379929965457610")]),
    ]
    async with client() as pn, pn.subscribe(channels=["ch"]) as sub:
        event = await anext(sub)
    assert event.timetoken == 17379929965457610
    first, second = (raw(call.request) for call in route.calls)
    assert first == f"/v2/subscribe/{SUB}/ch/0?tt=0&{SDK}&uuid=me"
    assert second == f"/v2/subscribe/{SUB}/ch/0?tt=17309129601106056&tr=42&{SDK}&uuid=me"


@respx.mock
async def test_subscribe_path_and_query_follow_the_sdk() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v2/subscribe/")
    route.side_effect = [
        answer("17309129601106056"),
        answer("17309129601106057", messages=[message("ch 1", "17309129601106057")]),
    ]
    async with client(auth_key="ak") as pn:
        sub = pn.subscribe(
            channels=["ch 1", "a,b"], channel_groups=["g2", "g 1"], with_presence=True,
            filter_expression="uuid != 'x'", heartbeat=60,
        )  # fmt: skip
        async with sub:
            await anext(sub)
    first, second = (raw(call.request) for call in route.calls)
    channels = "a%2Cb,a%2Cb-pnpres,ch%201,ch%201-pnpres"
    groups = "channel-group=g%201,g%201-pnpres,g2,g2-pnpres"
    common = "filter-expr=uuid%20%21%3D%20%27x%27"
    assert first == (
        f"/v2/subscribe/{SUB}/{channels}/0?{groups}&{common}&tt=0&heartbeat=60&{SDK}&uuid=me&auth=ak"
    )
    assert second == (
        f"/v2/subscribe/{SUB}/{channels}/0?{groups}&{common}&tt=17309129601106056&tr=42"
        f"&heartbeat=60&{SDK}&uuid=me&auth=ak"
    )


@respx.mock
async def test_subscribing_to_groups_only_puts_a_comma_in_the_path_and_region_zero_is_omitted() -> (
    None
):
    route = respx.get(url__startswith=f"{ORIGIN}/v2/subscribe/")
    route.side_effect = [
        answer("17309129601106056", region=0),
        answer("17309129601106057", region=0, messages=[message("ch", "17309129601106057")]),
    ]
    async with client() as pn, pn.subscribe(channel_groups="g1") as sub:
        event = await anext(sub)
    assert event.channel == "ch"
    assert [raw(call.request) for call in route.calls] == [
        f"/v2/subscribe/{SUB}/,/0?channel-group=g1&tt=0&{SDK}&uuid=me",
        f"/v2/subscribe/{SUB}/,/0?channel-group=g1&tt=17309129601106056&{SDK}&uuid=me",
    ]


@respx.mock
async def test_a_signed_subscribe_signs_the_filter_as_the_server_reads_it(frozen_time: int) -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v2/subscribe/")
    route.side_effect = [answer("17309129601106056", messages=[message("ch", "17309129601106056")])]
    async with (
        client(secret_key="sec-c-x") as pn,
        pn.subscribe(
            channels="ch", channel_groups=["g1", "g2"], filter_expression="a == 'b~c'"
        ) as sub,
    ):
        await anext(sub)
    request = route.calls.last.request
    pairs = query_pairs(request)
    assert dict(pairs)["channel-group"] == "g1,g2"
    assert dict(pairs)["filter-expr"] == "a == 'b~c'"
    path = raw(request).partition("?")[0]
    assert dict(pairs)["signature"] == expected_v2("GET", path, pairs)


@respx.mock
async def test_the_long_poll_alone_gets_a_310_second_read_timeout() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v2/subscribe/")
    route.side_effect = [answer("17309129601106056", messages=[message("ch", "17309129601106056")])]
    publish = respx.get(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT)
    async with client() as pn:
        async with pn.subscribe(channels="ch") as sub:
            await anext(sub)
        await pn.publish(channel="ch", message=1)
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 10.0, "read": 310.0, "write": 10.0, "pool": 10.0}
    assert publish.calls.last.request.extensions["timeout"]["read"] == 60.0


def test_file_url_is_pubnubs_signed_file_path(frozen_time: int) -> None:
    pn = client(secret_key="sec-c-x", auth_key="ak")
    url = httpx.URL(pn.file_url("ch 1", "fid-1", "a b.txt"))
    path = f"/v1/files/{SUB}/channels/ch%201/files/fid-1/a%20b.txt"
    assert url.raw_path.decode().startswith(f"{path}?{SDK}&uuid=me&auth=ak&timestamp={NOW}")
    pairs = [
        (k, unquote(v)) for k, _, v in (p.partition("=") for p in url.query.decode().split("&"))
    ]
    assert dict(pairs)["signature"] == expected_v2("GET", path, pairs)
    assert str(url).startswith(ORIGIN)
    with pytest.raises(aiospaces.ValidationError, match="file_id"):
        pn.file_url("ch", "..", "a")
