"""The captures of ``aiospaces files upload`` in docs/cli.md, made by running the command.

``python -m tests.cli.upload_capture`` uploads 300 files to a served emulator at terminal width
100 and rewrites the captures in docs/cli.md; tests/cli/test_upload_capture.py runs the same
and checks that the page still shows what the command prints (timings and ids aside).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from aiospaces.cli import app
from aiospaces.emulator import Emulator, Fault

PAGE = Path(__file__).parents[2] / "docs" / "cli.md"
WIDTH = 100
FILES = 300
SHOWN_ORIGIN = "127.0.0.1:8089"
KEYS = {"PUBNUB_SUBSCRIBE_KEY": "sub-c-docs", "PUBNUB_PUBLISH_KEY": "pub-c-docs"}
_BLOCK = re.compile(r"(<!-- capture: (?P<name>[a-z-]+) -->\n```text\n)(?P<text>.*?)(```)", re.S)


def make_files(directory: Path, count: int = FILES) -> list[str]:
    """Write ``count`` files of 1 to 40 KiB (always the same) and return their names."""
    chance = random.Random(300)  # noqa: S311 - test data, not secrets
    names = []
    for i in range(count):
        name = f"scan-{i:03}.bin"
        (directory / name).write_bytes(chance.randbytes(1024 + chance.randrange(39 * 1024)))
        names.append(name)
    return names


class _Snapshot(Progress):
    """A progress display that keeps one frame of itself, halfway through the files."""

    frame = ""

    def update(self, task_id: Any, **fields: Any) -> None:
        super().update(task_id, **fields)
        files, data = self.tasks
        if not _Snapshot.frame and files.completed >= FILES // 2 and data.total:
            console = Console(width=WIDTH, color_system=None)
            with console.capture() as frame:
                console.print(self.make_tasks_table(self.tasks))
            _Snapshot.frame = frame.get()


@contextlib.contextmanager
def _snapshots() -> Iterator[None]:
    import aiospaces.cli.files as files_cli
    from aiospaces.cli import upload_view

    made = upload_view.progress

    def progress(console: Console) -> Progress:
        return _Snapshot(*made(console).columns, console=console, transient=True)

    files_cli.progress = progress  # type: ignore[attr-defined]
    _Snapshot.frame = ""
    try:
        yield
    finally:
        files_cli.progress = made  # type: ignore[attr-defined]


def capture(emulator: Emulator, url: str, directory: Path) -> dict[str, str]:
    """Run the uploads of the page; return each capture by name."""
    names = make_files(directory)
    origin = url.split("://", 1)[1]
    runner = CliRunner()
    env = {**KEYS, "COLUMNS": str(WIDTH), "PUBNUB_USER_ID": "docs"}
    shown = ["--origin", SHOWN_ORIGIN, "--no-ssl"]
    real = ["--origin", origin, "--no-ssl"]
    before = Path.cwd()
    os.chdir(directory)
    try:
        with _snapshots():
            ok = runner.invoke(
                app, ["files", "upload", *names, "--channel", "scans", *real], env=env
            )
        assert ok.exit_code == 0, ok.output
        frame = _Snapshot.frame
        emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503, times=2))
        failed = runner.invoke(
            app,
            ["files", "upload", *names, "--channel", "scans2", "--retries", "0", *real],
            env=env,
        )
        assert failed.exit_code == 1, failed.output
    finally:
        os.chdir(before)
    command = f"$ aiospaces files upload scan-*.bin --channel scans {' '.join(shown)}\n"
    retried = (
        f"$ aiospaces files upload scan-*.bin --channel scans2 --retries 0 {' '.join(shown)}\n"
    )
    return {
        "upload-progress": command + frame.rstrip() + "\n",
        "upload-done": command + ok.output.strip("\n") + "\n",
        "upload-failures": retried + failed.output.strip("\n") + "\n",
    }


def page_captures(text: str) -> dict[str, str]:
    """Return the captures a page shows, by name."""
    return {match["name"]: match["text"] for match in _BLOCK.finditer(text)}


def rewrite(text: str, captures: dict[str, str]) -> str:
    """Return the page with its captures replaced."""
    return _BLOCK.sub(lambda m: m.group(1) + captures[m["name"]] + m.group(4), text)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalized(text: str) -> str:
    """Return the text with what changes from run to run (times, speeds, ids) blanked."""
    text = _UUID.sub("<id>", text)
    text = re.sub(r"\d+(\.\d+)?", "0", text)
    text = re.sub(r"\b(B|KiB|MiB|GiB)/s", "<unit>/s", text)  # a speed's unit follows the machine
    text = re.sub(r"scan-0\.bin", "scan-N.bin", text)
    return re.sub(r"[━╺╸ ]+", " ", text)  # the bars' lengths follow the speeds' widths


def main() -> None:
    """Rewrite the captures of docs/cli.md from a fresh run."""
    import tempfile

    emulator = Emulator(seed=1)
    with emulator.serve() as url, tempfile.TemporaryDirectory() as directory:
        captures = capture(emulator, url, Path(directory))
    PAGE.write_text(rewrite(PAGE.read_text(), captures))
    print(f"rewrote {len(captures)} captures in {PAGE}")


if __name__ == "__main__":
    main()
