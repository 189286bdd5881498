"""The `make demo` workload: every client against the embedded emulator, over real sockets.

It serves the emulator on a free 127.0.0.1 port, installs seeded fault rules through its control
API, then drives, on one shared Session:

- PubNub Spaces: concurrent upserts with retries (a share of writes answer 503, one read drops
  its connection), a filtered, sorted, cursor-paginated listing, typed errors (404, 412) and
  validation, two clients on one shared connection pool;
- PubNub files (``aiospaces.cli.demo.files``): a bulk upload of 300 generated files, some
  encrypted, with injected storage and publish failures, while a watcher per channel downloads
  each file as it is announced; then download and verify each one again;
- Mux (``aiospaces.cli.demo.mux``): a space with a broadcast through its whole life (participant
  joins, start, stop, leaves, delete), a rule violation, signed webhooks verified;
- NeuroIO (``aiospaces.cli.demo.neuroio``): login, whoami, a space's life with its tokens;
- PubNub Admin (``aiospaces.cli.demo.admin``): login, a Functions block with a handler, started
  and waited for, stopped, deleted.

Each part checks its results (any broken promise exits non-zero) and prints them as it goes;
a summary table closes the run with one row per part: its checks and how long it took.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

import anyio
from rich.console import Console
from rich.table import Table

from aiospaces.cli.demo import admin, files, mux, neuroio
from aiospaces.core.errors import NotFoundError, PreconditionFailedError, ValidationError
from aiospaces.emulator import Emulator
from aiospaces.pubnub import F
from aiospaces.session import Session

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiospaces.core.transport import Backend

__all__ = ["run"]

_SUB = "sub-c-demo"


_checked = 0


def _check(condition: bool, what: str) -> None:
    global _checked
    _checked += 1
    print(f"  {'ok ' if condition else 'FAIL'} {what}")
    if not condition:
        raise SystemExit(f"demo failed: {what}")


async def _workload(
    base_url: str, backend: Backend, count: int, file_count: int
) -> list[tuple[str, int, float]]:
    """Run every part; return (part, checks passed, seconds) per part."""
    global _checked
    summary: list[tuple[str, int, float]] = []
    async with Session(backend=backend) as session:
        _checked = 0
        started = time.perf_counter()
        await _spaces(session, base_url, count)
        summary.append(("PubNub spaces", _checked, time.perf_counter() - started))
        parts: list[tuple[str, Callable[[Session, str], Awaitable[list[tuple[str, str]]]]]] = [
            ("PubNub files", functools.partial(files.run, count=file_count)),
            ("Mux", mux.run),
            ("NeuroIO", neuroio.run),
            ("PubNub Admin", admin.run),
        ]
        for title, part in parts:
            print(f"{title}:")
            started = time.perf_counter()
            steps = await part(session, base_url)
            took = time.perf_counter() - started
            for step, outcome in steps:
                print(f"  ok  {step}: {outcome}")
            summary.append((title, len(steps), took))
        stats = session.pool_stats()
        _check(stats is not None and stats.in_flight == 0, f"pool after the run: {stats}")
    return summary


async def _spaces(session: Session, base_url: str, count: int) -> None:
    print("PubNub spaces:")
    origin = base_url.split("://", 1)[1]
    writer = session.pubnub(subscribe_key=_SUB, user_id="writer", origin=origin, ssl=False)
    reader = session.pubnub(
        subscribe_key=_SUB, user_id="reader", origin=origin, ssl=False, max_retries=4
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
    rules = (await session.http_client.get(f"{base_url}/_emulator/faults")).json()
    fired = {rule["status"] or "drop": rule["fired"] for rule in rules}
    _check(fired["drop"] == 1, f"faults fired (seeded, reproducible): {fired}")
    # an eTag-guarded update is not repeated after a lost answer (a repeat would get 412):
    # stop the injected 503s so that it is not left ambiguous
    (await session.http_client.delete(f"{base_url}/_emulator/faults")).raise_for_status()
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


def run(backend: Backend = "auto", count: int = 25, files: int = 300) -> None:
    """Serve the emulator on loopback and run the workload against it."""
    emulator = Emulator(seed=7)
    with emulator.serve() as base_url:
        print(f"aiospaces demo: emulator on {base_url}, backend={backend}")
        summary = anyio.run(_workload, base_url, backend, count, files)
    _print_summary(summary)
    print("demo finished: every check passed")


def _print_summary(rows: list[tuple[str, int, float]]) -> None:
    table = Table(title="aiospaces demo summary")
    table.add_column("part")
    table.add_column("checks", justify="right")
    table.add_column("time", justify="right")
    for part, checks, seconds in rows:
        table.add_row(part, f"{checks} ok", f"{seconds:.2f} s")
    Console().print(table)
