"""How the PubNub emulation goes into a state file and back.

See [state_file][aiospaces.emulator.state_file].

What grows with use is kept one row per entry, written once or when replaced: every message
(``stored_records``, by timetoken: records never change) and every App Context channel
(``stored_channels``, by subscribe key and id: a change replaces the channel). The keysets'
keys and each [Stream][aiospaces.emulator.pubnub.stream.Stream]'s groups and timetokens are
one small row.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Any

from aiospaces.emulator.pubnub.state import Keyset

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiospaces.emulator.pubnub.state import Channel, Keysets

__all__ = ["KeptPubNub", "KeptStream"]


class KeptStream:
    """The pickling of a stream (a base class of ``Stream``)."""

    # a Stream's attributes (Record and Clock live in the stream module, which imports this one)
    records: list[Any]
    history: dict[str, list[Any]]
    groups: dict[str, set[str]]
    clock: Any

    def __getstate__(self) -> dict[str, Any]:
        """Return what a state file keeps: the groups and the records' timetokens.

        Not the records (the emulation keeps those one by one, see ``restore``), nor the
        clock or the waits.
        """
        history = {channel: _packed(kept) for channel, kept in self.history.items()}
        return {"live": _packed(self.records), "history": history, "groups": self.groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Load a stream's state; ``restore`` then gives it its clock and records."""
        self.__init__(None)  # type: ignore[misc] # the clock comes with restore()
        self.groups = state["groups"]
        self._timetokens: tuple[bytes, dict[str, bytes]] = (state["live"], state["history"])

    def restore(self, clock: Any, records: Mapping[int, Any]) -> None:
        """Attach the emulator's clock and the records the loaded timetokens name."""
        live, history = self.__dict__.pop("_timetokens", (b"", {}))
        self.clock = clock
        self.records = [records[t] for t in _unpacked(live)]
        self.history = {
            channel: [records[t] for t in _unpacked(kept)] for channel, kept in history.items()
        }


def _packed(records: list[Any]) -> bytes:
    """Return the records' timetokens as 8-byte integers (pickled 50 times faster than ints)."""
    return array("q", [r.timetoken for r in records]).tobytes()


def _unpacked(data: bytes) -> array[int]:
    timetokens = array("q")
    timetokens.frombytes(data)
    return timetokens


class KeptPubNub:
    """The state-file view of the PubNub emulation (a base class of ``PubNubEmulation``)."""

    keysets: Keysets
    streams: Any  # Streams (the stream module imports this one)

    @property
    def keyset_keys(self) -> dict[str, tuple[str | None, str | None, frozenset[str]]]:
        """Each keyset's publish key, secret key and auth keys, by subscribe key."""
        return {
            sub: (keyset.publish_key, keyset.secret_key, keyset.auth_keys)
            for sub, keyset in self.keysets.by_key.items()
        }

    @keyset_keys.setter
    def keyset_keys(
        self, keys: Mapping[str, tuple[str | None, str | None, frozenset[str]]]
    ) -> None:
        self.keysets.by_key = {
            sub: Keyset(subscribe_key=sub, publish_key=pub, secret_key=secret, auth_keys=auth)
            for sub, (pub, secret, auth) in keys.items()
        }

    @property
    def stored_channels(self) -> dict[tuple[str, str], Channel]:
        """Every App Context channel by (subscribe key, id); set it to load them."""
        return {
            (sub, channel_id): channel
            for sub, keyset in self.keysets.by_key.items()
            for channel_id, channel in keyset.channels.items()
        }

    @stored_channels.setter
    def stored_channels(self, channels: Mapping[tuple[str, str], Channel]) -> None:
        self._loaded_channels = dict(channels)

    @property
    def stored_records(self) -> dict[int, Any]:
        """Every record a stream still holds, by timetoken (unique over all keysets).

        The streams keep only their timetokens. Set it to the records loaded from a state file.
        """
        found: dict[int, Any] = {}
        for stream in self.streams.by_key.values():
            for record in stream.records:
                found[record.timetoken] = record
            for kept in stream.history.values():
                for record in kept:
                    found[record.timetoken] = record
        return found

    @stored_records.setter
    def stored_records(self, records: Mapping[int, Any]) -> None:
        self._loaded_records = dict(records)

    def restored(self) -> None:
        """Put the loaded channels in their keysets, and the loaded records in their streams."""
        for (sub, channel_id), channel in self.__dict__.pop("_loaded_channels", {}).items():
            self.keysets.by_key[sub].channels[channel_id] = channel
        records = self.__dict__.pop("_loaded_records", {})
        for stream in self.streams.by_key.values():
            stream.restore(self.streams.clock, records)
