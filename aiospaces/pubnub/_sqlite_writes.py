"""The writes of a SqliteJournal: one ``put`` waiting for its commit, and a batch's commit."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterator

    import anyio

    from aiospaces.pubnub.journal import FileState

__all__ = ["Write", "commit", "next_waiting", "transaction"]


@attrs.define
class Write:
    """One ``put`` waiting for its commit."""

    key: str
    state: str
    text: str
    expect: FileState | None
    done: anyio.Event
    written: bool = False
    error: Exception | None = None
    waiting: bool = True  # its caller waits for it (not cancelled)
    lead: bool = False  # its caller's turn to commit the queued writes


def next_waiting(queue: list[Write]) -> Write | None:
    """Return the first queued write whose caller still waits, or None."""
    return next((write for write in queue if write.waiting), None)


def commit(db: sqlite3.Connection, batch: list[Write]) -> None:
    """Run the writes in one transaction, each atomic alone; set each one's outcome.

    The common case (every write expects a state, one write per key: a running job's) is
    one ``executemany``, a single call instead of a Python-level statement per write (the
    event loop waits on the GIL whenever this thread holds it). If a write then changes
    nothing or one raises, the transaction is rolled back and the batch run again a write
    at a time, each in a savepoint of its own, which tells each write's outcome and lets a
    failing one take no other with it.
    """
    rows = [(w.state, w.text, w.key, w.expect.value) for w in batch if w.expect is not None]
    if len(rows) == len(batch) == len({write.key for write in batch}):
        try:
            with transaction(db):
                if db.executemany(_UPDATE, rows).rowcount != len(rows):
                    raise _NotAll
        except (sqlite3.Error, _NotAll):
            pass
        else:
            for write in batch:
                write.written = True
            return
    with transaction(db):
        for write in batch:
            db.execute("SAVEPOINT one_write")
            try:
                write.written = _write(db, write)
            except sqlite3.Error as exc:
                db.execute("ROLLBACK TO one_write")
                write.error = exc
            db.execute("RELEASE one_write")


class _NotAll(Exception):
    """A write of the batch changed no record (its state was not the one expected)."""


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
