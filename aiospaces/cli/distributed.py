"""``aiospaces files enqueue`` and ``files status --job``: distributed jobs from the command line.

They need the ``distributed`` extra, imported when a command runs (the rest of the command
line works without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import anyio
import attrs
import typer
from rich.console import Console

from aiospaces.core.errors import ValidationError
from aiospaces.pubnub.job_status import JobStatus
from aiospaces.pubnub.journal import JobSettings, JournalError

if TYPE_CHECKING:
    from aiospaces.distributed.manifest import EnqueueReport

__all__ = ["BROKER_HELP", "DEFAULT_BROKER", "enqueue", "read_job_status"]

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
"""The Redis server used when neither ``--broker`` nor ``AIOSPACES_REDIS_URL`` is given."""
BROKER_HELP = "Redis URL of the queue and the job journals (AIOSPACES_REDIS_URL)."
"""The help of the ``--broker`` options."""
_EXTRA = "the distributed extra is not installed: pip install 'aiospaces[distributed]'"


def enqueue(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Files, directories (every file under them), URLs, or @LIST: a file naming "
            "one of those per line.",
            show_default=False,
        ),
    ],
    job: Annotated[str, typer.Option(help="The job's name (its journal in Redis).")],
    broker: Annotated[
        str, typer.Option(envvar="AIOSPACES_REDIS_URL", help=BROKER_HELP)
    ] = DEFAULT_BROKER,
    channel: Annotated[
        str | None, typer.Option(help="Channel to share the files on (default: the job's name).")
    ] = None,
    subscribe_key: Annotated[
        str | None, typer.Option(envvar="PUBNUB_SUBSCRIBE_KEY", help="The workers' keyset.")
    ] = None,
    cipher_key: Annotated[
        str | None,
        typer.Option(
            envvar="PUBNUB_CIPHER_KEY",
            help="Set when the workers encrypt (only whether it is set is recorded).",
        ),
    ] = None,
    crypto: Annotated[
        str, typer.Option(envvar="PUBNUB_CRYPTO", help="The workers' cryptor: aescbc or legacy.")
    ] = "aescbc",
) -> None:
    """Add files to a distributed job and send one task per file to its workers.

    Files already in the job keep their records; those not done yet get a task again.
    """
    if not subscribe_key:
        raise typer.BadParameter("pass --subscribe-key or set PUBNUB_SUBSCRIBE_KEY")
    console = Console(stderr=True)
    try:
        settings = JobSettings.for_job(
            channel or job, subscribe_key, cipher_key=cipher_key, crypto=crypto
        )
        report = anyio.run(_enqueue, sources, job, broker, settings, console)
    except (ValidationError, JournalError) as error:
        raise typer.BadParameter(str(error)) from error
    except ImportError as error:
        raise typer.BadParameter(_EXTRA) from error
    Console().print(
        f"{report.files} files in job {job!r} ({report.added} new); {report.sent} tasks sent. "
        f"Watch it with: aiospaces files status --job {job}"
    )


async def _enqueue(
    sources: list[str], job: str, url: str, settings: JobSettings, console: Console
) -> EnqueueReport:
    from aiospaces.distributed.broker import make_broker  # noqa: PLC0415 - optional extra
    from aiospaces.distributed.manifest import enqueue, manifest_records  # noqa: PLC0415
    from aiospaces.distributed.redis_journal import RedisJournal  # noqa: PLC0415
    from aiospaces.distributed.settings import WorkerSettings  # noqa: PLC0415
    from aiospaces.distributed.tasks import register  # noqa: PLC0415

    queue = attrs.evolve(WorkerSettings.from_env(), redis_url=url)  # the queue's name too
    broker = make_broker(queue)
    task = register(broker)
    journal = RedisJournal.from_url(url, job)
    await broker.startup()
    try:
        with console.status("enqueueing") as spinner:

            def progress(report: EnqueueReport) -> None:
                spinner.update(f"{report.files} files, {report.sent} tasks sent")

            return await enqueue(
                journal, task, manifest_records(sources), settings, on_progress=progress
            )
    finally:
        await broker.shutdown()
        await journal.aclose()


async def read_job_status(job: str, url: str) -> JobStatus:
    """Summarise the distributed job ``job`` from its journal in Redis at ``url``.

    Raises:
        JournalError: There is no such job.
    """
    from aiospaces.distributed.redis_journal import RedisJournal  # noqa: PLC0415 - extra

    journal = RedisJournal.from_url(url, job)
    try:
        summary = await JobStatus.read(journal)
    finally:
        await journal.aclose()
    if summary.settings is None and not summary.records:
        raise JournalError(f"there is no job {job!r} in {_safe(url)}")
    return summary


def _safe(url: str) -> str:
    """Return ``url`` without a password."""
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}://{host}" if at and credentials else url
