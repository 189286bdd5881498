"""The journal of a single-process bulk upload: one SQLite file (stdlib ``sqlite3``).

```python
async with await SqliteJournal.open("job.db") as journal:
    print(await journal.counts())
```

Durability. The database is in WAL mode and every write is atomic on its own and committed
before the call returns (the upload's next step starts only then); writes made by concurrent
files while a commit is under way share the next commit, each atomic alone (a group
commit; a write that fails takes no other with it). ``synchronous=NORMAL`` (the default)
makes a commit durable against the death of the process — SIGKILL, a crash, a restart — as
the operating system keeps what was written; only a power loss or kernel crash can take back
the last commits, and then a rerun can at worst re-upload a file whose records were lost (a
second object, or a second announcement of a file whose every record was lost).
``durable=True`` chooses ``synchronous=FULL``: each commit waits for the disk (an ``fsync``),
so nothing committed is lost even then, at the cost of a disk flush per commit.

On asyncio, a job's writes are committed by a process of the journal's own, started by
``open`` (``python -I -S`` running one standard-library module, a few tens of milliseconds):
the event loop sends it each batch of records as plain values and reads back each write's
outcome; the records' JSON text, SQLite and the disk are that process's, and it never holds
this interpreter's lock, so the journal takes little of the event loop's time (see
``put``). Under another async library, from another event loop, or where no interpreter can
be started, each write is a commit of its own in a worker thread. The other calls run in a
worker thread, one at a time (a capacity limiter of their own, so that they never wait behind
the file reads and encryption of [run_blocking][aiospaces.core.threads.run_blocking]). The
event loop never waits on the disk.

While a job runs, the file is locked for it (``flock``, held by the job's process and by its
writer process, and released when both end, even when killed; the writer process ends as
soon as the job's process does, after the batch it is committing): a second job on the same
journal waits up to a second for it, then is refused with
[JournalBusyError][aiospaces.pubnub.journal.JournalBusyError]. Reading it (``aiospaces files
status``) needs no lock.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Self, TypeVar

import anyio
import anyio.to_thread
import attrs
import cattrs

from aiospaces.core.threads import run_blocking
from aiospaces.pubnub._sqlite_commit import Write, commit_batch, transaction
from aiospaces.pubnub._sqlite_file import connect
from aiospaces.pubnub._sqlite_writes import WriterProcess
from aiospaces.pubnub.journal import (
    FINAL_STATES,
    FileRecord,
    FileState,
    JobSettings,
    JournalError,
)

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Sequence
    from types import TracebackType

__all__ = ["JOURNAL_KIND", "SCHEMA_VERSION", "SqliteJournal"]

T = TypeVar("T")

JOURNAL_KIND = "aiospaces-upload-journal"
"""What the ``journal`` table says the file is."""
SCHEMA_VERSION = 1
"""The schema this version writes (a journal of a newer one is refused)."""


class SqliteJournal:
    """A [JobJournal][aiospaces.pubnub.journal.JobJournal] in one SQLite file.

    Make it with [open][aiospaces.pubnub.sqlite_journal.SqliteJournal.open]; close it with
    ``aclose`` or ``async with``.

    Attributes:
        path: The database file.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, lock: int | None) -> None:
        self._connection = connection
        self.path = path
        self._lock_fd = lock
        self._mutex = threading.Lock()
        self._closed = False
        self._limiter: anyio.CapacityLimiter | None = None  # made in the event loop
        self._writer: WriterProcess | None = None  # started by open() on asyncio

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        lock: bool = True,
        durable: bool = False,
    ) -> SqliteJournal:
        """Open (or create) the journal at ``path``.

        Args:
            path: The database file.
            create: Make a new journal when the file is missing (else: JournalError).
            lock: Lock the journal for this process (a job runs with it; a reader does not).
            durable: Wait for the disk at every commit (``synchronous=FULL``), surviving a
                power loss; by default a commit survives the death of the process.

        Raises:
            JournalError: The file is not a journal, is of a newer schema, or is missing
                (``create=False``).
            JournalBusyError: Another process holds the journal's lock.
        """
        journal = await run_blocking(_open, Path(path), create, lock, durable)
        if lock and _USE_WRITER and asyncio._get_running_loop() is not None:  # not under trio
            try:
                journal._writer = await WriterProcess.start(journal.path, durable, journal._lock_fd)
            except OSError:  # no interpreter to start (an embedded Python): commits in a thread
                pass
            except BaseException:
                await journal.aclose()
                raise
        return journal

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<SqliteJournal {str(self.path)!r}>"

    def _locked(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Call ``func`` with the connection, one call at a time, unless closed (blocking)."""
        with self._mutex:
            if self._closed:
                raise JournalError(f"the journal {self.path} is closed")
            return func(self._connection)

    async def _run(self, func: Callable[[sqlite3.Connection], T]) -> T:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(1)
        return await anyio.to_thread.run_sync(self._locked, func, limiter=self._limiter)

    async def bind(self, settings: JobSettings) -> None:
        """Record the job's settings on first use; later, check they are the same.

        Raises:
            JournalMismatchError: The journal holds another job's settings.
        """

        def bind(db: sqlite3.Connection) -> JobSettings | None:
            with transaction(db):
                recorded = _settings(db, self.path)
                if recorded is None:
                    text = json.dumps(settings.to_dict())
                    db.execute("UPDATE journal SET settings = ?", (text,))
                return recorded

        recorded = await self._run(bind)
        if recorded is not None:
            settings.check(recorded, f"the journal {self.path}")

    async def settings(self) -> JobSettings | None:
        """Return the recorded settings (None before the first ``bind``)."""
        return await self._run(lambda db: _settings(db, self.path))

    async def add(self, records: Sequence[FileRecord]) -> int:
        """Insert the records whose key is missing (one transaction); others are untouched.

        Returns:
            How many records were new (inserted).
        """
        rows = [(r.key, r.state.value, r.to_json()) for r in records]

        def add(db: sqlite3.Connection) -> int:
            with transaction(db):
                return db.executemany(
                    "INSERT INTO files (key, state, record) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    rows,
                ).rowcount

        return await self._run(add)

    async def get(self, key: str) -> FileRecord | None:
        """Return the record of ``key``, or None."""

        def get(db: sqlite3.Connection) -> FileRecord | None:
            row = db.execute("SELECT record FROM files WHERE key = ?", (key,)).fetchone()
            return None if row is None else _record(row[0], self.path)

        return await self._run(get)

    async def put(self, record: FileRecord, *, expect: FileState | None = None) -> bool:
        """Write ``record``; with ``expect``, only if the stored state still is that one.

        The write is committed when this returns. On asyncio, a process of the journal's own
        commits the writes (see the module), and writes made while it commits share its next
        commit, each atomic alone: a batch whose statement fails or finds a state not the one
        expected changes nothing and is run again with a savepoint around each write, so a
        write takes no other with it. Elsewhere (or from another event loop) each write is a
        commit of its own, in a worker thread. A write whose caller is cancelled may still be
        committed.

        Raises:
            JournalError: The journal is closed, or the write failed.
        """
        writer = self._writer
        if self._closed:
            raise JournalError(f"the journal {self.path} is closed")
        cause: Exception | None = None
        if writer is not None and asyncio._get_running_loop() is writer.loop:
            written, error = await writer.put(record, expect)
        else:
            write = Write(record.key, record.state.value, record.to_json(), expect)
            await self._run(functools.partial(commit_batch, batch=[write]))
            written, cause = write.written, write.error
            error = None if cause is None else str(cause)
        if error is not None:
            raise JournalError(f"writing the journal {self.path} failed: {error}") from cause
        return written

    async def claim(self, key: str, owner: str, lease: float) -> FileRecord | None:
        """Take ``key`` for ``owner`` for ``lease`` seconds, unless final or held by another."""

        def claim(db: sqlite3.Connection) -> FileRecord | None:
            now = time.time()
            with transaction(db):
                row = db.execute("SELECT record FROM files WHERE key = ?", (key,)).fetchone()
                if row is None:
                    return None
                record = _record(row[0], self.path)
                held = record.owner not in (None, owner) and (record.lease_until or 0) > now
                if record.state in FINAL_STATES or held:
                    return None
                taken = attrs.evolve(record, owner=owner, lease_until=now + lease)
                db.execute("UPDATE files SET record = ? WHERE key = ?", (taken.to_json(), key))
                return taken

        return await self._run(claim)

    async def records(self) -> list[FileRecord]:
        """Return every record, in the order added."""

        def records(db: sqlite3.Connection) -> list[FileRecord]:
            rows = db.execute("SELECT record FROM files ORDER BY seq").fetchall()
            return [_record(text, self.path) for (text,) in rows]

        return await self._run(records)

    async def counts(self) -> dict[FileState, int]:
        """Return how many records are in each state (every state, zeros included)."""

        def counts(db: sqlite3.Connection) -> dict[FileState, int]:
            rows = db.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall()
            found = dict.fromkeys(FileState, 0)
            for state, count in rows:
                found[FileState(state)] = count
            return found

        return await self._run(counts)

    async def aclose(self) -> None:
        """Close the database, then release the lock (again: nothing)."""
        writer, self._writer = self._writer, None
        if writer is not None:  # the writes queued are committed first
            await writer.aclose()

        def close() -> None:
            with self._mutex:
                if self._closed:
                    return
                self._closed = True
                self._connection.close()
                if self._lock_fd is not None:
                    os.close(self._lock_fd)  # after the connection: SQLite's own locks stay

        await run_blocking(close)


def _record(text: str, path: Path) -> FileRecord:
    try:
        return FileRecord.from_json(text)
    except (ValueError, cattrs.BaseValidationError) as exc:
        raise JournalError(f"{path} holds a record that cannot be read: {exc}") from exc


def _settings(db: sqlite3.Connection, path: Path) -> JobSettings | None:
    (text,) = db.execute("SELECT settings FROM journal").fetchone()
    if text is None:
        return None
    try:
        return JobSettings.from_dict(json.loads(text))
    except (ValueError, TypeError, cattrs.BaseValidationError) as exc:
        raise JournalError(f"{path} holds job settings that cannot be read") from exc


_USE_WRITER = sys.platform != "win32"
"""Whether journals opened on asyncio start a writer process (not on Windows: it is handed the
journal's lock and socket by descriptor)."""


def _open(path: Path, create: bool, lock: bool, durable: bool) -> SqliteJournal:
    connection, lock_fd = connect(
        path, create=create, lock=lock, durable=durable, kind=JOURNAL_KIND, version=SCHEMA_VERSION
    )
    return SqliteJournal(connection, path, lock_fd)
