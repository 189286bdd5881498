"""The emulator's state file: every vendor's state in SQLite, committed before each answer.

```python
emulator = Emulator(state_path=Path("emulator.db"))   # loads what the file holds, if anything
```

What is kept: each *part* (a vendor, and the object store) names the attributes that hold
its state (see [Persistent][aiospaces.emulator.state_file.Persistent]): ``persistent`` ones
are pickled together as one row, ``persistent_by_key`` dicts one row per entry (files,
PubNub messages: what grows with use). After every request that may change state (any
method but ``GET``, ``HEAD`` and ``OPTIONS``, and the ``GET`` paths a vendor lists in
``writing_reads``) [DurableState][aiospaces.emulator.state_file.DurableState] writes the
rows that changed in one SQLite transaction, from a worker thread, *before* the answer's
first byte is sent: an answered write is on disk, and a crash before the commit leaves the
previous state (SQLite's journal undoes a half-done commit). Commits are grouped: requests
answering while a commit runs are covered by the next one.

The file is checked before anything is read from it: a file that is not SQLite, another
program's SQLite file (``application_id``) or another state format (``user_version``) is
refused with [StateFileError][aiospaces.emulator.state_file.StateFileError], and so is a
file another emulator has open (the connection holds an exclusive lock). Unpickling accepts
only the emulator's own classes and a few standard types (never a callable of the standard
library), so a state file cannot run code.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import itertools
import json
import pickle
import re
import sqlite3
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import anyio
import attrs

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping
    from pathlib import Path

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "APPLICATION_ID",
    "READ_ONLY_METHODS",
    "STATE_FORMAT",
    "DurableState",
    "Persistent",
    "Row",
    "StateFile",
    "StateFileError",
    "dump_part",
    "load_part",
]

STATE_FORMAT = 1
"""The state file's format (SQLite ``user_version``); a file of another format is refused."""
APPLICATION_ID = 0x41535045  # "ASPE"
"""SQLite ``application_id`` of an emulator state file."""
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Requests of these methods are not followed by a commit (they change nothing that matters)."""

_SCHEMA = (
    "CREATE TABLE state (part TEXT NOT NULL, attr TEXT NOT NULL, key TEXT NOT NULL, "
    "data BLOB NOT NULL, PRIMARY KEY (part, attr, key))"
)
_COUNT = re.compile(r"count\((-?\d+)\)")
_SAFE_BUILTINS = frozenset({"set", "frozenset", "dict", "list", "tuple", "bytes", "bytearray"})
_SAFE = {
    "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
    "pathlib": frozenset({"Path", "PosixPath", "WindowsPath", "PurePosixPath"}),
    "itertools": frozenset({"count"}),
    "builtins": _SAFE_BUILTINS,
}


class StateFileError(Exception):
    """The state file cannot be used: not one, another format, in use, or unreadable."""


class Persistent(Protocol):
    """What a part of the state names: the attributes (dotted paths) holding its state.

    A vendor emulation (or the object store) sets ``persistent``, pickled as one row. It may
    set ``persistent_by_key`` too: attributes holding a dict (keys: text, integers, or tuples
    of them) whose values are replaced, never changed in place. Each entry is a
    row of its own, written only when its value is another object than the one stored: a
    commit after an upload writes the new file's row, not every file's. It may define
    ``restored()``, called after its attributes were loaded.
    """

    persistent: ClassVar[tuple[str, ...]]


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, itertools.count):  # its pickle support goes away in Python 3.14
            match = _COUNT.fullmatch(repr(obj))
            if match is None:  # pragma: no cover - counters here are count(n)
                raise pickle.PicklingError(f"cannot store {obj!r}")
            return itertools.count, (int(match.group(1)),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = module.startswith("aiospaces.emulator.") or name in _SAFE.get(module, ())
        if not allowed:
            raise pickle.UnpicklingError(f"the state file names {module}.{name}")
        return super().find_class(module, name)


def _get(owner: object, path: str) -> Any:
    for name in path.split("."):
        owner = getattr(owner, name)
    return owner


def _set(owner: object, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for name in parents:
        owner = getattr(owner, name)
    setattr(owner, last, value)


def _pickle(value: object) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _unpickle(data: bytes) -> Any:
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except Exception as exc:  # a corrupt pickle raises about anything
        raise StateFileError(f"unreadable state ({type(exc).__name__}: {exc})") from exc


def dump_part(owner: Persistent) -> bytes:
    """Return the pickled state of ``owner`` (its ``persistent`` attributes)."""
    return _pickle({path: _get(owner, path) for path in owner.persistent})


def load_part(owner: Persistent, data: bytes) -> None:
    """Set ``owner``'s ``persistent`` attributes from ``data`` (see ``dump_part``).

    Raises:
        StateFileError: ``data`` is not a state of this emulator's format.
    """
    values = _unpickle(data)
    if not isinstance(values, dict) or set(values) != set(owner.persistent):
        raise StateFileError("the stored state does not match this emulator's")
    for path, value in values.items():
        _set(owner, path, value)
    restored = getattr(owner, "restored", None)
    if restored is not None:
        try:
            restored()
        except Exception as exc:  # a state that does not hold together
            raise StateFileError(f"cannot restore ({type(exc).__name__}: {exc})") from exc


Row = tuple[str, str, str, bytes]
"""A stored row: part, attribute (``""``: the part's plain attributes), key, pickled data."""


class StateFile:
    """An emulator state file (SQLite): rows of pickled state, written in one transaction.

    Each part has one row for its plain attributes (``attr`` and ``key`` empty) and one row
    per entry of each attribute it keeps by key.

    Args:
        path: The file; created (with its schema) if missing.

    Raises:
        StateFileError: The file is not an emulator state file of this format, or is in use.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writing = threading.Lock()
        try:
            self._db = sqlite3.connect(
                path, timeout=0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot open state file {path}: {exc}") from exc
        try:
            self._prepare()
        except sqlite3.OperationalError as exc:
            self._db.close()
            reason = "in use by another emulator" if "locked" in str(exc) else str(exc)
            raise StateFileError(f"cannot use state file {path}: {reason}") from exc
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StateFileError(f"{path} is not an emulator state file ({exc})") from exc
        except StateFileError:
            self._db.close()
            raise

    def _prepare(self) -> None:
        db = self._db
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the answer goes
        db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now: one emulator per file
        try:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id == 0 and tables == 0:  # a new file
                db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                db.execute(f"PRAGMA user_version={STATE_FORMAT}")
                db.execute(_SCHEMA)
            elif app_id != APPLICATION_ID:
                raise StateFileError(f"{self.path} is not an emulator state file")
            elif version != STATE_FORMAT:
                raise StateFileError(
                    f"{self.path} has state format {version}; this emulator reads format "
                    f"{STATE_FORMAT} (start with a new --state file)"
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def read(self) -> list[Row]:
        """Return every stored row, in the order they were first written."""
        return self._db.execute("SELECT part, attr, key, data FROM state ORDER BY rowid").fetchall()

    def write(self, rows: Iterable[Row], deleted: Iterable[tuple[str, str, str]] = ()) -> None:
        """Store ``rows`` and delete the ``deleted`` ones in one transaction (blocking).

        Safe from any thread: transactions are taken one at a time, in call order.
        """
        db = self._db
        with self._writing:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO state (part, attr, key, data) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (part, attr, key) DO UPDATE SET data = excluded.data",
                    rows,
                )
                db.executemany("DELETE FROM state WHERE part = ? AND attr = ? AND key = ?", deleted)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the file (and release its lock)."""
        self._db.close()


@attrs.define
class _Changes:
    rows: list[Row] = attrs.field(factory=list)
    deleted: list[tuple[str, str, object]] = attrs.field(factory=list)
    kept: list[tuple[str, str, object, object]] = attrs.field(factory=list)  # what rows hold now

    def deleted_rows(self) -> list[tuple[str, str, str]]:
        return [(part, attr, _encode_key(key)) for part, attr, key in self.deleted]

    def __bool__(self) -> bool:
        return bool(self.rows or self.deleted)


class DurableState:
    """ASGI middleware committing the state parts before each state-changing answer is sent.

    Args:
        app: The application that changes the state.
        file: The state file.
        parts: The parts by name: each object names its ``persistent`` attributes.
        writing_reads: Path patterns (shell style) of ``GET`` requests that change state
            (PubNub publishes with ``GET``); other ``GET``, ``HEAD`` and ``OPTIONS``
            requests are not followed by a commit.
        owners: The parts a request to a path may change (None: any); a commit looks for
            changes in those only (the parts of every request it covers).

    Raises:
        StateFileError: The file holds a part that cannot be read.
    """

    def __init__(
        self,
        app: ASGIApp,
        file: StateFile,
        parts: Mapping[str, Persistent],
        writing_reads: Iterable[str] = (),
        owners: Callable[[str], Collection[str] | None] = lambda path: None,
    ) -> None:
        self.app = app
        self.file = file
        self.parts = dict(parts)
        self.writing_reads = tuple(writing_reads)
        self.owners = owners
        self._dirty: set[str] = set()  # parts the requests waiting for a commit may have changed
        self._plain: dict[str, bytes] = {}  # part -> the plain attributes' stored pickle
        self._entries: dict[tuple[str, str], dict[object, object]] = {}  # stored values by key
        self._lock = anyio.Lock()
        self._asked = 0  # requests that answered and want a commit
        self._covered = 0  # requests whose changes the last commit holds
        self._load(file.read())
        self.commit_now()

    def _load(self, rows: list[Row]) -> None:
        plain: dict[str, bytes] = {}
        keyed: dict[tuple[str, str], dict[str, bytes]] = {}
        for part, attr, key, data in rows:
            if part not in self.parts or (attr and attr not in _keyed(self.parts[part])):
                raise StateFileError(f"{self.file.path} holds an unknown part {part!r}.{attr!r}")
            if attr:
                keyed.setdefault((part, attr), {})[key] = data
            else:
                plain[part] = data
        for name, owner in self.parts.items():
            try:
                for attr in _keyed(owner):  # first: restored() may need them
                    stored = keyed.get((name, attr), {})
                    values = {_decode_key(key): _unpickle(data) for key, data in stored.items()}
                    setattr(owner, attr, values)
                if name in plain:
                    load_part(owner, plain[name])
                    self._plain[name] = plain[name]
            except StateFileError as exc:
                raise StateFileError(f"{self.file.path}: part {name!r}: {exc}") from exc
            for attr in _keyed(owner):  # as the owner shows them: the keys to compare with
                self._entries[name, attr] = dict(getattr(owner, attr))

    def _changes(self, names: Collection[str] | None = None) -> _Changes:
        changes = _Changes()
        for name, owner in self.parts.items():
            if names is not None and name not in names:
                continue
            data = dump_part(owner)
            if self._plain.get(name) != data:
                changes.rows.append((name, "", "", data))
                changes.kept.append((name, "", "", data))
            for attr in _keyed(owner):
                stored = self._entries.get((name, attr), {})
                current: dict[object, object] = getattr(owner, attr)
                for key, value in current.items():
                    if stored.get(key) is not value:  # values are replaced, never changed
                        changes.rows.append((name, attr, _encode_key(key), _pickle(value)))
                        changes.kept.append((name, attr, key, value))
                for key in stored.keys() - current.keys():
                    changes.deleted.append((name, attr, key))
        return changes

    def _settle(self, changes: _Changes) -> None:
        for name, attr, key, value in changes.kept:
            if attr:
                self._entries.setdefault((name, attr), {})[key] = value
            else:
                self._plain[name] = value  # type: ignore[assignment]
        for name, attr, key in changes.deleted:
            self._entries[name, attr].pop(key, None)

    def commit_now(self) -> None:
        """Write every change at once, blocking (start-up, reset, close)."""
        changes = self._changes()
        if changes:
            self.file.write(changes.rows, changes.deleted_rows())
            self._settle(changes)

    async def commit(self, names: Collection[str] | None = None) -> None:
        """Write the changes from a worker thread, grouped with concurrent callers.

        Args:
            names: The parts the caller may have changed (None: any).
        """
        self._asked += 1
        ticket = self._asked
        self._dirty.update(self.parts if names is None else names)
        async with self._lock:
            if self._covered >= ticket:  # a commit that started after our changes holds them
                return
            covered, dirty, self._dirty = self._asked, self._dirty, set()
            changes = self._changes(dirty)  # taken on the event loop: a consistent view
            if changes:
                rows, deleted = changes.rows, changes.deleted_rows()
                await anyio.to_thread.run_sync(self.file.write, rows, deleted)
                self._settle(changes)
            self._covered = covered

    def _writes(self, scope: Scope) -> bool:
        if scope["method"] not in READ_ONLY_METHODS:
            return True
        path: str = scope["path"]
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.writing_reads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; commit before the first message of a state-changing answer."""
        if scope["type"] != "http" or not self._writes(scope):
            await self.app(scope, receive, send)
            return
        committed = False
        names = self.owners(scope["path"])

        async def send_after_commit(message: Message) -> None:
            nonlocal committed
            if not committed:
                committed = True
                await self.commit(names)
            await send(message)

        try:
            await self.app(scope, receive, send_after_commit)
        finally:
            if not committed:  # the app failed before answering: keep what it changed anyway
                with contextlib.suppress(Exception):
                    await self.commit(names)


def _encode_key(key: object) -> str:
    return json.dumps(key)


def _decode_key(text: str) -> Any:
    try:
        key = json.loads(text)
    except ValueError as exc:
        raise StateFileError(f"unreadable key {text!r}") from exc
    return tuple(key) if isinstance(key, list) else key


def _keyed(owner: object) -> tuple[str, ...]:
    keyed: tuple[str, ...] = getattr(owner, "persistent_by_key", ())
    return keyed
