"""File content to upload: bytes, a path, a file object or an async iterable, read in pieces.

[UploadSource.open][aiospaces.core.sources.UploadSource.open] accepts any
[FileSource][aiospaces.core.sources.FileSource] and tells its size and whether it can be read
twice (needed to retry an upload). [chunks][aiospaces.core.sources.UploadSource.chunks]
yields the content in pieces of ``READ_SIZE``, each read from disk and run through an optional
[Transform][aiospaces.core.sources.Transform] (an encryptor) in one worker-thread call, so
memory stays flat whatever the file size.
"""

from __future__ import annotations

import contextlib
import io
import operator
import os
import tempfile
import threading
from collections.abc import AsyncIterable
from pathlib import Path
from stat import S_ISREG
from typing import IO, TYPE_CHECKING, Protocol, TypeAlias, cast

from aiospaces.core import validate
from aiospaces.core.errors import ValidationError
from aiospaces.core.threads import read_ahead, run_blocking, run_waiting

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable

__all__ = [
    "CHUNK_SIZE",
    "READ_SIZE",
    "TRANSFORM_SIZE",
    "FileSource",
    "Transform",
    "UploadSource",
]

CHUNK_SIZE = 64 * 1024
"""The unit of reading; smaller pieces (an async iterable's) are transformed on the loop."""
READ_SIZE = 4 * CHUNK_SIZE
"""Bytes read, transformed and handed to the transport per worker-thread call. A thread hop
costs ~0.1 ms and each write through httpx has a fixed cost too, so one 64 KiB chunk per step
ran at half the speed of raw httpx; 256 KiB keeps memory small and reaches its speed."""
TRANSFORM_SIZE = 2 * CHUNK_SIZE
"""Bytes read and transformed per worker-thread call when there is a transform (encryption).
The thread holds the plaintext and its ciphertext while the transport still holds the piece
before (and one piece may wait ready), so pieces of ``READ_SIZE`` peaked at 1.3 MiB of RSS
growth for one 5 MiB encrypted upload, these at 0.6 MiB. Encryption stays the slower side,
so the smaller pieces cost no throughput (the thread goes on from one piece to the next)."""

FileSource: TypeAlias = (
    bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes] | AsyncIterable[bytes]
)
"""What file content can be given as: bytes, a path, a binary file object (read from its
current position) or an async iterable of bytes."""


class Transform(Protocol):
    """A streaming byte transform (an encryptor): output sizes add up to a known total."""

    def update(self, data: bytes) -> bytes:
        """Transform a piece of input; may return fewer or more bytes than given."""
        ...

    def finalize(self) -> bytes:
        """Return what is left (padding) once all input was given."""
        ...


class UploadSource:
    """File content to upload: its size, whether it can be read twice, and how to read it.

    Make one with [open][aiospaces.core.sources.UploadSource.open]; close it with
    [aclose][aiospaces.core.sources.UploadSource.aclose] (files it opened, a spooled copy).
    """

    def __init__(
        self,
        size: int,
        *,
        data: memoryview | None = None,
        path: Path | None = None,
        file: IO[bytes] | None = None,
        start: int = 0,
        stream: AsyncIterable[bytes] | None = None,
        owned: bool = False,
    ) -> None:
        self.size = size
        self._data = data
        self._path = path
        self._file = file
        self._start = start
        self._aiter = stream
        self._owned = owned
        self._consumed = False  # pragma: no mutate - read only as a truth value (None alike)
        self._open_files: set[IO[bytes]] = set()
        self._closed = False  # pragma: no mutate - read only as a truth value (None alike)
        self._lock = threading.Lock()  # opening happens in worker threads

    @property
    def replayable(self) -> bool:
        """Whether the content can be read again from its start (needed to retry an upload)."""
        return self._aiter is None and (self._file is None or _seekable(self._file))

    @classmethod
    async def open(cls, obj: FileSource, *, size: int | None = None) -> UploadSource:
        """Return a source for bytes, a path, a binary file object or an async iterable.

        Args:
            obj: The content: ``bytes``/``bytearray``/``memoryview``; a ``str`` or
                ``os.PathLike`` path; a binary file object (read from its current position);
                or an async iterable of ``bytes``.
            size: The number of bytes a non-seekable file or an async iterable will yield.
                Without it such a stream is first spooled to a temporary file (on disk, never
                in memory), which also makes it replayable. With it, exactly ``size`` bytes are
                read (a shorter stream is an error; what follows them is left unread).

        Raises:
            ValidationError: The object is of no supported kind, the path is not a readable
                file, the file is opened in text mode, or ``size`` is negative.
        """
        if size is not None:
            validate.integer(size, "size", minimum=0)
        if isinstance(obj, bytes | bytearray | memoryview):
            view = memoryview(obj).cast("B")  # pragma: no mutate - "b" copies the same bytes
            return cls(len(view), data=view)
        if isinstance(obj, str | os.PathLike):
            path = Path(obj)
            try:
                stat = await run_blocking(path.stat)
            except OSError as exc:
                raise ValidationError(f"cannot read {str(path)!r}: {exc.strerror}") from exc
            except ValueError as exc:  # a NUL or a lone surrogate: no file can have that name
                raise ValidationError(f"cannot read {str(path)!r}: {exc}") from exc
            if not S_ISREG(stat.st_mode):
                raise ValidationError(f"{str(path)!r} is not a regular file")
            return cls(stat.st_size, path=path)
        if isinstance(obj, io.TextIOBase):
            raise ValidationError("file objects must be opened in binary mode ('rb')")
        if callable(getattr(obj, "read", None)):
            file = cast("IO[bytes]", obj)  # pragma: no mutate - a cast does nothing at run time
            return await cls._from_file(file, size)
        if hasattr(obj, "__aiter__"):
            if size is None:
                return await cls._spool(obj.__aiter__())
            return cls(size, stream=obj)
        raise ValidationError(
            "file content must be bytes, a path, a binary file object or an async iterable, "
            f"not {type(obj).__name__}"
        )

    @classmethod
    async def _from_file(cls, file: IO[bytes], size: int | None) -> UploadSource:
        if _seekable(file):

            def measure() -> tuple[int, int]:
                start = file.tell()
                end = file.seek(0, os.SEEK_END)
                file.seek(start)
                return start, end

            start, end = await run_blocking(measure)
            if size is not None and size != end - start:
                raise ValidationError(f"size={size} but the file has {end - start} bytes left")
            return cls(end - start, file=file, start=start)
        if size is None:
            return await cls._spool(_iter_file(file))
        return cls(size, file=file)

    @classmethod
    async def _spool(cls, chunks: AsyncIterator[bytes]) -> UploadSource:
        spool = await run_blocking(tempfile.TemporaryFile)
        try:
            async for chunk in chunks:
                if not isinstance(chunk, bytes | bytearray | memoryview):
                    raise ValidationError(
                        f"async iterables must yield bytes, not {type(chunk).__name__}"
                    )
                await run_blocking(spool.write, chunk)
            size = await run_blocking(spool.tell)
        except BaseException:
            spool.close()
            raise
        return cls(size, file=spool, owned=True)

    async def aclose(self) -> None:
        """Release what the source holds: files opened for reading, a spooled temporary file.

        A transport may abandon a request body without closing it (on an early error
        response), so files are closed here rather than left to the body's finalisation.
        """
        with self._lock:
            self._closed = True
            while self._open_files:
                self._open_files.pop().close()
        if self._owned and self._file is not None:
            self._file.close()

    async def chunks(self, transform: Transform | None = None) -> AsyncGenerator[bytes, None]:
        """Yield the content from its start, transformed, in pieces of up to ``READ_SIZE``.

        Files are read ``READ_SIZE`` bytes per worker-thread call (``TRANSFORM_SIZE`` with a
        transform, which runs in the same call); async iterables pass through chunk by chunk.

        Raises:
            ValidationError: A non-replayable source is read a second time, or a stream's
                length differs from its declared size.
        """
        if not self.replayable:
            if self._consumed:
                raise ValidationError(
                    "this upload source is a one-shot stream and was already sent; "
                    "pass a path, bytes or a seekable file to allow retries"
                )
            self._consumed = True
        if self._data is not None:
            pieces = _memory_pieces(self._data, transform)
        elif self._aiter is not None:
            pieces = _async_pieces(self._aiter, self.size, transform)
        else:
            pieces = self._file_pieces(transform)
        async with contextlib.aclosing(pieces):  # a piece read ahead is waited for, the file closed
            async for piece in pieces:
                yield piece
                del piece  # hold no buffer while the next one is read

    async def _file_pieces(self, transform: Transform | None) -> AsyncGenerator[bytes, None]:
        remaining = self.size
        file: IO[bytes] | None = None
        if self._path is None:
            assert self._file is not None  # noqa: S101 - one of data/path/file/aiter is set
            file = self._file
            if _seekable(file):
                await run_blocking(file.seek, self._start)
        path = self._path
        ended = False
        step = READ_SIZE if transform is None else TRANSFORM_SIZE

        def read() -> bytes | None:
            """Return the next piece, read and transformed in one thread call; None at the end."""
            nonlocal remaining, file, ended
            if ended:
                return None
            if file is None:  # a path, opened by the first read (one thread hop for small files)
                assert path is not None  # noqa: S101 - a source without a path has its file
                file = self._open_path(path)
                if file is None:  # a body the transport kept pulling after the call ended
                    ended = True
                    return None
            data = file.read(min(step, remaining)) if remaining else b""
            if remaining and not data:
                raise ValidationError(
                    f"the file ended {remaining} bytes early (it changed while uploading?)"
                )
            remaining -= len(data)
            ended = remaining == 0
            if transform is None:
                return data if data or not ended else None
            out = transform.update(data) if data else b""
            return out + transform.finalize() if ended else out

        try:
            if path is not None or (file is not None and _seekable(file)):
                # the next piece is prepared while this one is sent
                pieces = read_ahead(read, ended=lambda: ended)
            else:  # a pipe may wait on its writer: keep it off the small pool of run_blocking
                pieces = _one_by_one(read)
            async with contextlib.aclosing(pieces):
                async for piece in pieces:
                    if piece:
                        yield piece
                    del piece
        finally:
            if path is not None and file is not None:
                with self._lock:
                    # closed below either way (aclose would close it again, harmlessly)
                    self._open_files.discard(file)  # pragma: no mutate
                file.close()

    def _open_path(self, path: Path) -> IO[bytes] | None:
        """Open ``path`` and track the file; None once the source is closed.

        Tracking it here, in the worker thread, lets ``aclose`` close it even when the reader
        was cancelled while the thread was opening it.
        """
        with self._lock:
            if self._closed:
                return None
            file = path.open("rb")
            self._open_files.add(file)
            return file

    def __repr__(self) -> str:
        kind = "bytes" if self._data is not None else "path" if self._path else "stream"
        return f"<UploadSource {kind} size={self.size} replayable={self.replayable}>"


async def _memory_pieces(
    data: memoryview, transform: Transform | None
) -> AsyncGenerator[bytes, None]:
    if transform is not None and len(data) >= CHUNK_SIZE:  # pragma: no mutate - either is right
        offsets = iter(range(0, len(data), TRANSFORM_SIZE))

        def encrypt() -> bytes | None:
            """Return the next piece encrypted (the last with the padding); None at the end."""
            offset = next(offsets, None)
            if offset is None:
                return None
            out = transform.update(bytes(data[offset : offset + TRANSFORM_SIZE]))
            return out + transform.finalize() if offset + TRANSFORM_SIZE >= len(data) else out

        pieces = read_ahead(encrypt, ended=lambda: operator.length_hint(offsets) == 0)
        async with contextlib.aclosing(pieces):
            async for piece in pieces:
                yield piece
                del piece
        return
    for offset in range(0, len(data), READ_SIZE):
        block = bytes(data[offset : offset + READ_SIZE])
        yield block if transform is None else transform.update(block)
        del block
    if transform is not None:
        yield transform.finalize()


async def _one_by_one(read: Callable[[], bytes | None]) -> AsyncGenerator[bytes, None]:
    """Yield ``read()``'s results, each read when asked for, until it returns None."""
    while (piece := await run_waiting(read)) is not None:
        yield piece
        del piece


async def _async_pieces(
    chunks: AsyncIterable[bytes], size: int, transform: Transform | None
) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in chunks:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise ValidationError(f"async iterables must yield bytes, not {type(chunk).__name__}")
        seen += len(chunk)
        if seen > size:
            raise ValidationError(f"the stream yielded more than the declared size={size} bytes")
        data = bytes(chunk)
        yield data if transform is None else await _apply(transform, data)
    if seen != size:
        raise ValidationError(f"the stream yielded {seen} bytes but size={size} was declared")
    if transform is not None:
        yield transform.finalize()


async def _apply(transform: Transform, data: bytes) -> bytes:
    """Transform ``data``, in a worker thread when it is large enough to be worth the hop."""
    if len(data) >= CHUNK_SIZE:  # pragma: no mutate - at CHUNK_SIZE either way is right
        return await run_blocking(transform.update, data)
    return transform.update(data)


async def _iter_file(file: IO[bytes]) -> AsyncIterator[bytes]:
    while chunk := await run_waiting(file.read, READ_SIZE):
        yield chunk


def _seekable(file: IO[bytes]) -> bool:
    """Return whether a file object can seek (one without ``seekable()`` cannot)."""
    seekable = getattr(file, "seekable", None)
    return bool(callable(seekable) and seekable())
