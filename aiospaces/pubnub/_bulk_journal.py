"""The journal side of a bulk upload: open it, check it is this job's, add the files, run each."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from aiospaces.core.errors import FileUploadError, ValidationError
from aiospaces.core.threads import run_blocking
from aiospaces.pubnub._journal_run import is_stored
from aiospaces.pubnub.journal import FileState, JobSettings, JournalError
from aiospaces.pubnub.journal_steps import FileSteps, item_key, record_for
from aiospaces.pubnub.report import UploadFailure, UploadResumed, UploadSuccess, UploadUnknown
from aiospaces.pubnub.sqlite_journal import SqliteJournal

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from aiospaces.pubnub.bulk import UploadFilesParams
    from aiospaces.pubnub.client import PubNub
    from aiospaces.pubnub.journal import FileRecord, JobJournal, StepOutcome
    from aiospaces.pubnub.report import UploadItem, UploadReport


def journal_keys(items: Sequence[UploadItem]) -> list[str]:
    """Return each file's key in the journal.

    Raises:
        ValidationError: A file has no key (a stream without a name) or two have the same.
    """
    keys = [item_key(item) for item in items]
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValidationError(f"{key!r} is in the job twice; a journaled job names each once")
        seen.add(key)
    return keys


def known_size(item: UploadItem) -> int | None:
    """Return a file's own size as far as known (blocking: a path is looked up).

    Bytes and paths are measured (an unreadable path: None, reported as that file's failure);
    other sources have the size they were given, if any.
    """
    source = item.source
    if isinstance(source, bytes | bytearray | memoryview):
        return memoryview(source).nbytes
    if isinstance(source, str | os.PathLike):
        with contextlib.suppress(OSError):
            return os.stat(source).st_size
        return None
    return item.size


class JournaledFiles:
    """The journal of a running bulk upload and the steps that write it."""

    def __init__(self, journal: JobJournal, steps: FileSteps, owned: bool) -> None:
        self.journal = journal
        self.steps = steps
        self.announced: set[str] = set()
        """Keys of the files already announced when the job started."""
        self.check_history: set[str] = set()
        """Keys of the files whose history is searched (started last: the search waits)."""
        self.records: dict[str, FileRecord] = {}
        """The job's records as read when it started (only this process writes them)."""
        self._owned = owned

    @classmethod
    async def open(
        cls,
        client: PubNub,
        channel: str,
        journal: str | os.PathLike[str] | JobJournal,
        items: Sequence[UploadItem],
        keys: Sequence[str],
        send_options: UploadFilesParams,
        retries: int,
    ) -> JournaledFiles:
        """Open the journal (a path) or use it (a JobJournal); bind it to this job; add files.

        Raises:
            JournalError: The file is not a journal (or is busy, or of another job).
            ValidationError: The send options do not store file messages in history.
        """
        owned = isinstance(journal, str | os.PathLike)
        opened = (
            await SqliteJournal.open(journal) if isinstance(journal, str | os.PathLike) else journal
        )
        try:
            steps = FileSteps(client, opened, channel, send_options=send_options, retries=retries)
            config = client.config
            await opened.bind(
                JobSettings.for_job(
                    channel,
                    config.subscribe_key,
                    cipher_key=send_options.get("cipher_key") or config.cipher_key,
                    crypto=config.crypto,
                )
            )
            sizes = await run_blocking(lambda: [known_size(item) for item in items])
            new = [
                record_for(item, size, key=key)
                for item, size, key in zip(items, sizes, keys, strict=True)
            ]
            added = await opened.add(new)
            files = cls(opened, steps, owned)
            wanted = set(keys)
            # every file new (a fresh job): the records are the ones just added, unread
            for record in new if added == len(new) else await opened.records():
                if record.key not in wanted:
                    continue
                files.records[record.key] = record
                if record.state is FileState.ANNOUNCED:
                    files.announced.add(record.key)
                elif is_stored(record) and record.reservation is not None:
                    steps.history.expect(record.reservation.created)  # one search for all
                    files.check_history.add(record.key)
        except BaseException:
            if owned:
                await opened.aclose()
            raise
        return files

    def order(self, keys: Sequence[str]) -> list[int]:
        """Return the files' indexes in the order to start them: history searches last."""
        later = self.check_history
        return sorted(range(len(keys)), key=lambda i: keys[i] in later)

    async def upload(
        self, item: UploadItem, key: str, on_bytes: Callable[[int], None]
    ) -> StepOutcome:
        """Run the file's remaining steps (from its record as the job found it)."""
        record = self.records.pop(key)  # open() read every file's record
        return await self.steps.advance(record, item, on_bytes=on_bytes)

    async def aclose(self) -> None:
        """Close the journal if this job opened it."""
        if self._owned:
            await self.journal.aclose()

    def report(self, report: UploadReport, item: UploadItem, key: str, outcome: StepOutcome) -> str:
        """Put a file's outcome in the report; return the progress event it makes."""
        record = outcome.record
        if outcome.resumed_from is not None:
            resumed = UploadResumed(
                item, key, outcome.resumed_from, outcome.actions, record.file_id, record.abandoned
            )
            report.resumed.append(resumed)
        if record.state is FileState.ANNOUNCED and outcome.sent is not None:
            report.succeeded.append(UploadSuccess(item, outcome.sent, record.attempts))
            return "succeeded"
        if record.state is FileState.UNKNOWN and record.file_id is not None:
            error = outcome.error or FileUploadError(
                record.error or "announcement unknown", step="publish", announced=None
            )
            report.announcement_unknown.append(
                UploadUnknown(item, record.file_id, record.name, error, record.attempts)
            )
            return "unknown"
        failure = outcome.error or JournalError(  # failed, or taken over by another writer
            f"the journal's record of {key!r} changed while this job wrote it"
        )
        step = record.step or "upload"
        report.failed.append(UploadFailure(item, failure, step, record.attempts, record.file_id))
        return "failed"
