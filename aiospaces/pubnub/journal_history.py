"""Searching a channel's history for the file messages of a job's files.

A file whose record says ``stored`` or ``announcement_unknown`` may have been announced by a run
that died: [HistoryIndex][aiospaces.pubnub.journal_history.HistoryIndex] finds out, reading
the channel's history once for many files.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiospaces.pubnub.client import PubNub

__all__ = ["HISTORY_SETTLE", "HISTORY_SKEW", "HistoryIndex"]

HISTORY_SETTLE = 1.0
"""Seconds between a run's start and its first history search, for a file message sent by a
process that just died to be in history."""
HISTORY_SKEW = 600.0
"""History is searched from this many seconds before a reservation (clocks disagree)."""
_TICKS = 10_000_000  # timetoken ticks per second
_FILE_MESSAGE = 4


class HistoryIndex:
    """The file messages found in a channel's history, searched as rarely as possible.

    A search reads the channel's history from now back to a timetoken and remembers every
    file id it saw; a later question is answered from it when that search reached back far
    enough and began late enough.

    Args:
        client: The PubNub client.
        channel: The channel.
        cipher_key: Decrypt with this key instead of the client's.
        clock: Seconds since the epoch.
    """

    def __init__(
        self,
        client: PubNub,
        channel: str,
        *,
        cipher_key: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._channel = channel
        self._cipher_key = cipher_key
        self._clock = clock
        self._found: dict[str, int] = {}
        self._searches: list[tuple[int, float]] = []  # (oldest timetoken read, began at)
        self._floor: float | None = None
        self._lock = anyio.Lock()
        self.searches = 0
        """How many history searches were made."""

    def expect(self, since: float) -> None:
        """Make the next search reach back to ``since`` at least (prefetch for many files)."""
        self._floor = since if self._floor is None else min(self._floor, since)

    async def find(self, file_id: str, since: float, not_before: float = 0.0) -> int | None:
        """Return the timetoken of the file message of ``file_id``, or None when there is none.

        Args:
            file_id: The file id.
            since: When the file was reserved (seconds since the epoch): history is read
                from [HISTORY_SKEW][aiospaces.pubnub.journal_steps.HISTORY_SKEW] before then.
            not_before: Only trust a search begun at or after this time (seconds since the
                epoch); wait for it when it is in the future.
        """
        async with self._lock:
            if file_id in self._found:
                return self._found[file_id]
            low = int((since - HISTORY_SKEW) * _TICKS)
            if any(read <= low and began >= not_before for read, began in self._searches):
                return None
            wait = not_before - self._clock()
            if wait > 0:
                await anyio.sleep(wait)
            if self._floor is not None:
                low = min(low, int((self._floor - HISTORY_SKEW) * _TICKS))
            await self._search(low)
            return self._found.get(file_id)

    async def _search(self, low: int) -> None:
        began = self._clock()
        fetch = self._client.fetch_messages(
            channel=self._channel, include_message_type=True, end=low
        )
        if self._cipher_key is not None:
            fetch.cipher_key(self._cipher_key)
        async for message in fetch:
            if message.file_id is not None and message.message_type == _FILE_MESSAGE:
                earlier = self._found.get(message.file_id)
                if earlier is None or message.timetoken < earlier:
                    self._found[message.file_id] = message.timetoken
        self._searches.append((low, began))
        self.searches += 1
