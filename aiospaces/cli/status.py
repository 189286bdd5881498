"""``aiospaces files status JOURNAL``: where a journaled bulk upload stands.

Prints the job's channel, how many files are in each state, the failures and the throughput;
``--report out.json`` also writes the [StatusReport][aiospaces.pubnub.job_status.StatusReport]
JSON. Reading a journal needs no lock: it works while the job runs.
"""

from __future__ import annotations

import json
from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import TYPE_CHECKING, Annotated

import anyio
import typer
from rich.console import Console
from rich.table import Table

from aiospaces.cli.distributed import BROKER_HELP, DEFAULT_BROKER, read_job_status
from aiospaces.cli.units import iec
from aiospaces.pubnub.job_status import JobStatus
from aiospaces.pubnub.journal import FileState, JournalError
from aiospaces.pubnub.sqlite_journal import SqliteJournal

if TYPE_CHECKING:
    from aiospaces.pubnub.report import UploadReport

__all__ = ["print_resumed", "print_status", "read_status", "status"]


def status(
    journal: Annotated[
        Path | None, typer.Argument(help="The job's journal (upload --journal).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write the status as JSON to this file.")
    ] = None,
    job: Annotated[
        str | None, typer.Option(help="A distributed job instead (files enqueue --job).")
    ] = None,
    broker: Annotated[
        str, typer.Option(envvar="AIOSPACES_REDIS_URL", help=BROKER_HELP)
    ] = DEFAULT_BROKER,
) -> None:
    """Show a journaled upload's progress: files per state, failures, throughput."""
    if (journal is None) == (job is None):
        raise typer.BadParameter("give a JOURNAL, or --job NAME for a distributed job")
    try:
        if journal is not None:
            summary = anyio.run(read_status, journal)
        elif job is not None:
            summary = anyio.run(read_job_status, job, broker)
    except JournalError as error:
        raise typer.BadParameter(
            str(error), param_hint="JOURNAL" if journal else "--job"
        ) from error
    print_status(summary, Console())
    if report is not None:
        report.write_text(json.dumps(summary.to_dict(), indent=2) + "\n")


async def read_status(path: Path) -> JobStatus:
    """Read the journal at ``path`` (without locking it) and summarise it."""
    async with await SqliteJournal.open(path, create=False, lock=False) as journal:
        return await JobStatus.read(journal)


def print_status(summary: JobStatus, console: Console) -> None:
    """Print the counts, the failures and the throughput."""
    settings = summary.settings
    where = "no run yet" if settings is None else f"channel {settings.channel!r}"
    if settings is not None and settings.encrypted:
        where += f", encrypted ({settings.crypto})"
    announced = summary.counts[FileState.ANNOUNCED]
    console.print(f"{announced} of {summary.total} files announced ({where})")
    table = Table()
    table.add_column("state")
    table.add_column("files", justify="right")
    for state, count in summary.counts.items():
        table.add_row(state.value, str(count))
    console.print(table)
    if summary.failures:
        failures = Table(title="failures")
        for column in ("file", "state", "step", "error", "file id"):
            failures.add_column(column)
        for record in summary.failures:
            failures.add_row(
                record.key,
                record.state.value,
                record.step or "",
                record.error or "",
                record.file_id or "",
            )
        console.print(failures)
    rate = summary.files_per_second
    speed = summary.bytes_per_second
    console.print(
        f"{iec(summary.bytes_announced)} announced in {summary.busy_seconds:.2f} s of work"
        + (f"; {rate:.1f} files/s, {iec(speed)}/s" if rate and speed is not None else "")
    )


def print_resumed(report: UploadReport, console: Console) -> None:
    """Print what a rerun did with the files an earlier run had begun."""
    if not report.resumed:
        return
    skipped = [r for r in report.resumed if r.resumed_from is FileState.ANNOUNCED]
    table = Table(title=f"resumed from the journal ({len(skipped)} already announced: skipped)")
    table.add_column("file")
    table.add_column("found")
    table.add_column("done")
    table.add_column("file id")
    for note in report.resumed:
        if note.resumed_from is FileState.ANNOUNCED:
            continue
        done = ", ".join(action.value.replace("_", " ") for action in note.actions)
        if note.abandoned:
            done += f" (abandoned {', '.join(note.abandoned)})"
        table.add_row(str(note.item.source), note.resumed_from.value, done, note.file_id or "")
    console.print(table)
