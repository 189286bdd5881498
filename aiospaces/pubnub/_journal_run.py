"""The transitions of one file's record: what ``FileSteps.advance`` runs (see journal_steps)."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, cast

from aiospaces.core.errors import (
    AmbiguousResultError,
    FileUploadError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from aiospaces.pubnub.journal import Action, FileRecord, FileState, Reservation, StepOutcome
from aiospaces.pubnub.models import SentFile
from aiospaces.pubnub.upload import DEFAULT_PUBLISH_RETRIES

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiospaces.pubnub.bulk import UploadFilesParams
    from aiospaces.pubnub.files import PublishFileMessageParams
    from aiospaces.pubnub.journal_steps import FileSteps
    from aiospaces.pubnub.report import UploadItem

_TRANSIENT = (TransportError, ServerError, RateLimitError)
_ERROR_TEXT = 1000  # characters of an error kept in the journal


class JournalFailure(Exception):
    """Writing the journal failed: ``error`` is the journal's own exception."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Lost(Exception):
    """The journal's record is no longer the one this run wrote."""


class Run:
    """One ``advance`` call: the record as last written, the actions, the tries."""

    def __init__(
        self,
        steps: FileSteps,
        record: FileRecord,
        item: UploadItem,
        on_bytes: Callable[[int], None] | None,
        history_after: float,
    ) -> None:
        self.steps = steps
        self.history_after = history_after
        self.record = record
        self.item = item
        self.on_bytes = on_bytes
        fresh = record.state is FileState.PENDING and record.reservation is None
        self.resumed_from = None if fresh and not record.abandoned else record.state
        self.actions: list[Action] = []
        self.base_attempts = record.attempts
        self.tries = 0
        self.started = steps.clock()
        self.verify = is_stored(record)  # its file message may be out: history decides

    def outcome(self, sent: SentFile | None = None, error: Exception | None = None) -> StepOutcome:
        return StepOutcome(self.record, self.resumed_from, tuple(self.actions), sent, error)

    async def write(
        self,
        state: FileState,
        *,
        reservation: Reservation | None,
        timetoken: int | None = None,
        step: str | None = None,
        error: str | None = None,
        abandoned: tuple[str, ...] | None = None,
    ) -> None:
        """Write the record in ``state`` if the journal still holds the last one written.

        The new record has the given fields (``abandoned`` only when given), this run's
        attempts and start, and the time; the rest is the last record's.
        """
        old = self.record
        # Made field by field rather than by attrs.evolve, which walks every field generically
        # (a job writes three records per file, on the event loop).
        new = FileRecord(
            key=old.key,
            name=old.name,
            size=old.size,
            state=state,
            reservation=reservation,
            abandoned=old.abandoned if abandoned is None else abandoned,
            timetoken=timetoken,
            step=step,
            error=error,
            attempts=self.base_attempts + self.tries,
            started=self.started,
            updated=self.steps.clock(),
            owner=old.owner,
            lease_until=old.lease_until,
        )
        try:
            written = await self.steps.journal.put(new, expect=old.state)
        except Exception as exc:
            raise JournalFailure(exc) from exc
        if not written:
            raise _Lost
        self.record = new

    async def fail(self, state: FileState, step: str, error: Exception) -> StepOutcome:
        self.actions.append(Action.UNKNOWN if state is FileState.UNKNOWN else Action.FAILED)
        record = self.record
        await self.write(
            state,
            reservation=record.reservation,
            timetoken=record.timetoken,
            step=step,
            error=str(error)[:_ERROR_TEXT],
        )
        return self.outcome(error=error)

    async def go(self) -> StepOutcome:
        record = self.record
        if record.state is FileState.ANNOUNCED:
            self.actions.append(Action.SKIPPED)
            return self.outcome(sent=_sent(record))
        try:
            return await self._tries()
        except _Lost:
            self.actions.append(Action.LOST)
            return self.outcome()

    async def _tries(self) -> StepOutcome:
        while True:
            self.tries += 1
            try:
                if self.verify:
                    sent = await self._verify()
                elif is_stored(self.record):
                    sent = await self._publish()  # since the check: certainly not published
                else:
                    sent = await self._send()
                return self.outcome(sent=sent)
            except FileUploadError as exc:  # stored; its publish failed
                if exc.announced is None:
                    return await self.fail(FileState.UNKNOWN, "publish", exc)
                if self.tries <= self.steps.retries:
                    self.actions.append(Action.RETRIED)
                    continue
                return await self.fail(FileState.FAILED, "publish", exc)
            except ValidationError as exc:
                return await self.fail(FileState.FAILED, "prepare", exc)
            except _TRANSIENT as exc:
                if self.tries <= self.steps.retries and _replayable(self.item):
                    self.actions.append(Action.RETRIED)
                    continue
                return await self.fail(FileState.FAILED, "upload", exc)
            except (_Lost, JournalFailure):
                raise
            except Exception as exc:  # any other failure (OSError, a refusal) fails this file
                return await self.fail(FileState.FAILED, "upload", exc)

    async def _send(self) -> SentFile:
        """Reserve (unless a valid form is kept), store, publish; write after each step."""
        steps = self.steps
        reservation = self.record.reservation
        builder = steps.client.send_file(**steps.send_options)
        if reservation is not None:
            if reservation.valid(steps.clock(), steps.form_margin):
                self.actions.append(Action.REUSED_FORM)
                builder.reservation(reservation)
            else:
                await self._abandon(reservation)
        builder.channel(steps.channel).file_name(self.record.name)
        builder.file_object(self.item.source).on_reserved(self._reserved).on_stored(self._stored)
        if self.item.message is not None:
            builder.message(self.item.message)
        if self.item.size is not None:
            builder.size(self.item.size)
        if self.on_bytes is not None:
            builder.on_progress(self.on_bytes)
        sent = (await builder.future()).result
        await self._announced(int(sent.timestamp), Action.PUBLISHED)
        return sent

    async def _reserved(self, reservation: Reservation) -> None:
        self.actions.append(Action.RESERVED)
        await self.write(
            FileState.RESERVED, reservation=reservation, timetoken=self.record.timetoken
        )

    async def _stored(self, reservation: Reservation) -> None:
        self.actions.append(Action.STORED)
        await self.write(FileState.STORED, reservation=reservation, timetoken=self.record.timetoken)

    async def _abandon(self, reservation: Reservation) -> None:
        """Delete what an expired form may have stored; forget the form, keep its file id."""
        steps = self.steps
        with contextlib.suppress(NotFoundError):  # never stored, or deleted by a run that died
            await steps.client.delete_file(
                channel=steps.channel, file_id=reservation.file_id, file_name=reservation.file_name
            )
        self.actions.append(Action.RESERVED_ANEW)
        record = self.record
        await self.write(
            FileState.PENDING,
            reservation=None,
            timetoken=record.timetoken,
            step=record.step,
            error=record.error,
            abandoned=(*record.abandoned, reservation.file_id),
        )

    async def _verify(self) -> SentFile:
        """Look for the file message in history; publish only if it is not there."""
        reservation = self.record.reservation
        assert reservation is not None  # noqa: S101 - verify is set only with one
        steps = self.steps
        try:
            found = await steps.history.find(
                reservation.file_id, reservation.created, self.history_after
            )
        except (ValidationError, FileUploadError):
            raise
        except Exception as exc:
            raise FileUploadError(
                f"the channel's history could not be searched for file {reservation.file_id}: "
                f"{exc}",
                step="publish",
                file_id=reservation.file_id,
                file_name=reservation.file_name,
                announced=None,
            ) from exc
        self.verify = False
        if found is not None:
            await self._announced(found, Action.FOUND_IN_HISTORY)
            return SentFile(reservation.file_name, reservation.file_id, str(found))
        self.actions.append(Action.NOT_IN_HISTORY)
        return await self._publish()

    async def _publish(self) -> SentFile:
        """Publish the stored file's message (raise FileUploadError as ``send_file`` does)."""
        reservation = self.record.reservation
        assert reservation is not None  # noqa: S101 - a stored record has one
        steps = self.steps
        options = _message_options(steps.send_options)
        builder = steps.client.publish_file_message(**options).channel(steps.channel)
        builder.file_id(reservation.file_id).file_name(reservation.file_name)
        if self.item.message is not None:
            builder.message(self.item.message)
        try:
            published = await builder
        except AmbiguousResultError as exc:
            raise FileUploadError(
                f"whether the file message of {reservation.file_id} was published is unknown "
                f"({exc.known})",
                step="publish",
                file_id=reservation.file_id,
                file_name=reservation.file_name,
                announced=None,
            ) from exc
        except ValidationError:
            raise
        except Exception as exc:
            raise FileUploadError(
                f"publishing the file message of {reservation.file_id} failed: {exc}",
                step="publish",
                file_id=reservation.file_id,
                file_name=reservation.file_name,
            ) from exc
        await self._announced(int(published.timestamp), Action.PUBLISHED)
        return SentFile(reservation.file_name, reservation.file_id, published.timestamp)

    async def _announced(self, timetoken: int, action: Action) -> None:
        self.actions.append(action)
        await self.write(
            FileState.ANNOUNCED, reservation=self.record.reservation, timetoken=timetoken
        )


def is_stored(record: FileRecord) -> bool:
    """Whether the record says the file is stored (and its publish may have been sent)."""
    return record.reservation is not None and (
        record.state in (FileState.STORED, FileState.UNKNOWN)
        or (record.state is FileState.FAILED and record.step == "publish")
    )


def _sent(record: FileRecord) -> SentFile:
    reservation = record.reservation
    file_id = reservation.file_id if reservation else ""
    name = reservation.file_name if reservation else record.name
    return SentFile(name, file_id, str(record.timetoken or ""))


def _message_options(options: UploadFilesParams) -> PublishFileMessageParams:
    """Return the send options a re-publish takes (``publish_retries`` becomes ``max_retries``)."""
    chosen = {k: v for k, v in options.items() if k not in ("content_type", "publish_retries")}
    chosen["max_retries"] = options.get("publish_retries", DEFAULT_PUBLISH_RETRIES)
    return cast("PublishFileMessageParams", chosen)


def _replayable(item: UploadItem) -> bool:
    """Whether a file's content can be sent again (file objects and streams cannot)."""
    return isinstance(item.source, bytes | bytearray | memoryview | str | os.PathLike)
