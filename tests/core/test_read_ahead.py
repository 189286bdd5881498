"""Pipelined encryption: the next piece is read and encrypted while the current one is sent.

What must hold: the bytes are those of the one-by-one path; pieces prepared ahead stay few,
whatever the number of uploads; a retry re-streams from the start; and a consumer that stops
(an error, a cancellation) leaves no thread working on the source.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import cast

import anyio
import pytest
import sniffio

from aiospaces.core import threads
from aiospaces.core.multipart import MultipartUpload
from aiospaces.core.sources import READ_SIZE, TRANSFORM_SIZE, UploadSource
from aiospaces.core.threads import AHEAD_PIECES, read_ahead
from aiospaces.pubnub.crypto import CryptoModule

SIZE = 5 * READ_SIZE + 12345  # several pieces and a short last one


class XorTransform:
    """A deterministic stand-in for an encryptor: same bytes every attempt, 16 bytes of tail."""

    def __init__(self) -> None:
        self.seen = 0

    def update(self, data: bytes) -> bytes:
        self.seen += len(data)
        return bytes(b ^ 0x5A for b in data)

    def finalize(self) -> bytes:
        return self.seen.to_bytes(16, "big")


def blob() -> bytes:
    return bytes(range(256)) * (SIZE // 256) + bytes(SIZE % 256)


async def body_of(upload: MultipartUpload) -> bytes:
    return b"".join([piece async for piece in upload.stream()])


def upload_of(source: UploadSource) -> MultipartUpload:
    return MultipartUpload(
        [("key", "k")],
        source,
        file_name="f.bin",
        boundary="b0undary",
        transform=XorTransform,
        transformed_size=lambda size: size + 16,
    )


@pytest.mark.parametrize("kind", ["path", "file", "bytes"])
async def test_the_pipelined_body_is_byte_for_byte_the_one_by_one_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    data = blob()
    path = tmp_path / "in.bin"
    path.write_bytes(data)

    async def body() -> bytes:
        obj = {"path": path, "file": io.BytesIO(data), "bytes": data}[kind]
        source = await UploadSource.open(obj)  # type: ignore[arg-type]
        try:
            return await body_of(upload_of(source))
        finally:
            await source.aclose()

    pipelined = await body()
    monkeypatch.setattr(threads, "AHEAD_PIECES", 0)
    threads._ahead.set([0])  # this event loop's slots: none, so every piece is read when asked
    one_by_one = await body()
    expected = bytes(b ^ 0x5A for b in data) + SIZE.to_bytes(16, "big")
    assert pipelined == one_by_one
    assert expected in pipelined
    assert len(pipelined) == upload_of(await UploadSource.open(data)).content_length


async def test_real_encryption_through_the_pipeline_decrypts_to_the_file(tmp_path: Path) -> None:
    crypto = CryptoModule("secret", default="aescbc")
    data = blob()
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    source = await UploadSource.open(path)
    encrypted = b"".join([piece async for piece in source.chunks(crypto.encryptor())])
    assert crypto.decrypt(encrypted) == data
    assert len(encrypted) == crypto.encrypted_size(SIZE)


async def test_a_retry_re_streams_the_same_body_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(blob())
    source = await UploadSource.open(path)
    upload = upload_of(source)
    first = await body_of(upload)
    partial = cast("AsyncGenerator[bytes, None]", upload.stream())
    await anext(partial)
    await anext(partial)  # an attempt that broke off after its first piece
    await partial.aclose()
    assert await body_of(upload) == first
    await source.aclose()


async def test_step_runs_in_order_one_call_at_a_time_and_ahead_by_one_piece(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threads, "DEPTH", 1)
    lock = threading.Lock()
    calls: list[int] = []
    consumed: list[int] = []
    called = threading.Semaphore(0)  # released once per finished call
    seen = 0

    def step() -> int | None:
        assert lock.acquire(blocking=False), "two calls at once"
        try:
            time.sleep(0.002)
            calls.append(len(calls))
            return calls[-1] if len(calls) <= 6 else None
        finally:
            lock.release()
            called.release()

    async for piece in read_ahead(step):
        assert len(calls) <= len(consumed) + 2  # this piece and at most one prepared ahead
        while seen < len(consumed) + 2:  # "sending": the next piece is prepared meanwhile
            assert await anyio.to_thread.run_sync(called.acquire, True, 5)
            seen += 1
        assert len(calls) == len(consumed) + 2  # and not one more
        consumed.append(piece)
    assert consumed == [0, 1, 2, 3, 4, 5]


async def test_pieces_prepared_ahead_are_bounded_per_event_loop() -> None:
    lock = threading.Lock()
    running = peak = 0

    def piece_maker() -> Callable[[], bytes | None]:
        left = [b"x"] * 4

        def step() -> bytes | None:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.002)
            with lock:
                running -= 1
            return left.pop() if left else None

        return step

    async def consume(n: int) -> None:
        async for _ in read_ahead(piece_maker()):
            assert 0 <= threads._ahead.get()[0] <= AHEAD_PIECES
            await anyio.sleep(0.001 * (n % 3))

    async with anyio.create_task_group() as tg:
        for n in range(32):
            tg.start_soon(consume, n)
    # 32 consumers, each asking for its own next piece, plus at most AHEAD_PIECES ahead; the
    # thread pool caps what runs at once
    assert 1 <= peak <= threads.BLOCKING_THREADS
    assert threads._ahead.get() == [AHEAD_PIECES]  # every slot given back


async def test_a_consumer_cancelled_mid_stream_leaves_no_thread_on_the_source(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(blob())
    source = await UploadSource.open(path)
    started = threading.Event()
    release = threading.Event()
    reads: list[float] = []

    class SlowTransform(XorTransform):
        def update(self, data: bytes) -> bytes:
            if len(reads) == 1:  # the second piece, prepared ahead: hold it in its thread
                started.set()
                release.wait(5)
            reads.append(time.monotonic())
            return super().update(data)

    chunks = source.chunks(SlowTransform())

    async def sender() -> None:
        await anext(chunks)  # the first piece is "being sent"; the second is under way
        await anyio.sleep(10)

    async with anyio.create_task_group() as tg:
        tg.start_soon(sender)
        await anyio.to_thread.run_sync(started.wait, 5)
        tg.cancel_scope.cancel()
    closing = asyncio.get_running_loop().create_task(chunks.aclose())
    await anyio.sleep(0.05)
    assert not closing.done()  # it waits for the thread's piece before closing the file
    release.set()
    await closing
    assert len(reads) == 2  # no piece was started after the consumer stopped
    assert source._open_files == set()  # the file it opened is closed
    assert threads._ahead.get() == [AHEAD_PIECES]
    await source.aclose()


@pytest.mark.parametrize("library", ["asyncio", "other"])
async def test_a_step_that_says_it_ended_is_not_called_again(
    monkeypatch: pytest.MonkeyPatch, library: str
) -> None:
    if library == "other":  # another async library: one piece after the other, nothing ahead
        monkeypatch.setattr(sniffio, "current_async_library", lambda: "trio")
    runs: list[int] = []
    steps: list[int] = []
    left = [b"b", b"a"]

    def step() -> bytes | None:
        steps.append(1)
        return left.pop()

    async def run(func: Callable[[], bytes | None]) -> bytes | None:
        runs.append(1)
        return func()

    assert [p async for p in read_ahead(step, run=run, ended=lambda: not left)] == [b"a", b"b"]
    assert len(steps) == 2  # no third call to learn that there is nothing more
    assert 1 <= len(runs) <= 2  # on asyncio one run may go on to the next piece


async def test_progress_counts_what_was_sent_not_the_piece_prepared_ahead(tmp_path: Path) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(blob())
    source = await UploadSource.open(path)
    reported: list[int] = []
    upload = MultipartUpload(
        [("key", "k")],
        source,
        file_name="f.bin",
        transform=XorTransform,
        transformed_size=lambda size: size + 16,
        on_progress=reported.append,
    )
    body = upload.stream()
    head = await anext(body)
    sent = 0
    async for piece in body:
        if piece.endswith(b"--\r\n") and len(piece) < 100:
            break  # the tail
        sent += len(piece)
        await anyio.sleep(0.01)  # the next piece is prepared meanwhile
        # XOR keeps sizes: what was reported is what was sent (but the 16-byte pad at the end)
        assert sum(reported) == min(sent, SIZE)
    assert sum(reported) == SIZE
    assert head.startswith(b"--")
    await source.aclose()


async def test_progress_of_input_whose_output_came_later_is_reported_by_the_end(
    tmp_path: Path,
) -> None:
    class AllAtTheEnd:  # a transform that outputs nothing until finalize (pieces skipped)
        def __init__(self) -> None:
            self.kept: list[bytes] = []

        def update(self, data: bytes) -> bytes:
            self.kept.append(data)
            return b""

        def finalize(self) -> bytes:
            return b"".join(self.kept)

    path = tmp_path / "in.bin"
    path.write_bytes(blob())
    source = await UploadSource.open(path)
    reported: list[int] = []
    upload = MultipartUpload(
        [],
        source,
        file_name="f.bin",
        transform=AllAtTheEnd,
        transformed_size=lambda size: size,
        on_progress=reported.append,
    )
    body = b"".join([piece async for piece in upload.stream()])
    assert blob() in body
    assert sum(reported) == SIZE
    assert all(n > 0 for n in reported)
    await source.aclose()


async def test_a_thread_call_goes_on_with_the_next_piece_while_the_consumer_waits() -> None:
    # the consumer takes each piece at once: one thread call prepares them one after the
    # other, instead of one call (a round trip through the event loop) per piece
    runs: list[int] = []
    left = list(range(10, 0, -1))

    def step() -> int | None:
        time.sleep(0.001)
        return left.pop() if left else None

    async def run(func: Callable[[], int | None]) -> int | None:
        runs.append(1)
        return await anyio.to_thread.run_sync(func)

    assert [p async for p in read_ahead(step, run=run)] == list(range(1, 11))
    assert len(runs) < 10


@pytest.mark.parametrize("run_pieces", [1, 2, 3])
async def test_a_thread_call_stops_after_run_pieces_and_the_next_one_carries_on(
    monkeypatch: pytest.MonkeyPatch, run_pieces: int
) -> None:
    monkeypatch.setattr(threads, "RUN_PIECES", run_pieces)
    runs: list[int] = []
    left = list(range(25, 0, -1))

    def step() -> int | None:
        return left.pop() if left else None

    async def run(func: Callable[[], int | None]) -> int | None:
        runs.append(1)
        return await anyio.to_thread.run_sync(func)

    with anyio.fail_after(10):  # a consumer left waiting after a capped call would hang here
        assert [p async for p in read_ahead(step, run=run)] == list(range(1, 26))
    assert len(runs) >= 25 // run_pieces
    assert threads._ahead.get() == [AHEAD_PIECES]


async def test_a_thread_call_that_cannot_start_fails_the_consumer_instead_of_hanging() -> None:
    async def run(func: Callable[[], bytes | None]) -> bytes | None:
        raise RuntimeError("no thread for you")

    with anyio.fail_after(10), pytest.raises(RuntimeError, match="no thread"):
        async for _ in read_ahead(lambda: b"x", run=run):
            pass
    assert threads._ahead.get() == [AHEAD_PIECES]


async def test_an_error_of_step_reaches_the_consumer_after_the_pieces_before_it() -> None:
    left = [b"b", b"a"]

    def step() -> bytes | None:
        if not left:
            raise OSError("disk gone")
        return left.pop()

    got: list[bytes] = []

    async def consume() -> None:
        async for piece in read_ahead(step):
            got.append(piece)
            await anyio.sleep(0.005)  # the failing piece is prepared (and parked) meanwhile

    with pytest.raises(OSError, match="disk gone"):
        await consume()
    assert got == [b"a", b"b"]
    assert threads._ahead.get() == [AHEAD_PIECES]


@pytest.mark.parametrize("kind", ["path", "bytes"])
async def test_encrypted_pieces_are_read_in_smaller_steps_than_plain_ones(
    tmp_path: Path, kind: str
) -> None:
    # the thread holds a piece's plaintext and ciphertext at once: smaller steps, same memory
    data = blob()
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    source = await UploadSource.open(path if kind == "path" else data)
    plain = [len(piece) async for piece in source.chunks()]
    xored = [len(piece) async for piece in source.chunks(XorTransform())]
    assert max(plain) == READ_SIZE
    assert sum(plain) == SIZE
    assert max(xored) == TRANSFORM_SIZE
    assert set(xored[:-1]) == {TRANSFORM_SIZE}
    assert sum(xored) == SIZE + 16  # the last piece carries the 16-byte tail
    await source.aclose()


async def test_no_more_than_depth_pieces_are_prepared_ahead_of_a_slow_consumer() -> None:
    calls: list[int] = []
    consumed: list[int] = []

    def step() -> int | None:
        calls.append(len(calls))
        return calls[-1] if len(calls) <= 8 else None

    async for piece in read_ahead(step):
        await anyio.sleep(0.01)  # a slow network: the thread runs ahead as far as it may
        assert len(calls) <= len(consumed) + 1 + threads.DEPTH
        consumed.append(piece)
        assert 0 <= threads._ahead.get()[0] <= AHEAD_PIECES
    assert consumed == list(range(8))
    assert max(calls) == 8  # the call that said there was no more
    assert threads._ahead.get() == [AHEAD_PIECES]


async def test_a_new_thread_call_waits_until_the_last_one_is_back_in_the_pool() -> None:
    # a thread call that has prepared its pieces may take a moment to return to anyio's idle
    # pool; starting the next call meanwhile makes anyio spawn another thread (more memory)
    active = peak = 0
    left = list(range(12, 0, -1))

    def step() -> int | None:
        return left.pop() if left else None

    async def run(func: Callable[[], int | None]) -> int | None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            result = func()
            await anyio.sleep(0.002)  # the thread is not back in the pool yet
            return result
        finally:
            active -= 1

    async def consume() -> list[int]:
        got = []
        async for piece in read_ahead(step, run=run):
            got.append(piece)
            await anyio.sleep(0.0001)  # busy: the call ends with pieces ready
        return got

    with anyio.fail_after(10):
        assert await consume() == list(range(1, 13))
    assert peak == 1
