"""Reading subscribe messages into events: every kind, decryption, and what cannot be read."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from aiospaces.pubnub import PubNub
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.download import DownloadFile
from aiospaces.pubnub.envelope import open_payload, read_event
from aiospaces.pubnub.events import (
    FileEvent,
    MessageActionEvent,
    MessageEvent,
    ObjectsEvent,
    PresenceEvent,
    SignalEvent,
    UndecryptableEvent,
)

SUB = "sub-c-x"
TT = "17379929965457610"
FILE = {"message": {"text": "look"}, "file": {"id": "fid-1", "name": "a b.txt"}}


def client(**extra: Any) -> PubNub:
    return PubNub(subscribe_key=SUB, user_id="me", origin="ps.example", **extra)


def item(payload: Any = "hey", **extra: Any) -> dict[str, Any]:
    return {"a": "3", "f": 0, "i": "pub-1", "p": {"t": TT, "r": 42}, "k": SUB, "c": "ch",
            "d": payload, **extra}  # fmt: skip


def test_a_message_with_meta_custom_type_and_group() -> None:
    event = read_event(
        item({"test-message": ["message"]}, u={"age": 32}, cmt="chat", b="grp"), client()
    )
    assert event == MessageEvent(
        channel="ch", timetoken=17379929965457610, message={"test-message": ["message"]},
        publisher="pub-1", subscription="grp", meta={"age": 32}, custom_message_type="chat",
    )  # fmt: skip
    assert event.to_dict()["timetoken"] == 17379929965457610


def test_b_equal_to_the_channel_is_no_subscription() -> None:
    event = read_event(item(b="ch"), client())
    assert isinstance(event, MessageEvent)
    assert event.subscription is None


def test_a_signal_is_never_decrypted() -> None:
    event = read_event(item({"typing": True}, e=1, cmt="t"), client(cipher_key="k"))
    assert event == SignalEvent(
        channel="ch", timetoken=17379929965457610, message={"typing": True},
        publisher="pub-1", custom_message_type="t",
    )  # fmt: skip


def test_a_file_event_has_its_url_and_a_ready_download_builder() -> None:
    pn = client()
    event = read_event(item(FILE, e=4, u={"m": 1}), pn)
    assert isinstance(event, FileEvent)
    assert (event.file_id, event.file_name, event.message) == ("fid-1", "a b.txt", {"text": "look"})
    assert event.meta == {"m": 1}
    assert event.url.startswith(
        f"https://ps.example/v1/files/{SUB}/channels/ch/files/fid-1/a%20b.txt?pnsdk="
    )
    builder = event.download_file()._quiet()  # looked at, not run
    assert isinstance(builder, DownloadFile)
    assert builder._file_path() == f"/v1/files/{SUB}/channels/ch/files/fid-1/a%20b.txt"
    data = event.to_dict()
    assert "_client" not in data
    assert "client" not in data
    assert data["file_name"] == "a b.txt"
    assert "client" not in repr(event)


@respx.mock
async def test_a_file_events_download_uses_the_receiving_clients_key() -> None:
    crypto = CryptoModule("k")
    respx.get(url__startswith=f"https://ps.example/v1/files/{SUB}/channels/ch/files/").respond(
        307, headers={"Location": "https://storage.example/obj"}
    )
    respx.get("https://storage.example/obj").respond(200, content=crypto.encrypt(b"content"))
    async with client(cipher_key="k") as pn:
        event = read_event(item(crypto.encrypt_message(FILE), e=4), pn)
        assert isinstance(event, FileEvent)
        assert await event.download_file() == b"content"


def test_a_file_event_made_by_hand_cannot_download() -> None:
    event = FileEvent(channel="ch", timetoken=1, file_id="f", file_name="n", url="u")
    with pytest.raises(RuntimeError, match="no client"):
        event.download_file()


@pytest.mark.parametrize("crypto", ["aescbc", "legacy"])
def test_encrypted_messages_and_files_are_decrypted_by_either_cryptor(crypto: str) -> None:
    sender = CryptoModule("my-key", default=crypto)  # type: ignore[arg-type]
    pn = client(cipher_key="my-key")  # the receiver's default cryptor does not matter
    message = read_event(item(sender.encrypt_message({"t": "hé"})), pn)
    assert isinstance(message, MessageEvent)
    assert message.message == {"t": "hé"}
    file = read_event(item(sender.encrypt_message(FILE), e=4), pn)
    assert isinstance(file, FileEvent)
    assert (file.file_id, file.message) == ("fid-1", {"text": "look"})


def test_the_recorded_legacy_ciphertext_decrypts() -> None:
    # a real recorded payload (fixed test IV "knightsofni12345"), published with key "testKey"
    recorded = "a25pZ2h0c29mbmkxMjM0Nf61IdsMAvG1F5OWmMXjVxo="
    event = read_event(item(recorded), client(cipher_key="testKey"))
    assert isinstance(event, MessageEvent)
    assert event.message == "hey"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (CryptoModule("other-key").encrypt_message("x" * 40), "decryption failed"),
        ({"plain": True}, "not encrypted"),
        ("not base64 at all!", "not base64"),
        ("UE5FRAFBQ1JI", "header is truncated"),
    ],
    ids=["wrong-key", "plaintext-object", "plain-string", "damaged"],
)
def test_what_cannot_be_decrypted_becomes_an_undecryptable_event(payload: Any, reason: str) -> None:
    event = read_event(item(payload, u={"m": 1}), client(cipher_key="my-key"))
    assert isinstance(event, UndecryptableEvent)
    assert event.kind == "message"
    assert event.payload == payload
    assert reason in event.error
    assert (event.meta, event.publisher, event.timetoken) == ({"m": 1}, "pub-1", 17379929965457610)


def test_file_messages_that_cannot_be_read_are_flagged_too() -> None:
    encrypted = CryptoModule("k").encrypt_message(FILE)
    no_key = read_event(item(encrypted, e=4), client())
    assert isinstance(no_key, UndecryptableEvent)
    assert no_key.kind == "file"
    assert "no cipher key" in no_key.error
    wrong_key = read_event(item(encrypted, e=4), client(cipher_key="other"))
    assert isinstance(wrong_key, UndecryptableEvent)
    nameless = read_event(item({"message": 1, "file": {"id": "f"}}, e=4), client())
    assert isinstance(nameless, UndecryptableEvent)
    assert "does not name a file" in nameless.error


def test_a_message_action() -> None:
    payload = {
        "source": "actions", "version": "1.0", "event": "added",
        "data": {"type": "custom", "value": "test-value", "actionTimetoken": "17579669502020754",
                 "messageTimetoken": "17579669463728661"},
    }  # fmt: skip
    event = read_event(item(payload, e=3, i="serhii"), client(cipher_key="k"))
    assert event == MessageActionEvent(
        channel="ch", timetoken=17379929965457610, event="added", type="custom",
        value="test-value", message_timetoken=17579669463728661,
        action_timetoken=17579669502020754, publisher="serhii",
    )  # fmt: skip


def test_an_app_context_event() -> None:
    payload = {"source": "objects", "version": "2.0", "event": "delete", "type": "channel",
               "data": {"id": "room"}}  # fmt: skip
    event = read_event(item(payload, e=2), client(cipher_key="k"))
    assert event == ObjectsEvent(
        channel="ch", timetoken=17379929965457610, event="delete", type="channel",
        data={"id": "room"},
    )  # fmt: skip


def test_a_presence_event_strips_the_suffix() -> None:
    payload = {"action": "join", "uuid": "u1", "timestamp": 1730912960,
               "precise_timestamp": 1730912960110, "occupancy": 2}  # fmt: skip
    event = read_event(item(payload, c="ch-pnpres", b="grp-pnpres"), client())
    assert event == PresenceEvent(
        channel="ch", timetoken=17379929965457610, action="join", uuid="u1", occupancy=2,
        timestamp=1730912960, subscription="grp",
    )  # fmt: skip
    interval = read_event(
        item({"action": "interval", "occupancy": 3, "join": ["a"], "leave": ["b"]},
             c="ch-pnpres"),
        client(),
    )  # fmt: skip
    assert isinstance(interval, PresenceEvent)
    assert (interval.join, interval.leave, interval.timeout, interval.uuid) == (
        ["a"], ["b"], None, None,
    )  # fmt: skip
    # no occupancy at all (which stalls the official SDK's loop) is fine
    bare = read_event(item({"action": "leave", "uuid": "u"}, c="ch-pnpres"), client())
    assert isinstance(bare, PresenceEvent)
    assert bare.occupancy is None


def test_unknown_kinds_are_none_and_broken_items_raise() -> None:
    assert read_event(item(e=9), client()) is None
    for broken in (
        {k: v for k, v in item().items() if k != "c"},
        {k: v for k, v in item().items() if k != "p"},
        item(p={"t": "soon"}),
        item(c=""),
        item(p="17379929965457610"),
        item(i=5),
        item({"event": "added"}, e=3),
        item("not an object", e=2),
        item(["not an object"], c="x-pnpres"),
    ):
        with pytest.raises((KeyError, ValueError)):
            read_event(broken, client())


def test_open_payload_without_a_key_keeps_the_message() -> None:
    assert open_payload({"a": 1}, None, file=False).message == {"a": 1}
    opened = open_payload(FILE, None, file=True)
    assert (opened.message, opened.file_id, opened.file_name, opened.error) == (
        {"text": "look"}, "fid-1", "a b.txt", None,
    )  # fmt: skip
