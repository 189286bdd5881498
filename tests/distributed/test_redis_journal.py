"""RedisJournal against a real redis-server: insert, compare-and-set, claims and leases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import attrs
import pytest
import redis.asyncio as aioredis

from aiospaces.core.errors import ValidationError
from aiospaces.distributed.redis_journal import Claim, RedisJournal, job_prefix
from aiospaces.pubnub.journal import (
    FileRecord,
    FileState,
    JobSettings,
    JournalMismatchError,
    Reservation,
)

pytestmark = pytest.mark.redis

FORM = Reservation(
    file_id="f-1",
    file_name="a.txt",
    url="http://storage/upload",
    fields=(("key", "sub/f-1/a.txt"), ("policy", "p")),
    expires=1_900_000_000.5,
    created=1_899_999_940.25,
)


@pytest.fixture
async def journal(redis_url: str) -> AsyncIterator[RedisJournal]:
    journal = RedisJournal.from_url(redis_url, "job-1")
    try:
        yield journal
    finally:
        await journal.aclose()


def records(n: int) -> list[FileRecord]:
    return [FileRecord(key=f"/data/{i}.txt", name=f"{i}.txt", size=i) for i in range(n)]


async def test_add_inserts_the_missing_keys_only_and_keeps_the_order(
    journal: RedisJournal,
) -> None:
    assert await journal.add_open(records(3)) == (3, [r.key for r in records(3)])
    changed = attrs.evolve(records(1)[0], state=FileState.ANNOUNCED, timetoken=1)
    added, open_keys = await journal.add_open([changed, *records(1203)])  # several batches
    assert added == 1200
    assert open_keys == [changed.key] + [r.key for r in records(1203)]  # 0 is still pending
    got = await journal.records()
    assert [r.key for r in got] == [f"/data/{i}.txt" for i in range(1203)]
    assert got[0] == records(1)[0]  # untouched by the second add
    assert (await journal.counts())[FileState.PENDING] == 1203
    assert sum((await journal.counts()).values()) == 1203


async def test_add_says_which_files_are_still_to_do(journal: RedisJournal) -> None:
    a, b, c = records(3)
    assert await journal.add([a, b]) == 2  # how many were new
    await journal.put(attrs.evolve(a, state=FileState.ANNOUNCED, timetoken=1))
    await journal.put(attrs.evolve(b, state=FileState.STORED, reservation=FORM))
    assert await journal.add_open([a, b, c]) == (1, [b.key, c.key])
    assert await journal.add([a, b, c]) == 0  # all there now
    assert await journal.add_open([attrs.evolve(c, key="x", state=FileState.FAILED)]) == (1, [])


async def test_a_record_reads_back_whole(journal: RedisJournal) -> None:
    record = FileRecord(
        key="https://example.com/x?y=1",
        name="x",
        size=None,
        state=FileState.ANNOUNCED,
        reservation=FORM,
        abandoned=("f-0",),
        timetoken=17_000_000_000_000_001,  # 17 digits: no float on the way
        attempts=2,
        started=1.5,
        updated=2.5,
    )
    await journal.add([record])
    assert await journal.get(record.key) == record
    assert await journal.get("missing") is None


async def test_put_compares_and_sets_the_state(journal: RedisJournal) -> None:
    pending = records(1)[0]
    await journal.add([pending])
    reserved = attrs.evolve(pending, state=FileState.RESERVED, reservation=FORM)
    assert await journal.put(reserved, expect=FileState.PENDING)
    stored = attrs.evolve(reserved, state=FileState.STORED)
    assert not await journal.put(stored, expect=FileState.PENDING)  # it moved on
    assert await journal.get(pending.key) == reserved
    assert await journal.put(stored, expect=FileState.RESERVED)
    assert await journal.put(attrs.evolve(stored, state=FileState.ANNOUNCED, timetoken=5))
    counts = await journal.counts()
    assert counts[FileState.ANNOUNCED] == 1
    assert sum(counts.values()) == 1
    # a put without expect inserts a missing key, counted and in order
    assert await journal.put(FileRecord(key="new", name="new"))
    assert not await journal.put(FileRecord(key="other", name="o"), expect=FileState.PENDING)
    assert [r.key for r in await journal.records()] == [pending.key, "new"]
    assert (await journal.counts())[FileState.PENDING] == 1


async def test_concurrent_compare_and_set_lets_exactly_one_writer_win(
    journal: RedisJournal,
) -> None:
    pending = records(1)[0]
    await journal.add([pending])
    wins: list[int] = []

    async def write(i: int) -> None:
        record = attrs.evolve(pending, state=FileState.RESERVED, attempts=i)
        if await journal.put(record, expect=FileState.PENDING):
            wins.append(i)

    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(write, i)
    assert len(wins) == 1
    got = await journal.get(pending.key)
    assert got is not None
    assert got.attempts == wins[0]


async def test_claim_takes_a_file_for_one_owner_until_its_lease_runs_out(
    journal: RedisJournal,
) -> None:
    await journal.add(records(1))
    key = records(1)[0].key
    first = await journal.claim(key, "w1", 0.3)
    assert first is not None
    assert first.owner == "w1"
    assert first.lease_until is not None
    refused = await journal.try_claim(key, "w2", 5)
    assert refused.record is None
    assert refused.held_for is not None
    assert 0 < refused.held_for <= 0.3
    assert not refused.final
    again = await journal.claim(key, "w1", 5)  # the holder may take it again: a new lease
    assert again is not None
    assert again.lease_until is not None
    assert again.lease_until > first.lease_until
    await journal.renew(key, "w1", 0.2)
    await anyio.sleep(0.3)
    taken = await journal.claim(key, "w2", 5)  # w1's lease ran out
    assert taken is not None
    assert taken.owner == "w2"
    got = await journal.get(key)
    assert got is not None
    assert (got.owner, got.lease_until) == ("w2", taken.lease_until)
    assert not await journal.renew(key, "w1", 5)  # w1 lost it
    assert not await journal.release(key, "w1")
    assert await journal.release(key, "w2")
    assert await journal.claim(key, "w3", 5) is not None


async def test_claim_refuses_final_and_unknown_files(journal: RedisJournal) -> None:
    a, b, c, d = records(4)
    await journal.add([a, b, c])
    await journal.put(attrs.evolve(a, state=FileState.ANNOUNCED, timetoken=1))
    await journal.put(attrs.evolve(b, state=FileState.FAILED, step="upload", error="boom"))
    await journal.put(attrs.evolve(c, state=FileState.UNKNOWN, reservation=FORM))
    for record in (a, b, c):
        assert await journal.try_claim(record.key, "w", 5) == Claim(None, final=True)
    assert await journal.try_claim(d.key, "w", 5) == Claim(None)
    assert await journal.claim(d.key, "w", 5) is None


async def test_put_keeps_the_lease_and_a_fenced_writer_cannot_overwrite_another_holder(
    redis_url: str, journal: RedisJournal
) -> None:
    pending = records(1)[0]
    await journal.add([pending])
    mine = await journal.claim(pending.key, "w1", 5)
    assert mine is not None
    # a write from a copy without the lease leaves the lease as it is
    assert await journal.put(attrs.evolve(pending, state=FileState.RESERVED, reservation=FORM))
    got = await journal.get(pending.key)
    assert got is not None
    assert (got.owner, got.lease_until) == ("w1", mine.lease_until)
    w1 = RedisJournal(journal._client, "job-1", owner="w1")
    w2 = RedisJournal(journal._client, "job-1", owner="w2")
    stored = attrs.evolve(got, state=FileState.STORED)
    assert not await w2.put(stored)  # w1 holds it
    assert await w1.put(stored, expect=FileState.RESERVED)
    await journal.release(pending.key, "w1")
    assert await w2.put(attrs.evolve(stored, state=FileState.ANNOUNCED, timetoken=3))


async def test_progress_times_the_job_on_the_redis_clock(journal: RedisJournal) -> None:
    await journal.add(records(4))
    empty = await journal.progress()
    assert (empty.total, empty.done, empty.started, empty.last_done, empty.rate) == (
        4, 0, None, None, None,
    )  # fmt: skip
    for record in records(4)[:2]:
        claimed = await journal.claim(record.key, "w", 5)
        assert claimed is not None
        await anyio.sleep(0.05)
        await journal.put(attrs.evolve(claimed, state=FileState.ANNOUNCED, timetoken=1))
    progress = await journal.progress()
    assert progress.done == 2
    assert progress.counts[FileState.ANNOUNCED] == 2
    assert progress.started is not None
    assert progress.last_done is not None
    assert progress.last_done > progress.started
    assert progress.rate is not None
    assert 2 / 1.0 < progress.rate < 2 / 0.05


async def test_settings_are_bound_once_and_checked_after(journal: RedisJournal) -> None:
    assert await journal.settings() is None
    settings = JobSettings(channel="ch", subscribe_key="sub-c-1", encrypted=False)
    await journal.bind(settings)
    await journal.bind(settings)
    assert await journal.settings() == settings
    with pytest.raises(JournalMismatchError, match="channel 'ch', not 'other'"):
        await journal.bind(attrs.evolve(settings, channel="other"))


async def test_jobs_are_namespaced_and_deleted_whole(redis_url: str, journal: RedisJournal) -> None:
    client = aioredis.Redis.from_url(redis_url)
    other = RedisJournal(client, "job-2")
    try:
        await journal.add(records(2))
        await other.add(records(1))
        assert len(await journal.records()) == 2
        assert len(await other.records()) == 1
        assert all(k.startswith(b"aiospaces:job:{job-") for k in await client.keys("*"))  # type: ignore[arg-type]
        await journal.delete()
        assert await journal.records() == []
        assert await client.keys(job_prefix("job-1") + "*") == []
        assert len(await other.records()) == 1
    finally:
        await client.aclose()


async def test_bad_arguments_are_refused_before_any_request(journal: RedisJournal) -> None:
    with pytest.raises(ValidationError, match="job"):
        RedisJournal(journal._client, "")
    with pytest.raises(ValidationError, match="lease"):
        await journal.try_claim("k", "w", 0)
    with pytest.raises(ValidationError, match="owner"):
        await journal.try_claim("k", "", 5)
