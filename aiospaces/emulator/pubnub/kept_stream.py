"""How a [Stream][aiospaces.emulator.pubnub.stream.Stream] goes into a state file and back.

A stream is pickled as its channel groups and the timetokens of its records (live, and per
channel in storage); the records themselves are kept one row each by the PubNub emulation
(``stored_records``, see [state_file][aiospaces.emulator.state_file]), since they never change:
a publish writes one new row instead of every message again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["KeptStream"]


class KeptStream:
    """The pickling of a stream (a base class of ``Stream``)."""

    # a Stream's attributes (Record and Clock live in the stream module, which imports this one)
    records: list[Any]
    history: dict[str, list[Any]]
    groups: dict[str, set[str]]
    clock: Any

    def __getstate__(self) -> dict[str, Any]:
        """Return what a state file keeps: the groups and the records' timetokens.

        Not the records (the owner keeps those one by one, see ``restore``), nor the clock or
        the waits.
        """
        history = {channel: [r.timetoken for r in kept] for channel, kept in self.history.items()}
        return {
            "live": [r.timetoken for r in self.records],
            "history": history,
            "groups": self.groups,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Load a stream's state; ``restore`` then gives it its clock and records."""
        self.__init__(None)  # type: ignore[misc] # the clock comes with restore()
        self.groups = state["groups"]
        self._timetokens: tuple[list[int], dict[str, list[int]]] = (state["live"], state["history"])

    def restore(self, clock: Any, records: Mapping[int, Any]) -> None:
        """Attach the emulator's clock and the records the loaded timetokens name."""
        live, history = self.__dict__.pop("_timetokens", ([], {}))
        self.clock = clock
        self.records = [records[t] for t in live]
        self.history = {channel: [records[t] for t in kept] for channel, kept in history.items()}
