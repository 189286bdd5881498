"""Opening a SqliteJournal's file: its lock, settings (WAL, synchronous, page cache), schema."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from typing import TYPE_CHECKING

from aiospaces.pubnub._sqlite_commit import transaction
from aiospaces.pubnub.journal import JournalBusyError, JournalError

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["connect"]

LOCK_WAIT = 1.0
"""Seconds a journal held by another process is waited for before JournalBusyError: the writer
process of a job that just died holds the lock until it has committed its last batch."""

_CACHE_KIB = 512  # database pages a journal's connection keeps in memory (KiB)

_SCHEMA = """
CREATE TABLE journal (
    kind TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    created REAL NOT NULL,
    settings TEXT
);
CREATE TABLE files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX files_state ON files (state);
"""


def connect(
    path: Path, *, create: bool, lock: bool, durable: bool, kind: str, version: int
) -> tuple[sqlite3.Connection, int | None]:
    """Open the journal at ``path`` (blocking); return its connection and lock's descriptor.

    ``kind`` is what the ``journal`` table says the file is, ``version`` the schema written
    (a journal of a newer one is refused).

    Raises:
        JournalError: The file is not a journal, is of a newer schema, or is missing
            (``create=False``).
        JournalBusyError: Another process holds the journal's lock.
    """
    exists = path.exists()
    if not exists and not create:
        raise JournalError(f"there is no journal at {path}")
    if exists and not path.is_file():
        raise JournalError(f"{path} is not a file")
    lock_fd = _lock(path) if lock else None
    try:
        connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        try:
            _prepare(connection, path, durable, kind, version)
        except BaseException:
            connection.close()
            raise
    except BaseException:
        if lock_fd is not None:
            os.close(lock_fd)
        raise
    return connection, lock_fd


def _lock(path: Path) -> int | None:
    """Take the journal's lock for this process (created 0600: it holds upload forms)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if sys.platform == "win32":  # pragma: no cover - no flock: one job at a time is up to you
        return fd
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() < deadline:  # a job's writer process may be ending
                time.sleep(0.01)
                continue
            os.close(fd)
            raise JournalBusyError(
                f"another process is running a job with the journal {path}"
            ) from None
        return fd


def _prepare(db: sqlite3.Connection, path: Path, durable: bool, kind: str, version: int) -> None:
    """Check the file is a journal of a schema this version reads (or make one of an empty file)."""
    not_journal = f"{path} is not an aiospaces upload journal"
    try:
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if tables and "journal" not in tables:
            raise JournalError(not_journal)  # someone else's database: left untouched
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        # A job touches the rows of the files in flight: SQLite's default of about 2 MiB of
        # cached pages per connection is memory a bulk job does not need.
        db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        if not tables:
            with transaction(db):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO journal (kind, schema_version, created) VALUES (?, ?, ?)",
                    (kind, version, time.time()),
                )
            return
        row = db.execute("SELECT kind, schema_version FROM journal").fetchone()
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"{not_journal} ({exc})") from exc
    if row is None or row[0] != kind:
        raise JournalError(not_journal)
    if not isinstance(row[1], int) or row[1] > version:
        raise JournalError(
            f"{path} is a journal of schema {row[1]}; this version of aiospaces reads "
            f"schema {version}: upgrade aiospaces to resume it"
        )
