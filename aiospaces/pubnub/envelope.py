"""Reading what PubNub delivers: decrypting payloads, unpacking file messages, making events.

[open_payload][aiospaces.pubnub.envelope.open_payload] is shared by history and subscribe;
[read_event][aiospaces.pubnub.envelope.read_event] turns one message of a subscribe answer
(``{"c", "p", "e", "d", "i", "b", "u", "cmt", ...}``) into one of the
[events][aiospaces.pubnub.events].
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs

from aiospaces.core.errors import DecryptionError, ValidationError
from aiospaces.pubnub._base import read_timetoken
from aiospaces.pubnub.events import (
    Event,
    FileEvent,
    MessageActionEvent,
    MessageEvent,
    ObjectsEvent,
    PresenceEvent,
    SignalEvent,
    UndecryptableEvent,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiospaces.pubnub.client import PubNub
    from aiospaces.pubnub.crypto import CryptoModule

__all__ = ["PRESENCE_SUFFIX", "Opened", "open_payload", "read_event"]

PRESENCE_SUFFIX = "-pnpres"
"""What PubNub appends to a channel or group name for its presence events."""

_MESSAGE, _SIGNAL, _OBJECTS, _ACTION, _FILE = 0, 1, 2, 3, 4


@attrs.frozen
class Opened:
    """A published payload, decrypted and (for a file message) unpacked.

    Attributes:
        message: The message (for a file message: the text sent with it), or the payload as
            received when ``error`` is set.
        file_id: For a file message: the file's id.
        file_name: For a file message: the file's name.
        error: Why the payload could not be decrypted or read, else None.
    """

    message: Any
    file_id: str | None = None
    file_name: str | None = None
    error: str | None = None


def open_payload(payload: Any, crypto: CryptoModule | None, *, file: bool) -> Opened:
    """Decrypt a message or file-message payload and unpack a file message's file.

    With a key, the payload must be a base64 ciphertext string; without one it is used as it
    is. A file message is ``{"message": ..., "file": {"id": ..., "name": ...}}``. Nothing
    raises: a payload that cannot be read comes back as it was, with ``error`` set.
    """
    message = payload
    if crypto is not None:
        if not isinstance(payload, str):
            return Opened(payload, error="the payload is not encrypted, but a cipher key is set")
        try:
            message = crypto.decrypt_message(payload)
        except DecryptionError as exc:
            return Opened(payload, error=str(exc))
    if not file:
        return Opened(message)
    found = message.get("file") if isinstance(message, dict) else None
    file_id = found.get("id") if isinstance(found, dict) else None
    name = found.get("name") if isinstance(found, dict) else None
    if not (isinstance(file_id, str) and file_id and isinstance(name, str) and name):
        reason = (
            "the file message is encrypted and no cipher key is set"
            if crypto is None and isinstance(message, str)
            else "the file message does not name a file (file.id and file.name)"
        )
        return Opened(payload, error=reason)
    assert isinstance(message, dict)  # noqa: S101 - it held the file
    return Opened(message.get("message"), file_id, name)


def read_event(item: Mapping[str, Any], client: PubNub) -> Event | None:
    """Return the event one message of a subscribe answer describes (None: an unknown kind).

    Raises:
        ValueError: The message lacks its channel or timetoken, or a field has the wrong type.
    """
    channel = item["c"]
    if not isinstance(channel, str) or not channel:
        raise ValueError("a subscribe message names its channel in 'c'")
    published = item["p"]
    if not isinstance(published, dict):
        raise ValueError("a subscribe message carries its timetoken in 'p'")
    timetoken = read_timetoken(published["t"])
    matched = item.get("b")
    subscription = matched if isinstance(matched, str) and matched != channel else None
    publisher = _optional_str(item.get("i"), "i")
    kind = item.get("e") or _MESSAGE
    payload = item.get("d")
    if channel.endswith(PRESENCE_SUFFIX):
        return _presence(channel, timetoken, payload, subscription)
    common: dict[str, Any] = {
        "channel": channel,
        "timetoken": timetoken,
        "publisher": publisher,
        "subscription": subscription,
        "meta": item.get("u"),
        "custom_message_type": _optional_str(item.get("cmt"), "cmt"),
    }
    if kind == _SIGNAL:
        return SignalEvent(message=payload, **common)
    if kind in (_MESSAGE, _FILE):
        opened = open_payload(payload, client.crypto, file=kind == _FILE)
        what: Literal["message", "file"] = "file" if kind == _FILE else "message"
        if opened.error is not None:
            return UndecryptableEvent(kind=what, payload=payload, error=opened.error, **common)
        if kind == _MESSAGE:
            return MessageEvent(message=opened.message, **common)
        assert opened.file_id is not None  # noqa: S101 - open_payload found the file
        assert opened.file_name is not None  # noqa: S101
        try:
            url = client.file_url(channel, opened.file_id, opened.file_name)
        except ValidationError as exc:  # e.g. a name with "..": announced, never fetchable
            error = f"the file message names a file that cannot be fetched: {exc}"
            return UndecryptableEvent(kind=what, payload=payload, error=error, **common)
        return FileEvent(
            file_id=opened.file_id,
            file_name=opened.file_name,
            url=url,
            message=opened.message,
            client=client,
            **common,
        )
    if kind == _ACTION:
        return _action(channel, timetoken, payload, publisher, subscription)
    if kind == _OBJECTS:
        if not isinstance(payload, dict):
            raise ValueError("an App Context event's payload is an object")
        data = payload.get("data")
        return ObjectsEvent(
            channel=channel,
            timetoken=timetoken,
            event=_str(payload.get("event"), "event"),
            type=_str(payload.get("type"), "type"),
            data=data if isinstance(data, dict) else {},
            subscription=subscription,
        )
    return None


def _action(
    channel: str, timetoken: int, payload: Any, publisher: str | None, subscription: str | None
) -> MessageActionEvent:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise ValueError("a message action event carries its action in 'data'")
    return MessageActionEvent(
        channel=channel,
        timetoken=timetoken,
        event=_str(payload.get("event"), "event"),
        type=_str(data.get("type"), "type"),
        value=_str(data.get("value"), "value"),
        message_timetoken=read_timetoken(data.get("messageTimetoken")),
        action_timetoken=read_timetoken(data.get("actionTimetoken")),
        publisher=publisher,
        subscription=subscription,
    )


def _presence(
    channel: str, timetoken: int, payload: Any, subscription: str | None
) -> PresenceEvent:
    if not isinstance(payload, dict):
        raise ValueError("a presence event's payload is an object")
    return PresenceEvent(
        channel=channel.removesuffix(PRESENCE_SUFFIX),
        timetoken=timetoken,
        action=_str(payload.get("action"), "action"),
        uuid=_optional_str(payload.get("uuid"), "uuid"),
        occupancy=_optional_int(payload.get("occupancy")),
        timestamp=_optional_int(payload.get("timestamp")),
        state=payload.get("data"),
        join=_names(payload.get("join")),
        leave=_names(payload.get("leave")),
        timeout=_names(payload.get("timeout")),
        subscription=subscription.removesuffix(PRESENCE_SUFFIX) if subscription else None,
    )


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"'{name}' is a string")
    return value


def _optional_str(value: object, name: str) -> str | None:
    return None if value is None else _str(value, name)


def _optional_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _names(value: object) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return list(value)
    return None
