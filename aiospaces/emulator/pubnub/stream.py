"""PubNub's message stream: timetokens, what each publish leaves behind, and the waits on it.

Every publish, signal and file message becomes a [Record][aiospaces.emulator.pubnub.stream.Record]
in the [Stream][aiospaces.emulator.pubnub.stream.Stream] of its keyset, stamped by the
emulator's one [Clock][aiospaces.emulator.pubnub.stream.Clock]: 17-digit timetokens (100 ns
ticks since the Unix epoch) that strictly increase, also within one tick, so records are in
timetoken order and "newer than ``tt``" is a bisection.

A subscriber's long-poll [waits][aiospaces.emulator.pubnub.stream.Stream.wait] for a record
newer than its ``tt`` on one of its channels: every publish wakes every waiting subscriber of
the keyset (one event, replaced on each publish; no polling), each scans only what is new to
it, and a cancelled wait leaves nothing behind (``Stream.waiting`` counts the waits in
progress).

Bounds: a keyset keeps at least [LIVE_LIMIT][aiospaces.emulator.pubnub.stream.LIVE_LIMIT]
records for subscribers to catch up from; storage (history) keeps at most
[HISTORY_LIMIT][aiospaces.emulator.pubnub.stream.HISTORY_LIMIT] per channel, and drops a
message once its ``ttl`` (hours) has passed.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from aiospaces.emulator.pubnub.kept import KeptStream

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "BATCH_LIMIT",
    "FILE",
    "HISTORY_LIMIT",
    "LIVE_LIMIT",
    "MESSAGE",
    "OBJECTS",
    "REGION",
    "SHARD",
    "SIGNAL",
    "SNAPSHOT_LIMIT",
    "SUBSCRIBE_TIMEOUT",
    "TICKS_PER_HOUR",
    "Clock",
    "Delivery",
    "PublishOptions",
    "Record",
    "Stream",
    "Streams",
    "Subscription",
]

MESSAGE = 0
"""The message type (``e`` of a subscribe item, ``message_type`` in history) of a message."""
SIGNAL = 1
"""The message type of a signal."""
OBJECTS = 2
"""The message type of an App Context event (a channel set or deleted)."""
FILE = 4
"""The message type of a file message."""
SUBSCRIBE_TIMEOUT = 280.0
"""Seconds a long-poll is held with nothing to deliver (production: 280 s, clients wait 310)."""
BATCH_LIMIT = 100
"""The most messages one subscribe answer carries; the rest follow on the next poll."""
LIVE_LIMIT = 10_000
"""Records a keyset keeps at least for subscribers catching up (a resumed ``tt``)."""
HISTORY_LIMIT = 10_000
"""Stored messages kept per channel; the oldest go first."""
SNAPSHOT_LIMIT = 1_000
"""Records per keyset shown by the control API's state (the newest)."""
TICKS_PER_HOUR = 3600 * 10_000_000
"""Timetoken ticks (100 ns) in an hour, the unit of ``ttl``."""
REGION = 42
"""The region (``r``) of every timetoken the emulator hands out."""
SHARD = "4"
"""The shard (``a``) of every subscribe item."""

_timetoken = attrgetter("timetoken")


class Clock:
    """Timetokens of one emulator: 17 digits of 100 ns ticks, strictly increasing.

    Args:
        wall: Nanoseconds since the epoch (a seam for tests of ``ttl``).
    """

    def __init__(self, wall: Callable[[], int] = time.time_ns) -> None:
        self.wall = wall
        self.last = 0

    def ticks(self) -> int:
        """Return the wall clock in timetoken ticks (not a timetoken: it may repeat)."""
        return self.wall() // 100

    def now(self) -> int:
        """Return the current timetoken: every later ``next()`` is greater."""
        self.last = max(self.last, self.ticks())
        return self.last

    def next(self) -> int:
        """Return a new timetoken, greater than every one handed out before."""
        self.last = max(self.ticks(), self.last + 1)
        return self.last


@attrs.frozen(kw_only=True)
class PublishOptions:
    """What a publish says besides its channel and payload (its query parameters).

    Attributes:
        publisher: The publisher's ``uuid``.
        meta: The ``meta`` object (None: none).
        store: Whether the message goes to storage (history).
        ttl: Hours it stays in storage (None or 0: the keyset's retention, unlimited here).
        custom_message_type: The ``custom_message_type``.
        sequence: The publish sequence number (``seqn``), echoed as ``s``.
        origination: The publisher's origination timetoken (``ortt``), echoed as ``o``.
    """

    publisher: str | None = None
    meta: dict[str, Any] | None = None
    store: bool = True
    ttl: int | None = None
    custom_message_type: str | None = None
    sequence: int | None = None
    origination: str | None = None


@attrs.frozen(kw_only=True)
class Record:
    """One published message, signal or file message, as the stream keeps it.

    Attributes:
        channel: The channel it was published to.
        timetoken: Its publish timetoken.
        payload: The message (JSON; a string if the publisher encrypted it).
        message_type: ``MESSAGE``, ``SIGNAL`` or ``FILE``.
        options: Publisher, meta, storage and custom type.
    """

    channel: str
    timetoken: int
    payload: Any
    message_type: int = MESSAGE
    options: PublishOptions = PublishOptions()

    @property
    def expires(self) -> int | None:
        """The timetoken tick from which it is gone from storage (None: never)."""
        ttl = self.options.ttl
        return self.timetoken + ttl * TICKS_PER_HOUR if ttl else None

    def item(self, subscribe_key: str, via: str | None) -> dict[str, Any]:
        """Return the record as a subscribe answer's ``m`` item, matched through ``via``."""
        options = self.options
        item: dict[str, Any] = {"a": SHARD, "f": 0}
        if self.message_type != MESSAGE:
            item["e"] = self.message_type
        if options.publisher is not None:
            item["i"] = options.publisher
        if options.sequence is not None:
            item["s"] = options.sequence
        if options.origination is not None:
            item["o"] = {"t": options.origination}
        item["p"] = {"t": str(self.timetoken), "r": REGION}
        item["k"] = subscribe_key
        item["c"] = self.channel
        if options.meta is not None:
            item["u"] = options.meta
        item["d"] = self.payload
        if via is not None:
            item["b"] = via
        if options.custom_message_type is not None:
            item["cmt"] = options.custom_message_type
        return item

    def snapshot(self) -> dict[str, Any]:
        """Return the record as the control API's state shows it."""
        options = self.options
        return {
            "channel": self.channel,
            "timetoken": str(self.timetoken),
            "message_type": self.message_type,
            "message": self.payload,
            "meta": options.meta,
            "publisher": options.publisher,
            "custom_message_type": options.custom_message_type,
            "store": options.store and self.message_type != SIGNAL,
            "ttl": options.ttl,
        }


Delivery = tuple[Record, "str | None"]
"""A record to deliver and the subscription it matched through (``b``; None: its channel)."""


@attrs.frozen
class Subscription:
    """What one long-poll listens to.

    Attributes:
        channels: Channel names; ``a.*`` is a wildcard for every channel starting ``a.``.
        groups: Channel group names (their channels as registered when a record is scanned).
    """

    channels: frozenset[str]
    groups: tuple[str, ...] = ()

    def matcher(self, registry: Mapping[str, set[str]]) -> Callable[[str], tuple[bool, str | None]]:
        """Return a test of a channel: ``(matched, via)`` against the current group registry."""
        wildcards = [(name, name[:-1]) for name in self.channels if name.endswith(".*")]
        via_group = {
            channel: group for group in reversed(self.groups) for channel in registry.get(group, ())
        }

        def match(channel: str) -> tuple[bool, str | None]:
            if channel in self.channels:
                return True, None
            for name, prefix in wildcards:
                if channel.startswith(prefix):
                    return True, name
            group = via_group.get(channel)
            return (True, group) if group is not None else (False, None)

        return match


class Stream(KeptStream):
    """The records, storage, channel groups and waiting subscribers of one keyset.

    Attributes:
        records: Every record still kept for subscribers, in timetoken order.
        history: Stored records per channel, in timetoken order.
        groups: Channel group name -> its channels.
        waiting: How many long-polls are waiting on this stream right now.
        closed: Set when the emulator is reset: waits end at once, empty.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.records: list[Record] = []
        self.history: dict[str, list[Record]] = {}
        self.groups: dict[str, set[str]] = {}
        self.waiting = 0
        self.closed = False
        self._changed: anyio.Event | None = None

    def add(self, record: Record) -> None:
        """Append a record, store it if it is to be stored, and wake every waiting subscriber."""
        self.records.append(record)
        if len(self.records) > LIVE_LIMIT + LIVE_LIMIT // 4:  # trimmed in chunks, not per add
            del self.records[: len(self.records) - LIVE_LIMIT]
        if record.options.store and record.message_type != SIGNAL:
            stored = self.history.setdefault(record.channel, [])
            stored.append(record)
            if len(stored) > HISTORY_LIMIT:
                del stored[: len(stored) - HISTORY_LIMIT]
        self.wake()

    def wake(self) -> None:
        """Wake every waiting subscriber (they re-scan what is new to them)."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def stored(self, channel: str) -> list[Record]:
        """Return a channel's stored records, oldest first, without those whose ttl passed."""
        records = self.history.get(channel, [])
        now = self.clock.ticks()
        if any(r.expires is not None and r.expires <= now for r in records):
            records[:] = [r for r in records if r.expires is None or r.expires > now]
        return records

    def scan(
        self,
        after: int,
        subscription: Subscription,
        accept: Callable[[Record], bool] | None = None,
    ) -> tuple[list[Delivery], int]:
        """Return up to ``BATCH_LIMIT`` matching records newer than ``after``, and how far it read.

        Args:
            after: Only records with a greater timetoken.
            subscription: The channels and groups to match.
            accept: A further test of each matching record (a filter expression).

        Returns:
            The deliveries, and the timetoken of the last record read (``after`` if none).
        """
        match = subscription.matcher(self.groups)
        found: list[Delivery] = []
        last = after
        start = bisect_right(self.records, after, key=_timetoken)
        for index in range(start, len(self.records)):
            record = self.records[index]
            last = record.timetoken
            matched, via = match(record.channel)
            if matched and (accept is None or accept(record)):
                found.append((record, via))
                if len(found) >= BATCH_LIMIT:
                    break
        return found, last

    async def wait(
        self,
        after: int,
        subscription: Subscription,
        accept: Callable[[Record], bool] | None,
        hold: float,
    ) -> tuple[list[Delivery], int]:
        """Return the first batch newer than ``after``, waiting up to ``hold`` seconds for one.

        Returns:
            The deliveries and the timetoken to resume from (``t.t``): the last delivered
            record's, or, with nothing to deliver at the timeout, ``after`` again (as
            production answers an empty poll: with the cursor it was given).
        """
        read = after
        with anyio.move_on_after(hold):
            while not self.closed:
                found, read = self.scan(read, subscription, accept)
                if found:
                    return found, found[-1][0].timetoken
                await self._changes()
        found, read = self.scan(read, subscription, accept)  # what came as the time ran out
        if found:
            return found, found[-1][0].timetoken
        return [], after

    async def _changes(self) -> None:
        if self._changed is None:
            self._changed = anyio.Event()
        changed = self._changed
        self.waiting += 1
        try:
            await changed.wait()
        finally:
            self.waiting -= 1


class Streams:
    """The streams of every keyset of one emulator, their clock and the long-poll hold time.

    Args:
        subscribe_timeout: Seconds a long-poll is held with nothing to deliver.
        clock: The timetoken clock (one per emulator; a fresh one by default).
    """

    def __init__(
        self, *, subscribe_timeout: float = SUBSCRIBE_TIMEOUT, clock: Clock | None = None
    ) -> None:
        self.subscribe_timeout = subscribe_timeout
        self.clock = clock or Clock()
        self.by_key: dict[str, Stream] = {}

    def stream(self, subscribe_key: str) -> Stream:
        """Return a keyset's stream, made on first use."""
        stream = self.by_key.get(subscribe_key)
        if stream is None:
            stream = self.by_key[subscribe_key] = Stream(self.clock)
        return stream

    def publish(
        self,
        subscribe_key: str,
        channel: str,
        payload: Any,
        options: PublishOptions,
        message_type: int = MESSAGE,
    ) -> int:
        """Add a message to a keyset's stream and return its timetoken."""
        timetoken = self.clock.next()
        record = Record(
            channel=channel,
            timetoken=timetoken,
            payload=payload,
            message_type=message_type,
            options=options,
        )
        self.stream(subscribe_key).add(record)
        return timetoken

    @property
    def waiting(self) -> int:
        """How many long-polls are waiting, over every keyset."""
        return sum(stream.waiting for stream in self.by_key.values())

    def clear(self) -> None:
        """Forget every stream; waiting long-polls answer at once (the clock keeps counting)."""
        for stream in self.by_key.values():
            stream.closed = True
            stream.wake()
        self.by_key.clear()

    def snapshot(self, subscribe_key: str) -> list[dict[str, Any]]:
        """Return the newest ``SNAPSHOT_LIMIT`` records of a keyset, oldest first."""
        stream = self.by_key.get(subscribe_key)
        return [r.snapshot() for r in stream.records[-SNAPSHOT_LIMIT:]] if stream else []
