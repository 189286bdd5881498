"""Subscribe: PubNub's long-poll as an async iterator of typed events.

```python
async with pn.subscribe(channels=["room"], channel_groups=["team"]) as sub:
    async for event in sub:
        match event:
            case MessageEvent():
                print(event.channel, event.message)
            case FileEvent():
                await event.download_file().to_path(f"in/{event.file_name}")
        if done:
            break
```

The loop is PubNub's subscribe protocol: a handshake ``GET /v2/subscribe/{sub}/{channels}/0``
with ``tt=0``, made when the ``async with`` block is entered (so whatever is published after
that is delivered), answers at once with the current timetoken (``t.t``) and region (``t.r``); each
following request sends them back as ``tt`` and ``tr`` and is held open by PubNub until
something newer is published on a subscribed channel (or for about 280 s, answering with
nothing). The cursor moves only with a successful answer, so a failed request is simply sent
again with the same ``tt``: nothing is lost and nothing repeats. Events are also de-duplicated
by channel and timetoken, should PubNub's cursor step back.

**The connection pool.** While the iterator waits for events, its long-poll holds one
connection of the Session's shared pool (up to ~310 s, this request's own read timeout); the
connection goes back to the pool with each answer. Every subscription being iterated takes one
slot, so keep ``max_connections`` (``httpx.Limits``, 1000 by default) above the number of
subscriptions plus the calls you make concurrently, or those calls wait for a free slot.
Nothing is polled while your loop body runs, nor after the ``async with`` block: leaving it
(or cancelling the task) interrupts the poll and returns its connection. For many concurrent
subscriptions (dozens or more) keep the default backend (aiohttp's pool) rather than
``backend="httpx"``: httpcore's pool scans all its connections on each request and closes a
connection that goes idle while it holds more than its keep-alive limit (20), so with 100
subscriptions each event costs about three times the client CPU it costs on aiohttp
(``benchmarks/realtime.py``).
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self

import anyio
import httpx

from aiospaces.core import validate
from aiospaces.core.convert import parsing
from aiospaces.core.errors import APIError, TransportError, UnexpectedResponseError, ValidationError
from aiospaces.core.request import CallOptions, RequestSpec
from aiospaces.pubnub._base import read_timetoken, timetoken_setting, url_encode
from aiospaces.pubnub.envelope import PRESENCE_SUFFIX, read_event

if TYPE_CHECKING:
    from types import TracebackType

    from aiospaces.pubnub.client import PubNub
    from aiospaces.pubnub.events import Event

__all__ = ["DEDUPE_WINDOW", "SUBSCRIBE_TIMEOUT", "Subscription"]

_logger = logging.getLogger("aiospaces")

SUBSCRIBE_TIMEOUT = 310.0
"""Read timeout of one long-poll, in seconds (PubNub holds it up to ~280 s)."""
DEDUPE_WINDOW = 4096
"""How many recent events (by channel, timetoken and kind) are remembered to drop repeats."""

_POLL = CallOptions(timeout=httpx.Timeout(10.0, read=SUBSCRIBE_TIMEOUT), max_retries=0)


def _names(value: str | Iterable[str], name: str, *, group: bool = False) -> set[str]:
    """Return channel (or group) names as a set; a single string is one name."""
    if isinstance(value, str):
        value = [value]
    elif not isinstance(value, Iterable):
        raise ValidationError(f"{name} must be a name or a list of names")
    names = set()
    for item in value:
        checked = validate.identifier(item, name)
        if group and "," in checked:
            raise ValidationError(f"{name} cannot contain ',' (it separates group names)")
        names.add(checked)
    return names


class Subscription:
    """A live subscription to channels and channel groups; ``async for`` yields its events.

    Made by [PubNub.subscribe][aiospaces.pubnub.client.PubNub.subscribe]; use it as an async
    context manager, then iterate it. Events are the classes of
    [events][aiospaces.pubnub.events]. Only one task may iterate it at a time; others may
    [add][aiospaces.pubnub.subscribe.Subscription.add] and
    [remove][aiospaces.pubnub.subscribe.Subscription.remove] channels meanwhile.

    While the iterator waits, one long-poll request holds one connection of the Session's
    shared pool (see the module's notes).

    A failed poll (a transport error, a timeout, 408/429/5xx, an unreadable answer) is sent
    again with the same cursor after the Session's retry backoff (0.5 s doubling up to 8 s);
    after ``max_retries`` consecutive failures the last error is raised from the iterator.
    Other errors (403 Access Manager, 400) are raised at once.

    Args:
        client: The PubNub client that sends the polls.
        channels: Channel names (one name or several).
        channel_groups: Channel group names.
        with_presence: Also receive presence events (``-pnpres`` channels).
        filter_expression: A subscribe filter on messages' ``meta`` (sent as ``filter-expr``).
        heartbeat: Presence timeout in seconds to announce (sent as ``heartbeat``).
        timetoken: Start from this timetoken (events published after it), e.g. a previous
            subscription's ``timetoken``; default: from now.
        max_retries: Consecutive failed polls tolerated (None: keep trying).

    Raises:
        ValidationError: A name, the filter or a number is invalid.
    """

    def __init__(
        self,
        client: PubNub,
        *,
        channels: str | Iterable[str] = (),
        channel_groups: str | Iterable[str] = (),
        with_presence: bool = False,
        filter_expression: str | None = None,
        heartbeat: int | None = None,
        timetoken: int | str | None = None,
        max_retries: int | None = None,
    ) -> None:
        self._client = client
        self._channels = _names(channels, "channels")
        self._groups = _names(channel_groups, "channel_groups", group=True)
        self._presence = validate.boolean(with_presence, "with_presence")
        self._filter = (
            None if filter_expression is None else validate.text(filter_expression, "filter")
        )
        self._heartbeat = (
            None if heartbeat is None else validate.integer(heartbeat, "heartbeat", minimum=1)
        )
        self._start = None if timetoken is None else timetoken_setting(timetoken, "timetoken")
        self._max_retries = (
            None if max_retries is None else validate.integer(max_retries, "max_retries", minimum=0)
        )
        self._tt: int | None = None  # the poll cursor (None: handshake first)
        self._tr: int | None = None
        self._cursor: int | None = self._start
        self._batch_tt: int | None = None
        self._pending: collections.deque[Event] = collections.deque()
        self._seen: collections.OrderedDict[tuple[str, int, str], None] = collections.OrderedDict()
        self._scope: anyio.CancelScope | None = None
        self._changed: anyio.Event | None = None  # made in the loop (it needs a running one)
        self._entered = False
        self._closed = False
        self._busy = False

    def __repr__(self) -> str:
        return (
            f"<Subscription channels={sorted(self._channels)} "
            f"groups={sorted(self._groups)} timetoken={self._cursor}>"
        )

    @property
    def channels(self) -> frozenset[str]:
        """The subscribed channels (without presence channels)."""
        return frozenset(self._channels)

    @property
    def channel_groups(self) -> frozenset[str]:
        """The subscribed channel groups."""
        return frozenset(self._groups)

    @property
    def timetoken(self) -> int | None:
        """Where to resume: every event up to this timetoken has been handed out.

        Pass it as ``timetoken=`` to a new subscription to receive what came after (PubNub
        keeps about 100 messages for about 20 minutes for catching up). None before the
        first answer when no ``timetoken`` was given.
        """
        return self._cursor

    def add(
        self, *, channels: str | Iterable[str] = (), channel_groups: str | Iterable[str] = ()
    ) -> None:
        """Subscribe to more channels or groups; a poll in flight is re-sent with them.

        Raises:
            ValidationError: A name is invalid.
        """
        added = _names(channels, "channels")
        groups = _names(channel_groups, "channel_groups", group=True)
        self._change(self._channels | added, self._groups | groups)

    def remove(
        self, *, channels: str | Iterable[str] = (), channel_groups: str | Iterable[str] = ()
    ) -> None:
        """Stop receiving from these channels or groups; a poll in flight is re-sent without.

        With nothing left subscribed, the iterator waits until something is added.

        Raises:
            ValidationError: A name is invalid.
        """
        removed = _names(channels, "channels")
        groups = _names(channel_groups, "channel_groups", group=True)
        self._change(self._channels - removed, self._groups - groups)

    def _change(self, channels: set[str], groups: set[str]) -> None:
        if channels == self._channels and groups == self._groups:
            return
        self._channels, self._groups = channels, groups
        self._interrupt()

    def _interrupt(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        if self._changed is not None:
            self._changed.set()

    async def __aenter__(self) -> Self:
        """Make the handshake: what is published once the block is entered is delivered.

        Raises:
            APIError: PubNub refused the subscription (403 Access Manager, 400).
            TransportError: The handshake failed ``max_retries`` + 1 times in a row.
        """
        if self._entered:
            raise RuntimeError("a Subscription can be entered once")
        self._entered = True
        if self._channels or self._groups:
            try:
                await self._fill(handshake=True)
            except BaseException:
                self._closed = True
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """End the subscription: a poll in flight is interrupted; iterating ends."""
        self._closed = True
        self._pending.clear()
        self._interrupt()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        if not self._entered:
            raise RuntimeError("use the subscription in 'async with pn.subscribe(...) as sub'")
        if self._busy:
            raise RuntimeError("another task is already iterating this subscription")
        self._busy = True
        try:
            while not self._pending:
                if self._closed:
                    raise StopAsyncIteration
                await self._fill()
            event = self._pending.popleft()
            if not self._pending:
                self._cursor = self._batch_tt
            return event
        finally:
            self._busy = False

    async def _fill(self, *, handshake: bool = False) -> None:
        """Poll until an answer brings events (or, with ``handshake``, until one came)."""
        if not handshake:
            # Let the other tasks run first: when many subscriptions' answers arrive at once,
            # each one is handed out before any of them spends time sending its next poll.
            await anyio.lowlevel.checkpoint()
        failures = 0
        while not self._closed:
            if not (self._channels or self._groups):
                changed = self._changed = anyio.Event()
                await changed.wait()
                continue
            with anyio.CancelScope() as scope:
                self._scope = scope
                try:
                    answer = await self._poll()
                except (TransportError, APIError) as exc:
                    failures += 1
                    if not _transient(exc) or (
                        self._max_retries is not None and failures > self._max_retries
                    ):
                        raise
                    policy = self._client.session.retry_policy
                    wait = policy.delay(failures - 1)
                    _logger.warning("subscribe poll failed (%s); polling again in %.2fs", exc, wait)
                    await _sleep(wait)
                    continue
                finally:
                    self._scope = None
            if scope.cancelled_caught:
                continue  # the channels changed, or closing: poll again (or stop)
            if self._take(answer) or handshake:
                return

    async def _poll(self) -> dict[str, Any]:
        exchange = await self._client.request(self._spec(), _POLL)
        with parsing(exchange, vendor="pubnub", expected="a subscribe answer"):
            body = exchange.response.json()
            if not isinstance(body, dict) or not isinstance(body.get("t"), dict):
                raise ValueError("a subscribe answer is {'t': {'t', 'r'}, 'm': [...]}")
            read_timetoken(body["t"]["t"])
            if not isinstance(body.get("m", []), list):
                raise ValueError("a subscribe answer's messages 'm' are a list")
        return body

    def _spec(self) -> RequestSpec:
        """Describe the next poll: the channels and groups, sorted, and the cursor."""
        suffixes = ("", PRESENCE_SUFFIX) if self._presence else ("",)
        channels = sorted(f"{c}{s}" for c in self._channels for s in suffixes)
        groups = sorted(f"{g}{s}" for g in self._groups for s in suffixes)
        sub = url_encode(self._client.config.subscribe_key)
        path = f"/v2/subscribe/{sub}/{','.join(url_encode(c) for c in channels) or ','}/0"
        query: list[tuple[str, str]] = []
        if groups:
            query.append(("channel-group", ",".join(groups)))
        if self._filter:
            query.append(("filter-expr", self._filter))
        handshake = self._tt is None
        query.append(("tt", "0" if handshake else str(self._tt)))
        if not handshake and self._tr:
            query.append(("tr", str(self._tr)))
        if self._heartbeat is not None:
            query.append(("heartbeat", str(self._heartbeat)))
        return RequestSpec(method="GET", path=path, query=query)

    def _take(self, answer: dict[str, Any]) -> bool:
        """Adopt an answer's cursor and queue its new events; return whether any came."""
        cursor = answer["t"]
        handshake = self._tt is None
        timetoken = read_timetoken(cursor["t"])
        region = cursor.get("r")
        self._tr = region if isinstance(region, int) and not isinstance(region, bool) else None
        if handshake and self._start is not None:
            self._tt = self._start  # resume: the handshake only gave the region
        else:
            self._tt = timetoken
        for item in answer.get("m", []):
            try:
                if not isinstance(item, dict):
                    raise TypeError("a subscribe message is an object")
                event = read_event(item, self._client)
            except (KeyError, ValueError, TypeError) as exc:
                _logger.warning("skipped an unreadable subscribe message (%s)", exc)
                continue
            if event is None:
                _logger.warning("skipped a subscribe message of unknown kind %r", item.get("e"))
                continue
            key = (event.channel, event.timetoken, type(event).__name__)
            if key in self._seen:
                continue
            self._seen[key] = None
            if len(self._seen) > DEDUPE_WINDOW:
                self._seen.popitem(last=False)
            self._pending.append(event)
        self._batch_tt = self._tt
        if not self._pending:
            self._cursor = self._tt
            return False
        return True


def _transient(exc: TransportError | APIError) -> bool:
    """Whether a failed poll is worth sending again (the cursor is unchanged)."""
    if isinstance(exc, TransportError):
        return True
    if isinstance(exc, UnexpectedResponseError):
        return True
    return exc.status_code in (408, 429) or exc.status_code >= 500


async def _sleep(seconds: float) -> None:
    """Wait before polling again (a seam tests patch to skip the waiting)."""
    await anyio.sleep(seconds)
