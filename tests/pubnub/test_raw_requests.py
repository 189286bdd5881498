"""A call aiospaces does not wrap goes through the same request path: auth, retries, errors."""

from __future__ import annotations

import json

import pytest

import aiospaces
from aiospaces.core.request import CallOptions, RequestSpec
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub import PubNub
from aiospaces.pubnub import client as pubnub_client

SUB = "sub-c-raw"


@pytest.fixture
async def pn(emulator_session: aiospaces.Session) -> PubNub:
    return emulator_session.pubnub(
        subscribe_key=SUB, publish_key="pub-c-raw", user_id="tester", origin="emu", ssl=False
    )


async def test_request_reaches_the_api_with_the_clients_parameters(pn: PubNub) -> None:
    body = {"name": "Raw"}
    spec = RequestSpec.with_json("PATCH", f"/v2/objects/{SUB}/channels/raw-1", body)
    exchange = await pn.request(spec)
    assert exchange.response.json()["data"]["name"] == "Raw"
    sent = exchange.response.request
    assert sent.url.params["uuid"] == "tester"
    assert sent.url.params["pnsdk"].startswith("aiospaces-Python/")
    assert json.loads(sent.content) == body
    assert (await pn.fetch_space(space_id="raw-1")).name == "Raw"


async def test_request_maps_the_vendors_errors(pn: PubNub) -> None:
    with pytest.raises(aiospaces.NotFoundError) as caught:
        await pn.request(RequestSpec(method="GET", path=f"/v2/objects/{SUB}/channels/nope"))
    assert caught.value.vendor == "pubnub"
    assert caught.value.message == "Requested object was not found."


async def test_request_retries_per_the_options(
    pn: PubNub, emulator: Emulator, retry_waits: list[float]
) -> None:
    emulator.faults.add(Fault(method="GET", path="/v2/objects/*", status=503, times=2))
    spec = RequestSpec(method="GET", path=f"/v2/objects/{SUB}/channels")
    with pytest.raises(aiospaces.ServerError):
        await pn.request(spec, CallOptions(max_retries=1))
    exchange = await pn.request(spec, CallOptions(max_retries=1))
    assert (exchange.status.status_code, exchange.status.attempts) == (200, 1)
    assert len(retry_waits) == 1


async def test_stream_reads_a_stored_file_through_its_redirect(pn: PubNub) -> None:
    sent = await pn.send_file(channel="c", file_name="a.bin", file_object=b"x" * 70_000)
    url = await pn.get_file_url(channel="c", file_id=sent.file_id, file_name="a.bin")
    spec = RequestSpec(method="GET", path=url, follow_redirects=True)
    async with pn.stream(spec) as exchange:
        content = b"".join([chunk async for chunk in exchange.response.aiter_bytes()])
    assert content == b"x" * 70_000
    assert exchange.response.is_closed
    stats = pn.session.pool_stats()
    assert stats is None or stats.in_flight == 0


@pytest.mark.parametrize("size", [1, 100, 101, 5000])
def test_query_values_encode_alike_whatever_their_length(size: int) -> None:
    pn = PubNub(aiospaces.Session(), subscribe_key=SUB, user_id="me")
    value = ("a+b ~é/,"[i % 8] for i in range(size))
    text = "".join(value)
    once = pn._encode_query([("meta", text), ("channel-group", "g 1,g+2")])
    again = pn._encode_query([("meta", text), ("channel-group", "g 1,g+2")])
    expected = "".join(
        {"+": "%2B", " ": "%20", "é": "%C3%A9", "/": "%2F", ",": "%2C"}.get(c, c) for c in text
    )
    assert once == again == f"meta={expected}&channel-group=g%201,g%2B2"


def test_secrets_in_a_query_are_never_kept_encoded() -> None:
    pn = PubNub(aiospaces.Session(), subscribe_key=SUB, user_id="me")
    pubnub_client._cached_pair.cache_clear()
    text = pn._encode_query([("auth", "tok-3"), ("signature", "v2.sig"), ("uuid", "me")])
    assert text == "auth=tok-3&signature=v2.sig&uuid=me"
    assert pubnub_client._cached_pair.cache_info().currsize == 1  # uuid alone
