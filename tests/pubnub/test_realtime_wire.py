"""Exact requests of publish, signal, history and subscribe (respx), per PubNub's wire.

What the official Python SDK sends, and what real recorded answers look like, pinned byte
for byte: paths and their percent-encoding, query parameters in order, auth and signatures
(v2 over the sorted query; the legacy v1 for a POST publish).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import respx
from pubnub import utils as official

import aiospaces
from aiospaces.pubnub import PubNub
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.models import Published

ORIGIN = "https://ps.example"
SUB = "sub-c-x"
PUB = "pub-c-x"
SDK = "pnsdk=aiospaces-Python%2F0.1.0"
SENT = [1, "Sent", "17332374369988275"]
JS = {"Content-Type": 'text/javascript; charset="UTF-8"'}
NOW = 1700000000


@pytest.fixture(autouse=True)
def no_waiting(retry_waits: list[float]) -> list[float]:
    return retry_waits


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(time, "time", lambda: float(NOW))
    return NOW


def client(**extra: object) -> PubNub:
    settings: dict[str, object] = {
        "subscribe_key": SUB,
        "publish_key": PUB,
        "user_id": "me",
        "origin": "ps.example",
        **extra,
    }
    return PubNub(**settings)  # type: ignore[arg-type]


def raw(request: httpx.Request) -> str:
    return str(request.url.raw_path.decode())


def query_pairs(request: httpx.Request) -> list[tuple[str, str]]:
    """The query as sent, each value decoded once (what a server reads)."""
    text = request.url.query.decode()
    return [(k, unquote(v)) for k, _, v in (p.partition("=") for p in text.split("&"))]


def expected_v2(method: str, path: str, pairs: list[tuple[str, str]], body: str = "") -> str:
    """The v2 signature as PubNub's own SDK computes it."""
    params = {k: v for k, v in pairs if k != "signature"}
    signed = f"{method}\n{PUB}\n{path}\n{official.prepare_pam_arguments(params)}\n{body}"
    signature: str = official.sign_sha256("sec-c-x", signed)
    return "v2." + signature.rstrip("=")


# -- publish ----------------------------------------------------------------------------------


@respx.mock
async def test_publish_puts_the_json_text_in_the_path() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT, headers=JS)
    async with client() as pn:
        sent = await pn.publish().channel("ch 1/ü").message({"t": "hé"})
    assert sent == Published(17332374369988275)
    assert raw(route.calls.last.request) == (
        f"/publish/{PUB}/{SUB}/0/ch%201%2F%C3%BC/0/%7B%22t%22%3A%20%22h%5Cu00e9%22%7D?{SDK}&uuid=me"
    )


@respx.mock
async def test_publish_options_go_in_the_sdks_order() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT)
    async with client(auth_key="ak") as pn:
        await pn.publish(
            channel="ch", message="hi", meta={"k": "v"}, ttl=5, should_store=True,
            custom_message_type="my-type",
        )  # fmt: skip
    assert raw(route.calls.last.request) == (
        f"/publish/{PUB}/{SUB}/0/ch/0/%22hi%22?ttl=5&meta=%7B%22k%22%3A%20%22v%22%7D"
        f"&custom_message_type=my-type&store=1&{SDK}&uuid=me&auth=ak"
    )


@respx.mock
async def test_publish_without_store_and_with_ttl_zero_says_so() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT)
    async with client() as pn:
        await pn.publish(channel="ch", message=[1, None], should_store=False, ttl=0)
    assert raw(route.calls.last.request) == (
        f"/publish/{PUB}/{SUB}/0/ch/0/%5B1%2C%20null%5D?ttl=0&store=0&{SDK}&uuid=me"
    )


@respx.mock
async def test_publish_post_sends_the_json_text_as_the_body() -> None:
    route = respx.post(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT)
    async with client() as pn:
        sent = await pn.publish(channel="ch", message={"big": "x" * 5000}, use_post=True)
    request = route.calls.last.request
    assert sent.timetoken == 17332374369988275
    assert raw(request) == f"/publish/{PUB}/{SUB}/0/ch/0?{SDK}&uuid=me"
    assert request.content == json.dumps({"big": "x" * 5000}).encode()
    assert request.headers["content-type"] == "application/json"


@respx.mock
async def test_a_signed_get_publish_carries_a_v2_signature(frozen_time: int) -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT)
    async with client(secret_key="sec-c-x") as pn:
        await pn.publish(channel="a b", message={"k": "~v"}, meta={"m": 1})
    request = route.calls.last.request
    path = raw(request).partition("?")[0]
    pairs = query_pairs(request)
    assert [k for k, _ in pairs] == ["meta", "pnsdk", "uuid", "timestamp", "signature"]
    assert dict(pairs)["timestamp"] == str(NOW)
    assert dict(pairs)["signature"] == expected_v2("GET", path, pairs)


@respx.mock
async def test_a_signed_post_publish_carries_the_legacy_v1_signature(frozen_time: int) -> None:
    route = respx.post(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT)
    async with client(secret_key="sec-c-x") as pn:
        await pn.publish(channel="ch", message={"k": "v"}, ttl=2).use_post()
    request = route.calls.last.request
    pairs = query_pairs(request)
    params = {k: v for k, v in pairs if k != "signature"}
    signed = f"{SUB}\n{PUB}\n/publish/{PUB}/{SUB}/0/ch/0\n{official.prepare_pam_arguments(params)}"
    signature = dict(pairs)["signature"]
    expected: str = official.sign_sha256("sec-c-x", signed)
    assert signature == expected
    assert signature.endswith("=")  # padding kept, no "v2." prefix
    assert not signature.startswith("v2.")


@pytest.mark.parametrize(("crypto", "prefix"), [("aescbc", "UE5FRAFBQ1JI"), ("legacy", "")])
@respx.mock
async def test_publish_encrypts_the_json_text_with_the_clients_cipher_key(
    crypto: str, prefix: str
) -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT)
    async with client(cipher_key="my-key", crypto=crypto) as pn:
        await pn.publish(channel="ch", message={"text": "secret"}, meta={"plain": True})
    request = route.calls.last.request
    path, _, query = raw(request).partition("?")
    encoded = path.rsplit("/", 1)[1]
    assert encoded.startswith("%22")
    assert encoded.endswith("%22")
    ciphertext = json.loads(unquote(encoded))
    assert ciphertext.startswith(prefix)
    assert (prefix == "") == (not ciphertext.startswith("UE5FRAFBQ1JI"))
    assert CryptoModule("my-key").decrypt_message(ciphertext) == {"text": "secret"}
    assert "meta=%7B%22plain%22%3A%20true%7D" in query  # meta stays readable for filters


@respx.mock
async def test_a_per_call_cipher_key_wins_and_the_post_body_is_the_quoted_ciphertext() -> None:
    route = respx.post(url__startswith=f"{ORIGIN}/publish/").respond(200, json=SENT)
    async with client(cipher_key="client-key") as pn:
        await pn.publish(channel="ch", message=7, cipher_key="call-key", use_post=True)
    ciphertext = json.loads(route.calls.last.request.content)
    assert CryptoModule("call-key").decrypt_message(ciphertext) == 7


async def test_publish_is_checked_before_any_request() -> None:
    async with client() as pn:
        with pytest.raises(aiospaces.ValidationError, match="message is required"):
            await pn.publish(channel="ch")
        with pytest.raises(aiospaces.ValidationError, match="channel"):
            await pn.publish(message="hi")
        with pytest.raises(aiospaces.ValidationError, match="ttl"):
            pn.publish().ttl(-1)
        with pytest.raises(aiospaces.ValidationError, match="JSON"):
            pn.publish().message(float("nan"))
    async with PubNub(subscribe_key=SUB, user_id="me", origin="ps.example") as pn:
        with pytest.raises(aiospaces.ValidationError, match="publish_key"):
            await pn.publish(channel="ch", message="hi")


@respx.mock
async def test_publish_errors_carry_pubnubs_reason() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/publish/")
    route.side_effect = [
        httpx.Response(400, json=[0, "Invalid Key", "14820999375199241"]),
        httpx.Response(
            403,
            json={
                "message": "Forbidden",
                "payload": {"channels": ["ch"]},
                "error": True,
                "service": "Access Manager",
                "status": 403,
            },
        ),
        httpx.Response(200, json=[0, "Message Too Large", "14820999375199241"]),
        httpx.Response(413, json=[0, "Message Too Large", "14820999375199241"]),
        httpx.Response(200, json={"not": "a publish answer"}),
    ]
    async with client() as pn:
        with pytest.raises(aiospaces.BadRequestError, match="Invalid Key"):
            await pn.publish(channel="ch", message=1)
        with pytest.raises(aiospaces.PermissionDeniedError, match="Forbidden"):
            await pn.publish(channel="ch", message=1)
        with pytest.raises(aiospaces.APIError, match="Message Too Large"):
            await pn.publish(channel="ch", message=1)
        with pytest.raises(aiospaces.PayloadTooLargeError, match="Message Too Large"):
            await pn.publish(channel="ch", message=1)
        with pytest.raises(aiospaces.UnexpectedResponseError, match="publish answer"):
            await pn.publish(channel="ch", message=1)


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("lost"), httpx.RemoteProtocolError("dropped"), httpx.Response(502)],
    ids=["read-timeout", "dropped", "502"],
)
@respx.mock
async def test_a_lost_publish_answer_is_ambiguous_and_not_sent_again(
    failure: httpx.Response | Exception,
) -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/publish/")
    route.side_effect = [failure, httpx.Response(200, json=SENT)]
    async with client() as pn:
        with pytest.raises(aiospaces.AmbiguousResultError) as caught:
            await pn.publish(channel="ch", message="once")
    assert route.call_count == 1
    assert "history" in caught.value.check
    assert caught.value.operation.startswith(f"pubnub GET {ORIGIN}/publish/")


@respx.mock
async def test_a_publish_that_never_left_is_retried_and_retry_ambiguous_opts_in() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/publish/")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json=SENT)]
    async with client() as pn:
        assert (await pn.publish(channel="ch", message=1).future()).status.attempts == 2
        route.side_effect = [httpx.ReadTimeout("lost"), httpx.Response(200, json=SENT)]
        sent = await pn.publish(channel="ch", message=1, retry_ambiguous=True)
    assert sent.timetoken == 17332374369988275
    assert route.call_count == 4


# -- signal -----------------------------------------------------------------------------------


@respx.mock
async def test_signal_is_a_get_never_encrypted() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/signal/").respond(
        200, json=[1, "Sent", "15640051159323676"]
    )
    async with client(cipher_key="my-key") as pn:
        sent = await pn.signal(channel="ch 1", message={"typing": True}, custom_message_type="t-1")
    assert sent == Published(15640051159323676)
    assert raw(route.calls.last.request) == (
        f"/signal/{PUB}/{SUB}/0/ch%201/0/%7B%22typing%22%3A%20true%7D"
        f"?custom_message_type=t-1&{SDK}&uuid=me"
    )


@respx.mock
async def test_a_signal_too_large_is_a_bad_request_and_a_lost_one_is_ambiguous() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/signal/")
    route.side_effect = [
        httpx.Response(400, json=[0, "Signal size too large", "15782702375048763"]),
        httpx.ReadTimeout("lost"),
    ]
    async with client() as pn:
        with pytest.raises(aiospaces.BadRequestError, match="Signal size too large"):
            await pn.signal(channel="ch", message="x" * 200)
        with pytest.raises(aiospaces.AmbiguousResultError, match="signals are not stored"):
            await pn.signal(channel="ch", message="x")
    assert route.call_count == 2


# -- history ----------------------------------------------------------------------------------


def history(channels: dict[str, list[dict[str, Any]]]) -> httpx.Response:
    body = {"status": 200, "error": False, "error_message": "", "channels": channels}
    return httpx.Response(200, json=body)


@respx.mock
async def test_fetch_messages_of_one_channel_asks_for_100_with_meta_off() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v3/history/").mock(return_value=history({}))
    async with client() as pn:
        page = await pn.fetch_messages(channel="a b/c")
    assert page.channels == {}
    assert raw(route.calls.last.request) == (
        f"/v3/history/sub-key/{SUB}/channel/a%20b%2Fc?max=100&include_meta=false&{SDK}&uuid=me"
    )


@respx.mock
async def test_fetch_messages_sends_channels_unsorted_and_every_option_in_order() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v3/history/").mock(return_value=history({}))
    async with client() as pn:
        await pn.fetch_messages(
            channels=["zeta", "a,b"], start=17000000000000009, end="17000000000000001",
            count=50, include_meta=True, include_message_type=True,
            include_custom_message_type=True, include_uuid=False,
        )  # fmt: skip
    assert raw(route.calls.last.request) == (
        f"/v3/history/sub-key/{SUB}/channel/zeta,a%2Cb?max=25&start=17000000000000009"
        "&end=17000000000000001&include_meta=true&include_message_type=true"
        f"&include_custom_message_type=true&include_uuid=false&{SDK}&uuid=me"
    )


@respx.mock
async def test_a_signed_history_request_signs_the_exact_query(frozen_time: int) -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v3/history/").mock(return_value=history({}))
    async with client(secret_key="sec-c-x", token="tok~1") as pn:
        await pn.fetch_messages(channel="ch", count=10, include_uuid=True)
    request = route.calls.last.request
    pairs = query_pairs(request)
    assert [k for k, _ in pairs] == [
        "max", "include_meta", "include_uuid", "pnsdk", "uuid", "auth", "timestamp", "signature",
    ]  # fmt: skip
    assert dict(pairs)["auth"] == "tok~1"
    path = raw(request).partition("?")[0]
    assert dict(pairs)["signature"] == expected_v2("GET", path, pairs)


async def test_fetch_messages_needs_a_channel() -> None:
    async with client() as pn:
        with pytest.raises(aiospaces.ValidationError, match="channel is required"):
            await pn.fetch_messages()
        with pytest.raises(aiospaces.ValidationError, match="list of channel names"):
            pn.fetch_messages().channels("ab")
        with pytest.raises(aiospaces.ValidationError, match="count"):
            pn.fetch_messages().count(101)
        with pytest.raises(aiospaces.ValidationError, match="start"):
            pn.fetch_messages().start(-1)
