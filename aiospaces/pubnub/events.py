"""The events a subscription yields, read from the messages of a subscribe answer.

Each message of a subscribe answer (``m``) carries its kind in ``e``: absent or 0 a message,
1 a signal, 2 an App Context change, 3 a message action, 4 a file; presence events arrive on
``<channel>-pnpres``. [read_event][aiospaces.pubnub.envelope.read_event] turns one into a
frozen event:

```python
match event:
    case MessageEvent(channel=channel, message=message):
        ...
    case FileEvent():
        data = await event.download_file()          # decrypted with the client's key
    case UndecryptableEvent(error=error):
        ...                                         # the raw payload is in event.payload
```

With a cipher key, messages and file messages are decrypted (either cryptor); a payload that
cannot be decrypted — wrong key, not encrypted at all, damaged — becomes an
[UndecryptableEvent][aiospaces.pubnub.events.UndecryptableEvent] rather than an error, so one
bad message never stops a subscription. Signals and message actions are never encrypted by
PubNub's SDKs and are never decrypted.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

import attrs

from aiospaces.core.convert import Model
from aiospaces.pubnub.download import DownloadFile

if TYPE_CHECKING:
    from aiospaces.pubnub.client import PubNub

__all__ = [
    "Event",
    "FileEvent",
    "MessageActionEvent",
    "MessageEvent",
    "ObjectsEvent",
    "PresenceEvent",
    "SignalEvent",
    "UndecryptableEvent",
]


@attrs.frozen
class MessageEvent(Model):
    """A message published on a subscribed channel.

    Attributes:
        channel: The channel it was published on.
        timetoken: When it was published (17 digits, units of 100 ns since the Unix epoch).
        message: The message (decrypted when the client has a cipher key).
        publisher: Who published it (their ``user_id``), when PubNub says.
        subscription: The channel group (or wildcard) it arrived through; None when the
            channel itself was subscribed.
        meta: The ``meta`` published with it.
        custom_message_type: Its custom type, if it was given one.
    """

    channel: str
    timetoken: int
    message: Any
    publisher: str | None = None
    subscription: str | None = None
    meta: Any = None
    custom_message_type: str | None = None


@attrs.frozen
class SignalEvent(Model):
    """A signal: a small, unstored message (never encrypted).

    Attributes:
        channel: The channel it was sent on.
        timetoken: When it was sent.
        message: The signal's payload.
        publisher: Who sent it, when PubNub says.
        subscription: The channel group it arrived through, if any.
        meta: Always None for signals (kept for symmetry with messages).
        custom_message_type: Its custom type, if it was given one.
    """

    channel: str
    timetoken: int
    message: Any
    publisher: str | None = None
    subscription: str | None = None
    meta: Any = None
    custom_message_type: str | None = None


@attrs.frozen
class FileEvent(Model):
    """A file was shared on a subscribed channel (its file message, ``e`` = 4).

    Attributes:
        channel: The channel the file was sent to.
        timetoken: When its file message was published.
        file_id: The file's id.
        file_name: The file's name.
        url: Where to download it: PubNub's file URL (it redirects to storage), signed when
            the client has a secret key.
        message: The message sent along with the file (decrypted), or None.
        publisher: Who sent it, when PubNub says.
        subscription: The channel group it arrived through, if any.
        meta: The ``meta`` published with the file message.
        custom_message_type: Its custom type, if it was given one.
    """

    channel: str
    timetoken: int
    file_id: str
    file_name: str
    url: str
    message: Any = None
    publisher: str | None = None
    subscription: str | None = None
    meta: Any = None
    custom_message_type: str | None = None
    _client: PubNub | None = attrs.field(default=None, eq=False, repr=False, alias="client")

    def download_file(self) -> DownloadFile:
        """Return a ready ``download_file`` builder for this file (await it, or stream it).

        The client that received the event sends it, decrypting with its cipher key.

        Raises:
            RuntimeError: The event was made by hand, without a client.
        """
        if self._client is None:
            raise RuntimeError("this FileEvent has no client: use pn.download_file(...)")
        settings = {"channel": self.channel, "file_id": self.file_id, "file_name": self.file_name}
        return DownloadFile(self._client, settings)

    def to_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready data (without the client that received it)."""
        fields = attrs.fields(type(self))
        data = {
            field.name: getattr(self, field.name) for field in fields if field.alias != "client"
        }
        result: dict[str, Any] = json.loads(json.dumps(data))
        return result


@attrs.frozen
class MessageActionEvent(Model):
    """A message action (a reaction, a receipt) was added to or removed from a message.

    Attributes:
        channel: The channel of the message.
        timetoken: When the action event was published.
        event: ``"added"`` or ``"removed"``.
        type: The action's type (``"reaction"``, ``"receipt"``, ...).
        value: The action's value (``"smiley_face"``, ...).
        message_timetoken: The timetoken of the message the action is on.
        action_timetoken: The timetoken of the action itself.
        publisher: Who added or removed it.
        subscription: The channel group it arrived through, if any.
    """

    channel: str
    timetoken: int
    event: str
    type: str
    value: str
    message_timetoken: int
    action_timetoken: int
    publisher: str | None = None
    subscription: str | None = None


@attrs.frozen
class ObjectsEvent(Model):
    """App Context (objects) changed: a channel's, a user's or a membership's metadata.

    Attributes:
        channel: The channel the change was announced on.
        timetoken: When it was announced.
        event: ``"set"`` or ``"delete"``.
        type: ``"channel"``, ``"uuid"`` or ``"membership"``.
        data: The object as PubNub sent it (its ``id`` and changed fields).
        subscription: The channel group it arrived through, if any.
    """

    channel: str
    timetoken: int
    event: str
    type: str
    data: dict[str, Any]
    subscription: str | None = None


@attrs.frozen
class PresenceEvent(Model):
    """Someone joined, left or timed out of a channel (subscribed ``with_presence``).

    Attributes:
        channel: The channel (without the ``-pnpres`` suffix).
        timetoken: When PubNub announced it.
        action: ``"join"``, ``"leave"``, ``"timeout"``, ``"state-change"`` or ``"interval"``.
        uuid: Whose presence changed (None for ``interval`` events).
        occupancy: How many are in the channel now, when PubNub says.
        timestamp: Unix time of the change in seconds, when PubNub says.
        state: The user's presence state (``state-change``), if any.
        join: For ``interval`` events: who joined since the last one.
        leave: For ``interval`` events: who left.
        timeout: For ``interval`` events: who timed out.
        subscription: The group it arrived through (without ``-pnpres``), if any.
    """

    channel: str
    timetoken: int
    action: str
    uuid: str | None = None
    occupancy: int | None = None
    timestamp: int | None = None
    state: Any = None
    join: list[str] | None = None
    leave: list[str] | None = None
    timeout: list[str] | None = None
    subscription: str | None = None


@attrs.frozen
class UndecryptableEvent(Model):
    """A message or file message whose payload could not be decrypted (or read).

    The subscription goes on; nothing of the payload is trusted. ``payload`` is exactly what
    came, for logging or a retry with another key.

    Attributes:
        channel: The channel it was published on.
        timetoken: When it was published.
        kind: ``"message"`` or ``"file"``: what it would have been.
        payload: The payload as received (usually base64 ciphertext).
        error: Why it could not be read: a wrong key or damaged data, a payload that is not
            encrypted although the client has a key, an encrypted one and no key, or a file
            message naming a file no request could fetch (a name with ``..``).
        publisher: Who published it, when PubNub says.
        subscription: The channel group it arrived through, if any.
        meta: The ``meta`` published with it (never encrypted).
        custom_message_type: Its custom type, if it was given one.
    """

    channel: str
    timetoken: int
    kind: Literal["message", "file"]
    payload: Any
    error: str
    publisher: str | None = None
    subscription: str | None = None
    meta: Any = None
    custom_message_type: str | None = None


Event = (
    MessageEvent
    | SignalEvent
    | FileEvent
    | MessageActionEvent
    | ObjectsEvent
    | PresenceEvent
    | UndecryptableEvent
)
"""Everything a subscription yields."""
