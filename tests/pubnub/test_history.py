"""fetch_messages: reading answers, file messages, decryption, and walking back through pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

import aiospaces
from aiospaces.pubnub import PubNub
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.models import HistoryMessage, HistoryPage

ORIGIN = "https://ps.example"
SUB = "sub-c-x"
FILE = {"message": {"text": "look"}, "file": {"id": "fid-1", "name": "a b.txt"}}


def client(**extra: Any) -> PubNub:
    return PubNub(subscribe_key=SUB, user_id="me", origin="ps.example", **extra)


def history(channels: dict[str, list[dict[str, Any]]]) -> httpx.Response:
    body = {"status": 200, "error": False, "error_message": "", "channels": channels}
    return httpx.Response(200, json=body)


def item(tt: int, message: Any = None, **extra: Any) -> dict[str, Any]:
    return {"message": message if message is not None else f"m{tt}", "timetoken": str(tt), **extra}


def queries(route: respx.Route) -> list[dict[str, str]]:
    return [dict(parse_qsl(call.request.url.query.decode())) for call in route.calls]


def paths(route: respx.Route) -> list[str]:
    return [call.request.url.raw_path.decode().partition("?")[0] for call in route.calls]


@respx.mock
async def test_a_page_holds_each_channels_messages_with_every_field() -> None:
    respx.get(url__startswith=f"{ORIGIN}/v3/history/").mock(
        return_value=history(
            {
                "channel%7Cencoded%3A%3A1": [
                    item(
                        16075188549737167,
                        {"t": 1},
                        message_type=None,
                        uuid="u1",
                        meta={"k": "v"},
                        custom_message_type="chat",
                    ),
                    item(16075188549737168, "", message_type=""),
                    item(16075188549737169, FILE, message_type=4),
                    item(16075188549737170, FILE, message_type="4"),
                ],
            }
        )
    )
    async with client() as pn:
        page = await pn.fetch_messages(channel="channel|encoded::1", include_message_type=True)
    channel = "channel|encoded::1"  # PubNub's percent-encoded key, decoded
    assert list(page.channels) == [channel]
    first, empty, file, file_too = page.channels[channel]
    assert first == HistoryMessage(
        channel=channel, timetoken=16075188549737167, message={"t": 1}, message_type=0,
        publisher="u1", meta={"k": "v"}, custom_message_type="chat",
    )  # fmt: skip
    assert (empty.message, empty.message_type, empty.is_file) == ("", 0, False)
    assert (file.message_type, file.file_id, file.file_name, file.message) == (
        4, "fid-1", "a b.txt", {"text": "look"},
    )  # fmt: skip
    assert file.is_file
    assert file_too.is_file
    assert page.messages == page.channels[channel]
    assert page.to_dict()["channels"][channel][2]["file_id"] == "fid-1"


@respx.mock
async def test_messages_are_decrypted_and_what_cannot_be_is_flagged() -> None:
    crypto = CryptoModule("my-key", default="legacy")
    respx.get(url__startswith=f"{ORIGIN}/v3/history/").mock(
        return_value=history(
            {
                "ch": [
                    item(1, crypto.encrypt_message({"secret": 1})),
                    item(2, CryptoModule("other").encrypt_message("x")),
                    item(3, {"plain": True}),
                    item(4, crypto.encrypt_message(FILE), message_type=4),
                ],
            }
        )
    )
    async with client(cipher_key="my-key") as pn:
        page = await pn.fetch_messages(channel="ch")
    ok, wrong, plain, file = page.channels["ch"]
    assert (ok.message, ok.error) == ({"secret": 1}, None)
    assert wrong.error is not None
    assert "decryption failed" in wrong.error
    assert plain.error is not None
    assert "not encrypted" in plain.error
    assert plain.message == {"plain": True}
    assert (file.file_id, file.message) == ("fid-1", {"text": "look"})
    async with client() as pn:
        page = await pn.fetch_messages(channel="ch", cipher_key="my-key")
    assert page.channels["ch"][0].message == {"secret": 1}


@respx.mock
async def test_an_encrypted_file_message_without_a_key_is_flagged() -> None:
    encrypted = CryptoModule("k").encrypt_message(FILE)
    respx.get(url__startswith=f"{ORIGIN}/v3/history/").mock(
        return_value=history({"ch": [item(1, encrypted, message_type=4)]})
    )
    async with client() as pn:
        (message,) = (await pn.fetch_messages(channel="ch")).messages
    assert message.message == encrypted
    assert not message.is_file
    assert message.error is not None
    assert "no cipher key" in message.error


@respx.mock
async def test_async_for_walks_one_channel_back_in_time() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v3/history/")
    route.side_effect = [
        history({"ch": [item(tt) for tt in range(17, 20)]}),
        history({"ch": [item(tt) for tt in range(14, 17)]}),
        history({"ch": [item(13)]}),
    ]
    async with client() as pn:
        found = [m.timetoken async for m in pn.fetch_messages(channel="ch", count=3, end=13)]
    assert found == [17, 18, 19, 14, 15, 16, 13]
    assert [(q["max"], q.get("start"), q["end"]) for q in queries(route)] == [
        ("3", None, "13"), ("3", "17", "13"), ("3", "14", "13"),
    ]  # fmt: skip


@respx.mock
async def test_an_empty_history_is_one_page() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v3/history/").mock(return_value=history({}))
    async with client() as pn:
        assert [m async for m in pn.fetch_messages(channel="ch")] == []
        assert [p async for p in pn.fetch_messages(channel="ch").pages()] == [HistoryPage({})]
    assert route.call_count == 2


@respx.mock
async def test_several_channels_page_on_without_repeating_a_message() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v3/history/")
    route.side_effect = [
        # a: full (oldest 20), b: full (oldest 10), c: done
        history({"a": [item(20), item(25)], "b": [item(10), item(11)], "c": [item(5)]}),
        # asked older than 20 for a and b: b answers again what it already gave
        history({"a": [item(15), item(18)], "b": [item(11), item(12)]}),
        # older than 15 (a's oldest): b again repeats, a is done
        history({"a": [item(14)], "b": [item(9), item(10)]}),
        # only b now, older than 9
        history({"b": [item(8)]}),
    ]
    async with client() as pn:
        found = [
            (m.channel, m.timetoken)
            async for m in pn.fetch_messages(channels=["a", "b", "c"], count=2)
        ]
    assert found == [
        ("a", 20), ("a", 25), ("b", 10), ("b", 11), ("c", 5),
        ("a", 15), ("a", 18),
        ("a", 14), ("b", 9),
        ("b", 8),
    ]  # fmt: skip
    asked = zip(paths(route), queries(route), strict=True)
    assert [(path.rsplit("/", 1)[1], query.get("start")) for path, query in asked] == [
        ("a,b,c", None), ("a,b", "20"), ("a,b", "15"), ("b", "9"),
    ]  # fmt: skip


@respx.mock
async def test_a_larger_count_than_pubnub_allows_is_lowered() -> None:
    route = respx.get(url__startswith=f"{ORIGIN}/v3/history/").mock(return_value=history({}))
    async with client() as pn:
        await pn.fetch_messages(channels=["a", "b"])
        await pn.fetch_messages(channels=["a", "b"], count=10)
        await pn.fetch_messages(channel="a", count=100)
    assert [q["max"] for q in queries(route)] == ["25", "10", "100"]


@pytest.mark.parametrize(
    "body",
    [
        {"status": 200},
        {"channels": {"ch": {"not": "a list"}}},
        {"channels": {"ch": ["not an object"]}},
        {"channels": {"ch": [{"timetoken": "1"}]}},
        {"channels": {"ch": [{"message": 1, "timetoken": "soon"}]}},
        ["not", "an", "object"],
    ],
)
@respx.mock
async def test_an_unreadable_answer_is_an_unexpected_response(body: Any) -> None:
    respx.get(url__startswith=f"{ORIGIN}/v3/history/").respond(200, json=body)
    async with client() as pn:
        with pytest.raises(aiospaces.UnexpectedResponseError):
            await pn.fetch_messages(channel="ch")
