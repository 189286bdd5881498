"""FileSteps.advance: every transition of a file's record, against the emulator.

Each test starts from a record in some state (as a run that died would have left it) and
checks what was done, what the journal holds, and what the emulator has: objects in storage
and file messages on the channel. Writes are checked as they are made: ``reserved`` before
anything is stored, ``stored`` before the file message is sent.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
import pytest

import aiospaces
from aiospaces.core.errors import APIError, FileUploadError, ValidationError
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub.journal import Action, FileRecord, FileState, Reservation
from aiospaces.pubnub.journal_steps import FileSteps, item_key, record_for
from aiospaces.pubnub.report import UploadItem
from tests.pubnub.journal_helpers import CHANNEL, KEYS, MemoryJournal, file_messages, objects

pytestmark = pytest.mark.usefixtures("retry_waits")

PUBLISH = "/v1/files/publish-file/*"
CONTENT = b"the file's bytes" * 50


@pytest.fixture
def pn(emulator_session: aiospaces.Session, emulator: Emulator) -> PubNub:
    settings = emulator.settings("http://emulator.test")["pubnub"]
    return emulator_session.pubnub(**KEYS, **settings, max_retries=0)


class _Stop(Exception):
    pass


async def _reserve(pn: PubNub, name: str = "a.bin") -> Reservation:
    """Reserve a file id and form without storing anything (a run killed after reserving)."""
    got: list[Reservation] = []

    def stop(reservation: Reservation) -> None:
        got.append(reservation)
        raise _Stop

    with pytest.raises(_Stop):
        await pn.send_file(channel=CHANNEL, file_name=name, file_object=b"-", on_reserved=stop)
    return got[0]


async def _store(pn: PubNub, reservation: Reservation, content: bytes = CONTENT) -> None:
    """Store with the form and stop before the publish (a run killed after the store)."""

    def stop(_: Reservation) -> None:
        raise _Stop

    builder = pn.send_file(channel=CHANNEL, file_object=content, on_stored=stop)
    with pytest.raises(_Stop):
        await builder.reservation(reservation)


async def _publish(pn: PubNub, reservation: Reservation) -> int:
    """Announce the file (a run killed after its publish went out)."""
    sent = await pn.publish_file_message(
        channel=CHANNEL,
        file_id=reservation.file_id,
        file_name=reservation.file_name,
        should_store=True,
    )
    return int(sent.timestamp)


def _item(content: bytes = CONTENT, name: str = "a.bin") -> UploadItem:
    return UploadItem(content, file_name=name)


def _record(state: FileState, reservation: Reservation | None = None, **changes: Any) -> FileRecord:
    return attrs.evolve(
        record_for(_item()), state=state, reservation=reservation, attempts=1, **changes
    )


async def _journal_with(record: FileRecord) -> MemoryJournal:
    journal = MemoryJournal()
    await journal.add([record])
    return journal


async def test_a_fresh_file_is_written_before_and_after_each_step(
    pn: PubNub, emulator: Emulator
) -> None:
    journal = MemoryJournal()
    checked: list[FileState] = []

    def check(record: FileRecord) -> None:  # what the server has when each write is made
        stored, announced = objects(emulator), file_messages(emulator)
        if record.state is FileState.RESERVED:
            assert record.file_id not in stored  # written before the store is sent
        elif record.state is FileState.STORED:
            assert record.file_id in stored
            assert announced == []  # written before the file message is sent
        else:
            assert [m["file"]["id"] for m in announced] == [record.file_id]
        checked.append(record.state)

    journal.on_put = check
    record = record_for(_item())
    await journal.add([record])
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert checked == [FileState.RESERVED, FileState.STORED, FileState.ANNOUNCED]
    assert outcome.actions == (Action.RESERVED, Action.STORED, Action.PUBLISHED)
    assert outcome.resumed_from is None
    assert outcome.error is None
    done = outcome.record
    assert journal.rows[done.key] == done
    assert done.state is FileState.ANNOUNCED
    assert outcome.sent is not None
    assert (outcome.sent.file_id, outcome.sent.name) == (done.file_id, "a.bin")
    assert done.timetoken == int(outcome.sent.timestamp)
    assert done.attempts == 1
    assert done.started is not None
    assert done.updated >= done.started
    stream = emulator.vendors["pubnub"].streams.by_key[KEYS["subscribe_key"]]  # type: ignore[attr-defined]
    assert len(stream.history[CHANNEL]) == 1  # stored in history: how a rerun can check


def test_record_for_takes_a_key_already_worked_out() -> None:
    item = UploadItem(b"x", file_name="a.bin")
    assert record_for(item).key == item_key(item) == "a.bin"
    given = record_for(item, 1, key="k-1")
    assert (given.key, given.name, given.size) == ("k-1", "a.bin", 1)
    assert given.state is FileState.PENDING


async def test_each_write_keeps_the_fields_its_step_does_not_change(pn: PubNub) -> None:
    # Run.write builds each record field by field: a field added to FileRecord must be
    # added there too (this list fails first, to say so)
    assert [field.name for field in attrs.fields(FileRecord)] == [
        "key", "name", "size", "state", "reservation", "abandoned", "timetoken", "step",
        "error", "attempts", "started", "updated", "owner", "lease_until",
    ]  # fmt: skip
    journal = MemoryJournal()
    written: list[FileRecord] = []
    journal.on_put = written.append
    lease = time.time() + 600
    record = attrs.evolve(
        record_for(_item()),
        size=len(CONTENT),
        abandoned=("old-id",),
        owner="w-1",
        lease_until=lease,
    )
    await journal.add([record])
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert [r.state for r in written] == [FileState.RESERVED, FileState.STORED, FileState.ANNOUNCED]
    for new in written:
        kept = (new.key, new.name, new.size, new.abandoned, new.owner, new.lease_until)
        assert kept == (record.key, "a.bin", len(CONTENT), ("old-id",), "w-1", lease)
        assert (new.step, new.error, new.attempts) == (None, None, 1)
    reserved, stored, announced = written
    assert reserved.reservation is stored.reservation is announced.reservation is not None
    assert (reserved.timetoken, stored.timetoken) == (None, None)
    assert outcome.sent is not None
    assert announced.timetoken == int(outcome.sent.timestamp)
    assert reserved.started == stored.started == announced.started
    assert reserved.updated <= stored.updated <= announced.updated


async def test_an_announced_file_is_skipped(pn: PubNub, emulator: Emulator) -> None:
    reservation = await _reserve(pn)
    record = _record(FileState.ANNOUNCED, reservation, timetoken=17000000000000000)
    journal = await _journal_with(record)
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert outcome.actions == (Action.SKIPPED,)
    assert outcome.resumed_from is FileState.ANNOUNCED
    assert outcome.sent is not None
    assert outcome.sent.timestamp == "17000000000000000"
    assert outcome.sent.file_id == reservation.file_id
    assert journal.writes == []
    assert file_messages(emulator) == []


@pytest.mark.parametrize("stored_before", [False, True], ids=["never-stored", "stored"])
@pytest.mark.parametrize(
    ("state", "step"), [(FileState.RESERVED, None), (FileState.FAILED, "upload")]
)
async def test_a_still_valid_form_stores_again_under_the_same_file_id(
    pn: PubNub, emulator: Emulator, state: FileState, step: str | None, stored_before: bool
) -> None:
    reservation = await _reserve(pn)
    if stored_before:  # the store went through; the run died before writing "stored"
        await _store(pn, reservation, b"an older version")
    record = _record(state, reservation, step=step)
    journal = await _journal_with(record)
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert outcome.actions == (Action.REUSED_FORM, Action.STORED, Action.PUBLISHED)
    assert outcome.resumed_from is state
    assert outcome.record.file_id == reservation.file_id
    assert outcome.record.attempts == 2
    assert objects(emulator) == {reservation.file_id: "a.bin"}  # one object: overwritten
    got = await pn.download_file(channel=CHANNEL, file_id=reservation.file_id, file_name="a.bin")
    assert got == CONTENT
    assert [m["file"]["id"] for m in file_messages(emulator)] == [reservation.file_id]


@pytest.mark.parametrize("stored_before", [False, True], ids=["never-stored", "stored"])
async def test_an_expired_form_is_abandoned_and_its_object_deleted(
    pn: PubNub, emulator: Emulator, stored_before: bool
) -> None:
    reservation = await _reserve(pn)
    if stored_before:
        await _store(pn, reservation)
    expired = attrs.evolve(reservation, expires=time.time() - 1)
    record = _record(FileState.RESERVED, expired)
    journal = await _journal_with(record)

    def check(written: FileRecord) -> None:
        if written.state is FileState.PENDING:  # forgotten only once its object is gone
            assert reservation.file_id not in objects(emulator)
            assert written.abandoned == (reservation.file_id,)
            assert written.reservation is None

    journal.on_put = check
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert outcome.actions == (
        Action.RESERVED_ANEW,
        Action.RESERVED,
        Action.STORED,
        Action.PUBLISHED,
    )
    assert journal.states() == [
        FileState.PENDING,
        FileState.RESERVED,
        FileState.STORED,
        FileState.ANNOUNCED,
    ]
    new_id = outcome.record.file_id
    assert new_id not in (None, reservation.file_id)
    assert outcome.record.abandoned == (reservation.file_id,)
    assert objects(emulator) == {new_id: "a.bin"}
    assert [m["file"]["id"] for m in file_messages(emulator)] == [new_id]


@pytest.mark.emulator(upload_expires=1.0)
async def test_storage_refuses_an_expired_form_so_a_rerun_reserves_anew(
    pn: PubNub, emulator: Emulator
) -> None:
    reservation = await _reserve(pn)
    assert reservation.expires <= time.time() + 1.5  # the emulator's short-lived forms
    await anyio.sleep(max(0.0, reservation.expires - time.time()) + 0.2)
    with pytest.raises(APIError) as refused:  # what reusing it would do
        await pn.send_file(channel=CHANNEL, file_object=CONTENT).reservation(reservation)
    assert refused.value.status_code == 403
    record = _record(FileState.RESERVED, reservation)
    journal = await _journal_with(record)
    outcome = await FileSteps(pn, journal, CHANNEL, form_margin=0).advance(record, _item())
    assert outcome.actions[0] is Action.RESERVED_ANEW
    assert outcome.record.state is FileState.ANNOUNCED


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (FileState.STORED, None),
        (FileState.UNKNOWN, "publish"),
        (FileState.FAILED, "publish"),
    ],
)
async def test_a_file_announced_before_is_found_in_history_not_published_again(
    pn: PubNub, emulator: Emulator, state: FileState, step: str | None
) -> None:
    reservation = await _reserve(pn)
    await _store(pn, reservation)
    timetoken = await _publish(pn, reservation)  # the run died as its answer came back
    record = _record(state, reservation, step=step)
    journal = await _journal_with(record)
    outcome = await FileSteps(pn, journal, CHANNEL, settle=0).advance(record, _item())
    assert outcome.actions == (Action.FOUND_IN_HISTORY,)
    assert outcome.resumed_from is state
    assert outcome.record.state is FileState.ANNOUNCED
    assert outcome.record.timetoken == timetoken
    assert outcome.sent is not None
    assert outcome.sent.timestamp == str(timetoken)
    assert len(file_messages(emulator)) == 1


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (FileState.STORED, None),
        (FileState.UNKNOWN, "publish"),
        (FileState.FAILED, "publish"),
    ],
)
async def test_a_file_missing_from_history_is_published(
    pn: PubNub, emulator: Emulator, state: FileState, step: str | None
) -> None:
    reservation = await _reserve(pn)
    await _store(pn, reservation)
    record = _record(state, reservation, step=step)
    journal = await _journal_with(record)
    outcome = await FileSteps(pn, journal, CHANNEL, settle=0).advance(record, _item())
    assert outcome.actions == (Action.NOT_IN_HISTORY, Action.PUBLISHED)
    assert outcome.record.state is FileState.ANNOUNCED
    assert [m["file"]["id"] for m in file_messages(emulator)] == [reservation.file_id]
    assert objects(emulator) == {reservation.file_id: "a.bin"}  # not stored again


async def test_a_file_that_failed_before_a_reservation_starts_over(
    pn: PubNub, emulator: Emulator
) -> None:
    record = _record(FileState.FAILED, None, step="prepare", error="bad input")
    journal = await _journal_with(record)
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert outcome.resumed_from is FileState.FAILED
    assert outcome.actions == (Action.RESERVED, Action.STORED, Action.PUBLISHED)
    assert outcome.record.step is None
    assert outcome.record.error is None
    assert len(objects(emulator)) == 1


async def test_a_lost_publish_answer_is_unknown_then_found_in_history(
    pn: PubNub, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="GET", path=PUBLISH, lose_answer="drop", times=1))
    journal = MemoryJournal()
    record = record_for(_item())
    await journal.add([record])
    steps = FileSteps(pn, journal, CHANNEL, settle=0)
    first = await steps.advance(record, _item())
    assert first.actions == (Action.RESERVED, Action.STORED, Action.UNKNOWN)
    assert first.record.state is FileState.UNKNOWN
    assert first.record.step == "publish"
    assert isinstance(first.error, FileUploadError)
    assert first.error.announced is None
    assert first.record.error is not None
    assert "unknown" in first.record.error
    again = await steps.advance(first.record, _item())
    assert again.actions == (Action.FOUND_IN_HISTORY,)
    assert again.record.state is FileState.ANNOUNCED
    assert len(file_messages(emulator)) == 1  # published once, never twice


async def test_a_refused_publish_is_tried_again_then_failed(pn: PubNub, emulator: Emulator) -> None:
    def refused() -> Fault:
        return Fault(method="GET", path=PUBLISH, status=400, body={"error": "no"}, times=1)

    emulator.faults.add(refused())
    journal = MemoryJournal()
    record = record_for(_item())
    await journal.add([record])
    outcome = await FileSteps(pn, journal, CHANNEL, retries=1).advance(record, _item())
    assert outcome.actions == (Action.RESERVED, Action.STORED, Action.RETRIED, Action.PUBLISHED)
    assert outcome.record.attempts == 2
    assert len(file_messages(emulator)) == 1

    emulator.faults.add(refused())
    record = record_for(_item(name="b.bin"))
    await journal.add([record])
    failed = await FileSteps(pn, journal, CHANNEL, retries=0).advance(record, _item(name="b.bin"))
    assert failed.actions == (Action.RESERVED, Action.STORED, Action.FAILED)
    assert failed.record.state is FileState.FAILED
    assert failed.record.step == "publish"
    assert failed.record.reservation is not None  # kept: a rerun only announces it
    rerun = await FileSteps(pn, journal, CHANNEL, settle=0).advance(failed.record, _item())
    assert rerun.actions == (Action.NOT_IN_HISTORY, Action.PUBLISHED)
    assert len(file_messages(emulator)) == 2


async def test_a_transient_store_failure_reuses_the_form(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/", status=503, times=1))
    journal = MemoryJournal()
    record = record_for(_item())
    await journal.add([record])
    outcome = await FileSteps(pn, journal, CHANNEL, retries=1).advance(record, _item())
    assert outcome.actions == (
        Action.RESERVED,
        Action.RETRIED,
        Action.REUSED_FORM,
        Action.STORED,
        Action.PUBLISHED,
    )
    assert len(objects(emulator)) == 1

    emulator.faults.add(Fault(method="POST", path="/_storage/", status=503, times=1))
    record = record_for(_item(name="b.bin"))
    await journal.add([record])
    failed = await FileSteps(pn, journal, CHANNEL, retries=0).advance(record, _item(name="b.bin"))
    assert failed.record.state is FileState.FAILED
    assert failed.record.step == "upload"
    assert failed.record.reservation is not None
    assert failed.record.error is not None
    assert "503" in failed.record.error


async def test_a_one_shot_stream_is_not_sent_twice(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/", status=503, times=1))

    async def chunks() -> AsyncIterator[bytes]:
        yield CONTENT

    item = UploadItem(chunks(), file_name="s.bin", size=len(CONTENT))
    journal = MemoryJournal()
    record = record_for(item)
    await journal.add([record])
    outcome = await FileSteps(pn, journal, CHANNEL, retries=3).advance(record, item)
    assert outcome.actions == (Action.RESERVED, Action.FAILED)
    assert outcome.record.state is FileState.FAILED


async def test_bad_input_fails_at_prepare(pn: PubNub, tmp_path: Any) -> None:
    item = UploadItem(tmp_path / "missing.bin")
    journal = MemoryJournal()
    record = record_for(item)
    await journal.add([record])
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, item)
    assert outcome.actions == (Action.FAILED,)
    assert outcome.record.step == "prepare"
    assert isinstance(outcome.error, ValidationError)


async def test_a_record_changed_by_someone_else_stops_the_file(
    pn: PubNub, emulator: Emulator
) -> None:
    journal = MemoryJournal(refuse=True)
    record = record_for(_item())
    await journal.add([record])
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert outcome.actions == (Action.RESERVED, Action.LOST)
    assert outcome.record == record
    assert objects(emulator) == {}  # stopped before the store


async def test_a_journal_that_cannot_be_written_raises(pn: PubNub, emulator: Emulator) -> None:
    journal = MemoryJournal(broken=OSError("disk full"))
    record = record_for(_item())
    await journal.add([record])
    with pytest.raises(OSError, match="disk full"):
        await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert objects(emulator) == {}


async def test_cancellation_writes_nothing(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/", delay=30))
    journal = MemoryJournal()
    record = record_for(_item())
    await journal.add([record])
    with anyio.move_on_after(0.5):
        await FileSteps(pn, journal, CHANNEL).advance(record, _item())
    assert journal.states() == [FileState.RESERVED]  # where it stood: a rerun takes it up


async def test_file_messages_must_be_stored_in_history(pn: PubNub) -> None:
    with pytest.raises(ValidationError, match="should_store"):
        FileSteps(pn, MemoryJournal(), CHANNEL, send_options={"should_store": False})


async def test_a_history_that_cannot_be_read_leaves_the_announcement_unknown(
    pn: PubNub, emulator: Emulator
) -> None:
    reservation = await _reserve(pn)
    await _store(pn, reservation)
    emulator.faults.add(Fault(method="GET", path="/v3/history/*", status=500, times=1))
    record = _record(FileState.STORED, reservation)
    journal = await _journal_with(record)
    steps = FileSteps(pn, journal, CHANNEL, settle=0)
    outcome = await steps.advance(record, _item())
    assert outcome.actions == (Action.UNKNOWN,)
    assert outcome.record.state is FileState.UNKNOWN
    assert outcome.record.error is not None
    assert "history could not be searched" in outcome.record.error
    again = await steps.advance(outcome.record, _item())
    assert again.actions == (Action.NOT_IN_HISTORY, Action.PUBLISHED)
    assert len(file_messages(emulator)) == 1


async def test_history_is_searched_once_for_many_files_after_the_settle_time(
    pn: PubNub, emulator: Emulator
) -> None:
    records = []
    for name in ("a.bin", "b.bin", "c.bin"):
        reservation = await _reserve(pn, name)
        await _store(pn, reservation)
        if name != "c.bin":
            await _publish(pn, reservation)
        records.append(_record(FileState.STORED, reservation, key=name, name=name))
    journal = MemoryJournal()
    await journal.add(records)
    begun = time.monotonic()
    steps = FileSteps(pn, journal, CHANNEL, settle=0.3)
    outcomes = [await steps.advance(r, _item(name=r.name)) for r in records]
    assert time.monotonic() - begun >= 0.3  # a message sent just before the crash has landed
    assert [o.actions for o in outcomes] == [
        (Action.FOUND_IN_HISTORY,),
        (Action.FOUND_IN_HISTORY,),
        (Action.NOT_IN_HISTORY, Action.PUBLISHED),
    ]
    assert steps.history.searches == 1
    assert len(file_messages(emulator)) == 3


async def test_history_searches_again_for_an_older_reservation(pn: PubNub) -> None:
    reservation = await _reserve(pn)
    await _store(pn, reservation)
    steps = FileSteps(pn, MemoryJournal(), CHANNEL, settle=0)
    history = steps.history
    assert await history.find("nothing", reservation.created) is None
    assert await history.find("nothing-either", reservation.created) is None
    assert history.searches == 1  # the same window, searched after the settle time
    assert await history.find("nothing", reservation.created - 3600) is None
    assert history.searches == 2  # reaches further back
    assert await history.find("nothing", reservation.created, time.time() + 0.05) is None
    assert history.searches == 3  # a later moment was asked for
    timetoken = await _publish(pn, reservation)
    assert await history.find(reservation.file_id, reservation.created, time.time()) == timetoken
    assert await history.find(reservation.file_id, 0) == timetoken  # remembered
    assert history.searches == 4


async def test_encrypted_file_messages_are_found(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    settings = emulator.settings("http://emulator.test")["pubnub"]
    pn = emulator_session.pubnub(**KEYS, **settings, cipher_key="secret")
    reservation = await _reserve(pn)
    await _store(pn, reservation)
    timetoken = await _publish(pn, reservation)
    assert isinstance(file_messages(emulator)[0], str)  # encrypted on the wire
    record = _record(FileState.UNKNOWN, reservation, step="publish")
    journal = await _journal_with(record)
    outcome = await FileSteps(pn, journal, CHANNEL, settle=0).advance(record, _item())
    assert outcome.actions == (Action.FOUND_IN_HISTORY,)
    assert outcome.record.timetoken == timetoken


async def test_a_file_message_carries_the_items_message_also_when_published_on_resume(
    pn: PubNub, emulator: Emulator
) -> None:
    item = UploadItem(CONTENT, file_name="a.bin", message={"caption": "a cat"})
    journal = MemoryJournal()
    fresh = record_for(item)
    await journal.add([fresh])
    sent: list[int] = []
    steps = FileSteps(pn, journal, CHANNEL, settle=0, send_options={"meta": {"job": 1}})
    outcome = await steps.advance(fresh, item, on_bytes=sent.append)
    assert sum(sent) == len(CONTENT)
    reservation = await _reserve(pn, "b.bin")
    await _store(pn, reservation)
    stored = _record(FileState.STORED, reservation, key="b.bin", name="b.bin")
    await journal.add([stored])
    resumed = await steps.advance(stored, attrs.evolve(item, file_name="b.bin"))
    assert resumed.actions == (Action.NOT_IN_HISTORY, Action.PUBLISHED)
    messages = file_messages(emulator)
    assert [m["message"] for m in messages] == [{"caption": "a cat"}] * 2
    assert [m["file"]["id"] for m in messages] == [outcome.record.file_id, reservation.file_id]


async def test_a_lost_answer_to_a_resumed_publish_leaves_it_unknown(
    pn: PubNub, emulator: Emulator
) -> None:
    reservation = await _reserve(pn)
    await _store(pn, reservation)
    emulator.faults.add(Fault(method="GET", path=PUBLISH, lose_answer="502", times=1))
    record = _record(FileState.STORED, reservation)
    journal = await _journal_with(record)
    steps = FileSteps(pn, journal, CHANNEL, settle=0)
    outcome = await steps.advance(record, _item())
    assert outcome.actions == (Action.NOT_IN_HISTORY, Action.UNKNOWN)
    assert outcome.record.state is FileState.UNKNOWN
    assert isinstance(outcome.error, FileUploadError)
    assert outcome.error.announced is None
    again = await FileSteps(pn, journal, CHANNEL, settle=0).advance(outcome.record, _item())
    assert again.actions == (Action.FOUND_IN_HISTORY,)
    assert len(file_messages(emulator)) == 1


async def test_any_other_failure_fails_the_file(pn: PubNub, emulator: Emulator) -> None:
    class Unreadable:
        def read(self, size: int = -1) -> bytes:
            raise OSError("the disk went away")

        def seek(self, offset: int, whence: int = 0) -> int:
            return 0

        def tell(self) -> int:
            return 0

    item = UploadItem(Unreadable(), file_name="u.bin", size=10)  # type: ignore[arg-type]
    journal = MemoryJournal()
    record = record_for(item)
    await journal.add([record])
    outcome = await FileSteps(pn, journal, CHANNEL).advance(record, item)
    assert outcome.actions[-1] is Action.FAILED
    assert outcome.record.step == "upload"
    assert outcome.record.error is not None
    assert "the disk went away" in outcome.record.error


async def test_a_take_over_trusts_only_a_search_begun_after_the_given_time(
    pn: PubNub, emulator: Emulator
) -> None:
    reservation = await _reserve(pn)
    await _store(pn, reservation)
    steps = FileSteps(pn, MemoryJournal(), CHANNEL, settle=0)
    assert await steps.history.find(reservation.file_id, reservation.created) is None
    await _publish(pn, reservation)  # the other worker's publish, after that search
    record = _record(FileState.STORED, reservation)
    steps.journal = await _journal_with(record)
    begun = time.monotonic()
    outcome = await steps.advance(record, _item(), history_after=time.time() + 0.2)
    assert time.monotonic() - begun >= 0.2
    assert outcome.actions == (Action.FOUND_IN_HISTORY,)  # not the stale search's answer
    assert steps.history.searches == 2
    assert len(file_messages(emulator)) == 1
