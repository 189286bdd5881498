"""``aiospaces files ...``: PubNub file sharing from the command line."""

from __future__ import annotations

import time
from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import TYPE_CHECKING, Annotated

import anyio
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from aiospaces.cli.distributed import enqueue
from aiospaces.cli.status import print_resumed, status
from aiospaces.cli.watch import WatchStats, watch_files
from aiospaces.core.errors import ValidationError
from aiospaces.pubnub.config import PubNubConfig
from aiospaces.pubnub.journal import FileState, JournalError
from aiospaces.session import Session

if TYPE_CHECKING:
    from aiospaces.pubnub.bulk import BulkUpload
    from aiospaces.pubnub.report import UploadProgress, UploadReport

__all__ = ["app", "upload", "watch"]

app = typer.Typer(help="PubNub file sharing.", no_args_is_help=True)

app.command("status")(status)
app.command("enqueue")(enqueue)

_ORIGIN_HELP = (
    "PubNub origin host[:port] or URL (http://127.0.0.1:8089: an emulator's); "
    "default PUBNUB_ORIGIN, else ps.pndsn.com."
)
_SSL_HELP = "Use https (default PUBNUB_SSL, else yes; an origin URL's scheme decides it)."
_KEYS_HELP = "Read from PUBNUB_SUBSCRIBE_KEY / PUBNUB_PUBLISH_KEY / PUBNUB_USER_ID when not given."


@app.command("upload")
def upload(
    paths: Annotated[list[Path], typer.Argument(help="Files to upload.", show_default=False)],
    channel: Annotated[str, typer.Option(help="Channel to share the files on.")],
    concurrency: Annotated[int, typer.Option(min=1, help="Files uploaded at once.")] = 8,
    retries: Annotated[int, typer.Option(min=0, help="Extra tries per failed file.")] = 2,
    cipher_key: Annotated[
        str | None, typer.Option(help="Encrypt the files (and file messages) with this key.")
    ] = None,
    crypto: Annotated[str, typer.Option(help="Cryptor: aescbc or legacy.")] = "aescbc",
    subscribe_key: Annotated[str | None, typer.Option(help=_KEYS_HELP)] = None,
    publish_key: Annotated[str | None, typer.Option(help="The publish key.")] = None,
    user_id: Annotated[str | None, typer.Option(help="Who uploads (sent as uuid).")] = None,
    origin: Annotated[
        str | None,
        typer.Option(help=_ORIGIN_HELP),
    ] = None,
    ssl: Annotated[bool | None, typer.Option(help=_SSL_HELP, show_default=False)] = None,
    journal: Annotated[
        Path | None,
        typer.Option(
            help="Record each file's state in this SQLite file; rerun with it to resume: "
            "announced files are skipped, the others finish, none is announced twice."
        ),
    ] = None,
) -> None:
    """Upload files to a channel concurrently, with a progress bar and a final report.

    With --journal, a job killed at any point is resumed by running the same command again
    (see `aiospaces files status JOURNAL`).
    """
    settings = {
        "subscribe_key": subscribe_key,
        "publish_key": publish_key,
        "user_id": user_id,
        "origin": origin,
        "ssl": ssl,
        "cipher_key": cipher_key,
        "crypto": crypto,
    }
    console = Console(stderr=True)
    jobs: list[BulkUpload] = []
    try:
        config = PubNubConfig.from_env(settings)
        report = anyio.run(
            _upload, paths, channel, concurrency, retries, config, console, jobs, journal
        )
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from error
    except JournalError as error:
        raise typer.BadParameter(str(error), param_hint="--journal") from error
    except KeyboardInterrupt:  # Ctrl-C: still say what finished, what did not, and what ran
        if jobs:
            _print_report(jobs[0].report, Console())
        raise typer.Exit(code=130) from None
    _print_report(report, Console())
    if not report.ok:
        raise typer.Exit(code=1)


async def _upload(
    paths: list[Path],
    channel: str,
    concurrency: int,
    retries: int,
    config: PubNubConfig,
    console: Console,
    jobs: list[BulkUpload],
    journal: Path | None = None,
) -> UploadReport:
    async with Session() as session:
        pn = session.pubnub(config=config)
        columns = (
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            files = progress.add_task("files", total=len(paths))
            sent = progress.add_task("bytes", total=None)

            def on_progress(event: UploadProgress) -> None:
                progress.update(files, completed=event.files_done)
                progress.update(sent, completed=event.bytes_sent, total=event.bytes_total)

            job = pn.upload_files(
                channel,
                paths,
                concurrency=concurrency,
                retries=retries,
                on_progress=on_progress,
                journal=journal,
            )
            jobs.append(job)
            return await job


def _print_report(report: UploadReport, console: Console) -> None:
    print_resumed(report, console)
    table = Table(title=f"uploaded {len(report.succeeded)} of {_count(report)} files")
    table.add_column("file")
    table.add_column("result")
    table.add_column("file id")
    skipped = {id(r.item) for r in report.resumed if r.resumed_from is FileState.ANNOUNCED}
    for success in report.succeeded:
        result = "ok (announced before: skipped)" if id(success.item) in skipped else "ok"
        table.add_row(str(success.item.source), result, success.sent.file_id)
    for failure in report.failed:
        result = f"failed in {failure.step}: {failure.error}"
        table.add_row(str(failure.item.source), result, failure.file_id or "")
    for unknown in report.announcement_unknown:
        result = "stored; announcement unknown (check the channel's history before resending)"
        table.add_row(str(unknown.item.source), result, unknown.file_id)
    for item in report.cancelled:
        table.add_row(str(item.source), "interrupted while uploading", "")
    for item in report.not_started:
        table.add_row(str(item.source), "not started", "")
    console.print(table)
    console.print(
        f"{report.bytes_sent / 2**20:.1f} MiB sent in {report.elapsed:.2f} s"
        + (f"; {len(report.failed)} failed" if report.failed else "")
        + (
            f"; {len(report.announcement_unknown)} announcement unknown"
            if report.announcement_unknown
            else ""
        )
    )


def _count(report: UploadReport) -> int:
    lists = (
        report.succeeded,
        report.failed,
        report.announcement_unknown,
        report.cancelled,
        report.not_started,
    )
    return sum(len(files) for files in lists)


@app.command("watch")
def watch(
    channel: Annotated[str, typer.Argument(help="Channel whose files to download.")],
    to: Annotated[Path, typer.Option(help="Directory the files are written to.")],
    cipher_key: Annotated[
        str | None, typer.Option(help="Decrypt the files (and file messages) with this key.")
    ] = None,
    crypto: Annotated[str, typer.Option(help="Cryptor: aescbc or legacy.")] = "aescbc",
    concurrency: Annotated[int, typer.Option(min=1, help="Downloads at once.")] = 4,
    count: Annotated[
        int | None, typer.Option(min=1, help="Exit after this many files (default: run on).")
    ] = None,
    timetoken: Annotated[
        int | None, typer.Option(min=0, help="Also fetch files announced after this timetoken.")
    ] = None,
    subscribe_key: Annotated[str | None, typer.Option(help=_KEYS_HELP)] = None,
    user_id: Annotated[str | None, typer.Option(help="Who watches (sent as uuid).")] = None,
    origin: Annotated[
        str | None,
        typer.Option(help=_ORIGIN_HELP),
    ] = None,
    ssl: Annotated[bool | None, typer.Option(help=_SSL_HELP, show_default=False)] = None,
) -> None:
    """Download each file shared on a channel as it is announced, until Ctrl-C (or --count).

    Each file is decrypted and renamed into place once complete; a name already in the
    directory gets the file id added. Ends with a summary; exit code 1 if a file failed,
    130 after Ctrl-C.
    """
    settings = {
        "subscribe_key": subscribe_key,
        "user_id": user_id,
        "origin": origin,
        "ssl": ssl,
        "cipher_key": cipher_key,
        "crypto": crypto,
    }
    stats = WatchStats()
    try:
        config = PubNubConfig.from_env(settings)
        anyio.run(_watch, channel, to, config, concurrency, count, timetoken, stats)
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from error
    except KeyboardInterrupt:
        _print_watch(stats, Console())
        raise typer.Exit(code=130) from None
    _print_watch(stats, Console())
    if stats.failed:
        raise typer.Exit(code=1)


async def _watch(
    channel: str,
    directory: Path,
    config: PubNubConfig,
    concurrency: int,
    count: int | None,
    timetoken: int | None,
    stats: WatchStats,
) -> None:
    console = Console(stderr=True)
    async with Session() as session:
        pn = session.pubnub(config=config)
        columns = (SpinnerColumn(), TextColumn("{task.description}"))
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"watching {channel!r} for files")

            def on_change(now: WatchStats) -> None:
                last = now.received[-1].path.name if now.received else "-"
                progress.update(
                    task,
                    description=f"watching {channel!r}: {len(now.received)} downloaded, "
                    f"{now.pending} in progress, {len(now.failed)} failed, "
                    f"{now.bytes / 2**20:.1f} MiB; last: {last}",
                )

            await watch_files(
                pn,
                channel,
                directory,
                stats=stats,
                concurrency=concurrency,
                stop_after=count,
                timetoken=timetoken,
                on_change=on_change,
            )


def _print_watch(stats: WatchStats, console: Console) -> None:
    took = time.perf_counter() - stats.started
    table = Table(title=f"downloaded {len(stats.received)} of {stats.announced} files")
    table.add_column("file")
    table.add_column("result")
    table.add_column("file id")
    for item in stats.received:
        table.add_row(str(item.path), f"ok, {item.size} bytes", item.file_id)
    for name, reason in stats.failed:
        table.add_row(name, f"failed: {reason}", "")
    console.print(table)
    console.print(f"{stats.bytes / 2**20:.1f} MiB written in {took:.2f} s")
