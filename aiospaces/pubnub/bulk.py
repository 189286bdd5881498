"""Upload many files at once: bounded concurrency, per-file retries, progress and a report.

```python
job = pn.upload_files("photos", paths, concurrency=16, on_progress=print)
report = await job                     # every file tried; failures are in the report
for failure in report.failed:
    print(failure.source, failure.step, failure.error)
```

Files are uploaded by up to ``concurrency`` tasks at once (an anyio task group and capacity
limiter). A file whose upload failed for a transient reason (a transport error, 429 or 5xx left
after the call's own retries) is tried again up to ``retries`` times, but never started over
once it has a file id: the same presigned form is sent again (an overwrite of the same
object, never a second one), and a stored file is only announced. A file message whose
answer was lost is never published again blindly: the file lands in
``report.announcement_unknown`` with its file id. Bad input and other client errors fail the
file at once. If the job is cancelled, ``job.report`` still tells exactly what finished, what
failed (with the file id of anything that may be stored), what may have been announced and
what never ran: every file is in exactly one of its lists.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from aiospaces.core import validate
from aiospaces.core.errors import (
    AiospacesError,
    FileUploadError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from aiospaces.core.threads import run_blocking
from aiospaces.pubnub._bulk_journal import JournaledFiles, journal_keys, known_size
from aiospaces.pubnub.files import MessageParams
from aiospaces.pubnub.report import (
    UploadFailure,
    UploadItem,
    UploadProgress,
    UploadReport,
    UploadSuccess,
    UploadUnknown,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from aiospaces.core.sources import FileSource
    from aiospaces.pubnub.client import PubNub
    from aiospaces.pubnub.journal import JobJournal
    from aiospaces.pubnub.models import SentFile
    from aiospaces.pubnub.upload import SendFile

__all__ = ["BulkUpload", "UploadFilesParams"]


class UploadFilesParams(MessageParams, total=False):
    """Keywords of ``upload_files`` applied to every file's ``send_file`` (its setters)."""

    content_type: str
    publish_retries: int


_TRANSIENT = (TransportError, ServerError, RateLimitError)


class BulkUpload:
    """An upload of many files to one channel; ``await`` it for the report.

    Made by [PubNub.upload_files][aiospaces.pubnub.client.PubNub.upload_files].
    [report][aiospaces.pubnub.bulk.BulkUpload.report] is updated as files finish, so it stays
    meaningful if the awaiting task is cancelled.
    """

    def __init__(
        self,
        client: PubNub,
        channel: str,
        sources: Iterable[FileSource | UploadItem],
        *,
        # upload_files() always passes its own (equal) defaults
        concurrency: int = 8,  # pragma: no mutate
        retries: int = 2,  # pragma: no mutate
        on_progress: Callable[[UploadProgress], None] | None = None,
        send_options: UploadFilesParams | None = None,
        journal: str | os.PathLike[str] | JobJournal | None = None,
    ) -> None:
        validate.integer(concurrency, "concurrency", minimum=1)
        validate.integer(retries, "retries", minimum=0)
        validate.identifier(channel, "channel")
        if on_progress is not None:
            validate.callback(on_progress, "on_progress")
        if not isinstance(sources, Iterable) or isinstance(sources, str | bytes | os.PathLike):
            raise ValidationError(
                f"sources must be an iterable of files, not {type(sources).__name__} "
                "(pass [path] for one file)"
            )
        client.send_file(**(send_options or {}))._quiet()  # the options, checked up front
        self._client = client
        self._channel = channel
        self._items = [s if isinstance(s, UploadItem) else UploadItem(s) for s in sources]
        self._journal = journal
        self._keys = journal_keys(self._items) if journal is not None else []
        self._files: JournaledFiles | None = None
        self._concurrency = concurrency
        self._retries = retries
        self._on_progress = on_progress
        self._send_options: UploadFilesParams = send_options or {}
        self.report = UploadReport(not_started=list(self._items))
        """The live report (see [UploadReport][aiospaces.pubnub.report.UploadReport])."""
        self._bytes_total = 0  # pragma: no mutate - set by run() before any event reads it
        self._started = False  # pragma: no mutate - read only as a truth value (None alike)
        self._broken = False  # the caller's on_progress raised: start no more files

    def __await__(self) -> Generator[Any, None, UploadReport]:
        return self.run().__await__()

    async def run(self) -> UploadReport:
        """Upload every file and return the report (also kept in ``self.report``).

        Raises:
            RuntimeError: The job was already run.
        """
        if self._started:
            raise RuntimeError("a BulkUpload runs once; make a new one with upload_files()")
        self._started = True
        started = time.perf_counter()
        if self._journal is not None:
            self._files = await JournaledFiles.open(
                self._client,
                self._channel,
                self._journal,
                self._items,
                self._keys,
                self._send_options,
                self._retries,
            )
        limiter = anyio.CapacityLimiter(self._concurrency)
        try:
            self._bytes_total = await run_blocking(self._expected_bytes)
            async with anyio.create_task_group() as tg:
                files = self._files
                for index in files.order(self._keys) if files else range(len(self._items)):
                    borrower = object()  # the slot is taken here and given back by the task
                    await limiter.acquire_on_behalf_of(borrower)
                    if self._broken:
                        limiter.release_on_behalf_of(borrower)
                        break
                    tg.start_soon(self._one, index, limiter, borrower)
        except BaseExceptionGroup as group:
            if len(group.exceptions) == 1:  # e.g. the caller's on_progress raised
                raise group.exceptions[0] from None
            raise
        finally:
            self.report.elapsed = time.perf_counter() - started
            if self._files is not None:
                with anyio.CancelScope(shield=True):
                    await self._files.aclose()
        return self.report

    async def _one(self, index: int, limiter: anyio.CapacityLimiter, borrower: object) -> None:
        item = self._items[index]
        state = _FileState()
        try:
            self.report.not_started.remove(item)
            self._emit(item, "started")
            if self._files is not None:
                await self._journaled(item, self._keys[index], self._files, state)
            else:
                await self._upload(item, state)
        except anyio.get_cancelled_exc_class():
            if not state.done:
                self._record_cancelled(item, state)
            raise
        except _CallbackError as wrapped:  # the caller's on_progress broke: stop the job
            if not state.done:
                self.report.failed.append(
                    UploadFailure(item, wrapped.error, "upload", state.attempts, state.file_id)
                )
            raise wrapped.error from None
        except Exception as exc:  # any other failure (OSError, a bug) fails this file only
            try:
                self._fail(item, state, exc, "upload", state.file_id)
            except _CallbackError as wrapped:
                raise wrapped.error from None
        finally:
            limiter.release_on_behalf_of(borrower)
            # state -> builder -> on_progress closure -> state is a cycle: broken, the file's
            # builder, form and answers are freed now, not at the next full collection
            state.builder = None

    def _record_cancelled(self, item: UploadItem, state: _FileState) -> None:
        """Put a file cancelled part-way in the one report state that is true of it."""
        builder = state.builder
        if builder is None or builder.reserved is None:
            self.report.cancelled.append(item)  # no file id yet: nothing can be stored
            return
        file_id, file_name = builder.reserved
        if builder.announced is None:  # the file message's request was out
            error = FileUploadError(
                "cancelled while the file message was being published",
                step="publish", file_id=file_id, file_name=file_name, announced=None,
            )  # fmt: skip
            self.report.announcement_unknown.append(
                UploadUnknown(item, file_id, file_name, error, state.attempts)
            )
        # Stored and certainly not announced: no test can cancel a job here today, as nothing
        # awaits between a finished store (or a refused publish) and the next publish request.
        elif builder.uploaded is not None:  # pragma: no mutate block
            error = FileUploadError(
                "cancelled before the file message was published",
                step="publish", file_id=file_id, file_name=file_name,
            )  # fmt: skip
            self.report.failed.append(
                UploadFailure(item, error, "publish", state.attempts, file_id)
            )
        else:  # a store may have been under way: name the file id it would have written
            error = FileUploadError(
                "cancelled while the file was being stored (it may exist under this file id)",
                step="upload", file_id=file_id, file_name=file_name,
            )  # fmt: skip
            self.report.failed.append(UploadFailure(item, error, "upload", state.attempts, file_id))

    async def _upload(self, item: UploadItem, state: _FileState) -> None:
        def on_bytes(n: int) -> None:
            state.counted += n
            self.report.bytes_sent += n
            self._emit(item, "bytes")

        while True:
            state.attempts += 1
            try:
                sent = await self._attempt(item, on_bytes, state)
            except FileUploadError as exc:  # stored, not announced
                if exc.announced is None:
                    self._unknown(item, state, exc)
                    return
                if state.attempts <= self._retries:
                    continue  # only the publish is sent again
                self._fail(item, state, exc, "publish", exc.file_id)
                return
            except ValidationError as exc:
                self._fail(item, state, exc, "prepare")
                return
            except _TRANSIENT as exc:
                if state.attempts <= self._retries and _replayable(item):
                    self.report.bytes_sent -= state.counted  # sent again
                    state.counted = 0
                    continue
                self._fail(item, state, exc, "upload", state.file_id)
                return
            except AiospacesError as exc:
                self._fail(item, state, exc, "upload", state.file_id)
                return
            self.report.succeeded.append(UploadSuccess(item, sent, state.attempts))
            state.done = True
            self._emit(item, "succeeded")
            return

    async def _journaled(
        self, item: UploadItem, key: str, files: JournaledFiles, state: _FileState
    ) -> None:
        """Run the file's remaining steps with the journal; put the outcome in the report."""
        broken: list[_CallbackError] = []

        def on_bytes(n: int) -> None:
            state.counted += n
            self.report.bytes_sent += n
            try:
                self._emit(item, "bytes")
            except _CallbackError as wrapped:  # stop the job once this file's step is done
                broken.append(wrapped)

        outcome = await files.upload(item, key, on_bytes)
        state.attempts = outcome.record.attempts
        state.done = True
        self._emit(item, files.report(self.report, item, key, outcome))
        if broken:
            raise broken[0]

    async def _attempt(
        self, item: UploadItem, on_bytes: Callable[[int], None], state: _FileState
    ) -> SentFile:
        """Try the file once more: from the start, or from where its last try stopped.

        Once a file id is reserved the file is never started over (a second id would leave
        an orphan object): its presigned form is used again, and a stored file is only
        announced.
        """
        builder = state.builder
        if builder is None:
            # a failure before it runs is this file's: its builder is dropped without a warning
            builder = self._client.send_file(**self._send_options)._quiet()
            builder.channel(self._channel).file_name(item.name).file_object(item.source)
            if item.message is not None:
                builder.message(item.message)
            if item.size is not None:
                builder.size(item.size)
            builder.on_progress(on_bytes)
            state.builder = builder
        envelope = await (builder.resume() if builder.reserved else builder.future())
        return envelope.result

    def _unknown(self, item: UploadItem, state: _FileState, error: FileUploadError) -> None:
        # an unknown announcement is of a stored file: its error always has the id and name
        file_id = error.file_id or ""  # pragma: no mutate
        file_name = error.file_name or item.name  # pragma: no mutate
        self.report.announcement_unknown.append(
            UploadUnknown(item, file_id, file_name, error, state.attempts)
        )
        state.done = True
        self._emit(item, "unknown")

    def _fail(
        self,
        item: UploadItem,
        state: _FileState,
        error: Exception,
        step: str,
        file_id: str | None = None,
    ) -> None:
        self.report.failed.append(UploadFailure(item, error, step, state.attempts, file_id))
        state.done = True
        self._emit(item, "failed")

    def _expected_bytes(self) -> int:
        """Return the files' own bytes the job will send, as far as known (blocking).

        With a journal, its records hold the sizes (measured as the files were added) and
        files already announced are skipped; without one, each file is measured here.
        """
        files = self._files
        if files is not None:
            records = files.records
            return sum(records[key].size or 0 for key in records if key not in files.announced)
        return sum(known_size(item) or 0 for item in self._items)

    def _emit(self, item: UploadItem | None, event: str) -> None:
        if self._on_progress is None:
            return
        report = self.report
        progress = UploadProgress(
            files_done=(
                len(report.succeeded) + len(report.failed) + len(report.announcement_unknown)
            ),
            files_total=len(self._items),
            bytes_sent=report.bytes_sent,
            bytes_total=self._bytes_total,
            item=item,
            event=event,
        )
        try:
            self._on_progress(progress)
        except Exception as exc:
            self._broken = True
            raise _CallbackError(exc) from exc


@attrs.define
class _FileState:
    """One file's progress through its attempts."""

    attempts: int = 0
    counted: int = 0  # bytes this file added to the report's total
    builder: SendFile | None = None
    done: bool = False  # recorded in the report

    @property
    def file_id(self) -> str | None:
        """The reserved file id, once there is one."""
        reserved = self.builder.reserved if self.builder is not None else None
        return reserved[0] if reserved else None


class _CallbackError(Exception):
    """Carries an exception raised by the caller's ``on_progress``."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))  # pragma: no mutate - never shown: unwrapped before raising
        self.error = error


def _replayable(item: UploadItem) -> bool:
    """Whether a file's content can be sent again (file objects and streams cannot)."""
    return isinstance(item.source, bytes | bytearray | memoryview | str | os.PathLike)
