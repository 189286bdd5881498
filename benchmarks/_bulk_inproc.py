"""One in-process run of ``benchmarks/bulk.py``: many small encrypted files from one process.

The clients (each is a row of the benchmark):

* ``official``: the official ``pubnub`` asyncio SDK, one ``send_file().file_object(open
  file)`` per file under an ``asyncio.Semaphore(concurrency)``, ``AesCbcCryptoModule`` (ACRH);
* ``default``, ``httpx``, ``aiohttp``: ``pn.upload_files(channel, paths, concurrency=...)`` on
  ``aiospaces.Session()`` (``backend="auto"``: aiohttp when installed) /
  ``Session(backend="httpx")`` / ``Session(backend="aiohttp")``, ``crypto="aescbc"`` (ACRH);
* ``raw-aiohttp`` (a limit): an ``aiohttp.ClientSession`` sending the same three requests per
  file under a semaphore, each file encrypted beforehand; ``aes`` (a limit): the files read
  and encrypted in a worker thread, nothing sent;
* ``httpx+journal`` / ``aiohttp+journal``: the same with ``journal=PATH``, a new SQLite journal.

[measure][] warms the client up with the warm-up files (at the same concurrency, so the
connection pool is as full as it will be; a journaled client with a journal of its own, so the
journal's modules are loaded and SQLite has run), resets the process's peak-RSS mark, runs the
job once and returns its figures; the job's files must all be announced.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from typing import TYPE_CHECKING, Any

from _bulk_common import (
    CHANNEL,
    CIPHER_KEY,
    PUBLISH_KEY,
    SUBSCRIBE_KEY,
    USER_ID,
    cpu_seconds,
    machine_busy,
    reset_peak,
    vm_status,
)
from _upload_clients import open_client

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    Job = Callable[[list[Path], str], Awaitable[int]]
    Runner = Callable[[Job], Awaitable[dict[str, Any]]]

#: Where ``benchmarks/bulk.py`` writes the files encrypted (out of the job folders): set by it.
ENCRYPTED_FOLDER: Path | None = None

#: Row key -> (backend, journaled) of the aiospaces rows.
AIOSPACES_ROWS = {
    "default": ("auto", False),
    "httpx": ("httpx", False),
    "httpx+journal": ("httpx", True),
    "aiohttp": ("aiohttp", False),
    "aiohttp+journal": ("aiohttp", True),
}


async def _official(port: int, concurrency: int, run: Runner) -> dict[str, Any]:
    async with open_client("official", port, encrypted=True) as ops:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(path: Path) -> str:
            async with semaphore:
                return await ops.upload(path, path.name)

        async def job(paths: list[Path], tag: str) -> int:
            ids = await asyncio.gather(*(one(path) for path in paths))
            return len(set(ids))

        return await run(job)


async def _raw_aiohttp(port: int, concurrency: int, run: Runner) -> dict[str, Any]:
    folder = ENCRYPTED_FOLDER
    async with open_client("raw-aiohttp", port, encrypted=True, encrypted_folder=folder) as ops:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(path: Path) -> str:
            async with semaphore:
                return await ops.upload(path, path.name)

        async def job(paths: list[Path], tag: str) -> int:
            return len(set(await asyncio.gather(*(one(path) for path in paths))))

        return await run(job)


async def _aes(run: Runner) -> dict[str, Any]:
    """Read and encrypt each file in a worker thread, as aiospaces does; send nothing."""
    from aiospaces.core.threads import run_blocking  # noqa: PLC0415 - child only
    from aiospaces.pubnub.crypto import CryptoModule  # noqa: PLC0415 - child only

    crypto = CryptoModule(CIPHER_KEY, default="aescbc")

    def encrypt(paths: list[Path]) -> int:
        for path in paths:
            encryptor = crypto.encryptor()
            encryptor.update(path.read_bytes())
            encryptor.finalize()
        return len(paths)

    async def job(paths: list[Path], tag: str) -> int:
        return await run_blocking(encrypt, paths)

    return await run(job)


async def _aiospaces(row: str, port: int, concurrency: int, run: Runner) -> dict[str, Any]:
    import aiospaces  # noqa: PLC0415 - only in the child that measures it

    backend, journaled = AIOSPACES_ROWS[row]
    session = aiospaces.Session() if backend == "auto" else aiospaces.Session(backend=backend)  # type: ignore[arg-type]
    async with session:
        pn = session.pubnub(
            subscribe_key=SUBSCRIBE_KEY,
            publish_key=PUBLISH_KEY,
            user_id=USER_ID,
            origin=f"127.0.0.1:{port}",
            ssl=False,
            cipher_key=CIPHER_KEY,
            crypto="aescbc",
        )

        async def job(paths: list[Path], tag: str) -> int:
            journal = paths[0].parent.parent / f"journal-{os.getpid()}-{tag}.db"
            report = await pn.upload_files(
                CHANNEL, paths, concurrency=concurrency, journal=journal if journaled else None
            )
            if report.failed or report.announcement_unknown or report.not_started:
                raise RuntimeError(f"{row}: not every file was announced: {report!r}")
            return len(report.succeeded)

        return await run(job)


async def measure(
    row: str, port: int, server_pid: int, concurrency: int, files: list[Path], warm: list[Path]
) -> dict[str, Any]:
    """Run ``row``'s client: warm up, reset the peak RSS mark, upload ``files``; the figures."""

    async def run(job: Job) -> dict[str, Any]:
        if await job(warm, "warm") != len(warm):
            raise RuntimeError(f"{row}: the warm-up did not upload every file")
        gc.collect()
        was_reset = reset_peak(os.getpid())
        before = vm_status(os.getpid())["VmRSS"]
        server_before = cpu_seconds(server_pid)
        busy_before = machine_busy()
        cpu_before = time.process_time()
        started = time.perf_counter()
        done = await job(files, "run")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        busy = machine_busy() - busy_before
        server_cpu = cpu_seconds(server_pid)
        peak = vm_status(os.getpid())["VmHWM"]
        if done != len(files):
            raise RuntimeError(f"{row}: {done} of {len(files)} files uploaded")
        server = None if server_cpu is None or server_before is None else server_cpu - server_before
        return {
            "row": row,
            "files": len(files),
            "seconds": elapsed,
            "files_s": len(files) / elapsed,
            "rss_before_mib": before / 2**20,
            "growth": (peak - before) / 2**20,
            "peak_reset": was_reset,
            "cpu": {"client": cpu, "server": server},
            "machine_busy": busy,
        }

    if row == "official":
        return await _official(port, concurrency, run)
    if row == "raw-aiohttp":
        return await _raw_aiohttp(port, concurrency, run)
    if row == "aes":
        return await _aes(run)
    return await _aiospaces(row, port, concurrency, run)
