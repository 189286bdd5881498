"""Upload sources: who closes what, the exact errors, and which threads read a file."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path
from typing import IO, Any, cast

import anyio
import pytest

from aiospaces.core.errors import ValidationError
from aiospaces.core.sources import READ_SIZE, UploadSource
from aiospaces.core.threads import BLOCKING_THREADS


async def read_all(source: UploadSource) -> bytes:
    return b"".join([chunk async for chunk in source.chunks()])


async def agen(pieces: list[Any]) -> Any:
    for piece in pieces:
        yield piece


# -- who closes what ----------------------------------------------------------------------------


async def test_closing_a_source_leaves_the_callers_file_open(tmp_path: Path) -> None:
    path = tmp_path / "mine.bin"
    path.write_bytes(b"x" * 1000)
    with path.open("rb") as mine:
        source = await UploadSource.open(mine)
        assert await read_all(source) == b"x" * 1000
        await source.aclose()
        assert not mine.closed
        mine.seek(0)
        assert mine.read(3) == b"xxx"  # still usable by its owner
    buffer = io.BytesIO(b"abc")
    source = await UploadSource.open(buffer, size=3)
    await source.aclose()
    assert not buffer.closed


async def test_a_closed_path_source_opens_nothing_more(tmp_path: Path) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(b"y" * 10)
    source = await UploadSource.open(path)
    await source.aclose()
    # a transport that keeps pulling an abandoned body gets nothing, and no file is opened
    assert await read_all(source) == b""
    assert source._open_files == set()


async def test_closing_mid_read_closes_the_file_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(b"z" * (3 * READ_SIZE))
    source = await UploadSource.open(path)
    chunks = source.chunks()
    assert await anext(chunks) == b"z" * READ_SIZE
    (opened,) = source._open_files
    await source.aclose()
    assert opened.closed
    await chunks.aclose()


# -- the errors say what is wrong -------------------------------------------------------------


async def test_path_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.bin"
    with pytest.raises(ValidationError) as caught:
        await UploadSource.open(missing)
    assert str(caught.value) == f"cannot read {str(missing)!r}: No such file or directory"
    with pytest.raises(ValidationError) as caught:
        await UploadSource.open(tmp_path)
    assert str(caught.value) == f"{str(tmp_path)!r} is not a regular file"


async def test_text_files_are_refused_with_a_hint() -> None:
    with pytest.raises(ValidationError) as caught:
        await UploadSource.open(io.StringIO("hello"))  # type: ignore[arg-type]
    assert str(caught.value) == "file objects must be opened in binary mode ('rb')"


async def test_a_one_shot_stream_sent_twice_says_how_to_allow_retries() -> None:
    source = await UploadSource.open(agen([b"abc"]), size=3)
    assert await read_all(source) == b"abc"
    with pytest.raises(ValidationError) as caught:
        await read_all(source)
    assert str(caught.value) == (
        "this upload source is a one-shot stream and was already sent; "
        "pass a path, bytes or a seekable file to allow retries"
    )


async def test_spooling_names_what_was_yielded_instead_of_bytes() -> None:
    with pytest.raises(ValidationError) as caught:
        await UploadSource.open(agen([b"x", 3.5]))
    assert str(caught.value) == "async iterables must yield bytes, not float"


async def test_a_file_read_from_its_position_counts_only_what_is_left() -> None:
    file = io.BytesIO(b"0123456789")
    file.seek(4)
    source = await UploadSource.open(file, size=6)
    assert source.size == 6
    assert await read_all(source) == b"456789"
    file.seek(4)
    with pytest.raises(ValidationError) as caught:
        await UploadSource.open(file, size=10)
    assert str(caught.value) == "size=10 but the file has 6 bytes left"


async def test_repr_tells_the_kind_size_and_replayability(tmp_path: Path) -> None:
    path = tmp_path / "p.bin"
    path.write_bytes(b"abcd")
    assert repr(await UploadSource.open(b"ab")) == "<UploadSource bytes size=2 replayable=True>"
    assert repr(await UploadSource.open(path)) == "<UploadSource path size=4 replayable=True>"
    stream = await UploadSource.open(agen([b"abc"]), size=3)
    assert repr(stream) == "<UploadSource stream size=3 replayable=False>"


# -- which threads read -----------------------------------------------------------------------


class RecordingPipe:
    """A non-seekable binary file that records the sizes it was asked to read."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)
        self.asked: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(size)
        return self._buffer.read(size)

    def seekable(self) -> bool:
        return False


async def test_an_unsized_pipe_is_spooled_read_size_at_a_time() -> None:
    data = os.urandom(2 * READ_SIZE + 5)
    pipe = RecordingPipe(data)
    source = await UploadSource.open(cast("IO[bytes]", pipe))
    assert (source.size, source.replayable) == (len(data), True)
    assert await read_all(source) == data
    assert pipe.asked == [READ_SIZE] * 4  # three pieces, then the empty read at the end
    await source.aclose()


async def test_a_cancelled_read_of_a_stalled_pipe_returns_at_once() -> None:
    read_fd, write_fd = os.pipe()
    reader = open(read_fd, "rb")  # noqa: SIM115, ASYNC230 - closed below
    lock = threading.Lock()
    writer_open = [True]

    def close_writer() -> None:
        with lock:
            if writer_open[0]:
                os.close(write_fd)
                writer_open[0] = False

    # if the read held its caller, the caller would be let go only when this ends the pipe
    closer = threading.Timer(3.0, close_writer)
    closer.start()
    try:
        source = await UploadSource.open(reader, size=10)
        started = time.monotonic()
        with anyio.move_on_after(0.1):
            await read_all(source)
        waited = time.monotonic() - started
    finally:
        closer.cancel()
        close_writer()
        await anyio.sleep(0.05)  # the abandoned read sees the end of the pipe
        reader.close()
    assert waited < 2.0


class SlowFile(io.BytesIO):
    """A seekable file whose reads take a while and count how many run at once."""

    lock = threading.Lock()
    running = 0
    peak = 0

    def read(self, size: int | None = -1) -> bytes:
        with SlowFile.lock:
            SlowFile.running += 1
            SlowFile.peak = max(SlowFile.peak, SlowFile.running)
        time.sleep(0.02)
        with SlowFile.lock:
            SlowFile.running -= 1
        return super().read(size)


async def test_seekable_files_are_read_on_the_small_pool() -> None:
    sources = [await UploadSource.open(SlowFile(b"s" * (2 * READ_SIZE))) for _ in range(8)]
    SlowFile.peak = 0
    async with anyio.create_task_group() as tg:
        for source in sources:
            tg.start_soon(read_all, source)
    assert 1 <= SlowFile.peak <= BLOCKING_THREADS


async def test_a_path_no_file_can_have_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        await UploadSource.open("a\x00b")
    assert str(caught.value) == "cannot read 'a\\x00b': embedded null byte"


async def test_an_unsupported_object_is_named_by_its_type() -> None:
    with pytest.raises(ValidationError) as caught:
        await UploadSource.open(12)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "file content must be bytes, a path, a binary file object or an async iterable, not int"
    )


class ReadOnly:
    """A file-like object with read() and nothing else."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._buffer.read(size)


async def test_an_object_with_only_read_is_spooled_like_a_pipe() -> None:
    source = await UploadSource.open(cast("IO[bytes]", ReadOnly(b"r" * 1000)))
    assert (source.size, source.replayable) == (1000, True)
    assert await read_all(source) == b"r" * 1000
    await source.aclose()
