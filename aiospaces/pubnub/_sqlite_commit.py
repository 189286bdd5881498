"""A SqliteJournal's commits, and the writer process that makes them (standard library only).

A job's writes are committed by a process of their own, which runs this file by its path
(``python -I -S _sqlite_commit.py DATABASE SOCKET_FD DURABLE ROWS``; ``ROWS`` is
``UPDATE_ROWS`` as the job's process has it, 0 for no ``UPDATE ... FROM``). It imports nothing
but the standard library, so it starts in a few tens of milliseconds, and it never holds the
job's interpreter lock. It reads batches of writes from the socket, commits each batch
([commit][aiospaces.pubnub._sqlite_commit.commit]: every write atomic alone), and answers each
batch with each write's outcome, in order. It ends when the socket reaches its end (the job
closed it, or the job's process died), after the batch it is committing.

A frame, either way, is a 4-byte little-endian length and a [marshal][] body (the two ends are
the same Python): a batch is a list of ``(key, state, fields, expect)`` (``fields``: the
record as [record_json][aiospaces.pubnub._sqlite_commit.record_json] takes it), an answer a
list of ``(written, error text or None)``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import marshal
import signal
import socket
import sqlite3
import struct
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["UPDATE_FROM", "UPDATE_ROWS", "Write", "commit", "record_json", "transaction"]

UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)
"""Whether this SQLite has ``UPDATE ... FROM`` (a batch's writes in one statement)."""

UPDATE_ROWS = 200
"""Writes per ``UPDATE ... FROM`` statement (four parameters each, and one; SQLite before
3.32 allowed 999 parameters per statement)."""

HEADER = struct.Struct("<I")
"""A frame's length."""

RECORD_FIELDS = (
    "key", "name", "size", "state", "reservation", "abandoned", "timetoken", "step", "error",
    "attempts", "started", "updated", "owner", "lease_until",
)  # fmt: skip
"""A FileRecord's fields, in the order its JSON text and ``fields()`` give them."""
FORM_FIELDS = ("file_id", "file_name", "url", "fields", "expires", "created")
"""A Reservation's fields, likewise."""

_COMPACT = json.JSONEncoder(separators=(",", ":"), check_circular=False)  # records hold no cycles


def record_json(fields: tuple[Any, ...]) -> str:
    """Return a record's compact JSON text from its fields (``RECORD_FIELDS``' order).

    The reservation is None or its own fields (``FORM_FIELDS``' order); tuples are arrays.
    """
    data = dict(zip(RECORD_FIELDS, fields, strict=True))
    form = data["reservation"]
    if form is not None:
        data["reservation"] = dict(zip(FORM_FIELDS, form, strict=True))
    return _COMPACT.encode(data)


class Write:
    """One write of a record: its key, new state and text, the state it expects; outcome."""

    __slots__ = ("error", "expect", "key", "state", "text", "written")

    def __init__(self, key: str, state: str, text: str, expect: str | None) -> None:
        self.key = key
        self.state = state
        self.text = text
        self.expect = expect
        self.written = False
        self.error: Exception | None = None


def commit(db: sqlite3.Connection, batch: list[Write]) -> None:
    """Run the writes, each atomic alone; set each one's outcome.

    The common case (every write expects a state, one write per key: a running job's) is
    one ``UPDATE ... FROM (VALUES ...)`` statement per ``UPDATE_ROWS`` writes, a transaction
    of its own (SQLite 3.33 and later), which changes every record or, if a state is not the
    one expected, none. Otherwise (other writes, a state not the one expected, a statement
    that failed) the writes run in one transaction, each in a savepoint of its own, which
    tells each write's outcome and lets a failing one take no other with it.
    """
    one_each = len({write.key for write in batch}) == len(batch)
    if UPDATE_FROM and one_each and all(write.expect is not None for write in batch):
        for start in range(0, len(batch), UPDATE_ROWS):
            chunk = batch[start : start + UPDATE_ROWS]
            try:
                done = _update_from(db, chunk)
            except sqlite3.Error:  # the statement changed nothing
                done = False
            if not done:  # one by one: which write changes nothing, or fails
                _one_by_one(db, chunk)
        return
    _one_by_one(db, batch)


def _update_from(db: sqlite3.Connection, chunk: list[Write]) -> bool:
    """Run the writes as one statement if every expected state holds; return whether it did.

    The statement changes every record or none (its own check counts the records in their
    expected state); ``total_changes`` tells which, as ``rowcount`` is not kept for a
    statement that starts with ``WITH``.
    """
    values = [v for write in chunk for v in (write.state, write.text, write.key, write.expect)]
    before = db.total_changes
    db.execute(_update_sql(len(chunk)), [*values, len(chunk)])
    if db.total_changes - before != len(chunk):
        return False
    for write in chunk:
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
        cursor = db.execute(_UPDATE, (write.state, write.text, write.key, write.expect))
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


def commit_batch(db: sqlite3.Connection, batch: list[Write]) -> None:
    """[commit][aiospaces.pubnub._sqlite_commit.commit], a failure set as each write's error."""
    try:
        commit(db, batch)
    except Exception as exc:  # the commit failed: none of them was written
        for write in batch:
            write.written = False
            write.error = exc


def serve(path: str, sock: socket.socket, durable: bool) -> None:
    """Commit the batches read from ``sock`` and answer each, until its end (blocking)."""
    db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    try:
        db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        with sock.makefile("rb") as stream:
            while len(head := stream.read(HEADER.size)) == HEADER.size:
                body = stream.read(HEADER.unpack(head)[0])
                batch = [
                    Write(key, state, record_json(fields), expect)
                    for key, state, fields, expect in marshal.loads(body)  # noqa: S302 - our own process
                ]
                commit_batch(db, batch)
                answer = marshal.dumps(
                    [(w.written, None if w.error is None else str(w.error)) for w in batch]
                )
                sock.sendall(HEADER.pack(len(answer)) + answer)
    finally:
        db.close()


def main(argv: list[str]) -> int:
    """Run the writer process (``DATABASE SOCKET_FD DURABLE ROWS``); return its exit code."""
    global UPDATE_FROM, UPDATE_ROWS  # the process's settings, as the job has them
    path, fd, durable, rows = argv
    UPDATE_FROM = UPDATE_FROM and rows != "0"
    UPDATE_ROWS = int(rows) or UPDATE_ROWS
    with socket.socket(fileno=int(fd)) as sock:
        try:
            serve(path, sock, durable == "1")
        except (BrokenPipeError, ConnectionResetError):  # the job's process died
            return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - run in the writer process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the job's: it closes the socket
    sys.exit(main(sys.argv[1:]))
