"""What ``aiospaces files upload`` prints: two progress rows and a closing summary.

The progress rows count files in files and data in IEC units (KiB, MiB: powers of 1024, as
in the summary)::

    files ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  32/300 files    52.0 files/s 0:00:05
    data  ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  1.2/11.3 MiB    1.9 MiB/s    0:00:05

The summary lists the files that did not make it (failed, interrupted, not started, or whose
announcement is unknown); ``--verbose`` lists every file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, ProgressColumn, Task, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from aiospaces.cli.status import print_resumed
from aiospaces.cli.units import iec
from aiospaces.pubnub.journal import FileState

if TYPE_CHECKING:
    from rich.console import Console

    from aiospaces.pubnub.report import UploadReport

__all__ = ["AmountColumn", "SpeedColumn", "print_report", "progress", "upload_counts"]


def _files(task: Task) -> bool:
    return task.fields.get("unit") == "files"


class AmountColumn(ProgressColumn):
    """``32/300 files`` for the files row; ``1.2/11.3 MiB`` for the data row."""

    def render(self, task: Task) -> Text:  # noqa: D102 - see the class
        if _files(task):
            total = "?" if task.total is None else f"{task.total:.0f}"
            return Text(f"{task.completed:.0f}/{total} files", style="progress.download")
        if task.total is None:
            return Text(iec(task.completed), style="progress.download")
        done, total = iec(task.completed), iec(task.total)
        unit = total.rsplit(" ", 1)[1]
        if done.endswith(f" {unit}"):  # "1.2/11.3 MiB" rather than "1.2 MiB/11.3 MiB"
            done = done.rsplit(" ", 1)[0]
        return Text(f"{done}/{total}", style="progress.download")


class SpeedColumn(ProgressColumn):
    """``52.0 files/s`` for the files row; ``1.9 MiB/s`` for the data row."""

    def render(self, task: Task) -> Text:  # noqa: D102 - see the class
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("", style="progress.data.speed")
        text = f"{speed:.1f} files/s" if _files(task) else f"{iec(speed)}/s"
        return Text(text, style="progress.data.speed")


def progress(console: Console) -> Progress:
    """Return the progress display: add a task with ``unit="files"`` or ``unit="bytes"``."""
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        AmountColumn(),
        SpeedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=console, transient=True)


def upload_counts(report: UploadReport) -> int:
    """Return how many files the job had (in every outcome)."""
    lists = (
        report.succeeded,
        report.failed,
        report.announcement_unknown,
        report.cancelled,
        report.not_started,
    )
    return sum(len(files) for files in lists)


def print_report(report: UploadReport, console: Console, *, verbose: bool = False) -> None:
    """Print the files that did not make it (every file with ``verbose``) and the totals."""
    print_resumed(report, console)
    total = upload_counts(report)
    headline = f"uploaded {len(report.succeeded)} of {total} files"
    skipped = {id(r.item) for r in report.resumed if r.resumed_from is FileState.ANNOUNCED}
    rows: list[tuple[str, str, str]] = []
    if verbose:
        for success in report.succeeded:
            done = "ok (announced before: skipped)" if id(success.item) in skipped else "ok"
            rows.append((str(success.item.source), done, success.sent.file_id))
    for failure in report.failed:
        rows.append(
            (
                str(failure.item.source),
                f"failed in {failure.step}: {failure.error}",
                failure.file_id or "",
            )
        )
    for unknown in report.announcement_unknown:
        said = "stored; announcement unknown (check the channel's history before resending)"
        rows.append((str(unknown.item.source), said, unknown.file_id))
    rows.extend((str(item.source), "interrupted while uploading", "") for item in report.cancelled)
    rows.extend((str(item.source), "not started", "") for item in report.not_started)
    if rows:
        left = total - len(report.succeeded)
        title = headline if verbose or not left else f"{headline}; {left} not uploaded:"
        table = Table(title=title)
        for column in ("file", "result", "file id"):
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:
        console.print(
            headline + (f" ({len(skipped)} announced before: skipped)" if skipped else "")
        )
    console.print(_totals(report))


def _totals(report: UploadReport) -> str:
    took = report.elapsed
    line = f"{iec(report.bytes_sent)} sent in {took:.2f} s"
    if took > 0:
        line += f" ({iec(report.bytes_sent / took)}/s, {len(report.succeeded) / took:.1f} files/s)"
    if report.failed:
        line += f"; {len(report.failed)} failed"
    if report.announcement_unknown:
        line += f"; {len(report.announcement_unknown)} announcement unknown"
    return line
