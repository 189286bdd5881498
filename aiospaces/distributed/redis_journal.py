"""The journal of a distributed bulk job, in Redis: any worker can take up any file.

```python
journal = RedisJournal.from_url("redis://127.0.0.1:6379/0", "photos-2026")
claim = await journal.try_claim(key, owner="host-1:4242", lease=20)
if claim.record is not None:
    ...  # the file is ours for 20 s; renew() keeps it, release() gives it back
```

It has the states and transitions of the single-process journal
([JobJournal][aiospaces.pubnub.journal.JobJournal]), and every call is atomic for its file (a
Lua script, or one ``MULTI``/``EXEC``). A job's keys share the prefix
``aiospaces:job:{NAME}:`` (the braces keep them in one Redis Cluster slot):

| key | holds |
|---|---|
| ``records`` | hash: file key → the record as JSON (without its lease) |
| ``states`` | hash: file key → its state (what compare-and-set and claims read) |
| ``leases`` | hash: file key → ``"UNTIL OWNER"``, the worker holding it and until when |
| ``order`` | list of file keys, in the order they were added |
| ``counts`` | hash: state → how many files are in it (kept by every write) |
| ``meta`` | hash: ``started`` (first claim), ``last_done`` (last file to end) |
| ``settings`` | the job's [JobSettings][aiospaces.pubnub.journal.JobSettings] as JSON |

Leases are timed by the Redis server's clock (``TIME``), so the workers' clocks need not
agree. A lease is changed only by ``try_claim``, ``renew`` and ``release``: ``put`` keeps it, so a
record written from an older copy never shortens it. A journal opened with ``owner`` refuses
to write a file another owner holds (a worker that lost its lease cannot overwrite the work of
the one that took the file over).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
import redis.asyncio as aioredis

from aiospaces.core import validate
from aiospaces.distributed import _lua
from aiospaces.pubnub.journal import FINAL_STATES, FileRecord, FileState, JobSettings

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ADD_BATCH",
    "MAX_CONNECTIONS",
    "Claim",
    "JobProgress",
    "RedisJournal",
    "job_prefix",
    "redis_client",
]

ADD_BATCH = 500
"""Records written by one call of the add script."""
MAX_CONNECTIONS = 32
"""Connections a client of [redis_client][aiospaces.distributed.redis_journal.redis_client]
opens at most; more calls at once wait for one."""


def redis_client(url: str, max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    """Return a client of the Redis server at ``url`` whose calls wait for a free connection.

    (A plain client's pool raises "Too many connections" when more calls are out at once.)
    """
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=max_connections)
    return aioredis.Redis.from_pool(pool)  # closes the pool when closed


def job_prefix(job: str) -> str:
    """Return the prefix of every Redis key of job ``job``."""
    return f"aiospaces:job:{{{job}}}:"


@attrs.frozen
class Claim:
    """What [try_claim][aiospaces.distributed.redis_journal.RedisJournal.try_claim] found.

    Attributes:
        record: The record, now held by the caller; None when refused.
        held_for: Refused because another owner holds the file: seconds its lease has left
            (it may be renewed). None when taken, or when refused because the file is final or
            not in the job.
        final: Refused because the file is in a final state.
    """

    record: FileRecord | None
    held_for: float | None = None
    final: bool = False


@attrs.frozen
class JobProgress:
    """A job's progress across its workers.

    Attributes:
        counts: Files per state (every state, zeros included).
        started: When a worker first took a file (Redis clock, seconds since the epoch).
        last_done: When the last file reached a final state.
    """

    counts: dict[FileState, int]
    started: float | None
    last_done: float | None

    @property
    def total(self) -> int:
        """How many files the job has."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """How many files are in a final state."""
        return sum(n for state, n in self.counts.items() if state in FINAL_STATES)

    @property
    def rate(self) -> float | None:
        """Files ended per second, from the first claim to the last file ended."""
        if self.started is None or self.last_done is None or self.last_done <= self.started:
            return None
        return self.done / (self.last_done - self.started)


class RedisJournal:
    """A job's journal in Redis, shared by every worker of the job.

    Implements [JobJournal][aiospaces.pubnub.journal.JobJournal], plus the leases of
    distributed work: [try_claim][aiospaces.distributed.redis_journal.RedisJournal.try_claim],
    [renew][aiospaces.distributed.redis_journal.RedisJournal.renew],
    [release][aiospaces.distributed.redis_journal.RedisJournal.release].

    Args:
        client: A ``redis.asyncio.Redis`` client (not closed by ``aclose``).
        job: The job's name.
        owner: Writes through this journal are this worker's: a file another owner holds
            (a live lease) is not overwritten. None: no such check.
    """

    def __init__(self, client: aioredis.Redis, job: str, *, owner: str | None = None) -> None:
        validate.identifier(job, "job")
        if owner is not None:
            validate.text(owner, "owner")
        self.job = job
        self.owner = owner
        self._client = client
        self._owns_client = False
        prefix = job_prefix(job)
        self._keys = {
            name: prefix + name
            for name in ("records", "states", "leases", "order", "counts", "meta", "settings")
        }
        self._add = client.register_script(_lua.ADD)
        self._put = client.register_script(_lua.PUT)
        self._claim = client.register_script(_lua.CLAIM)
        self._renew = client.register_script(_lua.RENEW)

    @classmethod
    def from_url(cls, url: str, job: str, *, owner: str | None = None) -> RedisJournal:
        """Return the journal of ``job`` on the Redis server at ``url`` (closed by ``aclose``)."""
        journal = cls(redis_client(url), job, owner=owner)
        journal._owns_client = True
        return journal

    def _k(self, *names: str) -> list[str]:
        return [self._keys[name] for name in names]

    async def bind(self, settings: JobSettings) -> None:
        """Record the job's settings on first use; later, check they are the same.

        Raises:
            JournalMismatchError: The job was created with other settings.
        """
        text = json.dumps(settings.to_dict(), sort_keys=True)
        if await self._client.set(self._keys["settings"], text, nx=True):
            return
        recorded = await self.settings()
        if recorded is not None:
            settings.check(recorded, where=f"the job {self.job!r} in Redis")

    async def settings(self) -> JobSettings | None:
        """Return the job's recorded settings, or None before the first ``bind``."""
        text = await self._client.get(self._keys["settings"])
        return None if text is None else JobSettings.from_dict(json.loads(text))

    async def add(self, records: Sequence[FileRecord]) -> int:
        """Insert the records whose key is missing (untouched if there); return how many were."""
        added, _ = await self.add_open(records)
        return added

    async def add_open(self, records: Sequence[FileRecord]) -> tuple[int, list[str]]:
        """Insert the records whose key is missing; say what there is to do.

        Returns:
            How many records were new, and the keys of ``records`` whose file is not final
            (new ones included), in order.
        """
        added = 0
        open_keys: list[str] = []
        keys = self._k("records", "states", "order", "counts")
        for start in range(0, len(records), ADD_BATCH):
            args: list[str] = []
            for record in records[start : start + ADD_BATCH]:
                args += [record.key, _without_lease(record), record.state.value]
            answer = await self._add(keys=keys, args=args)
            added += int(answer[0])
            open_keys += [_text(key) for key in answer[1:]]
        return added, open_keys

    async def get(self, key: str) -> FileRecord | None:
        """Return the record of ``key`` with its lease, or None."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hget(self._keys["records"], key)
            pipe.hget(self._keys["leases"], key)
            text, lease = await pipe.execute()
        return None if text is None else _with_lease(text, lease)

    async def put(self, record: FileRecord, *, expect: FileState | None = None) -> bool:
        """Write ``record`` (its lease fields are ignored); return whether it was written.

        With ``expect``, write only if the stored state is still ``expect``. A journal opened
        with an ``owner`` also refuses to write a file another owner holds.
        """
        final = "1" if record.state in FINAL_STATES else "0"
        args = [
            record.key,
            self.owner or "",
            _without_lease(record),
            record.state.value,
            expect.value if expect is not None else "",
            final,
        ]
        keys = self._k("states", "leases", "records", "order", "counts", "meta")
        return bool(await self._put(keys=keys, args=args))

    async def claim(self, key: str, owner: str, lease: float) -> FileRecord | None:
        """Take ``key`` for ``owner`` for ``lease`` seconds; return the record, or None.

        Refused when the file is not in the job, is final, or another owner holds it.
        """
        return (await self.try_claim(key, owner, lease)).record

    async def try_claim(self, key: str, owner: str, lease: float) -> Claim:
        """Take ``key`` for ``owner`` for ``lease`` seconds, or say why not.

        ``owner`` may take again a file it holds (its lease starts over), or one whose holder's
        lease ran out.
        """
        validate.text(owner, "owner")
        validate.number(lease, "lease", minimum=0.001)
        args = [key, owner, repr(float(lease)), *(state.value for state in FINAL_STATES)]
        answer = await self._claim(keys=self._k("states", "leases", "records", "meta"), args=args)
        kind = _text(answer[0])
        if kind == "claimed":
            record = FileRecord.from_json(answer[1])
            return Claim(attrs.evolve(record, owner=owner, lease_until=float(answer[2])))
        if kind == "held":
            return Claim(None, held_for=float(answer[1]))
        return Claim(None, final=kind == "final")

    async def renew(self, key: str, owner: str, lease: float) -> bool:
        """Extend ``owner``'s hold on ``key`` to ``lease`` seconds from now.

        Returns False when ``owner`` no longer holds it (another worker took it over).
        """
        validate.number(lease, "lease", minimum=0.001)
        args = [key, owner, repr(float(lease))]
        return bool(await self._renew(keys=self._k("states", "leases"), args=args))

    async def release(self, key: str, owner: str) -> bool:
        """Give ``key`` back, so any worker may take it at once.

        Returns False when ``owner`` did not hold it.
        """
        return bool(await self._renew(keys=self._k("states", "leases"), args=[key, owner, "0"]))

    async def records(self, *, batch: int = 1000) -> list[FileRecord]:
        """Return every record with its lease, in the order added (read ``batch`` at a time)."""
        found: list[FileRecord] = []
        start = 0
        while True:
            keys = await self._client.lrange(self._keys["order"], start, start + batch - 1)
            if not keys:
                return found
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hmget(self._keys["records"], keys)
                pipe.hmget(self._keys["leases"], keys)
                texts, leases = await pipe.execute()
            found += [
                _with_lease(text, lease)
                for text, lease in zip(texts, leases, strict=True)
                if text is not None
            ]
            start += batch

    async def counts(self) -> dict[FileState, int]:
        """Return how many files are in each state (every state, zeros included)."""
        return (await self.progress()).counts

    async def progress(self) -> JobProgress:
        """Return the job's counts and timing, in one read."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._keys["counts"])
            pipe.hmget(self._keys["meta"], ["started", "last_done"])
            raw, (started, last_done) = await pipe.execute()
        counts = dict.fromkeys(FileState, 0)
        for state, count in raw.items():
            counts[FileState(_text(state))] = int(count)
        return JobProgress(
            counts=counts,
            started=None if started is None else float(started),
            last_done=None if last_done is None else float(last_done),
        )

    async def delete(self) -> None:
        """Remove every key of the job."""
        await self._client.delete(*self._keys.values())

    async def aclose(self) -> None:
        """Close the Redis client if this journal made it (``from_url``)."""
        if self._owns_client:
            await self._client.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _without_lease(record: FileRecord) -> str:
    return attrs.evolve(record, owner=None, lease_until=None).to_json()


def _with_lease(text: bytes | str, lease: bytes | str | None) -> FileRecord:
    record = FileRecord.from_json(text)
    if lease is None:
        return record
    until, owner = _text(lease).split(" ", 1)
    return attrs.evolve(record, owner=owner, lease_until=float(until))
