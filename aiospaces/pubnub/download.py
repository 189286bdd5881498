"""``download_file``: fetch a file from storage, decrypting it on the fly.

```python
data = await pn.download_file().channel("ch").file_id(file_id).file_name("a.png")
await pn.download_file(channel="ch", file_id=file_id, file_name="a.png").to_path("out.png")
async with contextlib.aclosing(pn.download_file(...).stream()) as chunks:
    async for chunk in chunks:
        ...
async with pn.download_file(...).open() as download:   # status and headers known, or raised
    print(download.size, download.content_type)
    async for chunk in download:
        ...
```

Two requests: PubNub answers the file's URL with a 307 to a signed storage URL, and the
storage download follows (httpx follows any further storage redirects).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Self

import anyio
import attrs

from aiospaces.core import validate
from aiospaces.core.builder import Envelope
from aiospaces.core.request import RequestSpec, Status
from aiospaces.core.sources import CHUNK_SIZE, READ_SIZE
from aiospaces.core.threads import run_blocking
from aiospaces.pubnub._base import StoredFile
from aiospaces.pubnub.files import StoredFileParams, file_location

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    import httpx

    from aiospaces.pubnub.crypto import Decryptor

__all__ = ["DownloadFile", "DownloadFileParams", "OpenedDownload"]


class DownloadFileParams(StoredFileParams, total=False):
    """Keywords of ``download_file`` (its setters)."""

    cipher_key: str


class DownloadFile(StoredFile[bytes]):
    """Download a file, decrypting it on the fly when a cipher key is set.

    ``await`` it for the content as bytes, or stream it in constant memory with
    [to_path][aiospaces.pubnub.download.DownloadFile.to_path] or
    [stream][aiospaces.pubnub.download.DownloadFile.stream].
    """

    _cipher_key: str | None = None

    def cipher_key(self, key: str) -> Self:
        """Decrypt with this key instead of the client's."""
        self._cipher_key = validate.secret(key, "cipher_key")
        return self

    async def _run(self) -> Envelope[bytes]:
        started = time.perf_counter()
        parts: list[bytes] = []
        async with self._open_content() as (chunks, status):
            async for chunk in chunks:
                parts.append(chunk)
        envelope_status = attrs.evolve(status, elapsed=time.perf_counter() - started)
        return Envelope(b"".join(parts), envelope_status)

    def open(self) -> contextlib.AbstractAsyncContextManager[OpenedDownload]:
        """Open the download: the answer's status and headers are known, the body is not read.

        ```python
        async with pn.download_file(channel="ch", file_id=i, file_name="a.png").open() as dl:
            headers = {"content-type": dl.content_type or "application/octet-stream"}
            async for chunk in dl:        # (decrypted) chunks, as with stream()
                ...
        ```

        Entering the block raises what the call would (``NotFoundError`` for a file that is
        not there, ``TransportError``...) before a byte of the body is read, so a web app can
        still answer with an error status; leaving it closes the connection whether or not
        the body was read (a cancelled block included). The chunks are unverified until the
        iteration ends, as with [stream][aiospaces.pubnub.download.DownloadFile.stream].

        Raises:
            APIError: The file's URL or its content could not be fetched (when entered).
            DecryptionError: The content cannot be decrypted with the key (while iterating).
        """
        return self._opened()

    @contextlib.asynccontextmanager
    async def _opened(self) -> AsyncIterator[OpenedDownload]:
        decrypted = self._decryptor() is not None
        async with (
            self._open_content() as (chunks, status),
            contextlib.aclosing(chunks),  # type: ignore[type-var]
        ):
            opened = OpenedDownload(chunks, status, decrypted=decrypted)
            try:
                yield opened
            finally:
                opened._chunks = None  # closed with the block

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """Yield the (decrypted) content in chunks.

        Chunks are yielded as they are decrypted, before the content is verified: the padding
        check at the end is the only one, so up to the whole file may have been yielded when
        ``DecryptionError`` is raised. Treat the chunks as unverified until the iteration ends
        without an error, or use [to_path][aiospaces.pubnub.download.DownloadFile.to_path].

        To stop early and give the connection back at once, wrap it in
        ``contextlib.aclosing``: ``async with aclosing(download.stream()) as chunks:``
        (a generator left behind is only closed when it is garbage-collected).

        Raises:
            DecryptionError: The content cannot be decrypted with the key.
        """
        async with self._open_content() as (chunks, _):
            async for chunk in chunks:
                yield chunk

    async def to_path(self, path: str | os.PathLike[str]) -> Path:
        """Stream the (decrypted) content into ``path`` and return it.

        The content goes to a hidden temporary file beside ``path`` that is renamed into place
        once complete and decrypted, so a failed, cancelled or undecryptable download never
        leaves a partial file behind (an existing ``path`` is left as it was). Damage the
        vendor's formats cannot detect (most flipped bits) still decrypts to wrong bytes.

        Raises:
            DecryptionError: The content cannot be decrypted with the key.
        """
        self._file_path()  # validate before touching the disk
        target = Path(path)
        file, partial = await run_blocking(_partial_file, target)
        try:
            async with self._open_content(decrypt=False) as (chunks, _):
                decryptor = self._decryptor()
                pending: list[bytes] = []
                size = 0
                async for chunk in chunks:
                    pending.append(chunk)
                    size += len(chunk)
                    del chunk
                    if size >= READ_SIZE:
                        batch, pending, size = pending, [], 0
                        await run_blocking(_write, file, batch, decryptor, False)
                        del batch
                await run_blocking(_write, file, pending, decryptor, True)
            file.close()
            await run_blocking(os.replace, partial, target)
        except BaseException:
            file.close()
            with anyio.CancelScope(shield=True):
                await run_blocking(partial.unlink, True)
            raise
        return target

    def _decryptor(self) -> Decryptor | None:
        crypto = self._client.crypto_for(self._cipher_key)
        return crypto.decryptor() if crypto else None

    @contextlib.asynccontextmanager
    async def _open_content(
        self, *, decrypt: bool = True
    ) -> AsyncIterator[tuple[AsyncIterator[bytes], Status]]:
        """Get the URL, open the download; yield (content chunks, status); close it after."""
        client = self._client
        decryptor = self._decryptor() if decrypt else None
        located = await client.request(
            RequestSpec(method="GET", path=self._file_path()), self._options
        )
        download = RequestSpec(
            method="GET", path=file_location(located.response), follow_redirects=True
        )
        async with client.stream(download, self._options.without_extras()) as exchange:
            attempts = located.status.attempts + exchange.status.attempts
            status = attrs.evolve(exchange.status, attempts=attempts)
            yield _decrypted(exchange.response, decryptor), status


class OpenedDownload:
    """A download whose answer has arrived; iterate it (once) for the (decrypted) content.

    Made by [DownloadFile.open][aiospaces.pubnub.download.DownloadFile.open].

    Attributes:
        status: The storage answer's status (status code, headers, request id, attempts of
            both requests).
        decrypted: Whether the chunks are decrypted with a cipher key on the way.
    """

    def __init__(self, chunks: AsyncIterator[bytes], status: Status, *, decrypted: bool) -> None:
        self._chunks: AsyncIterator[bytes] | None = chunks
        self.status = status
        self.decrypted = decrypted

    @property
    def status_code(self) -> int:
        """The storage answer's HTTP status (2xx: errors were raised when opening)."""
        return self.status.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The storage answer's headers (of the stored bytes: encrypted when ``decrypted``)."""
        return self.status.headers

    @property
    def content_type(self) -> str | None:
        """The stored file's ``Content-Type``, if storage sent one."""
        found: str | None = self.headers.get("content-type")
        return found

    @property
    def stored_size(self) -> int | None:
        """The stored (possibly encrypted) size in bytes from ``Content-Length``, if sent."""
        raw = self.headers.get("content-length", "")
        return int(raw) if raw.isascii() and raw.isdigit() else None

    @property
    def size(self) -> int | None:
        """How many bytes the iteration yields, when known before reading.

        The stored size of a file that is not decrypted; None for a decrypted one (its
        padding is known only at the end) or when storage sent no ``Content-Length``.
        """
        return None if self.decrypted else self.stored_size

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Return the content's chunks (iterate once, inside the ``open()`` block).

        Raises:
            RuntimeError: It was iterated before, or its block has ended.
        """
        if self._chunks is None:
            raise RuntimeError(
                "a download's content can be iterated only once, inside its open() block"
            )
        chunks, self._chunks = self._chunks, None
        return chunks

    def __repr__(self) -> str:
        return f"<OpenedDownload {self.status_code} size={self.size}>"


def _partial_file(target: Path) -> tuple[IO[bytes], Path]:
    """Open a fresh, uniquely named ``.{name}.*.part`` file beside ``target``."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    return os.fdopen(fd, "wb"), Path(name)


def _write(file: IO[bytes], pieces: list[bytes], decryptor: Decryptor | None, last: bool) -> None:
    """Decrypt and write received chunks one by one, releasing each (in a worker thread)."""
    while pieces:
        data = pieces.pop(0)
        file.write(decryptor.update(data) if decryptor is not None else data)
        del data
    if last and decryptor is not None:
        file.write(decryptor.finalize())


async def _decrypted(response: httpx.Response, decryptor: Decryptor | None) -> AsyncIterator[bytes]:
    async for chunk in response.aiter_bytes():
        if decryptor is None:
            yield chunk
        elif len(chunk) >= CHUNK_SIZE:
            yield await run_blocking(decryptor.update, chunk)
        else:
            yield decryptor.update(chunk)
    if decryptor is not None:
        yield decryptor.finalize()
