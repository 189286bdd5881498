"""A SqliteJournal's writes: one ``put``'s write, a batch's commit, the group-commit thread."""

from __future__ import annotations

import contextlib
import functools
import queue
import sqlite3
import threading
import time
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Iterator

    from aiospaces.pubnub.journal import FileState

__all__ = [
    "GROUP_WINDOW",
    "IDLE_SECONDS",
    "UPDATE_FROM",
    "UPDATE_ROWS",
    "GroupCommits",
    "Write",
    "commit",
    "transaction",
]

UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)
"""Whether this SQLite has ``UPDATE ... FROM`` (a batch's writes in one statement)."""

UPDATE_ROWS = 200
"""Writes per ``UPDATE ... FROM`` statement (four parameters each, and one; SQLite before
3.32 allowed 999 parameters per statement)."""

GROUP_WINDOW = 0.002
"""Seconds a [GroupCommits][aiospaces.pubnub._sqlite_writes.GroupCommits] thread woken by a
write waits before it commits, so that other files' writes share the commit. In a bulk job
(1,000 files, 32 at a time) it cut the commits from 1.75 to 1.1 per file."""

IDLE_SECONDS = 1.0
"""How long a [GroupCommits][aiospaces.pubnub._sqlite_writes.GroupCommits] thread waits for
more writes before it ends (the next write starts another)."""


@attrs.define
class Write:
    """One ``put`` waiting for its commit (``done``: its caller's future)."""

    key: str
    state: str
    text: str
    expect: FileState | None
    done: asyncio.Future[None] | None = None
    written: bool = False
    error: Exception | None = None


class GroupCommits:
    """Commits ``put``'s writes in a thread of its own, many files' writes per commit.

    A write is queued and its caller waits on its future. The thread takes every write
    queued since its last commit, commits them as one batch (``run_batch``: each write
    atomic alone) and resolves their futures on their event loop in one callback; writes
    queued while it commits make the next batch. When a write starts or wakes it, it first
    waits ``GROUP_WINDOW`` for others. So a busy job costs one commit and one wake-up of the event
    loop per batch, not per write, and the thread is woken only when it is waiting. It ends
    after ``IDLE_SECONDS`` without work; the next write starts another. A write whose caller
    was cancelled is committed all the same.
    """

    def __init__(self, run_batch: Callable[[list[Write]], None]) -> None:
        self._run_batch = run_batch
        self._lock = threading.Lock()  # the fields below; taken by the loop and the thread
        self._pending: list[Write] = []
        self._wake: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None  # alive, or about to be
        self._waiting = False  # the thread waits on _wake
        self._stopping = False

    def submit(self, write: Write, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        """Queue ``write``; return the future its commit resolves (on ``loop``)."""
        future: asyncio.Future[None] = loop.create_future()
        write.done = future
        with self._lock:
            self._pending.append(write)
            start = self._thread is None
            if start:
                self._thread = threading.Thread(
                    target=self._work, name="aiospaces-journal-commits", daemon=True
                )
                thread = self._thread
            wake = self._waiting
            self._waiting = False
        if start:
            thread.start()
        elif wake:
            self._wake.put(None)
        return future

    def stop(self) -> None:
        """Commit what is queued, end the thread and wait for it (blocking)."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake.put(None)
        if thread is not None:
            thread.join()

    def _work(self) -> None:
        time.sleep(GROUP_WINDOW)  # started by a write: let the writes of other files join it
        while True:
            with self._lock:
                batch, self._pending = self._pending, []
                if not batch:
                    if self._stopping:
                        self._thread = None
                        return
                    self._waiting = True
            if batch:
                self._commit(batch)
                continue
            try:
                self._wake.get(timeout=IDLE_SECONDS)
                time.sleep(GROUP_WINDOW)  # woken by a write: likewise
            except queue.Empty:
                with self._lock:
                    if not self._pending:  # nothing came while it timed out: end
                        self._thread = None
                        self._waiting = False
                        return

    def _commit(self, batch: list[Write]) -> None:
        try:
            self._run_batch(batch)
        except Exception as exc:  # the commit failed: none of them was written
            for write in batch:
                write.error = exc
        by_loop: dict[asyncio.AbstractEventLoop, list[Write]] = {}
        for write in batch:
            if write.done is not None:  # submit sets it
                by_loop.setdefault(write.done.get_loop(), []).append(write)
        for loop, writes in by_loop.items():
            with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits
                loop.call_soon_threadsafe(_resolve, writes)


def _resolve(batch: list[Write]) -> None:
    for write in batch:
        if write.done is not None and not write.done.done():  # not cancelled meanwhile
            write.done.set_result(None)


def commit(db: sqlite3.Connection, batch: list[Write]) -> None:
    """Run the writes, each atomic alone; set each one's outcome.

    The common case (every write expects a state, one write per key: a running job's) is
    one ``UPDATE ... FROM (VALUES ...)`` statement per ``UPDATE_ROWS`` writes, a transaction
    of its own (SQLite 3.33 and later), which changes every record or, if a state is not the
    one expected, none. That is one call into SQLite, after which this thread takes the GIL
    back once or twice, where a transaction of a statement per write takes it back twice per
    statement; the event loop waits whenever this thread holds the GIL. Otherwise (other
    writes, a state not the one expected, a statement that failed) the writes run in one
    transaction, each in a savepoint of its own, which tells each write's outcome and lets a
    failing one take no other with it.
    """
    if UPDATE_FROM and len({write.key for write in batch}) == len(batch):
        expected = [(write, write.expect) for write in batch if write.expect is not None]
        if len(expected) == len(batch):
            for start in range(0, len(expected), UPDATE_ROWS):
                chunk = expected[start : start + UPDATE_ROWS]
                try:
                    done = _update_from(db, chunk)
                except sqlite3.Error:  # the statement changed nothing
                    done = False
                if not done:  # one by one: which write changes nothing, or fails
                    _one_by_one(db, [write for write, _ in chunk])
            return
    _one_by_one(db, batch)


def _update_from(db: sqlite3.Connection, chunk: list[tuple[Write, FileState]]) -> bool:
    """Run the writes as one statement if every expected state holds; return whether it did.

    The statement changes every record or none (its own check counts the records in their
    expected state); ``total_changes`` tells which, as ``rowcount`` is not kept for a
    statement that starts with ``WITH``.
    """
    values = [v for write, expect in chunk for v in (write.state, write.text, write.key, expect)]
    before = db.total_changes
    db.execute(_update_sql(len(chunk)), [*values, len(chunk)])
    if db.total_changes - before != len(chunk):
        return False
    for write, _ in chunk:
        write.written = True
    return True


@functools.lru_cache(maxsize=64)
def _update_sql(rows: int) -> str:
    values = ",".join(["(?,?,?,?)"] * rows)  # only placeholders go into the text
    return _UPDATE_FROM.format(values=values)


def _one_by_one(db: sqlite3.Connection, batch: list[Write]) -> None:
    """Run the writes in one transaction, each in a savepoint of its own."""
    with transaction(db):
        for write in batch:
            db.execute("SAVEPOINT one_write")
            try:
                write.written = _write(db, write)
            except sqlite3.Error as exc:
                db.execute("ROLLBACK TO one_write")
                write.error = exc
            db.execute("RELEASE one_write")


def _write(db: sqlite3.Connection, write: Write) -> bool:
    """Run one write; return whether it changed its record."""
    if write.expect is None:
        cursor = db.execute(_UPSERT, (write.key, write.state, write.text))
    else:
        cursor = db.execute(_UPDATE, (write.state, write.text, write.key, write.expect.value))
    return cursor.rowcount == 1


_UPSERT = (
    "INSERT INTO files (key, state, record) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET state = excluded.state, record = excluded.record"
)
_UPDATE = "UPDATE files SET state = ?, record = ? WHERE key = ? AND state = ?"
_UPDATE_FROM = (
    "WITH v (state, record, key, expect) AS (VALUES {values}) "
    "UPDATE files SET state = v.state, record = v.record FROM v "
    "WHERE files.key = v.key AND files.state = v.expect "
    "AND (SELECT COUNT(*) FROM v JOIN files AS f ON f.key = v.key AND f.state = v.expect) = ?"
)


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """Run the block in one ``BEGIN IMMEDIATE`` transaction: committed, or rolled back."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
