"""What the journal tests share: a journal that records its writes, the emulator's side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from aiospaces.emulator import Emulator
from aiospaces.emulator.pubnub.files import file_key
from aiospaces.emulator.pubnub.stream import FILE
from aiospaces.pubnub.journal import FileRecord, FileState, JobJournal, JobSettings

SUB, PUB, CHANNEL = "sub-c-journal", "pub-c-journal", "journal-ch"
KEYS: dict[str, Any] = {"subscribe_key": SUB, "publish_key": PUB, "user_id": "journal"}


def objects(emulator: Emulator, channel: str = CHANNEL) -> dict[str, str]:
    """Return the stored objects of the channel: file id -> file name."""
    prefix = file_key(SUB, channel)
    found = {}
    for stored in emulator.storage.list(prefix):
        file_id, _, name = stored.key[len(prefix) :].partition("/")
        found[file_id] = name
    return found


def file_messages(emulator: Emulator, channel: str = CHANNEL) -> list[Any]:
    """Return the payload of every file message published on the channel, oldest first."""
    stream = emulator.vendors["pubnub"].streams.by_key.get(SUB)  # type: ignore[attr-defined]
    if stream is None:
        return []
    return [r.payload for r in stream.records if r.message_type == FILE and r.channel == channel]


@attrs.define
class MemoryJournal:
    """A JobJournal in memory that logs each write and can run a check as it is made."""

    rows: dict[str, FileRecord] = attrs.field(factory=dict)
    writes: list[FileRecord] = attrs.field(factory=list)
    on_put: Callable[[FileRecord], None] | None = None
    refuse: bool = False  # every compare-and-set fails (another worker took the files)
    broken: Exception | None = None  # every write raises this
    recorded: JobSettings | None = None
    closed: bool = False
    reads: int = 0  # calls of records()

    async def bind(self, settings: JobSettings) -> None:
        if self.recorded is None:
            self.recorded = settings
        else:
            settings.check(self.recorded)

    async def settings(self) -> JobSettings | None:
        return self.recorded

    async def add(self, records: Sequence[FileRecord]) -> int:
        before = len(self.rows)
        for record in records:
            self.rows.setdefault(record.key, record)
        return len(self.rows) - before

    async def get(self, key: str) -> FileRecord | None:
        return self.rows.get(key)

    async def put(self, record: FileRecord, *, expect: FileState | None = None) -> bool:
        if self.broken is not None:
            raise self.broken
        current = self.rows.get(record.key)
        if expect is not None and (self.refuse or current is None or current.state is not expect):
            return False
        if self.on_put is not None:
            self.on_put(record)
        self.rows[record.key] = record
        self.writes.append(record)
        return True

    async def claim(self, key: str, owner: str, lease: float) -> FileRecord | None:
        raise NotImplementedError

    async def records(self) -> list[FileRecord]:
        self.reads += 1
        return list(self.rows.values())

    async def counts(self) -> dict[FileState, int]:
        counts = dict.fromkeys(FileState, 0)
        for record in self.rows.values():
            counts[record.state] += 1
        return counts

    async def aclose(self) -> None:
        self.closed = True

    def states(self) -> list[FileState]:
        """Return the state of each write, in order."""
        return [w.state for w in self.writes]


def _is_journal(journal: JobJournal) -> JobJournal:
    return journal


_is_journal(MemoryJournal())  # mypy checks it is a JobJournal
