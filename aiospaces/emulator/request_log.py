"""The request log: every request the emulator answers, kept in a bounded ring.

[RequestRecorder][aiospaces.emulator.request_log.RequestRecorder] sits in front of the fault
rules and the vendors' routes. It times each request, counts the bytes that go in and out as
they stream (an upload is never buffered to be logged), notes the fault rule that fired and
how the exchange ended, then appends one
[RequestRecord][aiospaces.emulator.request_log.RequestRecord] to the
[RequestLog][aiospaces.emulator.request_log.RequestLog].

What is recorded, and what is not:

- the method, the path and the query **with secrets masked**: the values of ``auth``,
  ``signature``, ``token``, ``secret``, ``secret_key``, ``password`` and the presigned
  storage URLs' ``X-Amz-Signature``/``X-Amz-Credential``/``X-Amz-Security-Token`` become
  ``***``, and so does a NeuroIO token key in a path (``/v1/tokens/***/``); headers (Mux's
  Basic credentials, Admin's session token) and bodies (passwords, upload forms) are never
  recorded;
- requests to the control API and the dashboard (``/_emulator/...``) are not recorded, so
  the log shows an application's traffic only.

```python
emulator = Emulator(request_log_size=500)
...
[record] = emulator.requests.select(vendor="mux", status=201)
assert record.path == "/video/v1/spaces"
```
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Literal

import anyio
import attrs

from aiospaces.emulator.faults import FIRED_FAULTS, ConnectionDropped

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from aiospaces.emulator.faults import Fault

__all__ = [
    "DEFAULT_LOG_SIZE",
    "SECRET_PARAMS",
    "VENDOR_PREFIXES",
    "Outcome",
    "RequestLog",
    "RequestRecord",
    "RequestRecorder",
    "describe_fault",
    "filters_from_query",
    "redact",
    "vendor_of",
]

DEFAULT_LOG_SIZE = 1000
"""How many requests the log keeps by default (the oldest go first)."""

SECRET_PARAMS = frozenset(
    {
        "auth",
        "signature",
        "token",
        "secret",
        "secret_key",
        "password",
        "stream_key",  # Mux: live streams are listed by their stream key
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
    }
)
"""Query parameters whose values are masked (compared without case)."""

_SECRET_PATH_PARENTS = frozenset({"tokens"})  # NeuroIO: /v1/tokens/{key}/

VENDOR_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/v2/objects/", "pubnub"),
    ("/v1/files/", "pubnub"),
    ("/publish/", "pubnub"),
    ("/signal/", "pubnub"),
    ("/v2/subscribe/", "pubnub"),
    ("/v2/presence/", "pubnub"),
    ("/v3/history", "pubnub"),
    ("/v1/channel-registration/", "pubnub"),
    ("/time/", "pubnub"),
    ("/video/v1/", "mux"),
    ("/v1/", "neuroio"),
    ("/api/", "pubnub_admin"),
    ("/_storage", "storage"),
)
"""``(path prefix, vendor)``: the longest matching prefix names a request's vendor."""

Outcome = Literal["answered", "client_gone", "dropped", "failed"]
"""How an exchange ended: the answer was sent in full; the client went away (or was
cancelled) first; a fault dropped the connection; the app raised."""


_BY_LENGTH = sorted(VENDOR_PREFIXES, key=lambda pair: -len(pair[0]))
_SECRET_VALUE = re.compile(
    r"(?:^|(?<=&))(" + "|".join(re.escape(name) for name in sorted(SECRET_PARAMS)) + r")=[^&]*",
    re.IGNORECASE,
)


def vendor_of(path: str) -> str:
    """Return the vendor a path belongs to (``""`` when none does)."""
    for prefix, name in _BY_LENGTH:
        if path.startswith(prefix):
            return name
    return ""


def redact(path: str, query: str) -> tuple[str, str]:
    """Return the path and the raw query string with their secrets masked as ``***``.

    The query stays as it was sent (percent-encoded) but for the masked values.
    """
    if "/tokens/" in path.lower():
        segments = path.split("/")
        for i in range(1, len(segments)):
            parent = segments[i - 1].lower() in _SECRET_PATH_PARENTS
            if parent and segments[i] and not segments[i].isdigit():
                segments[i] = "***"
        path = "/".join(segments)
    if "=" in query:
        query = _SECRET_VALUE.sub(lambda match: match.group(1) + "=***", query)
    return path, query


def describe_fault(rule: Fault) -> str:
    """Return a one-line account of a fault rule: what it matches and what it does."""
    actions = []
    if rule.lose_answer is not None:
        actions.append(f"lose_answer={rule.lose_answer}")
    if rule.drop:
        actions.append("drop")
    if rule.status is not None:
        actions.append(f"status={rule.status}")
    if rule.delay:
        actions.append(f"delay={rule.delay:g}s")
    return f"{rule.method} {rule.path} → {' '.join(actions) or 'pass'}"


@attrs.frozen
class RequestRecord:
    """One request the emulator answered (or began to).

    Attributes:
        id: Its number in the log, from 1 up (ids keep increasing when old records go).
        time: When it arrived (seconds since the epoch).
        method: The HTTP method.
        path: The path, with secrets masked.
        query: The query string, with secrets masked (``""`` when there is none).
        vendor: ``pubnub``, ``mux``, ``neuroio``, ``pubnub_admin``, ``storage``, or ``""``
            for a path that belongs to no vendor.
        status: The status answered, or None when no answer was started.
        duration: Seconds from arrival to the last byte answered (or to the end).
        fault: The fault rule that fired on it (see
            [describe_fault][aiospaces.emulator.request_log.describe_fault]), or None.
        bytes_in: Bytes of request body received.
        bytes_out: Bytes of response body sent.
        outcome: How the exchange ended (see
            [Outcome][aiospaces.emulator.request_log.Outcome]).
    """

    id: int
    time: float
    method: str
    path: str
    query: str
    vendor: str
    status: int | None
    duration: float
    fault: str | None
    bytes_in: int
    bytes_out: int
    outcome: Outcome

    @property
    def url(self) -> str:
        """The path with its (masked) query, as a browser would show it."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def to_json(self) -> dict[str, Any]:
        """Return the record as ``GET /_emulator/requests`` shows it."""
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestRecord:
        """Rebuild a record from ``GET /_emulator/requests`` (e.g. of a served emulator)."""
        return cls(**{field.name: data[field.name] for field in attrs.fields(cls)})


class RequestLog:
    """The newest requests, oldest first, in a ring of ``size`` records.

    Iterating gives every kept record; [select][aiospaces.emulator.request_log.RequestLog.select]
    filters them. Records are appended from the server's event loop and read from any thread:
    each read takes a copy of the ring.

    Args:
        size: How many records to keep (0 keeps none).
    """

    def __init__(self, size: int = DEFAULT_LOG_SIZE) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"the request log size must be an integer >= 0, not {size!r}")
        self._records: deque[RequestRecord] = deque(maxlen=size)
        self._lock = threading.Lock()  # a served emulator appends in its thread; tests read
        self._ids = itertools.count(1)
        self.last_id = 0
        """The id of the newest record ever appended (0: none yet)."""

    @property
    def size(self) -> int:
        """How many records the log keeps."""
        return self._records.maxlen or 0

    def append(self, **fields: Any) -> RequestRecord:
        """Keep a new record, numbered (dropping the oldest when full), and return it."""
        with self._lock:
            record = RequestRecord(id=next(self._ids), **fields)
            self._records.append(record)
            self.last_id = record.id
        return record

    def clear(self) -> None:
        """Forget every record (ids go on increasing)."""
        with self._lock:
            self._records.clear()

    def _copy(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self._copy())

    def __len__(self) -> int:
        return len(self._records)

    def select(
        self,
        *,
        vendor: str | None = None,
        status: int | str | None = None,
        path: str | None = None,
        method: str | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> list[RequestRecord]:
        """Return the kept records that pass every filter given, oldest first.

        Args:
            vendor: Only this vendor's requests (``""``: those of no vendor).
            status: Only this status (``503``), or this class of them (``"5xx"``).
            path: Only paths matching this shell-style pattern (``/video/v1/spaces*``).
            method: Only this method (any case).
            since: Only records with an id greater than this one.
            limit: At most this many: the newest of those that pass.
        """
        records = self._copy()
        if since is not None:
            records = [r for r in records if r.id > since]
        if vendor is not None:
            records = [r for r in records if r.vendor == vendor]
        if method is not None:
            records = [r for r in records if r.method == method.upper()]
        if status is not None:
            records = [r for r in records if _status_matches(r.status, status)]
        if path is not None:
            records = [r for r in records if fnmatch.fnmatchcase(r.path, path)]
        if limit is not None:
            records = records[-limit:] if limit else []
        return records


def _status_matches(status: int | None, wanted: int | str) -> bool:
    if isinstance(wanted, int):
        return status == wanted
    return status is not None and str(status)[0] == wanted[0] and wanted[1:].lower() == "xx"


_STATUS = re.compile(r"[1-5](?:[0-9]{2}|xx)")
_FILTERS = ("vendor", "status", "path", "method", "since", "limit")


def filters_from_query(params: Mapping[str, str]) -> dict[str, Any]:
    """Return the [select][aiospaces.emulator.request_log.RequestLog.select] filters of a query.

    ``vendor``, ``status`` (``503`` or ``5xx``), ``path`` (a shell-style pattern), ``method``,
    ``since`` (a record id) and ``limit``; an empty value is no filter.

    Raises:
        ValueError: An unknown parameter, or a value of the wrong shape (the message says which).
    """
    unknown = sorted(set(params) - set(_FILTERS))
    if unknown:
        raise ValueError(f"unknown filters: {unknown}; known: {', '.join(_FILTERS)}")
    filters: dict[str, Any] = {}
    for name in _FILTERS:
        value = params.get(name, "")
        if not value:
            continue
        if len(value) > 2048:
            raise ValueError(f"{name} must be at most 2048 characters")
        if name == "status":
            if not _STATUS.fullmatch(value.lower()):
                raise ValueError("status must be a status (503) or a class of them (5xx)")
            filters[name] = value.lower() if value.lower().endswith("xx") else int(value)
        elif name in ("since", "limit"):
            if not (value.isascii() and value.isdigit()) or len(value) > 18:
                raise ValueError(f"{name} must be a whole number")
            filters[name] = int(value)
        else:
            filters[name] = value
    return filters


class RequestRecorder:
    """ASGI middleware recording each HTTP request outside ``/_emulator`` in a log.

    Args:
        app: The app behind it (the fault rules, then the vendors).
        log: Where the records go.
    """

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its bytes, and record it when it ends."""
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        started = time.time()
        clock = time.perf_counter()
        counts = {"in": 0, "out": 0}
        state: dict[str, Any] = {"status": None, "complete": False, "gone": False}

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                counts["in"] += len(message.get("body", b""))
            elif message["type"] == "http.disconnect" and not state["complete"]:
                state["gone"] = True
            return message

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                counts["out"] += len(message.get("body", b""))
                if not message.get("more_body", False):
                    state["complete"] = True
            await send(message)

        outcome: Outcome = "answered"
        try:
            await self.app(scope, counted_receive, counted_send)
        except ConnectionDropped:
            outcome = "dropped"
            raise
        except anyio.get_cancelled_exc_class():
            outcome = "client_gone"
            raise
        except Exception:
            outcome = "failed"
            state["status"] = state["status"] or 500  # what the server answers in its stead
            raise
        finally:
            if outcome == "answered" and (state["gone"] or not state["complete"]):
                outcome = "client_gone"
            path, query = redact(scope["path"], scope.get("query_string", b"").decode("latin-1"))
            fired: list[Fault] = scope.get(FIRED_FAULTS, [])
            self.log.append(
                time=started,
                method=scope["method"],
                path=path,
                query=query,
                vendor=vendor_of(scope["path"]),
                status=state["status"],
                duration=time.perf_counter() - clock,
                fault="; ".join(describe_fault(rule) for rule in fired) or None,
                bytes_in=counts["in"],
                bytes_out=counts["out"],
                outcome=outcome,
            )
