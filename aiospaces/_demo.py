"""The `make demo` workload until the vendor emulator lands: the core against a loopback server.

It starts a small "notes" HTTP service on a free 127.0.0.1 port (uvicorn, real sockets) that
fails every fifth request with a 503, then drives it through a client built on the core:
concurrent creates with retries, a cursor-paginated listing, typed errors and validation,
all over one shared connection pool. Any broken promise exits non-zero.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from aiospaces.core.builder import Builder, RequestSpec, require
from aiospaces.core.client import BaseClient
from aiospaces.core.convert import make_converter
from aiospaces.core.errors import NotFoundError, ValidationError
from aiospaces.core.pagination import CursorPagination
from aiospaces.core.session import Session

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import httpx

    from aiospaces.core.transport import Backend

__all__ = ["run"]

_converter = make_converter(key_style="camel")


@attrs.frozen
class Note:
    """One stored note."""

    id: str
    text: str
    updated: float


@attrs.frozen
class NotePage:
    """One page of notes."""

    data: list[Note]
    next: str | None = None


class _PutNote(Builder[Note]):
    _note_id: str | None = None
    _text = ""

    def note_id(self, value: str) -> _PutNote:
        self._note_id = value
        return self

    def text(self, value: str) -> _PutNote:
        self._text = value
        return self

    def _build(self) -> RequestSpec:
        body = json.dumps({"text": self._text}).encode()
        path = f"/notes/{require(self._note_id, 'note_id')}"
        headers = {"Content-Type": "application/json"}
        return RequestSpec(method="PUT", path=path, body=body, headers=headers)

    async def _parse(self, response: httpx.Response) -> Note:
        return _converter.structure(response.json(), Note)


class _GetNote(_PutNote):
    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=f"/notes/{require(self._note_id, 'note_id')}")


class _ListNotes(CursorPagination[NotePage, Note]):
    _limit = 10
    _start: str | None = None

    def _build(self) -> RequestSpec:
        query = [("limit", str(self._limit))] + ([("start", self._start)] if self._start else [])
        return RequestSpec(method="GET", path="/notes", query=query)

    async def _parse(self, response: httpx.Response) -> NotePage:
        return _converter.structure(response.json(), NotePage)

    def _items(self, page: NotePage) -> Sequence[Note]:
        return page.data

    def _next_cursor(self, page: NotePage) -> str | None:
        return page.next

    def _set_cursor(self, cursor: str) -> None:
        self._start = cursor


class _Notes(BaseClient):
    vendor = "notes"

    def put(self, **kwargs: Any) -> _PutNote:
        return _PutNote(self, **kwargs)

    def get(self, **kwargs: Any) -> _GetNote:
        return _GetNote(self, **kwargs)

    def list(self) -> _ListNotes:
        return _ListNotes(self)


def _notes_app() -> Callable[..., Any]:
    notes: dict[str, dict[str, Any]] = {}
    counter = 0

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal counter
        counter += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = 200
        payload: Any = None
        path, method = scope["path"], scope["method"]
        headers = [(b"content-type", b"application/json"), (b"x-request-id", b"%d" % counter)]
        if counter % 5 == 0:
            status, payload = 503, {"error": {"type": "unavailable", "messages": ["try again"]}}
            headers.append((b"retry-after-ms", b"20"))
        elif path == "/notes":
            query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if p)
            start = int(base64.b64decode(query["start"] + "==")) if "start" in query else 0
            limit = int(query.get("limit", "100"))
            ordered = [notes[k] for k in sorted(notes)]
            payload = {"data": ordered[start : start + limit]}
            if start + limit < len(ordered):
                payload["next"] = base64.b64encode(b"%d" % (start + limit)).decode().rstrip("=")
        elif method == "PUT":
            note_id = path.rsplit("/", 1)[1]
            notes[note_id] = {"id": note_id, **json.loads(body), "updated": time.time()}
            payload = notes[note_id]
        elif path.rsplit("/", 1)[1] in notes:
            payload = notes[path.rsplit("/", 1)[1]]
        else:
            status = 404
            payload = {"error": {"type": "not_found", "messages": ["no such note"]}}
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(payload).encode()})

    return app


def _serve() -> tuple[str, Callable[[], None]]:
    import uvicorn  # noqa: PLC0415 - the demo needs the [emulator] extra

    config = uvicorn.Config(
        _notes_app(), host="127.0.0.1", port=0, lifespan="off", ws="none", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)

    return f"http://127.0.0.1:{port}", stop


def _check(condition: bool, what: str) -> None:
    print(f"  {'ok ' if condition else 'FAIL'} {what}")
    if not condition:
        raise SystemExit(f"demo failed: {what}")


async def _workload(base_url: str, backend: Backend, count: int) -> None:
    async with Session(backend=backend) as session:
        writer = _Notes(session, base_url=base_url)
        reader = _Notes(session, base_url=base_url, max_retries=4)
        _check(writer.session.http_client is reader.session.http_client, "two clients, one pool")

        attempts: list[int] = []
        limiter = anyio.CapacityLimiter(8)

        async def put(i: int) -> None:
            async with limiter:
                envelope = await writer.put(note_id=f"note-{i:03}", text=f"hello {i}").future()
                attempts.append(envelope.status.attempts)

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(count):
                tg.start_soon(put, i)
        took = time.perf_counter() - started
        retried = sum(a - 1 for a in attempts)
        _check(len(attempts) == count, f"created {count} notes in {took * 1000:.0f} ms")
        _check(retried > 0, f"{retried} injected 503s were retried transparently")

        listed = [note.id async for note in reader.list()]
        pages = [page async for page in reader.list().pages()]
        _check(len(listed) == count, f"listed {len(listed)} notes across {len(pages)} pages")

        try:
            await reader.get(note_id="missing").max_retries(6)
        except NotFoundError as error:
            _check(error.error_type == "not_found", f"typed error: {error}")
        try:
            await reader.get(note_id="")
        except ValidationError as error:
            _check("note_id" in str(error), f"validated before I/O: {error}")
        stats = session.pool_stats()
        _check(stats is not None and stats.in_flight == 0, f"pool after the run: {stats}")


def run(backend: Backend = "httpx", count: int = 25) -> None:
    """Serve the notes service on loopback and run the workload against it."""
    base_url, stop = _serve()
    print(f"aiospaces demo: notes service on {base_url}, backend={backend}")
    try:
        asyncio.run(_workload(base_url, backend, count))
    finally:
        stop()
    print("demo finished: every check passed")
