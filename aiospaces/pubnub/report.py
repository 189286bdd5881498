"""What a bulk upload takes and tells: the items, the progress events and the report."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from aiospaces.core.errors import ValidationError
from aiospaces.core.sources import FileSource  # noqa: TC001 - attrs resolves it for UploadItem
from aiospaces.pubnub.journal import Action, FileState  # noqa: TC001 - attrs resolves them
from aiospaces.pubnub.models import SentFile  # noqa: TC001 - attrs resolves it for UploadSuccess

__all__ = [
    "UploadFailure",
    "UploadItem",
    "UploadProgress",
    "UploadReport",
    "UploadResumed",
    "UploadSuccess",
    "UploadUnknown",
]


@attrs.frozen
class UploadItem:
    """One file to upload when a bare path is not enough.

    Attributes:
        source: The content: a path, bytes, a binary file object or an async iterable.
        file_name: The name to store it under (default: the path's name).
        message: A message sent along with the file.
        size: The content's size, for streams that cannot tell it.
    """

    source: FileSource
    file_name: str | None = None
    message: object = None
    size: int | None = None

    @property
    def name(self) -> str:
        """The file name the upload will use."""
        if self.file_name:
            return self.file_name
        if isinstance(self.source, str | os.PathLike):
            return Path(self.source).name
        raise ValidationError(f"file_name is required for a {type(self.source).__name__} source")


@attrs.frozen
class UploadSuccess:
    """A file that was uploaded and announced.

    Attributes:
        item: What was uploaded.
        sent: The ``send_file`` result (file id, name, timetoken).
        attempts: How many times the file was tried (1 when the first try worked).
    """

    item: UploadItem
    sent: SentFile
    attempts: int


@attrs.frozen
class UploadFailure:
    """A file that could not be uploaded or announced.

    Attributes:
        item: What was to be uploaded.
        error: The last error.
        step: ``"prepare"`` (bad input), ``"upload"`` (not stored; with a ``file_id`` when
            one was reserved, as a store that was under way may have written it) or
            ``"publish"`` (stored as ``file_id`` but certainly not announced: resumable
            with ``publish_file_message``).
        attempts: How many times the file was tried.
        file_id: The reserved or stored file's id, when there was one.
    """

    item: UploadItem
    error: Exception
    step: str
    attempts: int
    file_id: str | None = None


@attrs.frozen
class UploadUnknown:
    """A stored file whose file message may or may not have been published.

    Its publish request went out but the answer was lost (a dropped connection, a timeout,
    a 5xx, or the job was cancelled while it was out). Publishing it again could announce
    it twice: look for the file id in the channel's history, and only if it is missing
    announce it with ``publish_file_message``.

    Attributes:
        item: What was uploaded.
        file_id: The stored file's id.
        file_name: The stored file's name.
        error: What made the outcome unknown.
        attempts: How many times the file was tried.
    """

    item: UploadItem
    file_id: str
    file_name: str
    error: BaseException
    attempts: int


@attrs.frozen
class UploadResumed:
    """A file of a journaled job that an earlier run had begun, and what this run did with it.

    Attributes:
        item: The file.
        key: Its key in the journal (its absolute path, or its given name).
        resumed_from: The state the journal held when this run took it up.
        actions: What was done, in order: ``skipped`` (already announced),
            ``reused_form`` (stored again under the same file id), ``reserved_anew`` (the form
            had expired: old object deleted, new file id), ``found_in_history`` (announced
            before: not published again), ``not_in_history`` + ``published``, ... (see
            [Action][aiospaces.pubnub.journal.Action]).
        file_id: The file id it now has, if any.
        abandoned: File ids given up for it (their forms expired; objects deleted).
    """

    item: UploadItem
    key: str
    resumed_from: FileState
    actions: tuple[Action, ...]
    file_id: str | None = None
    abandoned: tuple[str, ...] = ()


@attrs.frozen
class UploadProgress:
    """Where a bulk upload stands (passed to ``on_progress``).

    Attributes:
        files_done: Files finished (succeeded, failed or announcement unknown).
        files_total: Files in the job.
        bytes_sent: Bytes of the files sent so far (the files' own bytes, before encryption;
            retries taken back).
        bytes_total: Expected bytes of the files (known once each file was opened).
        item: The file whose event this is, or None.
        event: ``"started"``, ``"bytes"``, ``"succeeded"``, ``"failed"`` or ``"unknown"``.
    """

    files_done: int
    files_total: int
    bytes_sent: int
    bytes_total: int
    item: UploadItem | None
    event: str


@attrs.define
class UploadReport:
    """The outcome of a bulk upload; complete once the job ends, live while it runs.

    Attributes:
        succeeded: Files uploaded and announced, in the order they finished.
        failed: Files that failed, with the error and the step.
        announcement_unknown: Files stored whose file message may or may not have gone out.
        cancelled: Files whose upload was under way when the job was cancelled, before
            a file id was reserved (nothing of them can be stored); with a journal, any
            file under way (the journal says where it stopped, and a rerun finishes it).
        not_started: Files never tried (the job was cancelled first).
        resumed: With a journal: the files an earlier run had begun, each with the state it
            was found in and what was done (they are also in one of the lists above).
        bytes_sent: Bytes of the files sent (the files' own bytes, before encryption).
        elapsed: Seconds the job ran.
    """

    succeeded: list[UploadSuccess] = attrs.field(factory=list)
    failed: list[UploadFailure] = attrs.field(factory=list)
    announcement_unknown: list[UploadUnknown] = attrs.field(factory=list)
    cancelled: list[UploadItem] = attrs.field(factory=list)
    not_started: list[UploadItem] = attrs.field(factory=list)
    resumed: list[UploadResumed] = attrs.field(factory=list)
    bytes_sent: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every file was uploaded and announced."""
        return not (self.failed or self.announcement_unknown or self.cancelled or self.not_started)
