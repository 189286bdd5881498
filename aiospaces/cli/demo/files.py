"""The file-sharing part of `make demo`: a bulk upload, then download and verify every file.

Generates a batch of files (seeded sizes, random content) in a temporary directory, uploads
them with ``upload_files`` (a third plain, a third ACRH-encrypted, a third legacy-encrypted)
while the emulator injects storage 503s and publish failures and a watcher per channel
(``watch_files``, as ``aiospaces files watch`` runs it) downloads each file as its file message
arrives, then downloads every file again with ``to_path`` (decrypting on the fly) and compares
SHA-256 digests of both.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

import anyio
import anyio.to_thread
import attrs

from aiospaces.cli.demo._checks import check
from aiospaces.cli.watch import WatchStats, watch_files
from aiospaces.pubnub.config import PubNubConfig

if TYPE_CHECKING:
    from aiospaces.pubnub.client import PubNub
    from aiospaces.session import Session

__all__ = ["run"]

_SUB = "sub-c-demo-files"


def _make_files(directory: Path, count: int, seed: int) -> dict[Path, str]:
    rng = random.Random(seed)  # noqa: S311 - sizes only, not security
    digests = {}
    for i in range(count):
        path = directory / f"file-{i:03}.bin"
        content = os.urandom(rng.choice([0, 1, 100, 4096, 65_536, 65_537]) + rng.randrange(300_000))
        path.write_bytes(content)
        digests[path] = hashlib.sha256(content).hexdigest()
    return digests


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_check = functools.partial(check, part="files")


async def run(session: Session, base_url: str, count: int = 300) -> list[tuple[str, str]]:
    """Upload ``count`` generated files, download and verify them; return summary rows."""
    origin = base_url.split("://", 1)[1]
    base = PubNubConfig(
        subscribe_key=_SUB, publish_key="pub-c-demo", user_id="files", origin=origin, ssl=False
    )
    clients: dict[str, PubNub] = {
        "plain": session.pubnub(config=attrs.evolve(base, user_id="files-plain")),
        "aescbc": session.pubnub(
            config=attrs.evolve(base, user_id="files-acrh", cipher_key="demo-key")
        ),
        "legacy": session.pubnub(
            config=attrs.evolve(
                base, user_id="files-legacy", cipher_key="demo-key", crypto="legacy"
            )
        ),
    }
    # storage writes are safe to repeat (same form, same key); a publish is retried only
    # when the answer proves it was not processed (429), never after an ambiguous 5xx
    storage_503s, publish_429s = 6, 8
    faults = [
        {"method": "POST", "path": "/_storage/*", "status": 503, "times": storage_503s},
        {"method": "GET", "path": "/v1/files/publish-file/*", "status": 429,
         "times": publish_429s, "headers": {"retry-after-ms": "10"}},
    ]  # fmt: skip
    for fault in faults:
        (
            await session.http_client.post(f"{base_url}/_emulator/faults", json=fault)
        ).raise_for_status()

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="aiospaces-demo-") as tmp:
        directory = Path(tmp)
        (directory / "in").mkdir()
        (directory / "out").mkdir()
        digests = await anyio.to_thread.run_sync(_make_files, directory / "in", count, 7)
        paths = sorted(digests)
        groups = {name: paths[i :: len(clients)] for i, name in enumerate(clients)}
        total = sum(p.stat().st_size for p in paths)

        started = time.perf_counter()
        reports = {}
        uploaded = started
        watched = {name: WatchStats() for name in clients}
        async with anyio.create_task_group() as tg:

            async def upload(name: str) -> None:
                nonlocal uploaded
                reports[name] = await clients[name].upload_files(
                    f"demo-{name}", groups[name], concurrency=8, retries=2
                )
                uploaded = max(uploaded, time.perf_counter())

            for name, pn in clients.items():  # a watcher per channel, subscribed before upload
                watch = functools.partial(
                    watch_files,
                    pn,
                    f"demo-{name}",
                    directory / "watched" / name,
                    stats=watched[name],
                    stop_after=len(groups[name]),
                )
                await tg.start(watch)
            for name in clients:
                tg.start_soon(upload, name)
        took = uploaded - started
        failed = [f for r in reports.values() for f in r.failed]
        _check(not failed, f"{len(failed)} uploads failed: {failed and failed[0].error}")
        rules = (await session.http_client.get(f"{base_url}/_emulator/faults")).json()
        fired = sum(rule["fired"] for rule in rules if rule["path"] in {f["path"] for f in faults})
        retried = sum(s.attempts - 1 for r in reports.values() for s in r.succeeded)
        rows.append(
            (
                "bulk upload",
                f"{count} files, {total / 2**20:.1f} MiB in {took:.2f} s "
                f"({total / 2**20 / took:.1f} MiB/s), 1/3 ACRH + 1/3 legacy encrypted",
            )
        )
        _check(fired == storage_503s + publish_429s, f"only {fired} injected faults fired")
        rows.append(
            (
                "faults",
                f"{fired} injected storage 503s / publish 429s absorbed by retries "
                f"({retried} files needed a second try)",
            )
        )

        arrived = {
            (name, item.file_name): item.path for name, w in watched.items() for item in w.received
        }
        bad = [
            path.name
            for name, group in groups.items()
            for path in group
            if (name, path.name) not in arrived
            or await anyio.to_thread.run_sync(_digest, arrived[name, path.name]) != digests[path]
        ]
        failures = [f for w in watched.values() for f in w.failed]
        _check(not bad and not failures, f"watched files missing or different: {bad[:3]}")
        rows.append(
            (
                "watch",
                f"{len(arrived)} files seen announced by 3 subscribers and downloaded as they "
                f"arrived, SHA-256 equal; the last {time.perf_counter() - uploaded:.2f} s after "
                "the last upload",
            )
        )

        started = time.perf_counter()
        limiter = anyio.CapacityLimiter(16)
        mismatches: list[str] = []

        async def fetch(name: str, path: Path, file_id: str) -> None:
            async with limiter:
                out = directory / "out" / f"{name}-{path.name}"
                await (
                    clients[name]
                    .download_file(channel=f"demo-{name}", file_id=file_id, file_name=path.name)
                    .to_path(out)
                )
                if await anyio.to_thread.run_sync(_digest, out) != digests[path]:
                    mismatches.append(path.name)

        async with anyio.create_task_group() as tg:
            for name, report in reports.items():
                for success in report.succeeded:
                    source = cast("Path", success.item.source)  # the demo uploads paths
                    tg.start_soon(fetch, name, source, success.sent.file_id)
        took = time.perf_counter() - started
        _check(not mismatches, f"{len(mismatches)} downloads differ: {mismatches[:3]}")
        rows.append(
            ("download + verify", f"{count} files decrypted to disk, SHA-256 equal, {took:.2f} s")
        )
        listed = [f async for f in clients["aescbc"].list_files().channel("demo-aescbc").limit(25)]
        wanted = len(groups["aescbc"])
        _check(len(listed) == wanted, f"listed {len(listed)} of {wanted} files")
        rows.append(("list files", f"{len(listed)} files listed in pages of 25"))
    return rows
