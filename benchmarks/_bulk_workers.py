"""One distributed run of ``benchmarks/bulk.py``: taskiq worker processes on a real Redis.

[measure][] starts ``taskiq worker aiospaces.distributed.worker:broker --workers N
--max-async-tasks M`` (its own process group; each worker process with the default
``AIOSPACES_CONCURRENCY``), waits until every worker process listens, runs a warm-up job (so
each process that takes a file has loaded what an upload needs and opened connections), resets
the worker processes' peak-RSS marks, then enqueues the measured job as ``aiospaces files
enqueue`` does and polls the job's journal in Redis until every file is announced. The time is
from the start of the enqueue to the poll that saw the last file announced. Each worker's log
says which files it took (one line per task). The workers are SIGKILLed at the end (taskiq's
main process does not exit on SIGTERM; see docs/bulk-at-scale.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
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

from aiospaces.distributed.broker import make_broker
from aiospaces.distributed.manifest import enqueue, manifest_records
from aiospaces.distributed.redis_journal import RedisJournal
from aiospaces.distributed.settings import WorkerSettings
from aiospaces.distributed.tasks import job_settings, register
from aiospaces.pubnub.config import PubNubConfig
from aiospaces.pubnub.journal import FileState

if TYPE_CHECKING:
    from pathlib import Path

POLL = 0.02  # seconds between two reads of the job's progress
_STARTED = re.compile(rb"Started process (worker-\d+) with pid (\d+)")
_LISTENING = re.compile(rb"\[(worker-\d+)\] Listening started")
_TASK = re.compile(rb"\[(worker-\d+)\] (\S+) (\S+): (\w+)")


def worker_env(redis_url: str, port: int) -> dict[str, str]:
    """Return the environment of the worker processes (the emulator or sink on ``port``)."""
    return {
        **os.environ,
        "AIOSPACES_REDIS_URL": redis_url,
        "PUBNUB_SUBSCRIBE_KEY": SUBSCRIBE_KEY,
        "PUBNUB_PUBLISH_KEY": PUBLISH_KEY,
        "PUBNUB_USER_ID": USER_ID,
        "PUBNUB_ORIGIN": f"127.0.0.1:{port}",
        "PUBNUB_SSL": "0",
        "PUBNUB_CIPHER_KEY": CIPHER_KEY,
        "PUBNUB_CRYPTO": "aescbc",
        "PYTHONUNBUFFERED": "1",
    }


LOG_WAIT = 15.0
"""Seconds to wait for the workers' last log lines once the journal says all are done."""


class WorkerGroup:
    """``taskiq worker ... --workers N`` in a process group of its own, logging to a file."""

    def __init__(self, count: int, max_async_tasks: int, env: dict[str, str], log: Path) -> None:
        self.count = count
        self.log = log
        command = [
            sys.executable, "-m", "taskiq", "worker", "aiospaces.distributed.worker:broker",
            "--workers", str(count), "--max-async-tasks", str(max_async_tasks),
        ]  # fmt: skip
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and taskiq
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    async def ready(self, within: float = 60) -> dict[str, int]:
        """Wait until every worker process listens; return their pids by name."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            text = self.log.read_bytes()
            pids = {m[1].decode(): int(m[2]) for m in _STARTED.finditer(text)}
            listening = {m[1].decode() for m in _LISTENING.finditer(text)}
            if len(pids) == self.count and listening >= set(pids):
                return pids
            if self.process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the workers did not start:\n{self.log.read_text()[-3000:]}")

    def tasks(self, job: str) -> dict[str, Counter[str]]:
        """Return, per worker process, how many tasks of ``job`` ended in each state."""
        found: dict[str, Counter[str]] = {}
        for worker, name, _key, state in _TASK.findall(self.log.read_bytes()):
            if name.decode() == job:
                found.setdefault(worker.decode(), Counter())[state.decode()] += 1
        return found

    async def settled(self, job: str, expected: int) -> dict[str, Counter[str]]:
        """Return ``tasks(job)`` once the logs say ``expected`` files were announced.

        A worker writes its log line after the journal says the file is announced, so a log
        read as soon as the journal says all are done can still miss the last lines (on a
        busy machine: seconds). After ``LOG_WAIT`` seconds it returns what the logs hold.
        """
        deadline = time.monotonic() + LOG_WAIT
        while True:
            found = self.tasks(job)
            announced = sum(counts["announced"] for counts in found.values())
            if announced >= expected or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole group (safe for the jobs; taskiq ignores SIGTERM's exit)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


async def _run_job(
    redis_url: str, port: int, job: str, folder: Path, expected: int
) -> tuple[float, dict[str, Any]]:
    """Enqueue ``folder`` as ``job``; return the seconds until all announced, and details."""
    broker = make_broker(WorkerSettings(redis_url=redis_url))
    task = register(broker)
    journal = RedisJournal.from_url(redis_url, job)
    config = PubNubConfig(
        subscribe_key=SUBSCRIBE_KEY,
        publish_key=PUBLISH_KEY,
        user_id=USER_ID,
        origin=f"127.0.0.1:{port}",
        ssl=False,
        cipher_key=CIPHER_KEY,
        crypto="aescbc",
    )
    await broker.startup()
    try:
        started = time.perf_counter()
        sending = asyncio.ensure_future(
            enqueue(journal, task, manifest_records([folder]), job_settings(config, CHANNEL))
        )
        polls = 0
        while True:
            progress = await journal.progress()
            polls += 1
            bad = progress.counts[FileState.FAILED] + progress.counts[FileState.UNKNOWN]
            if bad:
                raise RuntimeError(f"{job}: {bad} files failed or unknown: {progress.counts}")
            if sending.done() and progress.counts[FileState.ANNOUNCED] == expected:
                elapsed = time.perf_counter() - started
                break
            await asyncio.sleep(POLL)
        report = sending.result()
        if report.files != expected:
            raise RuntimeError(f"{job}: enqueued {report.files} files, expected {expected}")
        span = None
        if progress.started is not None and progress.last_done is not None:
            span = progress.last_done - progress.started
        return elapsed, {"polls": polls, "first_claim_to_last_done": span}
    finally:
        await broker.shutdown()
        await journal.aclose()


def _cpu(pids: dict[str, int]) -> dict[str, float | None]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


async def measure(
    count: int,
    port: int,
    server_pid: int,
    redis_url: str,
    redis_pid: int,
    files: list[Path],
    warm: list[Path],
    max_async_tasks: int,
) -> dict[str, Any]:
    """Run the job of ``files`` (one folder) on ``count`` worker processes; the figures."""
    folder, expected = files[0].parent, len(files)
    client = aioredis.Redis.from_url(redis_url)
    await client.flushall()
    await client.aclose()
    log = folder.parent / f"workers-{os.getpid()}.log"
    group = WorkerGroup(count, max_async_tasks, worker_env(redis_url, port), log)
    try:
        workers = await group.ready()
        await _run_job(redis_url, port, "warm", warm[0].parent, len(warm))
        gc.collect()
        was_reset = all([reset_peak(pid) for pid in workers.values()])  # noqa: C419 - reset every one
        before = {name: vm_status(pid)["VmRSS"] for name, pid in workers.items()}
        others = {"server": server_pid, "redis": redis_pid, "main": group.process.pid}
        cpu_before = _cpu(workers | others)
        driver_before = time.process_time()
        busy_before = machine_busy()
        elapsed, details = await _run_job(redis_url, port, "run", folder, expected)
        busy = machine_busy() - busy_before
        driver = time.process_time() - driver_before
        cpu_after = _cpu(workers | others)
        peaks = {name: vm_status(pid)["VmHWM"] for name, pid in workers.items()}
        tasks = await group.settled("run", expected)
        warm_tasks = await group.settled("warm", len(warm))
    finally:
        group.kill()
    cpu: dict[str, float | None] = {}
    for name, after in cpu_after.items():
        start = cpu_before[name]
        cpu[name] = None if after is None or start is None else after - start
    cpu["driver"] = driver
    growth = {name: (peaks[name] - before[name]) / 2**20 for name in workers}
    announced = {name: tasks.get(name, Counter())["announced"] for name in workers}
    if sum(announced.values()) != expected:
        raise RuntimeError(f"the workers' logs announce {announced}, expected {expected} files")
    log.unlink()
    return {
        "row": f"workers-{count}",
        "files": expected,
        "seconds": elapsed,
        "files_s": expected / elapsed,
        "growth": max(growth.values()),
        "growth_by_worker": growth,
        "rss_before_mib": {name: value / 2**20 for name, value in before.items()},
        "peak_reset": was_reset,
        "files_by_worker": announced,
        "warm_files_by_worker": {n: warm_tasks.get(n, Counter())["announced"] for n in workers},
        "cpu": cpu,
        "machine_busy": busy,
        **details,
    }
