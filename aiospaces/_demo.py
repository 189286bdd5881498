"""The `make demo` workload: the core against the embedded emulator, over real sockets.

It serves the emulator on a free 127.0.0.1 port, installs seeded fault rules through its control
API (a share of writes answer 503, one read drops its connection), then drives PubNub's App
Context spaces through a small client built on the core: concurrent upserts with retries, a
filtered cursor-paginated listing, typed errors (404, 412) and validation, all over one shared
connection pool. Any broken promise exits non-zero. (The full PubNub client replaces this
client when it lands.)
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from aiospaces.core.builder import Builder, RequestSpec, require
from aiospaces.core.client import BaseClient
from aiospaces.core.convert import make_converter, wire
from aiospaces.core.errors import NotFoundError, PreconditionFailedError, ValidationError
from aiospaces.core.pagination import CursorPagination
from aiospaces.core.session import Session

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from aiospaces.core.transport import Backend

__all__ = ["run"]

SUB = "sub-c-demo"
_converter = make_converter(key_style="camel")


@attrs.frozen
class Space:
    """One App Context channel."""

    id: str
    name: str | None
    updated: str
    etag: str = attrs.field(metadata=wire("eTag"))


@attrs.frozen
class SpacePage:
    """One page of spaces."""

    data: list[Space]
    next: str | None = None
    total_count: int | None = None


class _PutSpace(Builder[Space]):
    _space_id: str | None = None
    _name = ""
    _if_match: str | None = None

    def space_id(self, value: str) -> _PutSpace:
        self._space_id = value
        return self

    def name(self, value: str) -> _PutSpace:
        self._name = value
        return self

    def if_match(self, etag: str) -> _PutSpace:
        self._if_match = etag
        return self

    def _build(self) -> RequestSpec:
        body = json.dumps({"name": self._name}).encode()
        headers = {"Content-Type": "application/json"}
        if self._if_match:
            headers["If-Match"] = self._if_match
        path = f"/v2/objects/{SUB}/channels/{require(self._space_id, 'space_id')}"
        return RequestSpec(method="PATCH", path=path, body=body, headers=headers)

    async def _parse(self, response: httpx.Response) -> Space:
        return _converter.structure(response.json()["data"], Space)


class _GetSpace(_PutSpace):
    def _build(self) -> RequestSpec:
        path = f"/v2/objects/{SUB}/channels/{require(self._space_id, 'space_id')}"
        return RequestSpec(method="GET", path=path)


class _ListSpaces(CursorPagination[SpacePage, Space]):
    _filter = ""
    _start: str | None = None

    def filter(self, expression: str) -> _ListSpaces:
        self._filter = expression
        return self

    def _build(self) -> RequestSpec:
        query = [("limit", "10"), ("count", "true"), ("filter", self._filter)]
        if self._start:
            query.append(("start", self._start))
        return RequestSpec(method="GET", path=f"/v2/objects/{SUB}/channels", query=query)

    async def _parse(self, response: httpx.Response) -> SpacePage:
        return _converter.structure(response.json(), SpacePage)

    def _items(self, page: SpacePage) -> Sequence[Space]:
        return page.data

    def _next_cursor(self, page: SpacePage) -> str | None:
        return page.next

    def _set_cursor(self, cursor: str) -> None:
        self._start = cursor


class _Spaces(BaseClient):
    vendor = "pubnub"

    def put(self, **kwargs: Any) -> _PutSpace:
        return _PutSpace(self, **kwargs)

    def get(self, **kwargs: Any) -> _GetSpace:
        return _GetSpace(self, **kwargs)

    def list(self, **kwargs: Any) -> _ListSpaces:
        return _ListSpaces(self, **kwargs)


def _check(condition: bool, what: str) -> None:
    print(f"  {'ok ' if condition else 'FAIL'} {what}")
    if not condition:
        raise SystemExit(f"demo failed: {what}")


async def _workload(base_url: str, backend: Backend, count: int) -> None:
    async with Session(backend=backend) as session:
        writer = _Spaces(session, base_url=base_url)
        reader = _Spaces(session, base_url=base_url, max_retries=4)
        _check(writer.session.http_client is reader.session.http_client, "two clients, one pool")
        faults = [
            {"method": "PATCH", "path": "/v2/objects/*", "status": 503, "probability": 0.2,
             "headers": {"retry-after-ms": "20"}, "body": {"error": "busy"}},
            {"method": "GET", "path": "/v2/objects/*", "drop": True, "times": 1},
        ]  # fmt: skip
        for fault in faults:
            added = await session.http_client.post(f"{base_url}/_emulator/faults", json=fault)
            added.raise_for_status()

        attempts: list[int] = []
        limiter = anyio.CapacityLimiter(8)

        async def put(space_id: str, name: str) -> None:
            async with limiter:
                envelope = await writer.put(space_id=space_id, name=name).max_retries(6).future()
                attempts.append(envelope.status.attempts)

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(count):
                tg.start_soon(put, f"room-{i:03}", f"Room {i}")
            for i in range(5):
                tg.start_soon(put, f"hall-{i}", f"Hall {i}")
        took = time.perf_counter() - started
        retried = sum(a - 1 for a in attempts)
        _check(len(attempts) == count + 5, f"upserted {count + 5} spaces in {took * 1000:.0f} ms")
        _check(retried > 0, f"{retried} injected 503s were retried transparently")

        rooms = reader.list(filter='name LIKE "Room*"')
        listed = [space.id async for space in rooms]
        pages = [page async for page in rooms.pages()]
        _check(len(listed) == count, f"listed {len(listed)} rooms across {len(pages)} pages")
        _check(pages[0].total_count == count, f"totalCount {pages[0].total_count}")

        try:
            await reader.get(space_id="missing")
        except NotFoundError as error:
            _check(error.status_code == 404, f"typed error: {error}")
        first = await reader.get(space_id="room-000")
        await writer.put(space_id="room-000", name="Room zero").if_match(first.etag)
        try:
            await writer.put(space_id="room-000", name="stale").if_match(first.etag)
        except PreconditionFailedError as error:
            _check(error.status_code == 412, f"stale eTag refused: {error.message}")
        try:
            await reader.get(space_id="")
        except ValidationError as error:
            _check("space_id" in str(error), f"validated before I/O: {error}")
        rules = (await session.http_client.get(f"{base_url}/_emulator/faults")).json()
        fired = {rule["status"] or "drop": rule["fired"] for rule in rules}
        _check(fired["drop"] == 1, f"faults fired (seeded, reproducible): {fired}")
        stats = session.pool_stats()
        _check(stats is not None and stats.in_flight == 0, f"pool after the run: {stats}")


def run(backend: Backend = "httpx", count: int = 25) -> None:
    """Serve the emulator on loopback and run the workload against it."""
    from aiospaces.emulator import Emulator  # noqa: PLC0415 - needs the [emulator] extra

    emulator = Emulator(seed=7)
    with emulator.serve() as base_url:
        print(f"aiospaces demo: emulator on {base_url}, backend={backend}")
        asyncio.run(_workload(base_url, backend, count))
    print("demo finished: every check passed")
