"""Message history (Message Persistence): ``fetch_messages``, one page or every page.

```python
page = await pn.fetch_messages().channel("room").count(25)       # the newest 25
async for message in pn.fetch_messages(channel="room", include_message_type=True):
    if message.is_file:                                          # message_type 4
        print(message.file_id, message.file_name)
```

``GET /v3/history/sub-key/{sub}/channel/{ch1,ch2,...}`` answers each channel's messages
oldest first: the newest ``max`` of them older than ``start`` (exclusive) and no older than
``end`` (inclusive). ``async for`` walks back in time: each following page asks for messages
older than the oldest one received, until a channel returns fewer than ``max``. One channel
pages up to 100 messages at a time, several up to 25 each (PubNub's limits; a larger
``count`` is lowered to them, as PubNub's SDKs do).

Messages are decrypted with the client's cipher key; one that cannot be keeps its raw payload
and says why in ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import unquote

from aiospaces.core import validate
from aiospaces.core.builder import CallParams
from aiospaces.core.errors import ValidationError
from aiospaces.core.pagination import PaginatedBuilder
from aiospaces.core.request import RequestSpec
from aiospaces.pubnub._base import PubNubBuilder, read_timetoken, timetoken_setting, url_encode
from aiospaces.pubnub.envelope import open_payload
from aiospaces.pubnub.models import HistoryMessage, HistoryPage

if TYPE_CHECKING:
    import httpx

    from aiospaces.pubnub.crypto import CryptoModule

__all__ = [
    "MAX_COUNT_MANY",
    "MAX_COUNT_ONE",
    "FetchMessages",
    "FetchMessagesParams",
]

MAX_COUNT_ONE = 100
"""Most messages one page holds for a single channel."""
MAX_COUNT_MANY = 25
"""Most messages one page holds per channel when several are fetched."""

_FILE_TYPE = 4


class FetchMessagesParams(CallParams, total=False):
    """Keywords of ``fetch_messages`` (its setters)."""

    channel: str
    channels: Sequence[str]
    start: int | str
    end: int | str
    count: int
    include_meta: bool
    include_message_type: bool
    include_custom_message_type: bool
    include_uuid: bool
    cipher_key: str


class FetchMessages(PubNubBuilder[HistoryPage], PaginatedBuilder[HistoryPage, HistoryMessage]):
    """Fetch a page of one or more channels' history; ``async for`` walks back through all.

    Iterating yields every message of each page, channel by channel, each channel's oldest
    first; the pages go back in time.
    """

    _channels: tuple[str, ...] = ()
    _start: int | None = None
    _end: int | None = None
    _count: int | None = None
    _include_meta = False
    _include_message_type: bool | None = None
    _include_custom_message_type: bool | None = None
    _include_uuid: bool | None = None
    _cipher_key: str | None = None
    # paging state: per channel, the oldest timetoken already delivered (later pages skip
    # anything from there on) and what the last answer held (count, oldest timetoken)
    _before: dict[str, int] = {}  # noqa: RUF012 - replaced, never mutated
    _received: dict[str, tuple[int, int]] = {}  # noqa: RUF012 - replaced, never mutated

    def channel(self, channel: str) -> Self:
        """Fetch this one channel's history."""
        self._channels = (channel,)
        return self

    def channels(self, channels: Sequence[str]) -> Self:
        """Fetch the history of several channels at once (each page holds some of each)."""
        if isinstance(channels, str) or not isinstance(channels, Sequence):
            raise ValidationError("channels must be a list of channel names")
        self._channels = tuple(channels)
        return self

    def start(self, timetoken: int | str) -> Self:
        """Return only messages older than this timetoken (exclusive)."""
        self._start = timetoken_setting(timetoken, "start")
        return self

    def end(self, timetoken: int | str) -> Self:
        """Return only messages from this timetoken on (inclusive)."""
        self._end = timetoken_setting(timetoken, "end")
        return self

    def count(self, count: int) -> Self:
        """Return at most ``count`` messages per channel and page (1 to 100; 25 for several)."""
        self._count = validate.integer(count, "count", minimum=1, maximum=MAX_COUNT_ONE)
        return self

    def include_meta(self, include: bool = True) -> Self:
        """Also return each message's ``meta``."""
        self._include_meta = validate.boolean(include, "include_meta")
        return self

    def include_message_type(self, include: bool = True) -> Self:
        """Also return each message's type: 0 a message, 4 a file message (with its file)."""
        self._include_message_type = validate.boolean(include, "include_message_type")
        return self

    def include_custom_message_type(self, include: bool = True) -> Self:
        """Also return each message's custom type."""
        self._include_custom_message_type = validate.boolean(include, "include_custom_message_type")
        return self

    def include_uuid(self, include: bool = True) -> Self:
        """Also return who published each message (``publisher``)."""
        self._include_uuid = validate.boolean(include, "include_uuid")
        return self

    def cipher_key(self, key: str) -> Self:
        """Decrypt with this key instead of the client's."""
        self._cipher_key = validate.secret(key, "cipher_key")
        return self

    def _checked_channels(self) -> tuple[str, ...]:
        if not self._channels:
            raise ValidationError("channel is required: set channel() or channels()")
        for channel in self._channels:
            validate.identifier(channel, "channel")
        return self._channels

    def _max(self) -> int:
        cap = MAX_COUNT_ONE if len(self._channels) == 1 else MAX_COUNT_MANY
        return min(self._count or cap, cap)

    def _build(self) -> RequestSpec:
        channels = self._checked_channels()
        sub = url_encode(self._client.config.subscribe_key)
        path = f"/v3/history/sub-key/{sub}/channel/{','.join(url_encode(c) for c in channels)}"
        query = [("max", str(self._max()))]
        if self._start is not None:
            query.append(("start", str(self._start)))
        if self._end is not None:
            query.append(("end", str(self._end)))
        query.append(("include_meta", _flag(self._include_meta)))
        for name, value in (
            ("include_message_type", self._include_message_type),
            ("include_custom_message_type", self._include_custom_message_type),
            ("include_uuid", self._include_uuid),
        ):
            if value is not None:
                query.append((name, _flag(value)))
        return RequestSpec(method="GET", path=path, query=query)

    async def _parse(self, response: httpx.Response) -> HistoryPage:
        body = response.json()
        listed = body.get("channels") if isinstance(body, dict) else None
        if not isinstance(listed, dict):
            raise ValueError("a history answer holds its messages in 'channels'")
        crypto = self._client.crypto_for(self._cipher_key)
        channels: dict[str, list[HistoryMessage]] = {}
        received: dict[str, tuple[int, int]] = {}
        for key, items in listed.items():
            if not isinstance(items, list):
                raise ValueError("each channel of a history answer holds a list")
            channel = unquote(key)  # PubNub percent-encodes the keys
            messages = [_message(channel, item, crypto) for item in items]
            if messages:
                received[channel] = (len(messages), min(m.timetoken for m in messages))
            before = self._before.get(channel)
            kept = [m for m in messages if before is None or m.timetoken < before]
            if kept:
                channels[channel] = kept
        self._received = received
        return HistoryPage(channels)

    def _items(self, page: HistoryPage) -> Sequence[HistoryMessage]:
        return page.messages

    def _next(self, page: HistoryPage) -> Self | None:
        """Ask for what is older, for the channels whose page was full."""
        limit = self._max()
        oldest = {
            channel: min(first, self._before.get(channel, first))
            for channel, (count, first) in self._received.items()
            if count >= limit and channel in self._channels
        }
        if not oldest:
            return None
        following = self._clone()
        following._channels = tuple(c for c in self._channels if c in oldest)
        following._start = max(oldest.values())
        following._before = {**self._before, **oldest}
        following._received = {}
        return following


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _message(channel: str, item: Any, crypto: CryptoModule | None) -> HistoryMessage:
    if not isinstance(item, dict):
        raise ValueError("a history message is an object")
    timetoken = read_timetoken(item["timetoken"])
    message_type = _message_type(item)
    opened = open_payload(item["message"], crypto, file=message_type == _FILE_TYPE)
    publisher = item.get("uuid")
    custom = item.get("custom_message_type")
    return HistoryMessage(
        channel=channel,
        timetoken=timetoken,
        message=opened.message,
        message_type=message_type,
        publisher=publisher if isinstance(publisher, str) else None,
        meta=item.get("meta"),
        custom_message_type=custom if isinstance(custom, str) and custom else None,
        file_id=opened.file_id,
        file_name=opened.file_name,
        error=opened.error,
    )


def _message_type(item: dict[str, Any]) -> int | None:
    """Return 4 for a file message, 0 for another (null, ``""``, ``"1"`` seen), None if absent."""
    if "message_type" not in item:
        return None
    return _FILE_TYPE if item["message_type"] in (_FILE_TYPE, str(_FILE_TYPE)) else 0
