"""SqliteJournal's group commits: whoever starts one commits one batch, then passes the turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from aiospaces.pubnub.journal import FileRecord, FileState, Reservation
from aiospaces.pubnub.sqlite_journal import SqliteJournal

FORM = Reservation("id-1", "a.bin", "https://up.example/", (("key", "k"),), 2e9, 1.7e9)


def _stored(key: str) -> FileRecord:
    return FileRecord(key=key, name=key[1:], state=FileState.STORED, reservation=FORM)


class _Gates:
    """Holds the journal's first two calls (commits) until ``open(n)``; counts the calls."""

    def __init__(self, journal: SqliteJournal) -> None:
        self.commits = 0
        self.after_first: Any = None  # called as the first commit returns
        self._gates = [anyio.Event() for _ in range(2)]
        self.arrived = [anyio.Event() for _ in range(2)]
        self._run = journal._run
        journal._run = self.run  # type: ignore[method-assign]

    async def run(self, func: Any) -> Any:
        index = self.commits
        self.commits += 1
        if index < len(self._gates):
            self.arrived[index].set()
            await self._gates[index].wait()
        result = await self._run(func)
        if index == 0 and self.after_first is not None:
            self.after_first()
        return result

    def open(self, index: int) -> None:
        self._gates[index].set()


async def test_a_caller_commits_its_batch_and_the_next_caller_the_next(tmp_path: Path) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.add([FileRecord(key=f"/{i}", name=str(i)) for i in range(3)])
        gates = _Gates(journal)
        done: list[int] = []
        first_done = anyio.Event()

        async def write(i: int) -> None:
            assert await journal.put(_stored(f"/{i}"), expect=FileState.PENDING)
            done.append(i)
            if i == 0:
                first_done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(write, 0)
            await gates.arrived[0].wait()  # the first commit, of /0, is held
            tg.start_soon(write, 1)
            tg.start_soon(write, 2)
            await anyio.sleep(0.05)
            gates.open(0)
            # /0's caller returns once its own write is committed: the caller of /1 commits
            # /1 and /2, which were queued meanwhile, in the second commit
            with anyio.fail_after(5):
                await first_done.wait()
                await gates.arrived[1].wait()
            await anyio.sleep(0.05)
            assert done == [0]
            gates.open(1)
        assert sorted(done) == [0, 1, 2]
        assert gates.commits == 2
        counts = await journal.counts()
        assert counts[FileState.STORED] == 3


async def _write(
    journal: SqliteJournal, i: int, results: dict[int, str], scope: anyio.CancelScope
) -> None:
    results[i] = "cancelled"
    with scope:
        assert await journal.put(_stored(f"/{i}"), expect=FileState.PENDING)
        results[i] = "written"


async def test_the_turn_skips_a_cancelled_caller_whose_write_is_still_committed(
    tmp_path: Path,
) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.add([FileRecord(key=f"/{i}", name=str(i)) for i in range(3)])
        gates = _Gates(journal)
        results: dict[int, str] = {}
        scopes = [anyio.CancelScope() for _ in range(3)]
        async with anyio.create_task_group() as tg:
            tg.start_soon(_write, journal, 0, results, scopes[0])
            await gates.arrived[0].wait()
            tg.start_soon(_write, journal, 1, results, scopes[1])
            tg.start_soon(_write, journal, 2, results, scopes[2])
            await anyio.sleep(0.05)
            scopes[1].cancel()  # /1's caller gives up while /0 is being committed
            await anyio.sleep(0.05)
            gates.open(0)
            gates.open(1)
        assert results == {0: "written", 1: "cancelled", 2: "written"}
        assert gates.commits == 2  # /2's caller committed /1 and /2
        assert (await journal.counts())[FileState.STORED] == 3


async def test_a_caller_cancelled_as_its_turn_comes_still_commits(tmp_path: Path) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.add([FileRecord(key=f"/{i}", name=str(i)) for i in range(3)])
        gates = _Gates(journal)
        results: dict[int, str] = {}
        scopes = [anyio.CancelScope() for _ in range(3)]
        gates.after_first = scopes[1].cancel  # before the turn passes to /1's caller
        async with anyio.create_task_group() as tg:
            tg.start_soon(_write, journal, 0, results, scopes[0])
            await gates.arrived[0].wait()
            tg.start_soon(_write, journal, 1, results, scopes[1])
            tg.start_soon(_write, journal, 2, results, scopes[2])
            await anyio.sleep(0.05)
            gates.open(0)
            gates.open(1)
        assert results == {0: "written", 1: "cancelled", 2: "written"}
        assert gates.commits == 2  # /1's caller committed /1 and /2 all the same
        assert (await journal.counts())[FileState.STORED] == 3
