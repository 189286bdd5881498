"""The `make demo` workload: the PubNub Spaces client against the embedded emulator.

It serves the emulator on a free 127.0.0.1 port, installs seeded fault rules through its control
API (a share of writes answer 503, one read drops its connection), then drives PubNub Spaces
over real sockets: concurrent upserts with retries, a filtered, sorted, cursor-paginated
listing, typed errors (404, 412) and validation, two clients on one shared connection pool.
Any broken promise exits non-zero.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import anyio

from aiospaces.core.errors import NotFoundError, PreconditionFailedError, ValidationError
from aiospaces.core.session import Session
from aiospaces.pubnub import F

if TYPE_CHECKING:
    from aiospaces.core.transport import Backend

__all__ = ["run"]

SUB = "sub-c-demo"


def _check(condition: bool, what: str) -> None:
    print(f"  {'ok ' if condition else 'FAIL'} {what}")
    if not condition:
        raise SystemExit(f"demo failed: {what}")


async def _workload(base_url: str, backend: Backend, count: int) -> None:
    async with Session(backend=backend) as session:
        origin = base_url.split("://", 1)[1]
        writer = session.pubnub(subscribe_key=SUB, user_id="writer", origin=origin, ssl=False)
        reader = session.pubnub(
            subscribe_key=SUB, user_id="reader", origin=origin, ssl=False, max_retries=4
        )
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
                builder = writer.create_space(space_id=space_id, name=name).max_retries(6)
                envelope = await builder.future()
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

        rooms = reader.fetch_spaces(limit=10).filter(F.name.like("Room*")).sort("name")
        rooms.include_total_count()
        listed = [space.id async for space in rooms]
        pages = [page async for page in rooms.pages()]
        _check(len(listed) == count, f"listed {len(listed)} rooms across {len(pages)} pages")
        _check(pages[0].total_count == count, f"totalCount {pages[0].total_count}")

        try:
            await reader.fetch_space(space_id="missing")
        except NotFoundError as error:
            _check(error.status_code == 404, f"typed error: {error}")
        first = await reader.fetch_space(space_id="room-000")
        await writer.update_space(space_id="room-000", name="Room zero").if_matches_etag(first.etag)
        try:
            await writer.update_space(space_id="room-000", name="x").if_matches_etag(first.etag)
        except PreconditionFailedError as error:
            _check(error.status_code == 412, f"stale eTag refused: {error.message}")
        try:
            await reader.fetch_space(space_id="")
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
