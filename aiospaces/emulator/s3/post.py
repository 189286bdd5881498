"""One S3 presigned POST upload: stream-parse the multipart body, checking it on the way.

[Storage][aiospaces.emulator.s3.store.Storage] makes one
[Upload][aiospaces.emulator.s3.post.Upload] per ``POST /_storage/`` request and lets it
[receive][aiospaces.emulator.s3.post.Upload.receive] the body:

```python
upload = Upload(max_size=max_size, directory=directory, sign=sign, clock=time.time)
error = await upload.receive(request)
if error is not None:
    return error_response(error)  # S3's XML error document; nothing was kept
data, path = upload.sink.commit()  # the file's bytes (memory) or its file (directory)
```

The body is fed to python-multipart as it arrives. The form fields are collected (at most
20 KB of them, as S3 allows), and when the ``file`` part begins they are checked against the
signed policy ([check_post][aiospaces.emulator.s3.policy.check_post]). The file's bytes then
go to a [Sink][aiospaces.emulator.s3.post.Sink], memory or a ``.part`` file, so memory stays
flat whatever the upload's size. Every failure is an
[S3Error][aiospaces.emulator.s3.errors.S3Error] carrying S3's status, ``Code`` and ``Message``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import uuid
from typing import TYPE_CHECKING

import anyio.to_thread
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from aiospaces.emulator.s3.errors import S3Error, algorithm_error
from aiospaces.emulator.s3.policy import FormFields, check_post

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from starlette.requests import Request

__all__ = ["Sink", "Upload"]

_MAX_PRE_DATA = 20 * 1024  # S3: form fields before the file are limited to 20 KB
_FLUSH_SIZE = 256 * 1024


def _malformed() -> S3Error:
    return S3Error(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    )


def _one_file_only(count: int) -> S3Error:
    return S3Error(
        400,
        "InvalidArgument",
        "POST requires exactly one file upload per request.",
        ArgumentName="file",
        ArgumentValue=str(count),
    )


class Sink:
    """Where an upload's bytes go while it runs: memory, or a ``.part`` file in the directory.

    Args:
        directory: Write to a new ``.part`` file there; None keeps the bytes in memory.
    """

    def __init__(self, directory: Path | None) -> None:
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.path = None if directory is None else directory / f"{uuid.uuid4().hex}.part"
        self._memory: io.BytesIO | None = io.BytesIO() if directory is None else None
        self._file = None if self.path is None else self.path.open("xb")

    def write(self, pieces: list[bytes]) -> None:
        """Append ``pieces`` and add them to the running MD5 (blocking for a file)."""
        target = self._file if self._file is not None else self._memory
        assert target is not None  # noqa: S101 - closed sinks are never written
        for piece in pieces:
            self.md5.update(piece)
            target.write(piece)

    @property
    def on_disk(self) -> bool:
        """Whether the bytes go to a file (write them from a worker thread)."""
        return self._file is not None

    def commit(self) -> tuple[bytes | None, Path | None]:
        """Close the sink; return the bytes (memory) or the final file's path (directory)."""
        if self._memory is not None:
            data, self._memory = self._memory.getvalue(), None
            return data, None
        assert self._file is not None  # noqa: S101 - a sink is memory or a file
        assert self.path is not None  # noqa: S101
        self._file.close()
        self._file = None
        final = self.path.with_suffix(".blob")
        os.replace(self.path, final)
        self.path = None
        return None, final

    def discard(self) -> None:
        """Drop whatever was written (removes the ``.part`` file); safe to call twice."""
        self._memory = None
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


class Upload:
    """The state of one presigned POST while its multipart body streams through the parser.

    Args:
        max_size: The store's largest object (bytes); a policy's ``content-length-range`` can
            only lower it.
        directory: Where the [Sink][aiospaces.emulator.s3.post.Sink] writes the file; None
            keeps it in memory.
        sign: Returns the expected ``X-Amz-Signature`` of a policy, given its credential and
            the policy itself.
        clock: Source of the current time (seconds since the epoch), for the policy's expiry.

    Attributes:
        sink: The file's bytes once the ``file`` part has begun (and the policy allowed it).
        file_type: The ``file`` part's own ``Content-Type``, if it had one.
        file_size: Bytes of the file received so far.
    """

    def __init__(
        self,
        *,
        max_size: int,
        directory: Path | None,
        sign: Callable[[str, str], str],
        clock: Callable[[], float],
    ) -> None:
        self.limit = max_size
        self.directory = directory
        self.sign = sign
        self.clock = clock
        self.fields = FormFields()
        self.pre_data = 0
        self.sink: Sink | None = None
        self.file_part = False  # the current part is the file
        self.file_done = False
        self.file_type: str | None = None
        self.file_size = 0
        self.too_large = False
        self.ended = False
        self.min_size = 0
        self.max_size = max_size
        self.pending: list[bytes] = []
        self.pending_size = 0
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._part_name: str | None = None
        self._part_value = bytearray()
        self._ignore_part = False

    def parser(self, boundary: bytes) -> MultipartParser:
        """Return a multipart parser for ``boundary`` that feeds this upload."""
        return MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    async def receive(self, request: Request) -> S3Error | None:
        """Parse ``request``'s body as it streams in, storing the file's bytes in the sink.

        Returns:
            None when the upload is complete and allowed (``sink`` then holds the file, ready
            to commit), else the error to answer with; whatever was written is then dropped.
        """
        error: S3Error | None = None
        content_type = request.headers.get("content-type", "")
        kind, options = parse_options_header(content_type)
        parser: MultipartParser | None = None
        if kind != b"multipart/form-data":
            # What S3 answers to a form posted as application/x-www-form-urlencoded.
            error = algorithm_error()
        else:
            try:
                parser = self.parser(options[b"boundary"])
            except (KeyError, FormParserError):
                error = _malformed()
        # Read at most this much of a failed request before answering (and letting the server
        # close the connection): enough that ordinary clients see the answer, not a reset.
        drain_limit = max(4 * self.limit, 64 * 1024 * 1024)
        received = 0
        try:
            async with contextlib.aclosing(request.stream()) as stream:
                async for chunk in stream:
                    received += len(chunk)
                    if error is not None or parser is None:
                        if received > drain_limit:
                            break
                        continue
                    try:
                        parser.write(chunk)
                        await self.flush()
                    except S3Error as exc:
                        error = exc
                        self.discard()
                    except FormParserError:
                        error = _malformed()
                        self.discard()
                    if self.too_large and received > drain_limit:
                        break
            if error is None and not self.too_large:
                await self.flush(force=True)
        except ClientDisconnect:
            self.discard()
            return S3Error(400, "IncompleteBody", "The request body terminated unexpectedly.")
        except BaseException:
            self.discard()
            raise
        if self.too_large:
            proposed = self.file_size if self.ended else max(self.file_size, received)
            self.discard()
            return S3Error(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=proposed,
                MaxSizeAllowed=self.max_size,
            )
        if error is None:
            error = self._finish_check()
        if error is not None:
            self.discard()
        return error

    def _finish_check(self) -> S3Error | None:
        if not self.ended:
            return _malformed()
        if self.sink is None:
            return _one_file_only(0)
        if self.file_size < self.min_size:
            return S3Error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=self.file_size,
                MinSizeAllowed=self.min_size,
            )
        return None

    # -- parser callbacks (synchronous; errors propagate out of parser.write) --

    def _count_pre_data(self, amount: int) -> None:
        if self.file_done or self.sink is not None:
            return
        self.pre_data += amount
        if self.pre_data > _MAX_PRE_DATA:
            raise S3Error(
                400,
                "MaxPostPreDataLengthExceededError",
                "Your POST request fields preceding the upload file were too large.",
                MaxPostPreDataLength=_MAX_PRE_DATA,
            )

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._part_name = None
        self._part_value = bytearray()
        self._ignore_part = False

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_pre_data(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_pre_data(end - start)
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = bytes(self._header_name).decode("latin-1").strip().lower()
        self._headers[name] = bytes(self._header_value).strip()
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _on_headers_finished(self) -> None:
        disposition = self._headers.get("content-disposition", b"").decode("latin-1")
        kind, options = parse_options_header(disposition)
        if kind != b"form-data" or b"name" not in options:
            raise _malformed()
        name = options[b"name"].decode("utf-8", "replace")
        if self.too_large:  # draining after EntityTooLarge: only count the file's bytes
            self._ignore_part = True
            return
        if self.file_done:
            if name.lower() == "file":
                raise _one_file_only(2)
            raise S3Error(
                400,
                "InvalidArgument",
                f"Form field '{name}' comes after the file; "
                "the file must be the last part of the form.",
                ArgumentName=name,
            )
        self._part_name = name
        if name.lower() == "file":
            self.min_size, self.max_size = check_post(
                self.fields, sign=self.sign, clock=self.clock, limit=self.limit
            )
            content_type = self._headers.get("content-type")
            self.file_type = content_type.decode("utf-8", "replace") if content_type else None
            self.file_part = True
            self.sink = Sink(self.directory)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._ignore_part:
            return
        if not self.file_part:
            self._count_pre_data(end - start)
            self._part_value += data[start:end]
            return
        self.file_size += end - start
        if self.too_large:
            return
        if self.file_size > self.max_size:
            self.too_large = True  # stop storing; keep parsing only to learn the size
            self.pending.clear()
            self.pending_size = 0
            if self.sink is not None:
                self.sink.discard()
            return
        self.pending.append(data[start:end])
        self.pending_size += end - start

    def _on_part_end(self) -> None:
        if self._ignore_part:
            return
        if self.file_part:
            self.file_part = False
            self.file_done = True
            return
        assert self._part_name is not None  # noqa: S101 - set by _on_headers_finished
        self.fields.add(self._part_name, bytes(self._part_value).decode("utf-8", "replace"))

    def _on_end(self) -> None:
        self.ended = True

    # -- asynchronous side --

    async def flush(self, *, force: bool = False) -> None:
        """Write the file bytes parsed so far to the sink (on a worker thread for files)."""
        if not self.pending or self.sink is None or self.too_large:
            return
        if not force and self.pending_size < _FLUSH_SIZE and not self.ended:
            return
        pieces, self.pending, self.pending_size = self.pending, [], 0
        if self.sink.on_disk:
            await anyio.to_thread.run_sync(self.sink.write, pieces)
        else:
            self.sink.write(pieces)

    def field(self, name: str) -> str | None:
        """Return the value of the form field ``name`` (any case), or None."""
        return self.fields.get(name)

    def discard(self) -> None:
        """Drop the file's bytes, pending and written; safe to call twice."""
        self.pending.clear()
        if self.sink is not None:
            self.sink.discard()
