"""Distributed jobs for tests: taskiq worker processes, enqueueing, and the emulator's view."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

from aiospaces.distributed.broker import make_broker
from aiospaces.distributed.manifest import EnqueueReport, enqueue, manifest_records
from aiospaces.distributed.redis_journal import RedisJournal
from aiospaces.distributed.settings import WorkerSettings
from aiospaces.distributed.tasks import job_settings, register
from aiospaces.pubnub.config import PubNubConfig

if TYPE_CHECKING:
    from types import TracebackType

    from aiospaces.emulator.app import Emulator

SUB, PUB, USER = "sub-c-dist", "pub-c-dist", "worker"
FILE_MESSAGE = 4


def worker_env(redis_url: str, emulator_url: str, **extra: str) -> dict[str, str]:
    """Return the environment of a worker that uploads to the emulator at ``emulator_url``."""
    return {
        **os.environ,
        "AIOSPACES_REDIS_URL": redis_url,
        "PUBNUB_SUBSCRIBE_KEY": SUB,
        "PUBNUB_PUBLISH_KEY": PUB,
        "PUBNUB_USER_ID": USER,
        "PUBNUB_ORIGIN": emulator_url.split("://", 1)[1],
        "PUBNUB_SSL": "0",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def pubnub_config(emulator_url: str) -> PubNubConfig:
    """Return the settings the workers of ``worker_env`` use."""
    origin = emulator_url.split("://", 1)[1]
    return PubNubConfig(subscribe_key=SUB, publish_key=PUB, user_id=USER, origin=origin, ssl=False)


class Worker:
    """``taskiq worker aiospaces.distributed.worker:broker`` in its own process group."""

    def __init__(self, env: dict[str, str], *options: str) -> None:
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "taskiq", "worker", "aiospaces.distributed.worker:broker"]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and taskiq
            [*command, "--workers", "1", *options],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: killpg takes the manager and its child
        )

    def kill(self) -> None:
        """SIGKILL every process of the worker at once (a machine that died)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        """Ask every process of the worker to stop (SIGTERM)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, timeout: float = 2) -> None:
        """Wait for the worker to stop, SIGKILL it after ``timeout`` s; close its log."""
        self.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.log.close()

    def output(self) -> str:
        """Return what the worker printed so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


class Workers:
    """Worker processes, all stopped on exit (their output shown if a test failed)."""

    def __init__(self, env: dict[str, str], *options: str) -> None:
        self.env = env
        self.options = options
        self.started: list[Worker] = []

    def start(self) -> Worker:
        """Start one more worker."""
        worker = Worker(self.env, *self.options)
        self.started.append(worker)
        return worker

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for worker in self.started:
            if exc is not None:
                print(f"--- worker {worker.process.pid} ---\n{worker.output()[-5000:]}")
            worker.terminate()  # all at once
        for worker in self.started:
            worker.stop()


async def enqueue_paths(
    redis_url: str, emulator_url: str, job: str, channel: str, paths: list[Path]
) -> EnqueueReport:
    """Enqueue ``paths`` as job ``job`` (as ``aiospaces files enqueue`` does)."""
    broker = make_broker(WorkerSettings(redis_url=redis_url))
    task = register(broker)
    journal = RedisJournal.from_url(redis_url, job)
    await broker.startup()
    try:
        settings = job_settings(pubnub_config(emulator_url), channel)
        return await enqueue(journal, task, manifest_records(paths), settings)
    finally:
        await broker.shutdown()
        await journal.aclose()


def group_pids(pgid: int) -> set[int]:
    """Return the ids of the processes in process group ``pgid`` (Linux ``/proc``)."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # after the name: state, ppid, pgrp
                pids.add(int(stat.parent.name))
    return pids


def file_messages(emulator: Emulator, channel: str) -> Counter[str]:
    """Return how many file messages each file id has in the channel, as the emulator holds."""
    streams: Any = emulator.vendors["pubnub"].streams  # type: ignore[attr-defined]
    records = streams.stream(SUB).stored(channel)
    return Counter(r.payload["file"]["id"] for r in records if r.message_type == FILE_MESSAGE)


def stored_file_ids(emulator: Emulator) -> Counter[str]:
    """Return how many stored objects each file id has (the key's next-to-last segment)."""
    return Counter(o.key.split("/")[-2] for o in emulator.storage.list(f"{SUB}/"))
