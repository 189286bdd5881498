"""The ``upload_file`` task and what a worker process keeps for it (one Session, one limiter).

[register][aiospaces.distributed.tasks.register] adds the task to any taskiq broker, with
startup and shutdown handlers that open and close the worker process's
[WorkerRuntime][aiospaces.distributed.tasks.WorkerRuntime]. A task is one file of one job:

1. the file is claimed in the job's [RedisJournal][aiospaces.distributed.redis_journal.RedisJournal]
   with a lease (renewed every third of it while the worker works on the file);
2. [FileSteps.advance][aiospaces.pubnub.journal_steps.FileSteps.advance] does what remains of
   it, writing the journal before and after each step;
3. the task's message is acknowledged only once the file is final (announced, failed, or its
   announcement unknown) — whoever made it so.

A task for a file another worker holds waits for that hold to run out (the holder died) and
takes the file; if the hold is renewed (the holder is alive), the task ends without
acknowledging its message, which the broker hands out again after its redelivery timeout. So
no message is acknowledged while its file can still need work, and a task delivered twice
never uploads or announces a file twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import attrs
import httpx
from redis.exceptions import RedisError
from taskiq import Context, TaskiqDepends, TaskiqEvents

from aiospaces.core import validate
from aiospaces.core.errors import ValidationError
from aiospaces.core.transport import redact_url
from aiospaces.distributed.redis_journal import RedisJournal, redis_client
from aiospaces.distributed.settings import WorkerSettings
from aiospaces.pubnub.config import PubNubConfig
from aiospaces.pubnub.journal import FINAL_STATES, Action, FileState, JobSettings, StepOutcome
from aiospaces.pubnub.journal_steps import FileSteps
from aiospaces.pubnub.report import UploadItem
from aiospaces.session import Session

if TYPE_CHECKING:
    from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask, TaskiqState

    from aiospaces.pubnub.client import PubNub
    from aiospaces.pubnub.journal import FileRecord

__all__ = ["TASK_NAME", "TaskResult", "WorkerRuntime", "is_url", "job_settings", "register"]

TASK_NAME = "aiospaces.upload_file"
"""The task's name on the queue."""

_logger = logging.getLogger("aiospaces.distributed")
_CONTEXT: Any = TaskiqDepends()  # the task's taskiq Context, to acknowledge its message


def is_url(key: str) -> bool:
    """Whether a file key is a URL (its content is downloaded) rather than a path."""
    return key.startswith(("http://", "https://"))


def job_settings(config: PubNubConfig, channel: str) -> JobSettings:
    """Return the settings a job's files are uploaded with by a client of ``config``."""
    return JobSettings.for_job(
        channel, config.subscribe_key, cipher_key=config.cipher_key, crypto=config.crypto
    )


@attrs.frozen
class TaskResult:
    """What one ``upload_file`` task found or did.

    Attributes:
        state: The file's state when the task ended (``"held"``: another worker holds it;
            ``"missing"``: not in the job).
        done: Whether the task's message is acknowledged (the file is final or missing).
        actions: What was done to the file (see [Action][aiospaces.pubnub.journal.Action]).
    """

    state: str
    done: bool
    actions: tuple[Action, ...] = ()


class WorkerRuntime:
    """What one worker process shares between its tasks: a Session, Redis, a limiter.

    Opened by the broker's worker startup event, closed by its shutdown event.

    Args:
        settings: The worker's settings (default: from the environment when started).
        config: The PubNub settings (default: from the environment when started, by
            [PubNubConfig.from_env][aiospaces.core.settings.BaseConfig.from_env]).
    """

    def __init__(
        self, settings: WorkerSettings | None = None, config: PubNubConfig | None = None
    ) -> None:
        self._settings = settings
        self._config = config
        self._stack: AsyncExitStack | None = None
        self._jobs: dict[str, JobSettings] = {}
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        """This process, as named in the leases it takes."""

    async def start(self) -> None:
        """Open the Session, the PubNub client and the Redis client."""
        self.settings = self._settings or WorkerSettings.from_env()
        self.config = self._config or PubNubConfig.from_env()
        async with AsyncExitStack() as stack:
            self.session = await stack.enter_async_context(Session())
            self.pubnub: PubNub = self.session.pubnub(config=self.config)
            self.redis = redis_client(self.settings.redis_url)
            stack.push_async_callback(self.redis.aclose)
            self.limiter = anyio.CapacityLimiter(self.settings.concurrency)
            self._jobs_lock = anyio.Lock()
            self._stack = stack.pop_all()

    async def stop(self) -> None:
        """Close what ``start`` opened."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    async def upload(self, job: str, key: str) -> TaskResult:
        """Take ``key`` of ``job`` and do what remains of it; see the module's description.

        Raises:
            RuntimeError: The runtime was not started.
            JournalMismatchError: This worker's PubNub settings are not the job's.
        """
        if self._stack is None:
            raise RuntimeError("the worker runtime is not started (no worker startup event)")
        owner = f"{self.worker_id}:{uuid.uuid4().hex[:12]}"  # one per task: never itself
        journal = RedisJournal(self.redis, job, owner=owner)
        channel = await self._check(job, journal)
        waited = False
        while True:
            async with self.limiter:
                claim = await journal.try_claim(key, owner, self.settings.lease)
                if claim.record is not None:
                    return await self._advance(journal, claim.record, owner, channel)
            if claim.held_for is None:
                return TaskResult("final" if claim.final else "missing", done=True)
            if waited:  # renewed: its holder is alive; the message comes back later
                return TaskResult("held", done=False)
            await anyio.sleep(claim.held_for + 0.05)
            waited = True

    async def _check(self, job: str, journal: RedisJournal) -> str:
        """Return the job's channel once this worker's settings are checked against it."""
        known = self._jobs.get(job)
        if known is None:
            async with self._jobs_lock:  # one read for the many tasks that start at once
                known = self._jobs.get(job) or await self._read_settings(job, journal)
        return known.channel

    async def _read_settings(self, job: str, journal: RedisJournal) -> JobSettings:
        recorded = await journal.settings()
        if recorded is None:
            raise LookupError(f"the job {job!r} has no settings in Redis (not enqueued)")
        job_settings(self.config, recorded.channel).check(recorded, f"the job {job!r}")
        self._jobs[job] = recorded
        return recorded

    async def _advance(
        self, journal: RedisJournal, record: FileRecord, owner: str, channel: str
    ) -> TaskResult:
        steps = FileSteps(self.pubnub, journal, channel, retries=self.settings.retries)
        outcome: StepOutcome | None = None
        try:
            async with AsyncExitStack() as files:
                # No cancel() on the happy path: anyio names the cancelling task in its reason,
                # and under taskiq that repr walks every running task (~0.1 s each time).
                steps_scope, finished = anyio.CancelScope(), anyio.Event()
                async with anyio.create_task_group() as tg:  # the lease is kept from here on
                    tg.start_soon(self._keep, journal, record.key, owner, steps_scope, finished)
                    with steps_scope:
                        try:
                            item = await self._item(record, files)
                        except (httpx.HTTPError, ValidationError, OSError) as exc:
                            outcome = await _unfetchable(journal, record, exc)
                        else:
                            outcome = await steps.advance(record, item)
                    finished.set()
        finally:
            with anyio.CancelScope(shield=True), contextlib.suppress(RedisError):
                await journal.release(record.key, owner)
        if outcome is None:  # the lease was lost and the steps were cancelled
            return TaskResult("held", done=False)
        state = outcome.record.state
        done = state in FINAL_STATES and Action.LOST not in outcome.actions
        return TaskResult(state.value, done=done, actions=outcome.actions)

    async def _keep(
        self,
        journal: RedisJournal,
        key: str,
        owner: str,
        steps: anyio.CancelScope,
        done: anyio.Event,
    ) -> None:
        """Renew the lease every third of it until ``done``; cancel ``steps`` if it is lost."""
        lease = self.settings.lease
        while True:
            with anyio.move_on_after(lease / 3):
                await done.wait()
            if done.is_set():
                return
            if not await journal.renew(key, owner, lease):
                _logger.warning("lost the hold on %s (another worker took it over)", key)
                steps.cancel()
                return

    async def _item(self, record: FileRecord, files: AsyncExitStack) -> UploadItem:
        """Return the file's content: its path, or a URL's content in a temporary file."""
        if not is_url(record.key):
            return UploadItem(Path(record.key), file_name=record.name)
        url = validate.http_url(record.key, "url", query=True)
        folder = files.enter_context(tempfile.TemporaryDirectory(prefix="aiospaces-"))
        path = Path(folder) / "content"
        client = self.session.http_client
        async with client.stream("GET", url, follow_redirects=True) as response:
            response.raise_for_status()
            async with await anyio.open_file(path, "wb") as out:
                async for chunk in response.aiter_bytes():
                    await out.write(chunk)
        return UploadItem(path, file_name=record.name)


async def _unfetchable(journal: RedisJournal, record: FileRecord, error: Exception) -> StepOutcome:
    """Record a file whose URL gave no content as failed at ``prepare`` (final: acknowledged).

    The error names the redacted URL and what went wrong, never the URL's query: a rerun of
    the job (``files enqueue`` again) tries it anew.
    """
    reason = type(error).__name__
    if isinstance(error, httpx.HTTPStatusError):
        reason = f"HTTP {error.response.status_code}"
    text = f"the file could not be fetched from {redact_url(record.key)}: {reason}"
    failed = attrs.evolve(
        record, state=FileState.FAILED, step="prepare", error=text, updated=time.time()
    )
    if not await journal.put(failed, expect=record.state):
        return StepOutcome(record, None, (Action.LOST,), error=error)
    return StepOutcome(failed, None, (Action.FAILED,), error=error)


def register(
    broker: AsyncBroker, runtime: WorkerRuntime | None = None
) -> AsyncTaskiqDecoratedTask[[str, str], Any]:
    """Add ``upload_file(job, key)`` to ``broker``; return the task (``.kiq(job, key)``).

    Worker processes of ``broker`` open ``runtime`` (default: a new one) on startup and close it
    on shutdown. The task's messages are acknowledged by the task itself (taskiq's ``manual``
    acknowledgement), only once the file is final.
    """
    runtime = runtime or WorkerRuntime()

    async def startup(state: TaskiqState) -> None:
        await runtime.start()

    async def shutdown(state: TaskiqState) -> None:
        await runtime.stop()

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, startup)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, shutdown)

    async def upload_file(job: str, key: str, context: Context = _CONTEXT) -> str:
        result = await runtime.upload(job, key)
        if result.done and context.is_ackable:  # brokers without acknowledgements: at most once
            await context.ack()
        _logger.info("%s %s: %s %s", job, key, result.state, ",".join(result.actions))
        return result.state

    task: AsyncTaskiqDecoratedTask[[str, str], Any] = broker.task(
        task_name=TASK_NAME, ack_type="manual"
    )(upload_file)
    return task
