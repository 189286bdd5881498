"""Streaming ``multipart/form-data`` bodies for S3-style presigned POST uploads.

A presigned POST wants the server's form fields first, in the order given, and the file part
last, with an exact ``Content-Length`` (S3 refuses chunked transfer encoding). A
[MultipartUpload][aiospaces.core.multipart.MultipartUpload] computes that length up front and
streams the body piece by piece from an [UploadSource][aiospaces.core.sources.UploadSource]:

```python
source = await UploadSource.open("video.mp4")          # a path, bytes, a file, an async iterable
body = MultipartUpload(fields, source, file_name="video.mp4", transform=encryptor_factory)
spec = RequestSpec(method="POST", path=url, headers={"Content-Type": body.content_type},
                   body=body.stream, content_length=body.content_length)
```

Each call of [stream][aiospaces.core.multipart.MultipartUpload.stream] starts the body afresh,
so a retry re-reads the source from its start. Sources that cannot be replayed (a pipe, an
async iterable) are streamed once; a second attempt raises instead of silently sending
something else.
"""

from __future__ import annotations

import collections
import contextlib
import mimetypes
import re
import secrets
from typing import TYPE_CHECKING

from aiospaces.core.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from aiospaces.core.sources import Transform, UploadSource

__all__ = ["MultipartUpload", "guess_content_type"]


_FORM_ESCAPES = {'"': "%22", "\\": "\\\\"} | {chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}
_FORM_ESCAPE_RE = re.compile("|".join(re.escape(c) for c in _FORM_ESCAPES))


def _quote_param(value: str) -> str:
    """Escape a form parameter value the way browsers (HTML5) and httpx do."""
    return _FORM_ESCAPE_RE.sub(lambda m: _FORM_ESCAPES[m.group(0)], value)


def guess_content_type(file_name: str) -> str:
    """Return the MIME type guessed from a file name, or ``application/octet-stream``."""
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


class MultipartUpload:
    """A ``multipart/form-data`` body: form fields in order, then the file part, streamed.

    Args:
        fields: ``(name, value)`` pairs sent first, in this order (a presigned POST's fields).
        source: The file content.
        file_name: The ``filename`` of the file part.
        field_name: The ``name`` of the file part (``file`` for S3).
        file_content_type: The file part's ``Content-Type`` (guessed from the name if None).
        transform: Makes a fresh [Transform][aiospaces.core.sources.Transform] (an
            encryptor) per attempt; ``transformed_size`` must then give its output size.
        transformed_size: Exact output size of a transform for a given input size.
        boundary: The multipart boundary (random if None).
        on_progress: Called with the number of file bytes each piece carries (bytes of the
            source, before the transform: what the user's file has); an attempt
            that breaks off, or a complete one that is sent again (a retry), is taken back
            with the negative of what it had reported, so totals stay true across retries.
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        source: UploadSource,
        *,
        file_name: str,
        field_name: str = "file",
        file_content_type: str | None = None,
        transform: Callable[[], Transform] | None = None,
        transformed_size: Callable[[int], int] | None = None,
        boundary: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        if (transform is None) != (transformed_size is None):
            raise TypeError("transform and transformed_size go together")
        self.boundary = boundary or secrets.token_hex(16)
        self.source = source
        self._transform = transform
        self._on_progress = on_progress
        self._credited = 0  # file bytes the last complete attempt reported
        self.file_size = transformed_size(source.size) if transformed_size else source.size
        """Bytes of the file part's content (after the transform)."""
        marker = f"--{self.boundary}\r\n"
        head = "".join(
            f'{marker}Content-Disposition: form-data; name="{_quote_param(name)}"\r\n\r\n'
            f"{value}\r\n"
            for name, value in fields
        )
        content_type = file_content_type or guess_content_type(file_name)
        head += (
            f"{marker}Content-Disposition: form-data; name="
            f'"{_quote_param(field_name)}"; filename="{_quote_param(file_name)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        self._head = head.encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        """The request's ``Content-Type`` header value (with the boundary)."""
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int:
        """The exact number of bytes the body has (head, file part and tail)."""
        return len(self._head) + self.file_size + len(self._tail)

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent more than once (so the request may be retried)."""
        return self.source.replayable

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the whole body from the start (a fresh transform per call).

        Raises:
            ValidationError: The source is a one-shot stream sent before, or its content is
                not as long as declared (so the ``Content-Length`` would be a lie).
        """
        report = self._on_progress
        if report is not None and self._credited:  # a complete attempt that is being retried
            report(-self._credited)
        self._credited = 0  # pragma: no mutate - read only as a truth value (None alike)
        yield self._head
        sent = 0  # bytes of the file part (after the transform)
        reported = 0  # source bytes reported (before it)
        transform = _Counted(self._transform()) if self._transform else None
        chunks = self.source.chunks(transform)
        try:
            async with contextlib.aclosing(chunks):  # a piece read ahead is waited for
                async for chunk in chunks:
                    sent += len(chunk)
                    # taken even unreported, so that at most a piece or two stay queued
                    done = reported + transform.take() if transform is not None else sent
                    if report is not None and done != reported:
                        report(done - reported)
                    reported = done
                    yield chunk
                    del chunk
            if transform is not None and transform.consumed != reported:
                if report is not None:  # input whose output was empty (never sent alone)
                    report(transform.consumed - reported)
                reported = transform.consumed
        except BaseException:
            if report is not None and reported:
                report(-reported)
            raise
        self._credited = reported
        if sent != self.file_size:
            raise ValidationError(
                f"the file part had {sent} bytes, not the {self.file_size} announced"
            )
        yield self._tail


class _Counted:
    """A transform that counts the input it was given (for progress in source bytes).

    The source may already be transforming the next piece (in a worker thread) while the
    current one is sent, so each piece's input is queued and taken when its output is sent:
    progress never runs ahead of the wire.
    """

    def __init__(self, inner: Transform) -> None:
        self.inner = inner
        self.consumed = 0
        self._given: collections.deque[int] = collections.deque()

    def update(self, data: bytes) -> bytes:
        self.consumed += len(data)
        self._given.append(len(data))
        return self.inner.update(data)

    def take(self) -> int:
        """Return the input size of the oldest piece not yet sent (0 if none)."""
        return self._given.popleft() if self._given else 0

    def finalize(self) -> bytes:
        return self.inner.finalize()
