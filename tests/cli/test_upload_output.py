"""What ``aiospaces files upload`` prints and writes: units, the summary, the JSON report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from aiospaces.cli import app
from aiospaces.cli.units import iec
from aiospaces.cli.upload_view import AmountColumn, SpeedColumn
from aiospaces.emulator import Emulator, Fault

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    monkeypatch.chdir(tmp_path)  # the paths are given as a user types them: relative
    paths = []
    for i in range(4):
        path = Path(f"doc-{i}.bin")
        path.write_bytes(os.urandom(3000 * (i + 1)))
        paths.append(path)
    return paths


def upload(url: str, paths: list[Path], *extra: str) -> list[str]:
    return ["files", "upload", *map(str, paths), "--channel", "docs",
            "--subscribe-key", "sub-c-out", "--publish-key", "pub-c-out", "--user-id", "cli",
            "--origin", url.split("://", 1)[1], "--no-ssl", *extra]  # fmt: skip


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "0.98 KiB"),
        (1536, "1.5 KiB"),
        (10 * 2**20, "10.0 MiB"),
        (1000 * 2**10, "0.98 MiB"),
        (3 * 2**40, "3.0 TiB"),
        (5000 * 2**40, "5000.0 TiB"),
    ],
)
def test_sizes_read_in_iec_units(size: int, text: str) -> None:
    assert iec(size) == text


def render(unit: str, completed: float, total: float | None) -> tuple[str, str]:
    progress = Progress()
    task_id = progress.add_task("x", total=total, unit=unit)
    progress.update(task_id, completed=completed)
    task = progress.tasks[0]
    console = Console(width=100)
    with console.capture() as amount:
        console.print(AmountColumn().render(task), end="")
    with console.capture() as speed:
        console.print(SpeedColumn().render(task), end="")
    return amount.get(), speed.get()


def test_the_files_row_counts_files_and_the_data_row_counts_mib() -> None:
    assert render("files", 32, 300)[0] == "32/300 files"
    assert render("files", 3, None)[0] == "3/? files"
    assert render("bytes", 1.25 * 2**20, 11.3 * 2**20)[0] == "1.2/11.3 MiB"
    assert render("bytes", 900, 11.3 * 2**20)[0] == "900 B/11.3 MiB"
    assert render("bytes", 900, None)[0] == "900 B"
    assert render("files", 0, 10)[1] == ""  # no speed before anything was done


def test_the_speeds_are_files_per_second_and_iec_per_second() -> None:
    progress = Progress()
    files = progress.add_task("files", total=10, unit="files")
    data = progress.add_task("data", total=10 * 2**20, unit="bytes")
    for task_id, step in ((files, 1), (data, 2**20)):
        progress.tasks[task_id].finished_speed = float(step)
    speeds = [SpeedColumn().render(progress.tasks[i]).plain for i in (files, data)]
    assert speeds == ["1.0 files/s", "1.0 MiB/s"]


def test_a_successful_upload_prints_the_totals_not_a_row_per_file(
    emulator_url: str, files: list[Path]
) -> None:
    result = runner.invoke(app, upload(emulator_url, files))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0] == "uploaded 4 of 4 files"
    assert lines[1].startswith("29.3 KiB sent in ")
    assert lines[1].endswith(" files/s)")
    assert "KiB/s" in lines[1] or "MiB/s" in lines[1]
    assert len(lines) == 2
    assert "doc-0.bin" not in result.output
    assert "bytes" not in result.output


def test_verbose_lists_every_file(emulator_url: str, files: list[Path]) -> None:
    result = runner.invoke(app, [*upload(emulator_url, files), "--verbose"])
    assert result.exit_code == 0, result.output
    assert all(path.name in result.output for path in files)
    assert result.output.count(" ok ") == 4


def test_a_run_with_failures_lists_only_the_failures(
    emulator_url: str, files: list[Path], tmp_path: Path
) -> None:
    result = runner.invoke(app, upload(emulator_url, [*files, Path("missing.bin")]))
    assert result.exit_code == 1
    assert "uploaded 4 of 5 files; 1 not uploaded:" in result.output
    assert "missing.bin" in result.output
    assert "failed in prepare" in result.output
    assert "doc-0.bin" not in result.output
    assert result.output.rstrip().endswith("; 1 failed")


def test_the_report_is_the_status_json_of_the_run(
    emulator_url: str, files: list[Path], tmp_path: Path
) -> None:
    report = tmp_path / "out.json"
    result = runner.invoke(app, [*upload(emulator_url, files), "--report", str(report)])
    assert result.exit_code == 0, result.output
    written = json.loads(report.read_text())
    assert written["format"] == "aiospaces-upload-status/1"
    assert written["settings"]["channel"] == "docs"
    assert written["total"] == 4
    assert written["counts"]["announced"] == 4
    assert written["bytes_announced"] == sum(path.stat().st_size for path in files)
    assert sorted(entry["name"] for entry in written["files"]) == [p.name for p in files]
    assert all(entry["file_id"] for entry in written["files"])
    assert written["failures"] == []


def test_the_report_of_a_journaled_run_matches_files_status(
    emulator_url: str, files: list[Path], tmp_path: Path
) -> None:
    journal, report, status = tmp_path / "job.sqlite", tmp_path / "a.json", tmp_path / "b.json"
    missing = tmp_path / "missing.bin"
    options = ("--journal", str(journal), "--report", str(report))
    result = runner.invoke(app, upload(emulator_url, [files[0], missing], *options))
    assert result.exit_code == 1
    runner.invoke(app, ["files", "status", str(journal), "--report", str(status)])
    written = json.loads(report.read_text())
    assert written == json.loads(status.read_text())
    assert [entry["name"] for entry in written["failures"]] == ["missing.bin"]


def test_retries_zero_sends_each_request_once(
    emulator: Emulator, emulator_url: str, files: list[Path]
) -> None:
    refused = emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503, times=1))
    result = runner.invoke(app, upload(emulator_url, files[:1], "--retries", "0"))
    assert result.exit_code == 1, result.output
    assert refused.fired == 1
    assert "failed in upload" in result.output
    assert "503" in result.output


def test_file_retries_try_a_file_again_without_retrying_requests(
    emulator: Emulator, emulator_url: str, files: list[Path]
) -> None:
    refused = emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503, times=1))
    command = upload(emulator_url, files[:1], "--retries", "0", "--file-retries", "1")
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert refused.fired == 1


def test_the_publish_step_is_not_retried_with_retries_zero(
    emulator: Emulator, emulator_url: str, files: list[Path]
) -> None:
    refused = emulator.faults.add(
        Fault(method="GET", path="/v1/files/publish-file/*", status=429, times=1)
    )
    result = runner.invoke(app, upload(emulator_url, files[:1], "--retries", "0"))
    assert result.exit_code == 1, result.output
    assert refused.fired == 1
    assert "failed in publish" in result.output


def test_version_option() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip().startswith("aiospaces ")


@pytest.mark.parametrize(
    "command", [[], ["files"], ["files", "upload"], ["files", "watch"], ["files", "status"]]
)
def test_help_text_is_plain(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "{" not in result.output
    assert "--help  " in result.output or "--help " in result.output


def test_the_upload_usage_names_its_paths() -> None:
    result = runner.invoke(app, ["files", "upload", "--help"], prog_name="aiospaces")
    assert result.output.startswith("Usage: aiospaces files upload [OPTIONS] PATH...")
    assert "--verbose" in result.output
    assert "--report" in result.output
    assert "--file-retries" in result.output
