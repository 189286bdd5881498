"""A distributed job's files: read from paths, directories and lists, journaled, sent as tasks.

```python
records = manifest_records(["photos/", "@more.txt", "https://example.com/a.png"])
report = await enqueue(journal, upload_file, records, settings)
```

- a path names a file (its key is its absolute path, as in a single-process journal);
- a directory stands for every file under it (walked in name order, symbolic links to
  directories not followed);
- ``@LIST`` is a text file naming one path, directory or URL per line (blank lines and lines
  starting with ``#`` skipped);
- an ``http://`` or ``https://`` URL is downloaded by the worker that takes it.

Workers must see the paths as the enqueuing machine does (a shared file system).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import anyio
import attrs

from aiospaces.core.errors import ValidationError
from aiospaces.core.threads import run_blocking
from aiospaces.distributed.tasks import is_url
from aiospaces.pubnub.journal import FileRecord
from aiospaces.pubnub.journal_steps import record_for
from aiospaces.pubnub.report import UploadItem

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from taskiq import AsyncTaskiqDecoratedTask

    from aiospaces.distributed.redis_journal import RedisJournal
    from aiospaces.pubnub.journal import JobSettings

__all__ = ["ENQUEUE_BATCH", "ENQUEUE_CONCURRENCY", "EnqueueReport", "enqueue", "manifest_records"]

ENQUEUE_BATCH = 500
"""Files written to the journal, then sent as tasks, at a time."""
ENQUEUE_CONCURRENCY = 16
"""Tasks being sent at once. Each one in flight holds a connection of the broker's pool, which
has no bound by default: a batch sent all at once opened about 100 Redis connections per 1,000
files, 16 at a time about 18."""


async def _send(task: AsyncTaskiqDecoratedTask[[str, str], Any], job: str, keys: list[str]) -> None:
    """Send a task per key, ``ENQUEUE_CONCURRENCY`` at a time."""
    limiter = anyio.CapacityLimiter(ENQUEUE_CONCURRENCY)

    async def send(key: str) -> None:
        async with limiter:
            await task.kiq(job, key)

    async with anyio.create_task_group() as tg:
        for key in keys:
            tg.start_soon(send, key)


def manifest_records(sources: Iterable[str | os.PathLike[str]]) -> Iterator[FileRecord]:
    """Yield the ``pending`` record of every file ``sources`` name (reads the file system).

    Raises:
        ValidationError: A path does not exist, or a list cannot be read.
    """
    for source in sources:
        text = os.fspath(source)
        if text.startswith("@"):
            yield from _listed(Path(text[1:]))
        else:
            yield from _one(text)


def _listed(listing: Path) -> Iterator[FileRecord]:
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read the list {listing}: {exc}") from exc
    for line in lines:
        entry = line.strip()
        if entry and not entry.startswith("#"):
            yield from _one(entry)


def _one(entry: str) -> Iterator[FileRecord]:
    if is_url(entry):
        name = unquote(PurePosixPath(urlsplit(entry).path).name) or "file"
        yield FileRecord(key=entry, name=name)
        return
    path = Path(entry)
    if path.is_dir():
        for folder, subfolders, files in os.walk(path):
            subfolders.sort()
            for name in sorted(files):
                yield _file(Path(folder) / name)
    elif path.is_file():
        yield _file(path)
    else:
        raise ValidationError(f"{entry} is neither a file, a directory, nor a URL")


def _file(path: Path) -> FileRecord:
    """Return a path's record, keyed as a single-process journaled job keys it."""
    return record_for(UploadItem(path), path.stat().st_size)


@attrs.frozen
class EnqueueReport:
    """What [enqueue][aiospaces.distributed.manifest.enqueue] did.

    Attributes:
        files: Files named by the manifest.
        added: Files new to the job.
        sent: Tasks sent: one per file not final yet (new or left from an earlier enqueue).
    """

    files: int
    added: int
    sent: int


async def enqueue(
    journal: RedisJournal,
    task: AsyncTaskiqDecoratedTask[[str, str], Any],
    records: Iterable[FileRecord],
    settings: JobSettings,
    *,
    batch: int = ENQUEUE_BATCH,
    on_progress: Callable[[EnqueueReport], None] | None = None,
) -> EnqueueReport:
    """Write ``records`` into the job's journal and send one task per file still to do.

    Files already in the job keep their records; those not final yet get a task again (a
    task for a file that is done, or held by a worker, is harmless). ``records`` is read
    ``batch`` at a time in a worker thread, so it may walk a large tree lazily.

    Args:
        journal: The job's journal.
        task: The ``upload_file`` task (from [register][aiospaces.distributed.tasks.register]).
        records: The job's files (see
            [manifest_records][aiospaces.distributed.manifest.manifest_records]).
        settings: The job's settings, recorded on the first enqueue and checked after.
        batch: Files journaled, then sent as tasks (``ENQUEUE_CONCURRENCY`` at once), at a time.
        on_progress: Called with the totals after each batch.

    Raises:
        JournalMismatchError: The job was enqueued before with other settings.
    """
    await journal.bind(settings)
    iterator = iter(records)
    report = EnqueueReport(0, 0, 0)
    while chunk := await run_blocking(lambda: list(itertools.islice(iterator, batch))):
        unique = list({record.key: record for record in chunk}.values())
        added, to_do = await journal.add_open(unique)
        await _send(task, journal.job, to_do)
        report = EnqueueReport(
            report.files + len(chunk), report.added + added, report.sent + len(to_do)
        )
        if on_progress is not None:
            on_progress(report)
    return report
