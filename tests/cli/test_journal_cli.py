"""``aiospaces files upload --journal`` and ``aiospaces files status`` against a served emulator."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from aiospaces.cli import app
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.journal import FileRecord, FileState, JobSettings
from aiospaces.pubnub.sqlite_journal import SqliteJournal

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = []
    for i in range(5):
        path = tmp_path / f"doc-{i}.bin"
        path.write_bytes(os.urandom(2000 * (i + 1)))
        paths.append(path)
    return paths


def _upload(url: str, files: list[Path], journal: Path, channel: str = "docs") -> list[str]:
    origin = url.split("://", 1)[1]
    return ["files", "upload", *map(str, files), "--channel", channel, "--journal", str(journal),
            "--subscribe-key", "sub-c-cli", "--publish-key", "pub-c-cli", "--user-id", "cli",
            "--origin", origin, "--no-ssl"]  # fmt: skip


def test_a_rerun_with_the_journal_skips_and_resumes(
    emulator: Emulator, emulator_url: str, files: list[Path], tmp_path: Path
) -> None:
    journal = tmp_path / "job.db"
    emulator.faults.add(
        Fault(method="GET", path="/v1/files/publish-file/*", lose_answer="drop", times=1)
    )
    first = runner.invoke(app, _upload(emulator_url, files, journal))
    assert first.exit_code == 1, first.output
    assert "uploaded 4 of 5 files" in first.output
    assert "announcement unknown" in first.output
    second = runner.invoke(app, [*_upload(emulator_url, files, journal), "--verbose"])
    assert second.exit_code == 0, second.output
    assert "resumed from the journal (4 already announced: skipped)" in second.output
    assert "announcement_unknown" in second.output  # the state it was found in
    assert "found in history" in second.output
    assert second.output.count("ok (announced before: skipped)") == 4
    assert "uploaded 5 of 5 files" in second.output
    stream = emulator.vendors["pubnub"].streams.by_key["sub-c-cli"]  # type: ignore[attr-defined]
    assert len(stream.history["docs"]) == 5  # once each

    status = runner.invoke(app, ["files", "status", str(journal)])
    assert status.exit_code == 0, status.output
    assert "5 of 5 files announced (channel 'docs')" in status.output
    assert "files/s" in status.output


def test_status_shows_failures_and_exports_json(tmp_path: Path) -> None:
    journal = tmp_path / "job.db"

    async def write() -> None:
        async with await SqliteJournal.open(journal) as opened:
            await opened.bind(JobSettings("docs", "sub-c-cli", encrypted=True, crypto="aescbc"))
            await opened.add(
                [
                    FileRecord("/data/a.bin", "a.bin", 10, FileState.ANNOUNCED, timetoken=1,
                               started=100.0, updated=102.0),
                    FileRecord("/data/b.bin", "b.bin", 20, FileState.FAILED, step="upload",
                               error="503 Service Unavailable", started=100.0, updated=101.0),
                    FileRecord("/data/c.bin", "c.bin", 30),
                ]
            )  # fmt: skip

    anyio.run(write)
    out = tmp_path / "status.json"
    result = runner.invoke(app, ["files", "status", str(journal), "--report", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 of 3 files announced (channel 'docs', encrypted (aescbc))" in result.output
    assert "failures" in result.output
    assert "503 Service Unavailable" in result.output
    assert "0.5 files/s" in result.output
    exported = json.loads(out.read_text())
    assert exported["format"] == "aiospaces-upload-status/1"
    assert exported["counts"]["failed"] == 1
    assert exported["counts"]["pending"] == 1
    assert [f["key"] for f in exported["failures"]] == ["/data/b.bin"]
    assert exported["busy_seconds"] == 2.0
    assert len(exported["files"]) == 3


def test_status_of_what_is_not_a_journal_is_a_usage_error(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["files", "status", str(tmp_path / "missing.db")])
    assert missing.exit_code == 2
    assert "no journal at" in missing.output
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 200)
    wrong = runner.invoke(app, ["files", "status", str(text)])
    assert wrong.exit_code == 2
    assert "not an aiospaces upload journal" in wrong.output


def test_a_journal_of_another_channel_is_refused(
    emulator_url: str, files: list[Path], tmp_path: Path
) -> None:
    journal = tmp_path / "job.db"
    assert runner.invoke(app, _upload(emulator_url, files[:1], journal)).exit_code == 0
    other = runner.invoke(app, _upload(emulator_url, files[:1], journal, channel="elsewhere"))
    assert other.exit_code == 2
    assert "belongs to another job" in other.output
