"""SqliteJournal: the store of single-process jobs (atomicity, reopening, locks, wrong files)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from aiospaces.pubnub import _sqlite_commit
from aiospaces.pubnub.journal import (
    FileRecord,
    FileState,
    JobSettings,
    JournalBusyError,
    JournalError,
    JournalMismatchError,
    Reservation,
)
from aiospaces.pubnub.sqlite_journal import JOURNAL_KIND, SCHEMA_VERSION, SqliteJournal

SETTINGS = JobSettings(channel="ch", subscribe_key="sub-c-1", encrypted=True, crypto="aescbc")
FORM = Reservation("id-1", "a.bin", "https://up.example/", (("key", "k"),), 2e9, 1.7e9)


def _record(key: str, state: FileState = FileState.PENDING, **changes: object) -> FileRecord:
    return FileRecord(key=key, name=key.rsplit("/", 1)[-1], state=state, **changes)  # type: ignore[arg-type]


async def test_a_new_journal_records_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "job.db"
    async with await SqliteJournal.open(path) as journal:
        assert await journal.settings() is None
        await journal.bind(SETTINGS)
        await journal.add([_record("/a"), _record("/b"), _record("/c")])
        reserved = _record("/b", FileState.RESERVED, reservation=FORM, attempts=1)
        assert await journal.put(reserved, expect=FileState.PENDING)
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # it holds upload forms
    async with await SqliteJournal.open(path) as journal:
        assert await journal.settings() == SETTINGS
        await journal.bind(SETTINGS)  # the same job: accepted
        assert [r.key for r in await journal.records()] == ["/a", "/b", "/c"]
        assert await journal.get("/b") == reserved
        assert await journal.get("/missing") is None
        counts = await journal.counts()
        assert counts == {
            FileState.PENDING: 2,
            FileState.RESERVED: 1,
            FileState.STORED: 0,
            FileState.ANNOUNCED: 0,
            FileState.FAILED: 0,
            FileState.UNKNOWN: 0,
        }


async def test_the_database_is_wal_with_the_chosen_synchronous_level(tmp_path: Path) -> None:
    for durable, level in ((False, 1), (True, 2)):  # NORMAL, FULL
        path = tmp_path / f"job-{durable}.db"
        async with await SqliteJournal.open(path, durable=durable) as journal:
            db = journal._connection
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert db.execute("PRAGMA synchronous").fetchone() == (level,)
            assert db.execute("PRAGMA cache_size").fetchone() == (-512,)  # KiB, not 2 MiB
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT kind, schema_version FROM journal").fetchall() == [
                (JOURNAL_KIND, SCHEMA_VERSION)
            ]


async def test_add_keeps_existing_records(tmp_path: Path) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        stored = _record("/a", FileState.STORED, reservation=FORM)
        assert await journal.add([stored]) == 1  # how many were new
        assert await journal.add([_record("/a"), _record("/b")]) == 1
        assert await journal.add([_record("/b")]) == 0
        assert await journal.get("/a") == stored
        assert (await journal.get("/b")) == _record("/b")


async def test_put_compares_the_state_before_setting(tmp_path: Path) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.add([_record("/a")])
        stored = _record("/a", FileState.STORED, reservation=FORM)
        assert not await journal.put(stored, expect=FileState.RESERVED)
        assert (await journal.get("/a")) == _record("/a")
        assert await journal.put(stored, expect=FileState.PENDING)
        assert not await journal.put(_record("/a"), expect=FileState.PENDING)
        assert not await journal.put(_record("/new"), expect=FileState.PENDING)  # not there
        assert await journal.put(_record("/new"))  # without expect: written
        assert await journal.put(_record("/a"))
        assert (await journal.get("/a")) == _record("/a")


async def test_claim_takes_a_file_unless_final_or_held(tmp_path: Path) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.add([_record("/a"), _record("/done", FileState.ANNOUNCED, timetoken=1)])
        await journal.add([_record("/failed", FileState.FAILED, step="upload", error="x")])
        taken = await journal.claim("/a", "w1", 30)
        assert taken is not None
        assert taken.owner == "w1"
        assert taken.lease_until is not None
        assert taken.lease_until > time.time() + 29
        assert await journal.get("/a") == taken
        assert await journal.claim("/a", "w2", 30) is None  # held by w1
        again = await journal.claim("/a", "w1", 60)  # the owner renews
        assert again is not None
        assert again.lease_until is not None
        assert again.lease_until > taken.lease_until
        assert await journal.claim("/done", "w1", 30) is None
        assert await journal.claim("/failed", "w1", 30) is None
        assert await journal.claim("/missing", "w1", 30) is None
        await journal.put(FileRecord("/b", "b", owner="w1", lease_until=time.time() - 1))
        stolen = await journal.claim("/b", "w2", 30)  # w1's lease ran out
        assert stolen is not None
        assert stolen.owner == "w2"


async def test_add_is_one_transaction(tmp_path: Path) -> None:
    path = tmp_path / "job.db"
    async with await SqliteJournal.open(path) as journal:
        journal._connection.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON files WHEN NEW.key = '/poison' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        with pytest.raises(sqlite3.IntegrityError, match="refused"):
            await journal.add([_record("/a"), _record("/b"), _record("/poison"), _record("/c")])
        assert await journal.records() == []  # none of them: rolled back
        await journal.add([_record("/a")])
        assert [r.key for r in await journal.records()] == ["/a"]


_WRITER = """
import sys, anyio
from aiospaces.pubnub.journal import FileRecord, FileState
from aiospaces.pubnub.sqlite_journal import SqliteJournal

async def main(path):
    journal = await SqliteJournal.open(path)
    await journal.add([FileRecord(f"/{i}", str(i)) for i in range(10_000)])
    print("added", flush=True)
    for i in range(10_000):
        record = FileRecord(f"/{i}", str(i), state=FileState.ANNOUNCED, timetoken=i)
        assert await journal.put(record, expect=FileState.PENDING)
        print(i, flush=True)

anyio.run(main, sys.argv[1])
"""


def test_sigkill_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "job.db"
    child = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "added\n"
    last = -1
    for line in child.stdout:
        last = int(line)
        if last >= 300:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    with sqlite3.connect(path) as db:  # reopened as the next run would: the WAL is replayed
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT key, state, record FROM files ORDER BY seq").fetchall()
    assert len(rows) == 10_000
    states = [state for _, state, _ in rows]
    done = states.count("announced")
    assert done > last  # every put that returned (and was printed) is there
    assert states == ["announced"] * done + ["pending"] * (10_000 - done)
    for key, state, text in rows[: done + 1]:
        record = FileRecord.from_json(text)
        assert (record.key, record.state.value) == (key, state)


async def test_a_second_job_on_the_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "job.db"
    journal = await SqliteJournal.open(path)
    with pytest.raises(JournalBusyError, match="another process"):
        await SqliteJournal.open(path)
    async with await SqliteJournal.open(path, lock=False) as reader:  # status: no lock needed
        assert await reader.records() == []
    await journal.aclose()
    await journal.aclose()  # again: nothing
    with pytest.raises(JournalError, match="closed"):
        await journal.records()
    async with await SqliteJournal.open(path):  # the lock was released
        pass


async def test_another_job_is_refused_by_what_differs(tmp_path: Path) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.bind(SETTINGS)
        cases = {
            "channel 'ch', not 'other'": JobSettings("other", "sub-c-1", True, "aescbc"),
            "another keyset": JobSettings("ch", "sub-c-2", True, "aescbc"),
            "files uploaded with a cipher key": JobSettings("ch", "sub-c-1", False),
            "the aescbc cryptor, not legacy": JobSettings("ch", "sub-c-1", True, "legacy"),
        }
        for expected, settings in cases.items():
            with pytest.raises(JournalMismatchError, match=expected) as caught:
                await journal.bind(settings)
            assert "belongs to another job" in str(caught.value)
        assert await journal.settings() == SETTINGS  # unchanged


async def test_files_that_are_not_journals_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all\n" * 100)
    with pytest.raises(JournalError, match="not an aiospaces upload journal"):
        await SqliteJournal.open(text)
    assert text.read_text().startswith("not a database")

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE things (x)")
    before = other.read_bytes()
    with pytest.raises(JournalError, match="not an aiospaces upload journal"):
        await SqliteJournal.open(other)
    assert other.read_bytes() == before  # someone else's database is left as it was

    with pytest.raises(JournalError, match="no journal at"):
        await SqliteJournal.open(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(JournalError, match="is not a file"):
        await SqliteJournal.open(tmp_path)


async def test_a_journal_of_a_newer_schema_or_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "job.db"
    async with await SqliteJournal.open(path):
        pass
    with sqlite3.connect(path) as db:
        db.execute("UPDATE journal SET schema_version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(JournalError, match="upgrade aiospaces"):
        await SqliteJournal.open(path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE journal SET kind = 'something-else', schema_version = 1")
    with pytest.raises(JournalError, match="not an aiospaces upload journal"):
        await SqliteJournal.open(path)


async def test_unreadable_rows_are_journal_errors(tmp_path: Path) -> None:
    path = tmp_path / "job.db"
    async with await SqliteJournal.open(path) as journal:
        await journal.add([_record("/a")])
        db = journal._connection
        db.execute("UPDATE files SET record = ?", (json.dumps({"key": "/a"}),))
        with pytest.raises(JournalError, match="cannot be read"):
            await journal.records()
        db.execute("UPDATE journal SET settings = 'nonsense'")
        with pytest.raises(JournalError, match="settings that cannot be read"):
            await journal.settings()
        assert repr(journal) == f"<SqliteJournal {str(path)!r}>"


@pytest.fixture(params=["one statement", "chunks of 3", "no UPDATE FROM"])
def commit_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How a batch is committed: as one statement, a statement per 3 writes, or (SQLite
    before 3.33) a statement per write (the writer process is started with the settings)."""
    if request.param == "chunks of 3":
        monkeypatch.setattr(_sqlite_commit, "UPDATE_ROWS", 3)
    elif request.param == "no UPDATE FROM":
        monkeypatch.setattr(_sqlite_commit, "UPDATE_FROM", False)
    return str(request.param)


async def test_concurrent_writes_share_commits_each_atomic_alone(
    tmp_path: Path, commit_way: str
) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.add([_record(f"/{i}") for i in range(64)])
        journal._connection.execute(
            "CREATE TRIGGER poison BEFORE UPDATE ON files WHEN NEW.key = '/13' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        results: dict[int, bool | Exception] = {}

        async def write(i: int) -> None:
            try:
                stored = _record(f"/{i}", FileState.STORED, reservation=FORM)
                results[i] = await journal.put(stored, expect=FileState.PENDING)
            except JournalError as exc:
                results[i] = exc

        async with anyio.create_task_group() as tg:
            for i in range(64):
                tg.start_soon(write, i)
        assert journal._writer is not None
        assert journal._writer.batches < 64  # writes made while a commit ran shared the next one
        refused = results.pop(13)
        assert isinstance(refused, JournalError)
        assert "refused" in str(refused)
        assert set(results.values()) == {True}
        counts = await journal.counts()
        assert (counts[FileState.STORED], counts[FileState.PENDING]) == (63, 1)


async def test_a_batch_with_stale_writes_tells_each_write_its_outcome(
    tmp_path: Path, commit_way: str
) -> None:
    # A batch is first run as one statement, which changes nothing if a write's expected
    # state is stale (not there); each write must still learn its own outcome.
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.add([_record(f"/{i}") for i in range(40)])
        results: dict[int, bool] = {}

        async def write(i: int) -> None:
            expect = FileState.RESERVED if i % 7 == 3 else FileState.PENDING  # stale: not there
            stored = _record(f"/{i}", FileState.STORED, reservation=FORM)
            results[i] = await journal.put(stored, expect=expect)

        async with anyio.create_task_group() as tg:
            for i in range(40):
                tg.start_soon(write, i)
            tg.start_soon(journal.put, _record("/39", FileState.FAILED))  # no expectation
        stale = {i for i in range(40) if i % 7 == 3}
        assert {i for i, written in results.items() if not written} == stale
        counts = await journal.counts()
        assert counts[FileState.PENDING] == len(stale)
        for i in range(39):
            record = await journal.get(f"/{i}")
            assert record is not None
            assert record.state is (FileState.PENDING if i in stale else FileState.STORED)


async def test_a_stale_write_is_not_written_even_when_the_record_holds_its_text(
    tmp_path: Path, commit_way: str
) -> None:
    async with await SqliteJournal.open(tmp_path / "job.db") as journal:
        await journal.add([_record(f"/{i}") for i in range(3)])
        stored = [_record(f"/{i}", FileState.STORED, reservation=FORM) for i in range(3)]
        assert await journal.put(stored[0], expect=FileState.PENDING)
        results: dict[int, bool] = {}

        async def write(i: int) -> None:
            results[i] = await journal.put(stored[i], expect=FileState.PENDING)

        async with anyio.create_task_group() as tg:  # one batch: /0 again, stale, with others
            for i in range(3):
                tg.start_soon(write, i)
        assert results == {0: False, 1: True, 2: True}


async def test_writes_to_a_closed_journal_fail(tmp_path: Path) -> None:
    journal = await SqliteJournal.open(tmp_path / "job.db")
    await journal.add([_record("/a")])
    await journal.aclose()
    with pytest.raises(JournalError, match="closed"):
        await journal.put(_record("/a", FileState.STORED, reservation=FORM))
