"""Where a journaled job stands: counts, failures, throughput, and its JSON export.

```python
async with await SqliteJournal.open("job.db", lock=False) as journal:
    status = await JobStatus.read(journal)
print(status.counts[FileState.ANNOUNCED], status.files_per_second)
json.dump(status.to_dict(), out)              # what `aiospaces files status --report` writes
```

Throughput is measured over the time some file was being worked on (the union of each
record's last ``[started, updated]`` span), so the pauses between a crash and the rerun do not
count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypedDict

import attrs

from aiospaces.pubnub.journal import FileRecord, FileState, JobSettings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiospaces.pubnub.journal import JobJournal

__all__ = ["STATUS_FORMAT", "FileEntry", "JobStatus", "SettingsEntry", "StatusReport"]

STATUS_FORMAT = "aiospaces-upload-status/1"
"""The ``format`` of the JSON export (changes when its shape does)."""


class SettingsEntry(TypedDict):
    """The job's settings in the export (never the cipher key, only whether there is one)."""

    channel: str
    subscribe_key: str
    encrypted: bool
    crypto: str | None


class FileEntry(TypedDict):
    """One file in the export (without its presigned form)."""

    key: str
    """The file's identity in the job (its absolute path, or its given name)."""
    name: str
    """The name it is uploaded under."""
    size: int | None
    state: str
    """A [FileState][aiospaces.pubnub.journal.FileState] value."""
    file_id: str | None
    timetoken: str | None
    """The file message's timetoken (17 digits) once announced."""
    abandoned: list[str]
    """File ids reserved before whose forms expired (their objects were deleted)."""
    attempts: int
    step: str | None
    """For a failed or unknown file: ``prepare``, ``upload`` or ``publish``."""
    error: str | None
    updated: float
    """When the record was last written (seconds since the epoch)."""


class StatusReport(TypedDict):
    """The JSON export of a journal (``aiospaces files status JOURNAL --report out.json``)."""

    format: Literal["aiospaces-upload-status/1"]
    settings: SettingsEntry | None
    """None before the job first ran."""
    total: int
    counts: dict[str, int]
    """Files per state, every [FileState][aiospaces.pubnub.journal.FileState] value a key."""
    bytes_announced: int
    """Sum of the sizes of the announced files (as far as known)."""
    busy_seconds: float
    files_per_second: float | None
    """Files announced per busy second (None before any)."""
    bytes_per_second: float | None
    failures: list[FileEntry]
    """The failed files and those whose announcement is unknown."""
    files: list[FileEntry]
    """Every file, in the order added."""


@attrs.frozen
class JobStatus:
    """A summary of a journal.

    Attributes:
        settings: The job's settings (None before it first ran).
        records: Every file's record, in the order added.
        counts: Files per state (every state, zeros included).
        busy_seconds: Seconds during which some file was being worked on.
        bytes_announced: Sum of the announced files' sizes (as far as known).
    """

    settings: JobSettings | None
    records: tuple[FileRecord, ...]
    counts: dict[FileState, int]
    busy_seconds: float
    bytes_announced: int

    @classmethod
    def of(cls, records: Iterable[FileRecord], settings: JobSettings | None) -> JobStatus:
        """Summarise ``records``."""
        records = tuple(records)
        counts = dict.fromkeys(FileState, 0)
        for record in records:
            counts[record.state] += 1
        announced = [r for r in records if r.state is FileState.ANNOUNCED]
        return cls(
            settings=settings,
            records=records,
            counts=counts,
            busy_seconds=_busy(records),
            bytes_announced=sum(r.size or 0 for r in announced),
        )

    @classmethod
    async def read(cls, journal: JobJournal) -> JobStatus:
        """Summarise what ``journal`` holds."""
        return cls.of(await journal.records(), await journal.settings())

    @property
    def total(self) -> int:
        """How many files the job has."""
        return len(self.records)

    @property
    def failures(self) -> tuple[FileRecord, ...]:
        """The failed files and those whose announcement is unknown."""
        return tuple(r for r in self.records if r.state in (FileState.FAILED, FileState.UNKNOWN))

    @property
    def files_per_second(self) -> float | None:
        """Files announced per busy second (None before any work)."""
        if not self.busy_seconds:
            return None
        return self.counts[FileState.ANNOUNCED] / self.busy_seconds

    @property
    def bytes_per_second(self) -> float | None:
        """Bytes of announced files per busy second (None before any work)."""
        if not self.busy_seconds:
            return None
        return self.bytes_announced / self.busy_seconds

    def to_dict(self) -> StatusReport:
        """Return the JSON export (a [StatusReport][aiospaces.pubnub.job_status.StatusReport])."""
        settings = self.settings
        return {
            "format": "aiospaces-upload-status/1",
            "settings": None
            if settings is None
            else {
                "channel": settings.channel,
                "subscribe_key": settings.subscribe_key,
                "encrypted": settings.encrypted,
                "crypto": settings.crypto,
            },
            "total": self.total,
            "counts": {state.value: count for state, count in self.counts.items()},
            "bytes_announced": self.bytes_announced,
            "busy_seconds": self.busy_seconds,
            "files_per_second": self.files_per_second,
            "bytes_per_second": self.bytes_per_second,
            "failures": [_entry(r) for r in self.failures],
            "files": [_entry(r) for r in self.records],
        }


def _entry(record: FileRecord) -> FileEntry:
    return {
        "key": record.key,
        "name": record.name,
        "size": record.size,
        "state": record.state.value,
        "file_id": record.file_id,
        "timetoken": None if record.timetoken is None else str(record.timetoken),
        "abandoned": list(record.abandoned),
        "attempts": record.attempts,
        "step": record.step,
        "error": record.error,
        "updated": record.updated,
    }


def _busy(records: Iterable[FileRecord]) -> float:
    """Return the length of the union of the records' ``[started, updated]`` spans."""
    spans = sorted(
        (r.started, r.updated) for r in records if r.started is not None and r.updated > r.started
    )
    total = 0.0
    start: float | None = None
    end = 0.0
    for low, high in spans:
        if start is None or low > end:
            if start is not None:
                total += end - start
            start, end = low, high
        else:
            end = max(end, high)
    if start is not None:
        total += end - start
    return total
