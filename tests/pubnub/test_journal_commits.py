"""SqliteJournal's group commits: a thread of its own commits every write queued meanwhile."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from aiospaces.pubnub import _sqlite_writes, sqlite_journal
from aiospaces.pubnub.journal import FileRecord, FileState, JournalError, Reservation
from aiospaces.pubnub.sqlite_journal import SqliteJournal

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from aiospaces.pubnub._sqlite_writes import Write

FORM = Reservation("id-1", "a.bin", "https://up.example/", (("key", "k"),), 2e9, 1.7e9)
THREAD = "aiospaces-journal-commits"


def _stored(key: str) -> FileRecord:
    return FileRecord(key=key, name=key[1:], state=FileState.STORED, reservation=FORM)


class _Gate:
    """Holds the journal's first batch in its commit thread until ``open()``; notes batches."""

    def __init__(self, journal: SqliteJournal, fail_first: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.arrived = threading.Event()
        self._open = threading.Event()
        self._fail_first = fail_first
        commits = journal._commits
        self._run = commits._run_batch
        commits._run_batch = self.run

    def run(self, batch: list[Write]) -> None:
        self.batches.append([write.key for write in batch])
        if len(self.batches) == 1:
            self.arrived.set()
            self._open.wait(10)
            if self._fail_first:
                raise OSError("disk I/O error")
        self._run(batch)

    def open(self) -> None:
        self._open.set()

    async def held(self) -> None:
        """Wait until the first batch is being committed (and held)."""
        await _until(self.arrived.is_set)


async def _until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds (state the commit thread changes); fail after 5 s."""
    for _ in range(1000):
        if condition():
            return
        await anyio.sleep(0.005)
    raise AssertionError("timed out")


async def _queued(journal: SqliteJournal, count: int) -> None:
    await _until(lambda: len(journal._commits._pending) >= count)


async def _journal(tmp_path: Path, files: int = 3) -> SqliteJournal:
    journal = await SqliteJournal.open(tmp_path / "job.db")
    await journal.add([FileRecord(key=f"/{i}", name=str(i)) for i in range(files)])
    return journal


async def test_writes_queued_during_a_commit_share_the_next_one(tmp_path: Path) -> None:
    async with await _journal(tmp_path) as journal:
        gate = _Gate(journal)
        done: list[int] = []

        async def write(i: int) -> None:
            assert await journal.put(_stored(f"/{i}"), expect=FileState.PENDING)
            done.append(i)

        async with anyio.create_task_group() as tg:
            tg.start_soon(write, 0)
            await gate.held()  # the first commit, of /0, is held
            tg.start_soon(write, 1)
            tg.start_soon(write, 2)
            await _queued(journal, 2)
            assert done == []  # no caller returns before its write is committed
            gate.open()
        assert gate.batches == [["/0"], ["/1", "/2"]]  # two commits for three writes
        assert sorted(done) == [0, 1, 2]
        assert (await journal.counts())[FileState.STORED] == 3


async def test_writes_made_together_share_a_commit_though_none_is_under_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a window far longer than the few microseconds between the three writes
    monkeypatch.setattr(_sqlite_writes, "GROUP_WINDOW", 0.2)
    async with await _journal(tmp_path) as journal:
        gate = _Gate(journal)
        gate.open()
        written: list[bool] = []

        async def write(i: int) -> None:
            written.append(await journal.put(_stored(f"/{i}"), expect=FileState.PENDING))

        async with anyio.create_task_group() as tg:  # the thread waits GROUP_WINDOW first
            for i in range(3):
                tg.start_soon(write, i)
        assert gate.batches == [["/0", "/1", "/2"]]
        assert written == [True, True, True]


async def test_a_cancelled_callers_write_is_still_committed(tmp_path: Path) -> None:
    async with await _journal(tmp_path) as journal:
        gate = _Gate(journal)
        results: dict[int, str] = {}
        scopes = [anyio.CancelScope() for _ in range(3)]

        async def write(i: int) -> None:
            results[i] = "cancelled"
            with scopes[i]:
                assert await journal.put(_stored(f"/{i}"), expect=FileState.PENDING)
                results[i] = "written"

        async with anyio.create_task_group() as tg:
            tg.start_soon(write, 0)
            await gate.held()
            tg.start_soon(write, 1)
            tg.start_soon(write, 2)
            await _queued(journal, 2)
            scopes[1].cancel()  # /1's caller gives up while /0 is being committed
            await anyio.sleep(0.02)
            gate.open()
        assert results == {0: "written", 1: "cancelled", 2: "written"}
        assert gate.batches == [["/0"], ["/1", "/2"]]
        assert (await journal.counts())[FileState.STORED] == 3


async def test_a_failed_commit_fails_its_own_writes_only(tmp_path: Path) -> None:
    async with await _journal(tmp_path) as journal:
        gate = _Gate(journal, fail_first=True)
        errors: dict[int, BaseException] = {}

        async def write(i: int) -> None:
            try:
                await journal.put(_stored(f"/{i}"), expect=FileState.PENDING)
            except OSError as exc:
                errors[i] = exc

        async with anyio.create_task_group() as tg:
            tg.start_soon(write, 0)
            await gate.held()
            tg.start_soon(write, 1)
            await _queued(journal, 1)
            gate.open()
        assert list(errors) == [0]
        assert str(errors[0]) == "disk I/O error"
        records = {record.key: record.state for record in await journal.records()}
        assert records == {"/0": FileState.PENDING, "/1": FileState.STORED, "/2": FileState.PENDING}


async def test_closing_commits_the_queued_writes_then_ends_the_thread(tmp_path: Path) -> None:
    journal = await _journal(tmp_path)
    gate = _Gate(journal)
    written: list[bool] = []

    async def write(i: int) -> None:
        written.append(await journal.put(_stored(f"/{i}"), expect=FileState.PENDING))

    async with anyio.create_task_group() as tg:
        tg.start_soon(write, 0)
        await gate.held()
        tg.start_soon(write, 1)
        await _queued(journal, 1)
        tg.start_soon(journal.aclose)  # waits for the queued write, then closes
        await anyio.sleep(0.05)
        gate.open()
    assert written == [True, True]
    assert THREAD not in {thread.name for thread in threading.enumerate()}
    with pytest.raises(JournalError, match="closed"):
        await journal.put(_stored("/2"), expect=FileState.PENDING)
    async with await SqliteJournal.open(tmp_path / "job.db") as again:
        assert (await again.counts())[FileState.STORED] == 2


async def test_the_commit_thread_ends_when_idle_and_the_next_write_starts_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sqlite_writes, "IDLE_SECONDS", 0.02)
    async with await _journal(tmp_path) as journal:
        assert await journal.put(_stored("/0"), expect=FileState.PENDING)
        await _until(lambda: journal._commits._thread is None)  # ended, with nothing to do
        assert await journal.put(_stored("/1"), expect=FileState.PENDING)
        assert (await journal.counts())[FileState.STORED] == 2


async def test_without_an_asyncio_loop_each_write_is_a_commit_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await _journal(tmp_path) as journal:

        def no_loop() -> Any:
            raise RuntimeError("no running event loop")  # as under trio

        # only the journal module sees no loop
        monkeypatch.setattr(sqlite_journal, "asyncio", SimpleNamespace(get_running_loop=no_loop))
        assert await journal.put(_stored("/0"), expect=FileState.PENDING)
        assert not await journal.put(_stored("/0"), expect=FileState.PENDING)  # not pending now
        monkeypatch.undo()
        assert journal._commits._thread is None  # the commit thread never ran
        assert (await journal.counts())[FileState.STORED] == 1
