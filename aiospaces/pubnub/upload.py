"""``send_file``: upload a file to a channel and announce it, PubNub's three steps.

```python
sent = await pn.send_file().channel("ch").file_name("a.png").file_object("a.png")
```

1. ``generate-upload-url`` reserves a file id and hands out an S3-style presigned POST;
2. the (encrypted) file goes to storage as a streamed multipart body;
3. the file message is published.

If the upload worked but publishing still fails after its retries, the error is a
[FileUploadError][aiospaces.core.errors.FileUploadError] carrying the file id and name, and
``publish_file_message`` finishes the job without uploading again.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Awaitable, Callable  # noqa: TC003 - SendFileParams resolves them
from typing import Self

import attrs

from aiospaces.core import validate
from aiospaces.core.builder import Envelope
from aiospaces.core.convert import parsing
from aiospaces.core.errors import (
    AmbiguousResultError,
    APIError,
    FileUploadError,
    PayloadTooLargeError,
    TransportError,
    ValidationError,
)
from aiospaces.core.multipart import MultipartUpload
from aiospaces.core.request import RequestSpec
from aiospaces.core.sources import FileSource, UploadSource
from aiospaces.pubnub._forms import parse_reservation, policy_max_size
from aiospaces.pubnub.files import FileMessage, FileMessageParams, published
from aiospaces.pubnub.journal import Reservation
from aiospaces.pubnub.models import SentFile

__all__ = ["DEFAULT_PUBLISH_RETRIES", "SendFile", "SendFileParams"]

DEFAULT_PUBLISH_RETRIES = 5
"""Retries of the publish step of ``send_file`` (PubNub's JS SDK uses 5 too)."""


class SendFileParams(FileMessageParams, total=False):
    """Keywords of ``send_file`` (its setters)."""

    file_object: FileSource
    size: int
    content_type: str
    on_progress: Callable[[int], None]
    publish_retries: int
    reservation: Reservation
    on_reserved: Callable[[Reservation], Awaitable[None] | None]
    on_stored: Callable[[Reservation], Awaitable[None] | None]


_ONE_SHOT = (
    "not retried: the file is a one-shot stream, read only once (an async iterable, or a file "
    "that cannot seek, given with a size); pass a path, bytes or a seekable file to have a "
    "failed upload retried"
)


class SendFile(FileMessage[SentFile]):
    """Upload a file to a channel and announce it: the three steps of PubNub's file sharing.

    The file is streamed from its source (bytes, a path, a binary file object, or an async
    iterable with a declared ``size``) and encrypted on the fly when a cipher key is set, so
    memory stays flat whatever the file size. The result is a
    [SentFile][aiospaces.pubnub.models.SentFile].
    """

    reserved: tuple[str, str] | None = None
    """``(file_id, file_name)`` once ``generate-upload-url`` answered (step 1 done)."""
    uploaded: tuple[str, str] | None = None
    """``(file_id, file_name)`` once the file is stored (step 2 done), else None: a call
    cancelled after that point left a file that ``publish_file_message`` can announce."""
    announced: bool | None = False
    """Whether the file message was published: None while its request is out or after its
    answer was lost (a call cancelled then may or may not have announced the file)."""

    _ticket: Reservation | None = None
    _given: Reservation | None = None
    _on_reserved: Callable[[Reservation], Awaitable[None] | None] | None = None
    _on_stored: Callable[[Reservation], Awaitable[None] | None] | None = None

    _file_object: FileSource | None = None
    _size: int | None = None
    _content_type: str | None = None
    _publish_retries: int = DEFAULT_PUBLISH_RETRIES
    _on_bytes: Callable[[int], None] | None = None

    def file_object(self, source: FileSource) -> Self:
        """Set the content: bytes, a path, a binary file object, or an async iterable."""
        self._file_object = source
        return self

    def size(self, size: int) -> Self:
        """Declare the content's size (needed to stream a pipe or an async iterable)."""
        self._size = validate.integer(size, "size", minimum=0)
        return self

    def content_type(self, content_type: str) -> Self:
        """Set the upload's ``Content-Type`` (guessed from the file name by default)."""
        text = validate.text(content_type, "content_type")
        self._content_type = validate.header_value(text, "content_type")  # a part header
        return self

    def on_progress(self, callback: Callable[[int], None]) -> Self:
        """Call ``callback(n)`` as each chunk of ``n`` file bytes is sent.

        A negative ``n`` takes back the bytes of an attempt that is retried.
        """
        self._on_bytes = validate.callback(callback, "on_progress")
        return self

    def publish_retries(self, retries: int) -> Self:
        """Set how many times the publish step is retried (default 5)."""
        self._publish_retries = validate.integer(retries, "publish_retries", minimum=0)
        return self

    def reservation(self, reservation: Reservation) -> Self:
        """Continue from a file id reserved earlier: store with its form, then announce.

        No new file id is reserved: storing again with the same form overwrites the same
        object. The form must still be valid (see
        [Reservation.valid][aiospaces.pubnub.journal.Reservation.valid]; storage answers 403
        once it expired). The file is stored and announced under the reservation's name.
        """
        if not isinstance(reservation, Reservation):
            raise ValidationError(
                f"reservation must be a Reservation, not {type(reservation).__name__}"
            )
        self._given = reservation
        return self

    def on_reserved(self, hook: Callable[[Reservation], Awaitable[None] | None]) -> Self:
        """Call (and await) ``hook(reservation)`` once a file id is reserved, before the store.

        A durable record of the reservation written there survives a crash during the store:
        the same form can then store the file again, or the object be deleted. An exception
        from the hook ends the call before anything is stored.
        """
        self._on_reserved = validate.callback(hook, "on_reserved")
        return self

    def on_stored(self, hook: Callable[[Reservation], Awaitable[None] | None]) -> Self:
        """Call (and await) ``hook(reservation)`` once the file is stored, before it is announced.

        An exception from the hook ends the call before the file message is sent (the file
        stays stored, as ``uploaded`` says).
        """
        self._on_stored = validate.callback(hook, "on_stored")
        return self

    async def _run(self) -> Envelope[SentFile]:
        self._ticket = self._given  # a fresh upload, or one continued from its reservation
        self.reserved = (self._given.file_id, self._given.file_name) if self._given else None
        self.uploaded = None
        self.announced = False
        return await self.resume()

    async def resume(self) -> Envelope[SentFile]:
        """Finish this upload after a failure, from the first step that did not complete.

        The reserved file id and its presigned form are used again, so storing the file a
        second time overwrites the same object instead of leaving a second one; a stored
        file is only announced. (A presigned form expires: storage then answers 403.)

        Raises:
            FileUploadError: The file is stored, but the file message could not be
                published (``announced`` False) or may have been (``announced`` None; it
                is not published again by this method then).
        """
        if self.announced is not False:
            raise FileUploadError(
                f"{self._file_name!r} (file {self.uploaded and self.uploaded[0]}) "
                + ("was announced already" if self.announced else "may be announced already")
                + "; not publishing it again",
                step="publish",
                file_id=self.uploaded[0] if self.uploaded else None,
                file_name=self.uploaded[1] if self.uploaded else None,
                announced=self.announced,
            )
        channel = self._checked_channel()
        name = self._given.file_name if self._given else self._checked_file_name()
        if self._file_object is None:
            raise ValidationError("file_object is required (bytes, a path, a file or a stream)")
        self._check_message()  # the publish step's input is checked before any I/O
        started = time.perf_counter()
        attempts = 0
        if self.uploaded is None:
            source = await UploadSource.open(self._file_object, size=self._size)
            try:
                ticket = self._ticket
                if ticket is None:
                    ticket, sent = await self._reserve(channel, name)
                    attempts += sent
                    await _call(self._on_reserved, ticket)
                attempts += await self._store(ticket, source)
                self.uploaded = (ticket.file_id, ticket.file_name)
            finally:
                await source.aclose()
            await _call(self._on_stored, ticket)
        assert self._ticket is not None  # noqa: S101 - set before uploaded
        return await self._announce(self._ticket, started, attempts)

    async def _reserve(self, channel: str, name: str) -> tuple[Reservation, int]:
        """Reserve a file id and its form (step 1); return them and the requests sent."""
        client = self._client
        reserve = RequestSpec(
            method="POST",
            path=self._files_path(channel) + "/generate-upload-url",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"name": name}).encode(),
            idempotent=True,  # a second reservation only leaves an unused file id
        )
        reserved = await client.request(reserve, self._options)  # PubNub's origin
        with parsing(reserved, vendor=client.vendor, expected="a generate-upload-url answer"):
            ticket = parse_reservation(reserved.response, time.time())
        self._ticket = ticket
        self.reserved = (ticket.file_id, ticket.file_name)
        return ticket, reserved.status.attempts

    async def _store(self, ticket: Reservation, source: UploadSource) -> int:
        """POST the (encrypted) file with the presigned form (step 2); return requests sent."""
        crypto = self._client.crypto_for(self._cipher_key)
        body = MultipartUpload(
            ticket.fields,
            source,
            file_name=ticket.file_name,
            file_content_type=self._content_type,
            transform=crypto.encryptor if crypto else None,
            transformed_size=crypto.encrypted_size if crypto else None,
            on_progress=self._on_bytes,
        )
        limit = policy_max_size(ticket.fields)
        if limit is not None and body.file_size > limit:
            raise PayloadTooLargeError(
                f"the file is {body.file_size} bytes"
                f"{' once encrypted' if crypto else ''}; the upload allows at most {limit}",
                status_code=413,
                vendor="pubnub",
                error_type="EntityTooLarge",
            )
        upload = RequestSpec(
            method="POST",
            path=ticket.url,
            headers={"Content-Type": body.content_type},
            body=body.stream,
            content_length=body.content_length,
            idempotent=True,  # the same form writes the same key: an overwrite, not a copy
        )
        storage = self._options.without_extras()  # never PubNub's headers to storage
        if not body.replayable:
            storage = attrs.evolve(storage, max_retries=0)
        try:
            stored = await self._client.request(upload, storage)
        except (TransportError, APIError) as exc:
            retried = isinstance(exc, TransportError) or (
                isinstance(exc, APIError)
                and self._client.session.retry_policy.retries_status(exc.status_code)
            )
            if not body.replayable and retried:
                exc.args = (f"{exc}; {_ONE_SHOT}",)  # the same error: class and attributes kept
            raise
        return stored.status.attempts

    async def _announce(
        self, ticket: Reservation, started: float, attempts: int
    ) -> Envelope[SentFile]:
        """Publish the file message (step 3); a failure is a resumable FileUploadError."""
        spec = self._publish_spec(ticket.file_id, ticket.file_name)
        options = attrs.evolve(self._options, max_retries=self._publish_retries)
        self.announced = None
        try:
            exchange = await self._client.request(spec, options)
            with parsing(exchange, vendor=self._client.vendor, expected="a publish answer"):
                timetoken = published(exchange.response).timestamp
        except AmbiguousResultError as exc:
            raise FileUploadError(
                f"{self._file_name!r} was uploaded as file {ticket.file_id}, but whether its "
                f"file message was published is unknown ({exc.known}); look for it in the "
                "channel's history before resuming with publish_file_message()",
                step="publish",
                file_id=ticket.file_id,
                file_name=ticket.file_name,
                announced=None,
            ) from exc
        except Exception as exc:
            self.announced = False  # refused or never sent: certainly not published
            raise FileUploadError(
                f"{self._file_name!r} was uploaded as file {ticket.file_id} but publishing its "
                f"file message failed: {exc}; resume with publish_file_message()",
                step="publish",
                file_id=ticket.file_id,
                file_name=ticket.file_name,
            ) from exc
        self.announced = True
        status = attrs.evolve(
            exchange.status,
            attempts=attempts + exchange.status.attempts,
            elapsed=time.perf_counter() - started,
        )
        return Envelope(SentFile(ticket.file_name, ticket.file_id, timetoken), status)


async def _call(
    hook: Callable[[Reservation], Awaitable[None] | None] | None, reservation: Reservation
) -> None:
    """Call a hook with the reservation, awaiting what it returns if that is awaitable."""
    if hook is not None:
        result = hook(reservation)
        if inspect.isawaitable(result):
            await result
