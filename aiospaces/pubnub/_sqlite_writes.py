"""A SqliteJournal's writer process, as the event loop sees it: batches out, outcomes back."""

from __future__ import annotations

import asyncio
import collections
import marshal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiospaces.core.threads import run_blocking
from aiospaces.pubnub import _sqlite_commit
from aiospaces.pubnub._sqlite_commit import HEADER
from aiospaces.pubnub.journal import JournalError

if TYPE_CHECKING:
    from aiospaces.pubnub.journal import FileRecord, FileState

__all__ = ["WRITER_SCRIPT", "WriterProcess"]

WRITER_SCRIPT = Path(__file__).with_name("_sqlite_commit.py")
"""What the writer process runs (by its path: it imports only the standard library)."""

Outcome = tuple[bool, str | None]
"""A write's outcome: whether it changed its record, and the error that failed it."""


class WriterProcess:
    """The process that commits a journal's writes while a job runs on asyncio.

    ``put`` sends a write at once when no batch is being committed, and returns a future of
    its outcome; writes made while a batch is being committed make the next batch, sent as
    soon as the answer comes: a group commit without a timer or a wait, one commit for every
    write made meanwhile. The event loop only encodes a batch (``marshal``), writes it to a
    socket and reads the answer; the records' JSON, SQLite and the disk are the other
    process's, which never holds this interpreter's lock.

    The process holds the journal's lock too (the same open file), so a rerun waits until it
    ended. It ends when its socket ends (``aclose``) or this process dies; a write whose
    caller was cancelled may still be committed. If it dies, every write waiting fails with
    JournalError, and so does every later one.
    """

    def __init__(self, process: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.process = process
        self.loop = loop
        self.batches = 0
        """Batches sent so far (each one commit, of one or more writes)."""
        self._transport: asyncio.Transport | None = None
        self._queued: list[tuple[str, str, tuple[Any, ...], str | None]] = []
        self._waiting: list[asyncio.Future[Outcome]] = []
        self._sent: collections.deque[list[asyncio.Future[Outcome]]] = collections.deque()
        self._buffer = bytearray()
        self._ended: str | None = None  # why it cannot be used any more
        self._drained: asyncio.Future[None] | None = None

    @classmethod
    async def start(cls, path: Path, durable: bool, lock_fd: int | None) -> WriterProcess:
        """Start the process for the journal at ``path``; connect to it on this event loop."""
        ours, theirs = socket.socketpair()
        try:
            fds = (theirs.fileno(),) if lock_fd is None else (theirs.fileno(), lock_fd)
            argv = [sys.executable, "-I", "-S", str(WRITER_SCRIPT), str(path)]
            rows = _sqlite_commit.UPDATE_ROWS if _sqlite_commit.UPDATE_FROM else 0
            argv += [str(theirs.fileno()), "1" if durable else "0", str(rows)]
            process = await run_blocking(_spawn, argv, fds)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        loop = asyncio.get_running_loop()
        writer = cls(process, loop)
        try:
            await loop.create_connection(lambda: _Answers(writer), sock=ours)
        except BaseException:
            ours.close()
            process.kill()
            await run_blocking(process.wait)
            raise
        return writer

    def put(self, record: FileRecord, expect: FileState | None) -> asyncio.Future[Outcome]:
        """Queue the write of ``record``; return the future of its outcome."""
        if self._ended is not None:
            raise JournalError(self._ended)
        future: asyncio.Future[Outcome] = self.loop.create_future()
        state = None if expect is None else expect.value
        self._queued.append((record.key, record.state.value, record.as_tuple(), state))
        self._waiting.append(future)
        if not self._sent:
            self._flush()
        return future

    def _flush(self) -> None:
        assert self._transport is not None  # noqa: S101 - put() refuses once it ended
        batch, self._queued = self._queued, []
        body = marshal.dumps(batch)
        self._transport.write(HEADER.pack(len(body)) + body)
        self._sent.append(self._waiting)
        self._waiting = []
        self.batches += 1

    def connected(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= HEADER.size:
            end = HEADER.size + HEADER.unpack_from(buffer)[0]
            if len(buffer) < end:
                return
            outcomes = marshal.loads(buffer[HEADER.size : end])  # noqa: S302 - our own process
            del buffer[:end]
            for future, outcome in zip(self._sent.popleft(), outcomes, strict=True):
                if not future.done():  # its caller was cancelled: committed all the same
                    future.set_result(outcome)
        if self._queued:
            self._flush()
        elif not self._sent and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._ended is None:
            self._ended = "the journal's writer process ended" + (f": {exc}" if exc else "")
        error = JournalError(self._ended)
        for futures in (*self._sent, self._waiting):
            for future in futures:
                if not future.done():
                    future.set_exception(error)
        self._sent.clear()
        self._waiting = []
        self._queued = []
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    async def aclose(self) -> None:
        """Wait for the writes queued, end the socket's sending side, wait for the process.

        Cancelled while it waits for the writes, it ends the sending side all the same: the
        process commits what it was sent, answers and ends.
        """
        try:
            if self._transport is not None and (self._sent or self._queued):
                self._drained = self.loop.create_future()
                await self._drained
        finally:
            self._ended = self._ended or "the journal is closed"
            if self._transport is not None:
                self._transport.write_eof()  # what was sent is still answered
        await run_blocking(self.process.wait)


def _spawn(argv: list[str], fds: tuple[int, ...]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, pass_fds=fds, stdin=subprocess.DEVNULL)  # noqa: S603 - ours


class _Answers(asyncio.Protocol):
    def __init__(self, writer: WriterProcess) -> None:
        self._writer = writer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._writer.connected(transport)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        self._writer.received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._writer.lost(exc)
