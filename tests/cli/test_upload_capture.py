"""docs/cli.md shows what ``aiospaces files upload`` prints on 300 files at width 100."""

from __future__ import annotations

from pathlib import Path

from aiospaces.emulator import Emulator
from tests.cli.upload_capture import PAGE, capture, normalized, page_captures


def test_the_page_shows_what_the_command_prints(
    emulator: Emulator, emulator_url: str, tmp_path: Path
) -> None:
    made = capture(emulator, emulator_url, tmp_path)
    shown = page_captures(PAGE.read_text())
    assert shown.keys() == made.keys()
    for name, text in made.items():
        # when this fails, `python -m tests.cli.upload_capture` rewrites the page
        assert normalized(shown[name]) == normalized(text), name


def test_the_captures_read_correctly() -> None:
    shown = page_captures(PAGE.read_text())
    files_row, data_row = shown["upload-progress"].splitlines()[1:]
    assert files_row.startswith("files ")
    assert "150/300 files" in files_row
    assert " files/s " in files_row
    assert data_row.startswith("data ")
    assert "MiB/s" in data_row
    assert "bytes" not in shown["upload-progress"]
    done = shown["upload-done"].splitlines()
    assert done[1:3][0] == "uploaded 300 of 300 files"
    assert len(done) == 3  # no row per file
    failures = shown["upload-failures"]
    assert "uploaded 298 of 300 files; 2 not uploaded:" in failures
    assert failures.count("failed in upload: 503") == 2
    assert all(len(line) <= 100 for text in shown.values() for line in text.splitlines()[1:])
