"""2,000 files through 3 taskiq worker processes on a real Redis and the served emulator; one
worker is SIGKILLed mid-way and a fresh one started: every file is announced exactly once."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from aiospaces.distributed.manifest import EnqueueReport
from aiospaces.distributed.redis_journal import JobProgress, RedisJournal
from aiospaces.emulator.app import Emulator
from aiospaces.pubnub.journal import FINAL_STATES, FileState
from tests.distributed.harness import (
    Workers,
    enqueue_paths,
    file_messages,
    group_pids,
    stored_file_ids,
    worker_env,
)

pytestmark = pytest.mark.redis

FILES = 2000
JOB, CHANNEL = "e2e", "e2e-files"


def _check_counts(before: JobProgress, published: int, after: JobProgress) -> None:
    """What status shows agrees with the emulator at every moment."""
    for progress in (before, after):
        assert progress.total == FILES
        assert progress.counts[FileState.FAILED] == 0
        assert progress.counts[FileState.UNKNOWN] == 0
    # a file is journaled announced only after its message is out, and a message goes out
    # only for a file journaled stored (or announced)
    assert before.counts[FileState.ANNOUNCED] <= published
    assert published <= after.counts[FileState.ANNOUNCED] + after.counts[FileState.STORED]


@pytest.mark.timeout(300)
async def test_every_file_is_announced_once_when_a_worker_dies_midway(
    redis_url: str, emulator: Emulator, emulator_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"{i:04}.txt").write_bytes(f"file {i}\n".encode())
    started = time.monotonic()
    report = await enqueue_paths(redis_url, emulator_url, JOB, CHANNEL, [folder])
    assert report == EnqueueReport(files=FILES, added=FILES, sent=FILES)
    journal = RedisJournal.from_url(redis_url, JOB)
    env = worker_env(redis_url, emulator_url, AIOSPACES_REDELIVERY_TIMEOUT="4", AIOSPACES_LEASE="2")
    held_by_the_dead: dict[str, FileState] = {}
    try:
        with Workers(env, "--max-async-tasks", "16") as workers:
            for _ in range(3):
                workers.start()
            announced, timeline = 0, []
            while True:
                before = await journal.progress()
                published = sum(file_messages(emulator, CHANNEL).values())
                after = await journal.progress()
                _check_counts(before, published, after)
                assert after.counts[FileState.ANNOUNCED] >= announced  # never goes back
                announced = after.counts[FileState.ANNOUNCED]
                timeline.append(f"{time.monotonic() - started:.0f}s:{announced}")
                if not held_by_the_dead and announced >= FILES // 3:
                    victim = workers.started[0]
                    pids = group_pids(victim.process.pid)
                    victim.kill()
                    killed_at = time.monotonic()
                    held_by_the_dead = {
                        r.key: r.state
                        for r in await journal.records()
                        if r.state not in FINAL_STATES
                        and r.owner is not None
                        and int(r.owner.split(":")[1]) in pids
                    }
                    workers.start()
                if after.done == FILES:
                    finished = time.monotonic()
                    break
                assert time.monotonic() - started < 240, "the job did not finish in time"
                await anyio.sleep(0.2)
        records = await journal.records()
    finally:
        await journal.aclose()

    messages = file_messages(emulator, CHANNEL)
    assert len(messages) == FILES
    assert set(messages.values()) == {1}  # every file announced exactly once
    assert all(r.state is FileState.ANNOUNCED for r in records)
    journal_ids = {r.file_id for r in records}
    assert journal_ids == set(messages)
    objects = stored_file_ids(emulator)
    assert set(objects) <= journal_ids  # no object the journal does not know
    assert sum(objects.values()) == FILES
    assert held_by_the_dead, "the killed worker held no file: the test proved nothing"
    print(
        f"\n{FILES} files, 3 workers, one SIGKILLed at {killed_at - started:.1f} s holding "
        f"{len(held_by_the_dead)} files ({sorted(s.value for s in held_by_the_dead.values())}); "
        f"all announced once after {finished - started:.1f} s\n" + " ".join(timeline[::10])
    )
