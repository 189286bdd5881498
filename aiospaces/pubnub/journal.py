"""The durable journal of a bulk upload: each file's state, written before and after each step.

```python
report = await pn.upload_files("photos", paths, journal="job.db")   # rerun: same journal
```

A file goes ``pending`` → ``reserved`` (file id and presigned form) → ``stored`` →
``announced`` (timetoken), or ends ``failed`` (the step and the error) or
``announcement_unknown`` (its file message may or may not have gone out). The journal is written
after each step and before the next one starts, so a process killed at any instant leaves a
record that says what may have happened on the server:

- ``reserved``: the store may have run; storing again with the same form overwrites the same
  object (a still-valid form), or the object is deleted and a new file id reserved (expired);
- ``stored`` / ``announcement_unknown``: the file message may have gone out; it is announced
  again only after the channel's history was searched for it.

[JobJournal][aiospaces.pubnub.journal.JobJournal] is what a journal offers; the single-process
one is [SqliteJournal][aiospaces.pubnub.sqlite_journal.SqliteJournal], and the steps that read
and write it are [FileSteps][aiospaces.pubnub.journal_steps.FileSteps]. Every call of a journal
is atomic per file.
"""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import cattrs

from aiospaces.core import validate
from aiospaces.core.errors import AiospacesError
from aiospaces.pubnub._sqlite_commit import record_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aiospaces.pubnub.models import SentFile

__all__ = [
    "FINAL_STATES",
    "FORM_LIFETIME",
    "FORM_MARGIN",
    "Action",
    "FileRecord",
    "FileState",
    "JobJournal",
    "JobSettings",
    "JournalBusyError",
    "JournalError",
    "JournalMismatchError",
    "Reservation",
    "StepOutcome",
]

FORM_LIFETIME = 60.0
"""Seconds a presigned upload form is taken to live when the answer does not say (PubNub: 60)."""
FORM_MARGIN = 10.0
"""A form expiring within this many seconds is not used again: a new file id is reserved."""


class FileState(enum.StrEnum):
    """Where one file of a job stands."""

    PENDING = "pending"
    """Nothing done yet (or a reservation was abandoned): no object of it can exist."""
    RESERVED = "reserved"
    """A file id and presigned form were handed out; the store may have run."""
    STORED = "stored"
    """The object is stored; the file message may be on its way (never sent twice blindly)."""
    ANNOUNCED = "announced"
    """The file message was published (``timetoken`` says when)."""
    FAILED = "failed"
    """The file failed at ``step`` with ``error``; a rerun tries it again."""
    UNKNOWN = "announcement_unknown"
    """Stored; its file message's answer was lost, so it may or may not be published."""


FINAL_STATES = frozenset({FileState.ANNOUNCED, FileState.FAILED, FileState.UNKNOWN})
"""States a worker does not take up within a job (a rerun still retries failed and unknown)."""


class JournalError(AiospacesError):
    """The journal cannot be used: not a journal, a newer schema, or unreadable."""


class JournalMismatchError(JournalError):
    """The journal belongs to another job (another channel, keyset or encryption setting)."""


class JournalBusyError(JournalError):
    """Another process is running a job with this journal."""


@attrs.frozen
class Reservation:
    """A reserved file id and the presigned form that stores it (``generate-upload-url``).

    Attributes:
        file_id: The file id PubNub reserved.
        file_name: The name the file is stored and announced under.
        url: Where the form is posted.
        fields: The form's fields, in the order they are sent (before the file).
        expires: When the form expires (seconds since the epoch; PubNub gives a minute).
        created: When it was reserved (seconds since the epoch, this machine's clock); the
            channel's history is searched for the file message from shortly before then on.
    """

    file_id: str
    file_name: str
    url: str
    fields: tuple[tuple[str, str], ...] = attrs.field(repr=False)  # the form's signature
    expires: float
    created: float

    def valid(self, now: float, margin: float = FORM_MARGIN) -> bool:
        """Whether the form can still be sent at ``now`` (with ``margin`` seconds to spare)."""
        return now + margin < self.expires

    def to_dict(self) -> dict[str, Any]:
        """Return it as JSON-ready data (the fields as ``[name, value]`` pairs)."""
        return _json_ready(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reservation:
        """Read what [to_dict][aiospaces.pubnub.journal.Reservation.to_dict] wrote.

        Raises:
            cattrs.BaseValidationError: It is not a reservation.
        """
        return _converter.structure(data, cls)

    def as_tuple(self) -> tuple[str, str, str, tuple[tuple[str, str], ...], float, float]:
        """Return its fields' values, in declaration order (a record's ``as_tuple()`` holds it)."""
        return (self.file_id, self.file_name, self.url, self.fields, self.expires, self.created)


@attrs.frozen
class FileRecord:
    """One file of a job, as the journal holds it.

    Attributes:
        key: The file's identity in the job: the resolved path, the URL, or the given name.
        name: The file name it is uploaded under.
        size: Its size in bytes, when known.
        state: Where it stands.
        reservation: The file id and form, from ``reserved`` on (kept by ``failed`` and
            ``announcement_unknown`` when there was one).
        abandoned: File ids reserved earlier whose form expired; their objects were deleted.
        timetoken: The file message's timetoken, once ``announced``.
        step: The step a ``failed`` or ``announcement_unknown`` file stopped at:
            ``"prepare"`` (bad input), ``"upload"`` (reserve or store) or ``"publish"``.
        error: The last error's text (secrets redacted as in every error message).
        attempts: How many times the file was tried, over every run.
        started: When its current run's work on it began (seconds since the epoch).
        updated: When the record was last written (seconds since the epoch).
        owner: The worker holding the file (distributed jobs), or None.
        lease_until: Until when ``owner`` holds it (seconds since the epoch), or None.
    """

    key: str
    name: str
    size: int | None = None
    state: FileState = FileState.PENDING
    reservation: Reservation | None = None
    abandoned: tuple[str, ...] = ()
    timetoken: int | None = None
    step: str | None = None
    error: str | None = None
    attempts: int = 0
    started: float | None = None
    updated: float = 0.0
    owner: str | None = None
    lease_until: float | None = None

    @property
    def file_id(self) -> str | None:
        """The reserved file id, if there is one."""
        return self.reservation.file_id if self.reservation else None

    def to_dict(self) -> dict[str, Any]:
        """Return it as JSON-ready data."""
        return _json_ready(self)

    def as_tuple(self) -> tuple[Any, ...]:
        """Return its fields' values, in declaration order, as plain values.

        The state is its text and the reservation its own ``as_tuple()`` (or None): what the
        journal's writer process is sent, and what its JSON text is made from.
        """
        form = self.reservation
        return (
            self.key,
            self.name,
            self.size,
            self.state.value,
            None if form is None else form.as_tuple(),
            self.abandoned,
            self.timetoken,
            self.step,
            self.error,
            self.attempts,
            self.started,
            self.updated,
            self.owner,
            self.lease_until,
        )

    def to_json(self) -> str:
        """Return it as compact JSON (what ``to_dict`` gives, fields in declaration order)."""
        # Written out rather than through the converter, which walks the form's fields pair
        # by pair; a test checks both give the same text.
        return record_json(self.as_tuple())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileRecord:
        """Read what [to_dict][aiospaces.pubnub.journal.FileRecord.to_dict] wrote.

        Raises:
            cattrs.BaseValidationError: It is not a file record (a field missing or of
                another kind, an unknown state).
        """
        return _converter.structure(data, cls)

    @classmethod
    def from_json(cls, text: str | bytes) -> FileRecord:
        """Read what [to_json][aiospaces.pubnub.journal.FileRecord.to_json] wrote.

        Raises:
            ValueError: It is not JSON.
            cattrs.BaseValidationError: It is not a file record.
        """
        return cls.from_dict(json.loads(text))


@attrs.frozen
class JobSettings:
    """What a job's files depend on; a journal is only resumed with the same settings.

    The cipher key itself is never recorded, only whether there is one.

    Attributes:
        channel: The channel the files are shared on.
        subscribe_key: The keyset's subscribe key.
        encrypted: Whether files and file messages are encrypted.
        crypto: The cryptor when encrypted (``"aescbc"`` or ``"legacy"``), else None.
    """

    channel: str
    subscribe_key: str
    encrypted: bool
    crypto: str | None = None

    @classmethod
    def for_job(
        cls, channel: str, subscribe_key: str, *, cipher_key: str | None, crypto: str
    ) -> JobSettings:
        """Return the settings of a job uploaded with ``cipher_key`` (or none) and ``crypto``.

        Raises:
            ValidationError: ``crypto`` is not ``"aescbc"`` or ``"legacy"``.
        """
        encrypted = bool(cipher_key)
        checked = validate.one_of(crypto, "crypto", ("aescbc", "legacy"))
        return cls(channel, subscribe_key, encrypted, checked if encrypted else None)

    def to_dict(self) -> dict[str, Any]:
        """Return them as JSON-ready data."""
        return _json_ready(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSettings:
        """Read what [to_dict][aiospaces.pubnub.journal.JobSettings.to_dict] wrote.

        Raises:
            cattrs.BaseValidationError: They are not job settings.
        """
        return _converter.structure(data, cls)

    def check(self, recorded: JobSettings, where: str = "the journal") -> None:
        """Raise unless ``recorded`` (what a journal holds) is this job's.

        Raises:
            JournalMismatchError: They differ; the message names what differs.
        """
        differences = []
        if recorded.channel != self.channel:
            differences.append(f"channel {recorded.channel!r}, not {self.channel!r}")
        if recorded.subscribe_key != self.subscribe_key:
            differences.append("another keyset (subscribe key)")
        if recorded.encrypted != self.encrypted:
            had = "with" if recorded.encrypted else "without"
            differences.append(f"files uploaded {had} a cipher key")
        elif recorded.crypto != self.crypto:
            differences.append(f"the {recorded.crypto} cryptor, not {self.crypto}")
        if differences:
            raise JournalMismatchError(
                f"{where} belongs to another job: "
                + "; ".join(differences)
                + " (use a new journal for a new job)"
            )


class Action(enum.StrEnum):
    """What [FileSteps.advance][aiospaces.pubnub.journal_steps.FileSteps.advance] did to a file."""

    SKIPPED = "skipped"
    """Already announced: nothing done."""
    REUSED_FORM = "reused_form"
    """Stored again with the reservation's still-valid form (same file id: an overwrite)."""
    RESERVED_ANEW = "reserved_anew"
    """The form had expired: its object deleted, its file id abandoned, a new one reserved."""
    RESERVED = "reserved"
    """A file id was reserved."""
    STORED = "stored"
    """The file was stored."""
    FOUND_IN_HISTORY = "found_in_history"
    """Its file message was found in the channel's history: not published again."""
    NOT_IN_HISTORY = "not_in_history"
    """History was searched and holds no file message of it (so it was published)."""
    PUBLISHED = "published"
    """The file message was published."""
    RETRIED = "retried"
    """A step failed for a transient reason and was tried again."""
    FAILED = "failed"
    """The file failed (the record says at which step and why)."""
    UNKNOWN = "announcement_unknown"
    """The file message's answer was lost: it may or may not be published."""
    LOST = "lost"
    """The record changed under this worker (another one took the file): it stopped."""


@attrs.frozen
class StepOutcome:
    """What one call of ``advance`` did to a file.

    Attributes:
        record: The record as the journal now holds it (for ``lost``: as last written here).
        resumed_from: The state the file was found in when work on it had begun before (None:
            a fresh file).
        actions: What was done, in order.
        sent: The file id, name and timetoken once it is announced (also when skipped or
            found in history).
        error: The last error, when the file failed or its announcement is unknown.
    """

    record: FileRecord
    resumed_from: FileState | None
    actions: tuple[Action, ...]
    sent: SentFile | None = None
    error: Exception | None = None


class JobJournal(Protocol):
    """Where a job keeps its files' records; each call is atomic for the file it touches.

    Implemented by [SqliteJournal][aiospaces.pubnub.sqlite_journal.SqliteJournal] (one
    process) and by the Redis journal of distributed jobs. Records are returned in the order
    they were added.
    """

    async def bind(self, settings: JobSettings) -> None:
        """Record the job's settings on first use; later, check they are the same.

        Raises:
            JournalMismatchError: The journal holds another job's settings.
        """
        ...

    async def settings(self) -> JobSettings | None:
        """Return the recorded settings (None before the first ``bind``)."""
        ...

    async def add(self, records: Sequence[FileRecord]) -> int:
        """Insert the records whose key is missing; records already there are untouched.

        Returns:
            How many records were new (inserted).
        """
        ...

    async def get(self, key: str) -> FileRecord | None:
        """Return the record of ``key``, or None."""
        ...

    async def put(self, record: FileRecord, *, expect: FileState | None = None) -> bool:
        """Write ``record`` (by its key); return whether it was written.

        With ``expect``, write only if the stored record is still in that state (compare and
        set); without, always write.
        """
        ...

    async def claim(self, key: str, owner: str, lease: float) -> FileRecord | None:
        """Take ``key`` for ``owner`` for ``lease`` seconds; return the record, or None.

        Refused (None) when the record is missing, final (see
        [FINAL_STATES][aiospaces.pubnub.journal.FINAL_STATES]) or held by another owner
        whose lease has not run out. The returned record carries ``owner`` and
        ``lease_until``.
        """
        ...

    async def records(self) -> list[FileRecord]:
        """Return every record, in the order added."""
        ...

    async def counts(self) -> dict[FileState, int]:
        """Return how many records are in each state (every state, zeros included)."""
        ...

    async def aclose(self) -> None:
        """Release the journal (its connection, its lock)."""
        ...


_converter = cattrs.Converter(forbid_extra_keys=True)


def _json_ready(value: object) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(_converter.unstructure(value)))
    return data
