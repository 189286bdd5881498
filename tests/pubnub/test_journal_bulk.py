"""upload_files(journal=...): a job that is rerun skips what is done and finishes the rest."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

import aiospaces
from aiospaces.core.errors import ValidationError
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub.journal import (
    Action,
    FileRecord,
    FileState,
    JobSettings,
    JournalBusyError,
    JournalMismatchError,
    Reservation,
)
from aiospaces.pubnub.report import UploadItem, UploadProgress
from aiospaces.pubnub.sqlite_journal import SqliteJournal
from tests.pubnub.journal_helpers import CHANNEL, KEYS, MemoryJournal, file_messages, objects

pytestmark = pytest.mark.usefixtures("retry_waits")

PUBLISH = "/v1/files/publish-file/*"


@pytest.fixture
def pn(emulator_session: aiospaces.Session, emulator: Emulator) -> PubNub:
    settings = emulator.settings("http://emulator.test")["pubnub"]
    return emulator_session.pubnub(**KEYS, **settings, cipher_key="bulk-key")


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = []
    for i in range(8):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(os.urandom(500 + 100 * i))
        paths.append(path)
    return paths


async def test_a_rerun_skips_every_announced_file(
    pn: PubNub, emulator: Emulator, files: list[Path], tmp_path: Path
) -> None:
    journal = tmp_path / "job.db"
    first = await pn.upload_files(CHANNEL, files, concurrency=3, journal=journal)
    assert first.ok
    assert first.resumed == []
    assert len(file_messages(emulator)) == 8
    events: list[UploadProgress] = []
    second = await pn.upload_files(CHANNEL, files, journal=journal, on_progress=events.append)
    assert second.ok
    assert second.bytes_sent == 0
    assert events[-1].bytes_total == 0  # nothing left to send
    assert {r.actions for r in second.resumed} == {(Action.SKIPPED,)}
    assert {r.resumed_from for r in second.resumed} == {FileState.ANNOUNCED}
    assert sorted(r.key for r in second.resumed) == sorted(str(p) for p in files)
    earlier = {s.sent.file_id: s.sent.timestamp for s in first.succeeded}
    assert {s.sent.file_id: s.sent.timestamp for s in second.succeeded} == earlier
    assert len(file_messages(emulator)) == 8  # nothing announced twice
    assert len(objects(emulator)) == 8
    async with await SqliteJournal.open(journal) as opened:
        assert await opened.settings() == JobSettings(
            CHANNEL, KEYS["subscribe_key"], encrypted=True, crypto="aescbc"
        )
        assert (await opened.counts())[FileState.ANNOUNCED] == 8
        sizes = {r.key: r.size for r in await opened.records()}
    assert sizes == {str(p): p.stat().st_size for p in files}


async def test_lost_answers_are_settled_by_the_rerun(
    pn: PubNub, emulator: Emulator, files: list[Path], tmp_path: Path
) -> None:
    emulator.faults.add(Fault(method="GET", path=PUBLISH, lose_answer="502", times=3))
    journal = tmp_path / "job.db"
    first = await pn.upload_files(CHANNEL, files, journal=journal)
    assert len(first.announcement_unknown) == 3
    assert len(first.succeeded) == 5
    second = await pn.upload_files(CHANNEL, files, journal=journal)
    assert second.ok
    found = [r for r in second.resumed if r.resumed_from is FileState.UNKNOWN]
    assert [r.actions for r in found] == [(Action.FOUND_IN_HISTORY,)] * 3
    assert {r.file_id for r in found} == {u.file_id for u in first.announcement_unknown}
    ids = list(file_messages(emulator))
    assert len(ids) == 8  # each file once


async def test_a_job_object_is_used_and_left_open(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    journal = MemoryJournal()
    items = [UploadItem(b"one", file_name="one.txt"), UploadItem(b"two", file_name="two.txt")]
    report = await pn.upload_files(CHANNEL, items, journal=journal)
    assert report.ok
    assert not journal.closed
    assert sorted(journal.rows) == ["one.txt", "two.txt"]
    assert {r.size for r in journal.rows.values()} == {3}
    assert journal.reads == 0  # every file was new: the records added were not read back
    again = await pn.upload_files(CHANNEL, items, journal=journal)
    assert {r.actions for r in again.resumed} == {(Action.SKIPPED,)}
    assert journal.reads == 1
    more = [*items, UploadItem(b"three", file_name="three.txt")]  # one new, two known
    third = await pn.upload_files(CHANNEL, more, journal=journal)
    assert third.ok
    assert {r.item.file_name: r.actions for r in third.resumed} == {
        "one.txt": (Action.SKIPPED,),
        "two.txt": (Action.SKIPPED,),
    }
    assert journal.rows["three.txt"].state is FileState.ANNOUNCED
    assert journal.reads == 2


async def test_a_journal_of_another_job_is_refused(
    pn: PubNub, emulator_session: aiospaces.Session, emulator: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "job.db"
    items = [UploadItem(b"x", file_name="x.txt")]
    await pn.upload_files(CHANNEL, items, journal=journal)
    with pytest.raises(JournalMismatchError, match="channel"):
        await pn.upload_files("another-channel", items, journal=journal)
    settings = emulator.settings("http://emulator.test")["pubnub"]
    plain = emulator_session.pubnub(**KEYS, **settings)
    with pytest.raises(JournalMismatchError, match="with a cipher key"):
        await plain.upload_files(CHANNEL, items, journal=journal)
    legacy = emulator_session.pubnub(**KEYS, **settings, cipher_key="k", crypto="legacy")
    with pytest.raises(JournalMismatchError, match="cryptor"):
        await legacy.upload_files(CHANNEL, items, journal=journal)
    async with await SqliteJournal.open(journal):  # the refused jobs closed it
        with pytest.raises(JournalBusyError):
            await pn.upload_files(CHANNEL, items, journal=journal)


async def test_files_need_a_key_of_their_own(pn: PubNub, files: list[Path]) -> None:
    with pytest.raises(ValidationError, match="twice"):
        pn.upload_files(CHANNEL, [files[0], files[0]], journal=MemoryJournal())
    with pytest.raises(ValidationError, match="file_name is required"):
        pn.upload_files(CHANNEL, [UploadItem(b"x")], journal=MemoryJournal())
    with pytest.raises(ValidationError, match="should_store"):
        await pn.upload_files(CHANNEL, files, journal=MemoryJournal(), should_store=False)


async def test_a_cancelled_job_is_finished_by_the_rerun(
    pn: PubNub, emulator: Emulator, files: list[Path], tmp_path: Path
) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/", delay=30, times=2))
    journal = tmp_path / "job.db"
    job = pn.upload_files(CHANNEL, files, concurrency=2, journal=journal)
    with anyio.move_on_after(1):
        await job
    assert len(job.report.cancelled) == 2
    assert len(job.report.not_started) == 6
    rerun = await pn.upload_files(CHANNEL, files, concurrency=2, journal=journal)
    assert rerun.ok
    resumed = {r.resumed_from: r.actions for r in rerun.resumed}
    assert resumed == {FileState.RESERVED: (Action.REUSED_FORM, Action.STORED, Action.PUBLISHED)}
    assert len(objects(emulator)) == 8
    assert len(file_messages(emulator)) == 8


async def test_a_broken_progress_callback_stops_the_journaled_job(
    pn: PubNub, files: list[Path], tmp_path: Path
) -> None:
    def explode(event: UploadProgress) -> None:
        if event.event == "bytes":
            raise RuntimeError("callback broke")

    job = pn.upload_files(CHANNEL, files, concurrency=1, journal=tmp_path / "j.db")
    job._on_progress = explode
    with pytest.raises(RuntimeError, match="callback broke"):
        await job
    assert len(job.report.succeeded) == 1  # the file under way finished its steps
    assert len(job.report.not_started) == 7


async def test_a_stream_source_resumes_from_its_name(
    pn: PubNub, emulator: Emulator, tmp_path: Path
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"streamed"

    journal = tmp_path / "job.db"
    emulator.faults.add(Fault(method="GET", path=PUBLISH, status=400, times=2))
    first = await pn.upload_files(
        CHANNEL, [UploadItem(chunks(), file_name="s.bin", size=8)], retries=0, journal=journal
    )
    assert [f.step for f in first.failed] == ["publish"]
    again = await pn.upload_files(
        CHANNEL, [UploadItem(chunks(), file_name="s.bin", size=8)], journal=journal
    )
    assert again.ok
    assert [r.actions for r in again.resumed] == [
        (Action.NOT_IN_HISTORY, Action.RETRIED, Action.PUBLISHED)  # not stored again
    ]
    assert len(objects(emulator)) == 1


async def test_files_whose_history_is_searched_start_last(
    pn: PubNub, emulator: Emulator, files: list[Path], tmp_path: Path
) -> None:
    emulator.faults.add(Fault(method="GET", path=PUBLISH, lose_answer="drop", times=1))
    journal = tmp_path / "job.db"

    def stop_after_first(event: UploadProgress) -> None:
        if event.event == "unknown":
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        await pn.upload_files(
            CHANNEL, files, concurrency=1, journal=journal, on_progress=stop_after_first
        )
    started: list[Path] = []

    def record(event: UploadProgress) -> None:
        if event.event == "started" and event.item is not None:
            started.append(Path(str(event.item.source)))

    rerun = await pn.upload_files(
        CHANNEL, files, concurrency=1, journal=journal, on_progress=record
    )
    assert rerun.ok
    assert started == [*files[1:], files[0]]  # its search waits a moment: the others go first
    assert len(file_messages(emulator)) == 8


async def test_a_file_that_failed_before_it_was_stored_does_not_wait_for_history(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    expired = Reservation("old-id", files[0].name, "https://up.example/", (), 1.0, 0.5)
    journal = MemoryJournal()
    key = str(files[0].resolve())
    journal.rows[key] = FileRecord(
        key, files[0].name, state=FileState.FAILED, step="upload", reservation=expired
    )
    started: list[Path] = []

    def record(event: UploadProgress) -> None:
        if event.event == "started" and event.item is not None:
            started.append(Path(str(event.item.source)))

    report = await pn.upload_files(
        CHANNEL, files, concurrency=1, journal=journal, on_progress=record
    )
    assert report.ok
    assert started == files  # not held back for a history search it will not make
    [resumed] = report.resumed
    assert Action.NOT_IN_HISTORY not in resumed.actions
    assert resumed.actions[0] is Action.RESERVED_ANEW  # its expired form: a new file id
    assert len(file_messages(emulator)) == len(files)
