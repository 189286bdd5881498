"""``aiospaces files ...``: PubNub file sharing from the command line."""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import anyio
import attrs
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from aiospaces.cli._typer import App
from aiospaces.cli.distributed import enqueue
from aiospaces.cli.status import read_status, status
from aiospaces.cli.units import iec
from aiospaces.cli.upload_view import print_report, progress
from aiospaces.cli.watch import WatchStats, watch_files
from aiospaces.core.errors import ValidationError
from aiospaces.pubnub.config import PubNubConfig
from aiospaces.pubnub.journal import JournalError
from aiospaces.session import Session

if TYPE_CHECKING:
    from aiospaces.pubnub.bulk import BulkUpload
    from aiospaces.pubnub.report import UploadProgress, UploadReport

__all__ = ["Retries", "app", "upload", "watch"]

app = App(help="PubNub file sharing.")

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
    paths: Annotated[
        list[Path], typer.Argument(help="Files to upload.", show_default=False, metavar="PATH")
    ],
    channel: Annotated[str, typer.Option(help="Channel to share the files on.")],
    concurrency: Annotated[int, typer.Option(min=1, help="Files uploaded at once.")] = 8,
    retries: Annotated[
        int,
        typer.Option(
            min=0,
            help="Retries of each request after a transient failure (0: none, and no file is "
            "tried again unless --file-retries says so).",
        ),
    ] = 2,
    file_retries: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Times a failed file is tried again, from the step that failed "
            "(default: --retries).",
            show_default=False,
        ),
    ] = None,
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
    report: Annotated[
        Path | None,
        typer.Option(
            help="Also write the job's status as JSON to this file (the format of `files "
            "status --report`; without --journal the run is recorded in a temporary one)."
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="List every file in the summary, not only failures.")
    ] = False,
) -> None:
    """Upload files to a channel concurrently, with a progress bar and a final report.

    The summary lists the files that were not uploaded (every file with --verbose). With
    --journal, a job killed at any point is resumed by running the same command again (see
    `aiospaces files status JOURNAL`).
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
    retry = Retries(requests=retries, files=retries if file_retries is None else file_retries)
    with contextlib.ExitStack() as stack:
        if report is not None and journal is None:
            journal = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "journal.sqlite"
        try:
            config = PubNubConfig.from_env(settings)
            done = anyio.run(
                _upload, paths, channel, concurrency, retry, config, console, jobs, journal
            )
        except ValidationError as error:
            raise typer.BadParameter(str(error)) from error
        except JournalError as error:
            raise typer.BadParameter(str(error), param_hint="--journal") from error
        except KeyboardInterrupt:  # Ctrl-C: still say what finished, what did not, and what ran
            if jobs:
                print_report(jobs[0].report, Console(), verbose=verbose)
                _write_report(report, journal)
            raise typer.Exit(code=130) from None
        print_report(done, Console(), verbose=verbose)
        _write_report(report, journal)
    if not done.ok:
        raise typer.Exit(code=1)


@attrs.frozen
class Retries:
    """What the retry flags of ``files upload`` set.

    Attributes:
        requests: Retries of each request (the Session's, and the publish step's).
        files: Times a failed file is tried again (``upload_files(retries=...)``).
    """

    requests: int
    files: int


def _write_report(path: Path | None, journal: Path | None) -> None:
    if path is None or journal is None:
        return
    summary = anyio.run(read_status, journal)
    path.write_text(json.dumps(summary.to_dict(), indent=2) + "\n")


async def _upload(
    paths: list[Path],
    channel: str,
    concurrency: int,
    retries: Retries,
    config: PubNubConfig,
    console: Console,
    jobs: list[BulkUpload],
    journal: Path | None = None,
) -> UploadReport:
    async with Session(retries=retries.requests) as session:
        pn = session.pubnub(config=config)
        with progress(console) as shown:
            files = shown.add_task("files", total=len(paths), unit="files")
            sent = shown.add_task("data", total=None, unit="bytes")

            def on_progress(event: UploadProgress) -> None:
                shown.update(files, completed=event.files_done)
                shown.update(sent, completed=event.bytes_sent, total=event.bytes_total)

            job = pn.upload_files(
                channel,
                paths,
                concurrency=concurrency,
                retries=retries.files,
                on_progress=on_progress,
                journal=journal,
                publish_retries=retries.requests,
            )
            jobs.append(job)
            return await job


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
                    f"{iec(now.bytes)}; last: {last}",
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
        table.add_row(str(item.path), f"ok, {iec(item.size)}", item.file_id)
    for name, reason in stats.failed:
        table.add_row(name, f"failed: {reason}", "")
    console.print(table)
    console.print(f"{iec(stats.bytes)} written in {took:.2f} s")
