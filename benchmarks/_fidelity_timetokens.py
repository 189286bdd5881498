"""Recorded timetokens and the emulator's, for replaying realtime exchanges (fidelity audit).

Production's timetokens and the emulator's differ (each is its own clock), so a replay maps
one onto the other: every pair seen (a recorded publish answer and the emulator's, a recorded
``t.t`` and the emulator's, a seeded message's) is learned, and a recorded timetoken never seen
(a ``start`` computed by a test, ``timetoken=12123``) is placed between the pairs around it,
keeping its order with them. The mapping keeps order: a recorded value after another maps
after it, so "newer than ``tt``", ``start`` exclusive and ``end`` inclusive select the same
messages on both sides.

For there to be room between any two of the emulator's timetokens, [spread][] moves the
emulator's clock a tenth of a second on before each exchange (timetokens stay 17 digits and
increasing: its clock is only ahead of the wall).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiospaces.emulator.pubnub.stream import Clock

__all__ = ["GAP", "TIMETOKEN", "Timetokens", "spread"]

GAP = 1_000_000
"""Ticks (100 ns) the emulator's clock moves on before each exchange: 0.1 s."""
TIMETOKEN = re.compile(r"\d{17}")


def spread(clock: Clock) -> None:
    """Move the emulator's clock ``GAP`` ticks past the last timetoken it handed out."""
    clock.last = max(clock.last, clock.ticks()) + GAP


class Timetokens:
    """Pairs of (recorded, emulator) timetokens of one cassette, kept in order."""

    def __init__(self) -> None:
        self.recorded: list[int] = []
        self.emulator: list[int] = []
        self.anchor: tuple[int, int] | None = None  # (recorded Date, emulator now): a fallback

    def anchor_at(self, date: str | None, now: int) -> None:
        """Remember the recorded ``Date`` of an exchange against the emulator's now (once)."""
        if self.anchor is not None or not date:
            return
        try:
            seconds = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        self.anchor = (int(seconds) * 10_000_000, now)

    def learn(self, recorded: int, emulator: int) -> bool:
        """Learn a pair; False (and not learned) if it breaks the order of those learned."""
        index = bisect_left(self.recorded, recorded)
        if index < len(self.recorded) and self.recorded[index] == recorded:
            return self.emulator[index] == emulator
        if index > 0 and self.emulator[index - 1] > emulator:
            return False
        if index < len(self.recorded) and self.emulator[index] < emulator:
            return False
        self.recorded.insert(index, recorded)
        self.emulator.insert(index, emulator)
        return True

    def known(self, recorded: int) -> int | None:
        """Return the emulator's value learned for ``recorded``, if any."""
        index = bisect_left(self.recorded, recorded)
        if index < len(self.recorded) and self.recorded[index] == recorded:
            return self.emulator[index]
        return None

    def to_emulator(self, recorded: int, now: int) -> int:
        """Return the emulator's timetoken for a recorded one, learned or placed in order.

        Args:
            recorded: The recorded timetoken.
            now: The emulator's current timetoken: where an unplaceable value goes.
        """
        index = bisect_left(self.recorded, recorded)
        if index < len(self.recorded) and self.recorded[index] == recorded:
            return self.emulator[index]
        below = (self.recorded[index - 1], self.emulator[index - 1]) if index > 0 else None
        above = (self.recorded[index], self.emulator[index]) if index < len(self.recorded) else None
        if below and above:
            (r1, e1), (r2, e2) = below, above
            value = e1 + (recorded - r1) * (e2 - e1) // (r2 - r1)
            return min(max(value, e1 + 1), e2 - 1) if e2 - e1 >= 2 else e1
        if below:
            return below[1] + (recorded - below[0])
        if above:
            return max(1, above[1] - (above[0] - recorded))
        if self.anchor is not None:
            return max(1, self.anchor[1] + (recorded - self.anchor[0]))
        return now
