"""The acceptance test of the journal: a bulk upload SIGKILLed at 20 random instants, resumed.

``aiospaces files upload --journal`` runs in a child process against a served emulator. It is
killed (SIGKILL: no cleanup of any kind) at 20 instants drawn from a seeded generator, spread
over the job by the number of files already announced plus a random few milliseconds, and
rerun with the same journal after each kill. Some file messages lose their answer (the file
is published, the client cannot know), and upload forms live 12 s (10 s of it the client's
safety margin), so a rerun finds some forms still valid and some expired. At the end, on the
emulator's side: every file stored and announced exactly once, no object the journal does not
know, and nothing left of an abandoned file id.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from aiospaces.emulator import Emulator, Fault
from aiospaces.emulator.pubnub.files import file_key
from aiospaces.emulator.pubnub.stream import FILE
from aiospaces.pubnub.job_status import JobStatus
from aiospaces.pubnub.journal import FileState
from aiospaces.pubnub.sqlite_journal import SqliteJournal

FILES = 300
KILLS = 20
SEED = 14
SUB, PUB, CHANNEL = "sub-c-kill", "pub-c-kill", "killed-job"


def _announced(emulator: Emulator) -> list[dict[str, str]]:
    """Return the file part of every file message on the channel, in publish order."""
    stream = emulator.vendors["pubnub"].streams.by_key.get(SUB)  # type: ignore[attr-defined]
    if stream is None:
        return []
    records = [r for r in stream.records if r.message_type == FILE and r.channel == CHANNEL]
    return [r.payload["file"] for r in records]


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "aiospaces.cli", *command],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200"},
        )


def _kill_when(
    child: subprocess.Popen[bytes], emulator: Emulator, target: int, extra: float
) -> str:
    """SIGKILL the child once ``target`` files are announced, ``extra`` seconds later."""
    deadline = time.monotonic() + 30
    while len(_announced(emulator)) < target and child.poll() is None:
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail(f"no progress to {target} announced files in 30 s")
        time.sleep(0.002)
    time.sleep(extra)
    if child.poll() is not None:
        return f"finished before the kill (exit {child.returncode})"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    return f"killed at {len(_announced(emulator))} announced"


@pytest.mark.timeout(150)
@pytest.mark.emulator(upload_expires=12.0, seed=SEED)
def test_sigkill_at_20_random_instants_then_resume(
    emulator: Emulator, emulator_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)  # noqa: S311 - reproducible instants, not secrets
    data = tmp_path / "files"
    data.mkdir()
    paths = []
    for i in range(FILES):
        path = data / f"f{i:03}.bin"
        path.write_bytes(rng.randbytes(rng.randrange(100, 3000)))
        paths.append(path)
    journal = tmp_path / "job.db"
    origin = emulator_url.split("://", 1)[1]
    command = [
        "files", "upload", *map(str, paths), "--channel", CHANNEL, "--journal", str(journal),
        "--concurrency", "8", "--subscribe-key", SUB, "--publish-key", PUB, "--user-id", "k",
        "--origin", origin, "--no-ssl",
    ]  # fmt: skip
    # about one file message in 15 loses its answer after being published
    emulator.faults.add(
        Fault(method="GET", path="/v1/files/publish-file/*", lose_answer="drop", probability=0.07)
    )
    log = tmp_path / "runs.log"
    targets = sorted(rng.randrange(0, FILES - 10) for _ in range(KILLS))
    started = time.monotonic()
    kills = []
    for target in targets:
        child = _start(command, log)
        kills.append(_kill_when(child, emulator, target, rng.uniform(0, 0.03)))
    emulator.faults.clear()  # the last run finishes the job: every answer arrives
    finals = 0
    while True:  # a run may end with an announcement unknown: the next one settles it
        finals += 1
        child = _start(command, log)
        code = child.wait(timeout=60)
        if code == 0 or finals == 3:
            break
    took = time.monotonic() - started

    assert code == 0, log.read_text()[-3000:]
    status = anyio.run(_status, journal)
    records = {r.key: r for r in status.records}
    assert len(records) == FILES
    assert status.counts[FileState.ANNOUNCED] == FILES

    announced = _announced(emulator)
    by_id = collections.Counter(f["id"] for f in announced)
    by_name = collections.Counter(f["name"] for f in announced)
    twice = [i for i, n in by_id.items() if n > 1] + [m for m, n in by_name.items() if n > 1]
    assert twice == [], "announced twice"
    assert len(announced) == FILES
    journal_ids = {r.file_id for r in records.values()}
    assert set(by_id) == journal_ids
    assert all(str(r.timetoken) for r in records.values())

    prefix = file_key(SUB, CHANNEL)
    stored = {o.key[len(prefix) :].split("/")[0]: o for o in emulator.storage.list(prefix)}
    unknown_objects = set(stored) - journal_ids
    assert unknown_objects == set(), "stored objects the journal does not know"
    assert journal_ids <= set(stored), "announced files missing from storage"
    for record in records.values():
        assert record.file_id is not None
        obj = stored[record.file_id]
        assert obj.key.endswith("/" + record.name)
        assert obj.size == Path(record.key).stat().st_size
    abandoned = {i for r in records.values() for i in r.abandoned}
    assert not abandoned & set(stored)

    resumed = sum("killed" in k for k in kills)
    print(  # the summary the report quotes
        f"\nSIGKILL test: {FILES} files, {resumed} kills landed of {KILLS} "
        f"({KILLS - resumed} runs finished first), {finals} final run(s), {took:.1f} s; "
        f"{len(announced)} file messages for {len(by_id)} file ids (0 twice), "
        f"{len(stored)} objects (0 unknown to the journal), {len(abandoned)} file ids "
        f"abandoned after expired forms, {sum(r.attempts for r in records.values())} attempts"
    )


async def _status(journal: Path) -> JobStatus:
    async with await SqliteJournal.open(journal, create=False, lock=False) as opened:
        return await JobStatus.read(opened)
