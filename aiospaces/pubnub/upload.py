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

import base64
import binascii
import json
import time
from collections.abc import Callable  # noqa: TC003 - SendFileParams resolves it at run time
from typing import TYPE_CHECKING, Self

import attrs

from aiospaces.core import validate
from aiospaces.core.builder import Envelope
from aiospaces.core.errors import (
    APIError,
    FileUploadError,
    PayloadTooLargeError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from aiospaces.core.multipart import MultipartUpload
from aiospaces.core.request import RequestSpec
from aiospaces.core.sources import FileSource, UploadSource
from aiospaces.pubnub.files import FileMessage, FileMessageParams, published
from aiospaces.pubnub.models import SentFile

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

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


@attrs.frozen
class _Ticket:
    """What ``generate-upload-url`` answered: the file's id and name, and where to POST it."""

    file_id: str
    name: str
    url: str
    fields: list[tuple[str, str]]

    @classmethod
    def parse(cls, response: httpx.Response) -> _Ticket:
        body = response.json()
        request = body["file_upload_request"]
        fields = [(str(f["key"]), str(f["value"])) for f in request["form_fields"]]
        return cls(body["data"]["id"], body["data"]["name"], request["url"], fields)


_ONE_SHOT = (
    "not retried: the file is a one-shot stream, read only once (an async iterable, or a file "
    "that cannot seek, given with a size); pass a path, bytes or a seekable file to have a "
    "failed upload retried"
)


def _retried_if_replayable(error: TransportError | APIError) -> bool:
    """Return whether a storage failure is of a kind retried when the body can be re-sent."""
    if isinstance(error, TransportError | ServerError | RateLimitError):
        return True
    return error.status_code == 408  # Request Timeout, retried by default


def _policy_max_size(fields: Sequence[tuple[str, str]]) -> int | None:
    """Return the upper bound of the policy's ``content-length-range``, if it has one."""
    policy = next((value for key, value in fields if key.lower() == "policy"), None)
    if policy is None:
        return None
    try:
        document = json.loads(base64.b64decode(policy))
        for condition in document.get("conditions", []):
            if isinstance(condition, list) and condition[0] == "content-length-range":
                return int(condition[2])
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, binascii.Error):
        return None
    return None


class SendFile(FileMessage[SentFile]):
    """Upload a file to a channel and announce it: the three steps of PubNub's file sharing.

    The file is streamed from its source (bytes, a path, a binary file object, or an async
    iterable with a declared ``size``) and encrypted on the fly when a cipher key is set, so
    memory stays flat whatever the file size. The result is a
    [SentFile][aiospaces.pubnub.models.SentFile].
    """

    uploaded: tuple[str, str] | None = None
    """``(file_id, file_name)`` once the file is stored (step 2 done), else None: a call
    cancelled after that point left a file that ``publish_file_message`` can announce."""

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
        self._content_type = validate.text(content_type, "content_type")
        return self

    def on_progress(self, callback: Callable[[int], None]) -> Self:
        """Call ``callback(n)`` as each chunk of ``n`` file bytes is sent.

        A negative ``n`` takes back the bytes of an attempt that is retried.
        """
        self._on_bytes = callback
        return self

    def publish_retries(self, retries: int) -> Self:
        """Set how many times the publish step is retried (default 5)."""
        self._publish_retries = validate.integer(retries, "publish_retries", minimum=0)
        return self

    async def _run(self) -> Envelope[SentFile]:
        client = self._client
        channel = self._checked_channel()
        name = self._checked_file_name()
        if self._file_object is None:
            raise ValidationError("file_object is required (bytes, a path, a file or a stream)")
        crypto = client.crypto_for(self._cipher_key)
        self._check_message()  # the publish step's input is checked before any I/O
        started = time.perf_counter()
        source = await UploadSource.open(self._file_object, size=self._size)
        try:
            reserve = RequestSpec(
                method="POST",
                path=self._files_path(channel) + "/generate-upload-url",
                headers={"Content-Type": "application/json"},
                body=json.dumps({"name": name}).encode(),
            )
            reserved = await client.request(reserve, self._options)  # PubNub's own origin
            ticket = _Ticket.parse(reserved.response)
            body = MultipartUpload(
                ticket.fields,
                source,
                file_name=name,
                file_content_type=self._content_type,
                transform=crypto.encryptor if crypto else None,
                transformed_size=crypto.encrypted_size if crypto else None,
                on_progress=self._on_bytes,
            )
            limit = _policy_max_size(ticket.fields)
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
            )
            storage = self._options.without_extras()  # never PubNub's headers to storage
            if not body.replayable:
                storage = attrs.evolve(storage, max_retries=0)
            try:
                stored = await client.request(upload, storage)
            except (TransportError, APIError) as exc:
                if not body.replayable and _retried_if_replayable(exc):
                    exc.args = (f"{exc}; {_ONE_SHOT}",)  # the same error: class and attributes kept
                raise
            self.uploaded = (ticket.file_id, ticket.name)
        finally:
            await source.aclose()
        return await self._announce(
            ticket, started, reserved.status.attempts + stored.status.attempts
        )

    async def _announce(self, ticket: _Ticket, started: float, attempts: int) -> Envelope[SentFile]:
        """Publish the file message (step 3); a failure is a resumable FileUploadError."""
        spec = self._publish_spec(ticket.file_id, ticket.name)
        options = attrs.evolve(self._options, max_retries=self._publish_retries)
        try:
            exchange = await self._client.request(spec, options)
            timetoken = published(exchange.response).timestamp
        except Exception as exc:
            raise FileUploadError(
                f"{self._file_name!r} was uploaded as file {ticket.file_id} but publishing its "
                f"file message failed: {exc}; resume with publish_file_message()",
                step="publish",
                file_id=ticket.file_id,
                file_name=ticket.name,
            ) from exc
        status = attrs.evolve(
            exchange.status,
            attempts=attempts + exchange.status.attempts,
            elapsed=time.perf_counter() - started,
        )
        return Envelope(SentFile(ticket.name, ticket.file_id, timetoken), status)
