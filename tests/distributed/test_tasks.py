"""The upload_file task in-process: claims, waits, takeovers, leases, URLs, settings."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import attrs
import pytest
from taskiq import InMemoryBroker

from aiospaces.distributed.redis_journal import RedisJournal, job_prefix
from aiospaces.distributed.settings import WorkerSettings
from aiospaces.distributed.tasks import TaskResult, WorkerRuntime, job_settings, register
from aiospaces.emulator.app import Emulator
from aiospaces.emulator.faults import Fault
from aiospaces.pubnub.journal import Action, FileRecord, FileState, JournalMismatchError
from tests.distributed.harness import file_messages, pubnub_config, stored_file_ids

pytestmark = pytest.mark.redis

JOB, CHANNEL = "tasks", "task-files"


@pytest.fixture
async def journal(redis_url: str) -> AsyncIterator[RedisJournal]:
    journal = RedisJournal.from_url(redis_url, JOB)
    try:
        yield journal
    finally:
        await journal.aclose()


@pytest.fixture
async def runtime(redis_url: str, emulator_url: str) -> AsyncIterator[WorkerRuntime]:
    settings = WorkerSettings(redis_url=redis_url, lease=0.6, retries=0)
    runtime = WorkerRuntime(settings, pubnub_config(emulator_url))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def add_file(journal: RedisJournal, emulator_url: str, path: Path) -> FileRecord:
    path.write_bytes(b"some content")
    record = FileRecord(key=str(path), name=path.name, size=path.stat().st_size)
    await journal.bind(job_settings(pubnub_config(emulator_url), CHANNEL))
    await journal.add([record])
    return record


async def test_a_file_is_uploaded_once_and_a_second_task_does_nothing(
    runtime: WorkerRuntime,
    journal: RedisJournal,
    emulator: Emulator,
    emulator_url: str,
    tmp_path: Path,
) -> None:
    record = await add_file(journal, emulator_url, tmp_path / "a.txt")
    result = await runtime.upload(JOB, record.key)
    assert result == TaskResult(
        "announced", done=True, actions=(Action.RESERVED, Action.STORED, Action.PUBLISHED)
    )
    assert await runtime.upload(JOB, record.key) == TaskResult("final", done=True)
    assert await runtime.upload(JOB, "not-in-the-job") == TaskResult("missing", done=True)
    got = await journal.get(record.key)
    assert got is not None
    assert (got.state, got.owner) == (FileState.ANNOUNCED, None)  # the lease was given back
    assert file_messages(emulator, CHANNEL) == {got.file_id: 1}


async def test_a_dead_holder_is_waited_for_then_its_file_is_taken_over(
    runtime: WorkerRuntime, journal: RedisJournal, emulator_url: str, tmp_path: Path
) -> None:
    record = await add_file(journal, emulator_url, tmp_path / "a.txt")
    assert await journal.claim(record.key, "dead-worker", 0.5) is not None
    started = time.monotonic()
    result = await runtime.upload(JOB, record.key)
    assert result.state == "announced"
    assert result.done
    assert time.monotonic() - started >= 0.4  # waited for the hold to run out


async def test_a_live_holder_is_respected_and_the_message_left_for_later(
    runtime: WorkerRuntime, journal: RedisJournal, emulator_url: str, tmp_path: Path
) -> None:
    record = await add_file(journal, emulator_url, tmp_path / "a.txt")
    assert await journal.claim(record.key, "live-worker", 0.3) is not None

    async def renew() -> None:
        while True:
            await anyio.sleep(0.1)
            await journal.renew(record.key, "live-worker", 0.3)

    async with anyio.create_task_group() as tg:
        tg.start_soon(renew)
        result = await runtime.upload(JOB, record.key)
        tg.cancel_scope.cancel()
    assert result == TaskResult("held", done=False)
    got = await journal.get(record.key)
    assert got is not None
    assert (got.state, got.owner) == (FileState.PENDING, "live-worker")


@pytest.mark.emulator(faults=[Fault(method="POST", path="/_storage*", delay=1.5)])
async def test_a_worker_that_loses_its_hold_stops_and_writes_nothing_more(
    runtime: WorkerRuntime,
    journal: RedisJournal,
    emulator: Emulator,
    emulator_url: str,
    tmp_path: Path,
) -> None:
    record = await add_file(journal, emulator_url, tmp_path / "a.txt")
    redis = journal._client

    async def steal() -> None:  # another worker takes the file while the store is slow
        await anyio.sleep(0.5)
        await redis.hset(job_prefix(JOB) + "leases", record.key, f"{time.time() + 60} thief")

    async with anyio.create_task_group() as tg:
        tg.start_soon(steal)
        result = await runtime.upload(JOB, record.key)
    assert result == TaskResult("held", done=False)
    got = await journal.get(record.key)
    assert got is not None
    assert (got.state, got.owner) == (FileState.RESERVED, "thief")
    assert file_messages(emulator, CHANNEL) == {}


async def test_a_url_is_downloaded_then_uploaded(
    runtime: WorkerRuntime,
    journal: RedisJournal,
    emulator: Emulator,
    emulator_url: str,
    loopback_url: str,
) -> None:
    url = f"{loopback_url}/download"
    await journal.bind(job_settings(pubnub_config(emulator_url), CHANNEL))
    await journal.add([FileRecord(key=url, name="download.bin")])
    result = await runtime.upload(JOB, url)
    assert result.state == "announced"
    (stored,) = emulator.storage.list("")
    assert stored.key.endswith("/download.bin")
    assert stored.size == 4000  # what /download sends
    assert set(stored_file_ids(emulator)) == set(file_messages(emulator, CHANNEL))


async def test_a_url_that_gives_no_content_fails_once_and_for_all(
    runtime: WorkerRuntime, journal: RedisJournal, emulator_url: str, loopback_url: str
) -> None:
    url = f"{loopback_url}/gone?signature=s3cr3t"  # answered 404
    await journal.bind(job_settings(pubnub_config(emulator_url), CHANNEL))
    await journal.add([FileRecord(key=url, name="gone.bin")])
    result = await runtime.upload(JOB, url)
    assert (result.state, result.done, result.actions) == ("failed", True, (Action.FAILED,))
    record = await journal.get(url)
    assert record is not None
    assert (record.state, record.step) == (FileState.FAILED, "prepare")
    assert record.error is not None
    assert "HTTP 404" in record.error
    assert "s3cr3t" not in record.error
    again = await runtime.upload(JOB, url)  # a redelivered task: final, nothing more
    assert (again.state, again.done) == ("final", True)


async def test_a_worker_with_other_settings_than_the_job_refuses_it(
    runtime: WorkerRuntime, journal: RedisJournal, emulator_url: str, tmp_path: Path
) -> None:
    with pytest.raises(LookupError, match="not enqueued"):
        await runtime.upload(JOB, "x")
    settings = job_settings(attrs.evolve(pubnub_config(emulator_url), cipher_key="k"), CHANNEL)
    await journal.bind(settings)
    with pytest.raises(JournalMismatchError, match="uploaded with a cipher key"):
        await runtime.upload(JOB, "x")


async def test_a_runtime_must_be_started() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        await WorkerRuntime().upload(JOB, "x")


async def test_the_task_runs_on_any_taskiq_broker_with_one_runtime_per_worker(
    redis_url: str, journal: RedisJournal, emulator_url: str, tmp_path: Path
) -> None:
    record = await add_file(journal, emulator_url, tmp_path / "a.txt")
    runtime = WorkerRuntime(WorkerSettings(redis_url=redis_url), pubnub_config(emulator_url))
    broker = InMemoryBroker()
    task = register(broker, runtime)
    await broker.startup()  # the in-memory broker runs the worker events too
    try:
        sent = await task.kiq(JOB, record.key)
        outcome = await sent.wait_result(timeout=30)
    finally:
        await broker.shutdown()
    assert outcome.return_value == "announced"
    with pytest.raises(RuntimeError, match="not started"):  # closed by the shutdown event
        await runtime.upload(JOB, record.key)
