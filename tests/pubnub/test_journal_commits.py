"""SqliteJournal's writer process: it commits every write made meanwhile in one batch."""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import socket
import sqlite3
import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from aiospaces.pubnub import _sqlite_commit, _sqlite_file, sqlite_journal
from aiospaces.pubnub.journal import (
    FileRecord,
    FileState,
    JournalBusyError,
    JournalError,
    Reservation,
)
from aiospaces.pubnub.sqlite_journal import SqliteJournal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from aiospaces.pubnub._sqlite_writes import WriterProcess

FORM = Reservation("id-1", "a.bin", "https://up.example/", (("key", "k"),), 2e9, 1.7e9)


def _stored(key: str) -> FileRecord:
    return FileRecord(key=key, name=key[1:], state=FileState.STORED, reservation=FORM)


async def _until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds; fail after 5 s."""
    for _ in range(1000):
        if condition():
            return
        await anyio.sleep(0.005)
    raise AssertionError("timed out")


async def _journal(tmp_path: Path, files: int = 3) -> SqliteJournal:
    journal = await SqliteJournal.open(tmp_path / "job.db")
    await journal.add([FileRecord(key=f"/{i}", name=str(i)) for i in range(files)])
    return journal


def _writer(journal: SqliteJournal) -> WriterProcess:
    assert journal._writer is not None
    return journal._writer


@pytest.fixture
def paused() -> Iterator[Callable[[WriterProcess], None]]:
    """Stop a writer process (SIGSTOP): what it was sent waits. Resumed at the end."""
    stopped: list[int] = []

    def pause(writer: WriterProcess) -> None:
        os.kill(writer.process.pid, signal.SIGSTOP)
        stopped.append(writer.process.pid)

    yield pause
    for pid in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


def _resume(writer: WriterProcess) -> None:
    os.kill(writer.process.pid, signal.SIGCONT)


async def test_writes_made_during_a_commit_share_the_next_one(
    tmp_path: Path, paused: Callable[[WriterProcess], None]
) -> None:
    async with await _journal(tmp_path) as journal:
        writer = _writer(journal)
        paused(writer)
        done: list[int] = []

        async def write(i: int) -> None:
            assert await journal.put(_stored(f"/{i}"), expect=FileState.PENDING)
            done.append(i)

        async with anyio.create_task_group() as tg:
            tg.start_soon(write, 0)
            await _until(lambda: writer.batches == 1)  # /0 was sent at once
            tg.start_soon(write, 1)
            tg.start_soon(write, 2)
            await anyio.sleep(0.05)
            assert done == []  # no caller returns before its write is committed
            assert writer.batches == 1  # /1 and /2 wait for /0's answer
            _resume(writer)
        assert writer.batches == 2  # two commits for three writes
        assert sorted(done) == [0, 1, 2]
        assert (await journal.counts())[FileState.STORED] == 3


async def test_a_cancelled_callers_write_is_still_committed(
    tmp_path: Path, paused: Callable[[WriterProcess], None]
) -> None:
    async with await _journal(tmp_path) as journal:
        writer = _writer(journal)
        paused(writer)
        with anyio.move_on_after(0.05) as scope:
            await journal.put(_stored("/0"), expect=FileState.PENDING)
        assert scope.cancelled_caught
        _resume(writer)
        assert await journal.put(_stored("/1"), expect=FileState.PENDING)  # after /0's answer
        assert (await journal.counts())[FileState.STORED] == 2


async def test_a_failed_write_fails_alone_with_a_journal_error(tmp_path: Path) -> None:
    async with await _journal(tmp_path) as journal:
        journal._connection.execute(
            "CREATE TRIGGER poison BEFORE UPDATE ON files WHEN NEW.key = '/0' "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
        outcomes: dict[int, object] = {}

        async def write(i: int) -> None:
            try:
                outcomes[i] = await journal.put(_stored(f"/{i}"), expect=FileState.PENDING)
            except JournalError as exc:
                outcomes[i] = exc

        async with anyio.create_task_group() as tg:
            for i in range(3):
                tg.start_soon(write, i)
        failed = outcomes.pop(0)
        assert isinstance(failed, JournalError)
        assert "disk says no" in str(failed)
        assert outcomes == {1: True, 2: True}


async def test_a_writer_process_that_dies_fails_every_write_waiting_and_later(
    tmp_path: Path, paused: Callable[[WriterProcess], None]
) -> None:
    journal = await _journal(tmp_path)
    writer = _writer(journal)
    paused(writer)
    errors: dict[int, BaseException] = {}

    async def write(i: int) -> None:
        try:
            await journal.put(_stored(f"/{i}"), expect=FileState.PENDING)
        except JournalError as exc:
            errors[i] = exc

    async with anyio.create_task_group() as tg:
        tg.start_soon(write, 0)
        await _until(lambda: writer.batches == 1)
        tg.start_soon(write, 1)  # queued behind /0
        await anyio.sleep(0.02)
        writer.process.kill()
    assert sorted(errors) == [0, 1]
    assert all("writer process ended" in str(error) for error in errors.values())
    with pytest.raises(JournalError, match="writer process ended"):
        await journal.put(_stored("/2"), expect=FileState.PENDING)
    await journal.aclose()
    async with await SqliteJournal.open(tmp_path / "job.db") as again:  # nothing half-written
        assert (await again.counts())[FileState.PENDING] == 3


async def test_closing_commits_the_writes_sent_then_ends_the_process(
    tmp_path: Path, paused: Callable[[WriterProcess], None]
) -> None:
    journal = await _journal(tmp_path)
    writer = _writer(journal)
    paused(writer)
    written: list[bool] = []

    async def write(i: int) -> None:
        written.append(await journal.put(_stored(f"/{i}"), expect=FileState.PENDING))

    async with anyio.create_task_group() as tg:
        tg.start_soon(write, 0)
        await _until(lambda: writer.batches == 1)
        tg.start_soon(write, 1)
        await anyio.sleep(0.02)
        tg.start_soon(journal.aclose)  # waits for both writes, then closes
        await anyio.sleep(0.05)
        assert written == []
        _resume(writer)
    assert written == [True, True]
    assert writer.process.returncode == 0
    with pytest.raises(JournalError, match="closed"):
        await journal.put(_stored("/2"), expect=FileState.PENDING)
    async with await SqliteJournal.open(tmp_path / "job.db") as again:
        assert (await again.counts())[FileState.STORED] == 2


async def test_a_rerun_waits_for_the_writer_process_of_a_job_that_died(
    tmp_path: Path, paused: Callable[[WriterProcess], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sqlite_file, "LOCK_WAIT", 10.0)
    journal = await _journal(tmp_path)
    writer = _writer(journal)
    paused(writer)  # still committing the last batch of a job whose process died:
    assert journal._lock_fd is not None
    os.close(journal._lock_fd)  # the job's own hold on the lock is gone, the writer's is not
    journal._lock_fd = None
    opened: list[SqliteJournal] = []

    async def rerun() -> None:
        opened.append(await SqliteJournal.open(tmp_path / "job.db"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(rerun)
        await anyio.sleep(0.2)
        assert opened == []  # the lock is the writer's until it ends
        _resume(writer)
        await journal.aclose()  # its socket closed: the writer ends
    await opened[0].aclose()


async def test_a_second_job_is_refused_after_the_lock_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sqlite_file, "LOCK_WAIT", 0.05)
    async with await _journal(tmp_path):
        with pytest.raises(JournalBusyError, match="another process"):
            await SqliteJournal.open(tmp_path / "job.db")


async def test_readers_and_other_event_loops_commit_each_write_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await _journal(tmp_path) as journal:
        async with await SqliteJournal.open(tmp_path / "job.db", lock=False) as reader:
            assert reader._writer is None  # a reader starts no process
        writer = _writer(journal)

        def no_loop() -> Any:
            return None  # no asyncio loop running, as under trio

        # only the journal module sees no loop
        monkeypatch.setattr(sqlite_journal, "asyncio", SimpleNamespace(_get_running_loop=no_loop))
        assert await journal.put(_stored("/0"), expect=FileState.PENDING)
        assert not await journal.put(_stored("/0"), expect=FileState.PENDING)  # not pending now
        monkeypatch.undo()
        assert writer.batches == 0  # the writer process was sent nothing
        journal._connection.execute(
            "CREATE TRIGGER poison BEFORE UPDATE ON files BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        monkeypatch.setattr(sqlite_journal, "asyncio", SimpleNamespace(_get_running_loop=no_loop))
        with pytest.raises(JournalError, match="refused"):
            await journal.put(_stored("/1"), expect=FileState.PENDING)
        monkeypatch.undo()
        assert (await journal.counts())[FileState.STORED] == 1


async def test_without_a_python_to_start_writes_are_committed_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.executable", str(tmp_path / "no-python"))
    async with await _journal(tmp_path) as journal:
        assert journal._writer is None
        assert await journal.put(_stored("/0"), expect=FileState.PENDING)
        assert (await journal.counts())[FileState.STORED] == 1


def _frame(data: list[tuple[Any, ...]]) -> bytes:
    body = marshal.dumps(data)
    return _sqlite_commit.HEADER.pack(len(body)) + body


def _read_frame(sock: socket.socket) -> object:
    stream = sock.makefile("rb")
    (size,) = _sqlite_commit.HEADER.unpack(stream.read(_sqlite_commit.HEADER.size))
    return marshal.loads(stream.read(size))  # noqa: S302 - its own answer


async def test_the_writer_commits_each_batch_and_answers_each_write(tmp_path: Path) -> None:
    # the writer process's own loop, run here (in a thread) to see it work
    async with await _journal(tmp_path, files=2):
        pass
    ours, theirs = socket.socketpair()
    args = [str(tmp_path / "job.db"), str(theirs.detach()), "1", "0"]
    ended: list[int] = []
    thread = threading.Thread(target=lambda: ended.append(_sqlite_commit.main(args)))
    thread.start()
    stored = _stored("/0")
    ours.sendall(_frame([("/0", "stored", stored.as_tuple(), "pending")]))
    assert _read_frame(ours) == [(True, None)]
    gone = FileRecord("/9", "9", state=FileState.STORED)
    ours.sendall(_frame([("/1", "stored", _stored("/1").as_tuple(), "reserved"),
                         ("/9", "stored", gone.as_tuple(), "pending")]))  # fmt: skip
    assert _read_frame(ours) == [(False, None), (False, None)]  # stale, missing
    ours.close()  # the end of its socket ends it
    thread.join(5)
    assert ended == [0]
    with sqlite3.connect(tmp_path / "job.db") as db:
        (text,) = db.execute("SELECT record FROM files WHERE key = '/0'").fetchone()
    assert text == stored.to_json()


async def test_the_writer_ends_quietly_when_the_job_is_gone(tmp_path: Path) -> None:
    async with await _journal(tmp_path, files=1):
        pass
    ours, theirs = socket.socketpair()
    args = [str(tmp_path / "job.db"), str(theirs.detach()), "0", "200"]
    ours.sendall(_frame([("/0", "stored", _stored("/0").as_tuple(), "pending")]))
    ours.close()  # the job's process died after sending: its answer has nowhere to go
    assert await anyio.to_thread.run_sync(_sqlite_commit.main, args) == 1


async def test_a_cancelled_close_still_ends_the_writer_process(
    tmp_path: Path, paused: Callable[[WriterProcess], None]
) -> None:
    journal = await _journal(tmp_path)
    writer = _writer(journal)
    paused(writer)
    written: list[bool] = []

    async def write() -> None:
        written.append(await journal.put(_stored("/0"), expect=FileState.PENDING))

    async with anyio.create_task_group() as tg:
        tg.start_soon(write)
        await _until(lambda: writer.batches == 1)
        with anyio.move_on_after(0.05) as scope:
            await journal.aclose()  # waits for /0's commit: given up
        assert scope.cancelled_caught
        _resume(writer)
    assert written == [True]  # sent before the close: committed and answered
    assert await anyio.to_thread.run_sync(writer.process.wait) == 0  # its socket was closed
    await journal.aclose()  # the rest of the close
    async with await SqliteJournal.open(tmp_path / "job.db") as again:
        assert (await again.counts())[FileState.STORED] == 1


async def test_an_answer_read_in_pieces_resolves_its_writes_once_whole(tmp_path: Path) -> None:
    async with await _journal(tmp_path) as journal:
        writer = _writer(journal)
        futures = [writer.loop.create_future() for _ in range(2)]
        writer._sent.appendleft(futures)  # as if this batch were the oldest one sent
        body = marshal.dumps([(True, None), (False, "refused")])
        answer = _sqlite_commit.HEADER.pack(len(body)) + body
        writer.received(answer[:3])  # not even the length yet
        writer.received(answer[3:9])
        assert not any(future.done() for future in futures)
        writer.received(answer[9:])
        assert [future.result() for future in futures] == [(True, None), (False, "refused")]
        assert await journal.put(_stored("/0"), expect=FileState.PENDING)  # still in step
