"""A job's files from paths, directories and lists; enqueueing them; the command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from typer.testing import CliRunner

from aiospaces.cli import app
from aiospaces.core.errors import ValidationError
from aiospaces.distributed.manifest import (
    ENQUEUE_CONCURRENCY,
    EnqueueReport,
    enqueue,
    manifest_records,
)
from aiospaces.distributed.redis_journal import RedisJournal
from aiospaces.pubnub.journal import FileRecord, FileState, JobSettings

runner = CliRunner()
SETTINGS = JobSettings(channel="ch", subscribe_key="sub-c-1", encrypted=False)


def tree(root: Path) -> Path:
    (root / "b" / "c").mkdir(parents=True)
    for name in ("b/c/2.txt", "b/1.txt", "a.txt", "b/0.bin"):
        (root / name).write_bytes(name.encode())
    return root


def test_paths_directories_lists_and_urls_make_records(tmp_path: Path) -> None:
    root = tree(tmp_path / "files")
    listing = tmp_path / "list.txt"
    listing.write_text(
        f"# a comment\n\n{root / 'a.txt'}\n  https://example.com/x/photo%201.png?v=2  \n"
        f"http://example.com/\n{root / 'b' / 'c'}\n"
    )
    records = list(manifest_records([root, f"@{listing}", "https://example.com/z.txt"]))
    keys = [r.key for r in records]
    in_root = [
        os.path.abspath(root / name) for name in ("a.txt", "b/0.bin", "b/1.txt", "b/c/2.txt")
    ]
    assert keys == [
        *in_root,
        in_root[0],
        "https://example.com/x/photo%201.png?v=2",
        "http://example.com/",
        in_root[3],
        "https://example.com/z.txt",
    ]
    assert records[1] == FileRecord(key=keys[1], name="0.bin", size=len("b/0.bin"))
    assert [r.name for r in records[5:7]] == ["photo 1.png", "file"]
    assert records[-1].name == "z.txt"
    assert all(r.state is FileState.PENDING for r in records)


def test_what_is_not_there_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="neither a file, a directory, nor a URL"):
        list(manifest_records([tmp_path / "missing"]))
    with pytest.raises(ValidationError, match="cannot read the list"):
        list(manifest_records([f"@{tmp_path / 'missing.txt'}"]))


class Kicks:
    """Stands in for the task: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def kiq(self, job: str, key: str) -> None:
        self.sent.append((job, key))


@pytest.mark.redis
async def test_enqueue_journals_then_sends_a_task_per_file_still_to_do(
    redis_url: str, tmp_path: Path
) -> None:
    root = tree(tmp_path)
    journal = RedisJournal.from_url(redis_url, "job")
    kicks = Kicks()
    task = cast("Any", kicks)
    seen: list[EnqueueReport] = []
    try:
        report = await enqueue(
            journal, task, manifest_records([root, root / "a.txt"]), SETTINGS, batch=2,
            on_progress=seen.append,
        )  # fmt: skip
        assert report == EnqueueReport(files=5, added=4, sent=5)  # a.txt is sent twice
        assert [(r.files, r.sent) for r in seen] == [(2, 2), (4, 4), (5, 5)]
        assert {k for _, k in kicks.sent} == {r.key for r in await journal.records()}
        first = (await journal.records())[0]
        await journal.put(FileRecord(first.key, first.name, state=FileState.ANNOUNCED))
        kicks.sent.clear()
        again = await enqueue(journal, task, manifest_records([root]), SETTINGS)
        assert again == EnqueueReport(files=4, added=0, sent=3)  # the announced one is done
        assert first.key not in {k for _, k in kicks.sent}
    finally:
        await journal.aclose()


class SlowKicks(Kicks):
    """Records the most tasks being sent at once."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = self.most = 0

    async def kiq(self, job: str, key: str) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await anyio.sleep(0.001)
        self.in_flight -= 1
        await super().kiq(job, key)


@pytest.mark.redis
async def test_enqueue_sends_a_bounded_number_of_tasks_at_once(
    redis_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for n in range(ENQUEUE_CONCURRENCY * 3):
        (root / f"{n}.txt").write_bytes(b"x")
    journal = RedisJournal.from_url(redis_url, "job")
    kicks = SlowKicks()
    try:
        report = await enqueue(journal, cast("Any", kicks), manifest_records([root]), SETTINGS)
    finally:
        await journal.aclose()
    assert report.sent == len(kicks.sent) == ENQUEUE_CONCURRENCY * 3
    assert kicks.most == ENQUEUE_CONCURRENCY  # a connection each: never one per file


@pytest.mark.redis
def test_the_command_line_enqueues_and_shows_the_status(redis_url: str, tmp_path: Path) -> None:
    root = tree(tmp_path)
    env = {"AIOSPACES_REDIS_URL": redis_url, "PUBNUB_SUBSCRIBE_KEY": "sub-c-1"}
    result = runner.invoke(app, ["files", "enqueue", str(root), "--job", "cli-job"], env=env)
    assert result.exit_code == 0, result.output
    assert "4 files in job 'cli-job' (4 new); 4 tasks sent" in result.output
    result = runner.invoke(app, ["files", "status", "--job", "cli-job"], env=env)
    assert result.exit_code == 0, result.output
    assert "0 of 4 files announced (channel 'cli-job')" in result.output
    assert "│ pending              │     4 │" in result.output
    again = runner.invoke(
        app, ["files", "enqueue", str(root), "--job", "cli-job", "--channel", "other"], env=env
    )
    assert again.exit_code == 2
    assert "belongs to another job" in again.output
    missing = runner.invoke(app, ["files", "status", "--job", "nope", "--broker", redis_url])
    assert missing.exit_code == 2
    assert "there is no job 'nope'" in missing.output
    neither = runner.invoke(app, ["files", "status"])
    assert neither.exit_code == 2
    assert "give a JOURNAL, or --job NAME" in neither.output
    no_key = runner.invoke(
        app, ["files", "enqueue", str(root), "--job", "j"], env={"PUBNUB_SUBSCRIBE_KEY": ""}
    )
    assert no_key.exit_code == 2
    assert "--subscribe-key" in no_key.output
    typo = runner.invoke(
        app,
        ["files", "enqueue", str(root), "--job", "typo", "--cipher-key", "k", "--crypto", "aes"],
        env=env,
    )
    assert typo.exit_code == 2  # refused before the job is recorded, not by every worker
    assert "crypto" in typo.output
