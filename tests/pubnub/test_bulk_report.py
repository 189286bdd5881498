"""Bulk uploads: what each file carries, what the progress events and the report say."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub.report import UploadItem, UploadProgress, UploadReport

KEYS: dict[str, Any] = {
    "subscribe_key": "sub-c-bulk-report",
    "publish_key": "pub-c-bulk-report",
    "user_id": "bulk",
}
CHANNEL = "reports"

pytestmark = pytest.mark.usefixtures("retry_waits")


@pytest.fixture
def pn(emulator_session: aiospaces.Session, emulator: Emulator) -> PubNub:
    """A client without a cipher key: file messages are stored readable."""
    return emulator_session.pubnub(**KEYS, **emulator.settings("http://emulator.test")["pubnub"])


def messages(emulator: Emulator) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = emulator.vendors["pubnub"].snapshot()[KEYS["subscribe_key"]][
        "messages"
    ]
    return found


def by_name(emulator: Emulator) -> dict[str, dict[str, Any]]:
    return {m["message"]["file"]["name"]: m for m in messages(emulator)}


def accounted(report: UploadReport) -> list[str]:
    """The file names of every item in the report, whatever list it is in."""
    items = [
        *(s.item for s in report.succeeded),
        *(f.item for f in report.failed),
        *report.cancelled,
        *report.not_started,
    ]
    return sorted(item.name for item in items)


# -- what each file carries ---------------------------------------------------------------------


async def test_each_item_is_announced_with_its_own_message_and_the_jobs_options(
    pn: PubNub, emulator: Emulator
) -> None:
    items = [
        UploadItem(b"a" * 10, file_name="a.txt", message={"n": 1}),
        UploadItem(b"b" * 20, file_name="b.txt", message="hello"),
        UploadItem(b"c" * 30, file_name="c.txt"),
    ]
    report = await pn.upload_files(CHANNEL, items, meta={"batch": 7}, ttl=5)
    assert report.ok
    stored = by_name(emulator)
    assert {name: m["message"]["message"] for name, m in stored.items()} == {
        "a.txt": {"n": 1},
        "b.txt": "hello",
        "c.txt": None,
    }
    assert all(m["meta"] == {"batch": 7} and m["ttl"] == 5 for m in stored.values())
    for success in report.succeeded:
        assert stored[success.sent.name]["message"]["file"]["id"] == success.sent.file_id
        assert stored[success.sent.name]["timetoken"] == success.sent.timestamp


async def test_a_resumed_announcement_keeps_the_message_and_options(
    pn: PubNub, emulator: Emulator
) -> None:
    # the first publish is refused (429: certainly not published) and send_file may not retry
    # it: the job sends the file message again, and only that
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=429, times=1))
    item = UploadItem(b"x" * 100, file_name="late.txt", message={"late": True})
    report = await pn.upload_files(CHANNEL, [item], publish_retries=0, meta={"m": 1}, ttl=3)
    (success,) = report.succeeded
    assert success.attempts == 2
    ((key,),) = [[o.key for o in emulator.storage.list("")]]
    assert success.sent.file_id in key  # the one stored object, uploaded once
    (stored,) = messages(emulator)
    announced = {"id": success.sent.file_id, "name": "late.txt"}
    assert stored["message"] == {"message": {"late": True}, "file": announced}
    assert (stored["meta"], stored["ttl"]) == ({"m": 1}, 3)
    assert success.sent.name == "late.txt"
    assert success.sent.timestamp == stored["timetoken"]


async def test_an_announcement_that_keeps_failing_names_the_stored_file(
    pn: PubNub, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=429))
    item = UploadItem(b"x" * 100, file_name="never.txt")
    report = await pn.upload_files(CHANNEL, [item], retries=2, publish_retries=0)
    (failure,) = report.failed
    assert (failure.step, failure.attempts) == ("publish", 3)
    error = failure.error
    assert isinstance(error, aiospaces.FileUploadError)
    assert (error.step, error.file_name, error.file_id) == ("publish", "never.txt", failure.file_id)
    assert isinstance(error.__cause__, aiospaces.RateLimitError)
    assert str(error.__cause__) in str(error)
    assert failure.file_id is not None
    assert failure.file_id in str(error)
    assert failure.file_id in emulator.storage.list("")[0].key


async def test_the_jobs_cipher_key_encrypts_every_file(pn: PubNub, tmp_path: Path) -> None:
    path = tmp_path / "p.bin"
    path.write_bytes(b"p" * 5000)
    events: list[UploadProgress] = []
    report = await pn.upload_files(
        CHANNEL,
        [UploadItem(b"q" * 3000, file_name="q.bin"), path],
        cipher_key="job-key",
        on_progress=events.append,
    )
    assert report.ok
    expected = 3000 + 5000  # the files' own bytes, as the user counts them (not encrypted)
    assert events[-1].bytes_total == expected
    assert [e.bytes_sent for e in events] == sorted(e.bytes_sent for e in events)
    assert report.bytes_sent == expected
    for success in report.succeeded:
        sent = success.sent
        plain = await pn.download_file(
            channel=CHANNEL, file_id=sent.file_id, file_name=sent.name, cipher_key="job-key"
        )
        assert plain == (b"q" * 3000 if sent.name == "q.bin" else b"p" * 5000)
        raw = await pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name=sent.name)
        assert raw != plain  # stored encrypted


async def test_bytes_total_counts_every_file_whose_size_is_known(
    pn: PubNub, tmp_path: Path
) -> None:
    async def unsized() -> AsyncIterator[bytes]:
        yield b"u" * 7

    async def sized() -> AsyncIterator[bytes]:
        yield b"s" * 11

    path = tmp_path / "p.bin"
    path.write_bytes(b"p" * 13)
    events: list[UploadProgress] = []
    items: list[Any] = [
        tmp_path / "missing.bin",  # no size: reported as a failure, counted as nothing
        UploadItem(unsized(), file_name="unsized.bin"),  # no size until it is spooled
        UploadItem(sized(), file_name="sized.bin", size=11),
        UploadItem(b"b" * 17, file_name="b.bin"),
        path,
    ]
    report = await pn.upload_files(CHANNEL, items, on_progress=events.append)
    assert {e.bytes_total for e in events} == {11 + 17 + 13}
    assert report.bytes_sent == 7 + 11 + 17 + 13
    assert [f.item.source for f in report.failed] == [tmp_path / "missing.bin"]


# -- progress events --------------------------------------------------------------------------


async def test_every_event_names_its_file_and_the_job_totals(
    pn: PubNub, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=403, times=1))
    items = [UploadItem(bytes(600_000), file_name=f"f{i}.bin") for i in range(3)]
    events: list[UploadProgress] = []
    report = await pn.upload_files(CHANNEL, items, concurrency=1, on_progress=events.append)
    assert all(e.files_total == 3 for e in events)
    assert all(e.item in items for e in events)
    assert [e.files_done for e in events if e.event in ("succeeded", "failed")] == [1, 2, 3]
    (failed,) = report.failed
    for item in items:
        kinds = [e.event for e in events if e.item is item]
        end = "failed" if item is failed.item else "succeeded"
        assert kinds[0] == "started"
        assert kinds[-1] == end
        assert kinds.count(end) == 1
        if end == "succeeded":
            assert "bytes" in kinds


async def test_a_non_transient_error_fails_the_file_without_a_retry(
    pn: PubNub, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=403))
    report = await pn.upload_files(CHANNEL, [UploadItem(b"x", file_name="x.txt")], retries=3)
    (failure,) = report.failed
    assert (failure.step, failure.attempts) == ("upload", 1)
    assert failure.file_id  # the id reserved for it, under which nothing was stored
    assert isinstance(failure.error, aiospaces.PermissionDeniedError)
    assert report.bytes_sent == 0
    assert emulator.storage.list("") == []


async def test_by_default_a_file_is_tried_three_times(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503))
    report = await pn.upload_files(CHANNEL, [UploadItem(b"x", file_name="x.txt")])
    assert [f.attempts for f in report.failed] == [3]


async def test_retries_zero_tries_each_file_once(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503))
    report = await pn.upload_files(CHANNEL, [UploadItem(b"x", file_name="x.txt")], retries=0)
    assert [(f.step, f.attempts) for f in report.failed] == [("upload", 1)]


# -- the caller's callback breaking -------------------------------------------------------------


async def test_a_callback_failing_mid_upload_fails_that_file_and_stops_the_job(
    pn: PubNub,
) -> None:
    items = [UploadItem(bytes(1000), file_name=f"f{i}.bin") for i in range(3)]

    def on_progress(event: UploadProgress) -> None:
        if event.event == "bytes":
            raise KeyError("my bug")

    job = pn.upload_files(CHANNEL, items, concurrency=1, on_progress=on_progress)
    with pytest.raises(KeyError, match="my bug"):
        await job
    report = job.report
    assert report.succeeded == []
    (failure,) = report.failed
    assert failure.item is items[0]
    assert isinstance(failure.error, KeyError)
    assert (failure.step, failure.attempts) == ("upload", 1)
    assert accounted(report) == ["f0.bin", "f1.bin", "f2.bin"]


async def test_a_callback_failing_on_a_failure_reports_the_file_once(
    pn: PubNub, tmp_path: Path
) -> None:
    def on_progress(event: UploadProgress) -> None:
        if event.event == "failed":
            raise RuntimeError("my bug")

    missing = tmp_path / "missing.bin"
    job = pn.upload_files(CHANNEL, [missing], on_progress=on_progress)
    with pytest.raises(RuntimeError, match="my bug"):
        await job
    (failure,) = job.report.failed
    assert failure.step == "prepare"
    assert isinstance(failure.error, aiospaces.ValidationError)


# -- the report -------------------------------------------------------------------------------


async def test_elapsed_is_the_time_the_job_ran(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", delay=0.2))
    started = time.perf_counter()
    report = await pn.upload_files(CHANNEL, [UploadItem(b"x", file_name="x.txt")])
    took = time.perf_counter() - started
    assert 0.2 <= report.elapsed <= took


def test_an_item_without_a_name_says_which_source_needs_one() -> None:
    assert UploadItem(Path("/data/photo.jpg")).name == "photo.jpg"
    assert UploadItem(b"x", file_name="given.txt").name == "given.txt"
    with pytest.raises(aiospaces.ValidationError) as caught:
        _ = UploadItem(b"x").name
    assert str(caught.value) == "file_name is required for a bytes source"


def test_the_report_is_ok_only_when_every_file_went_through() -> None:
    item = UploadItem(b"x", file_name="x")
    assert UploadReport().ok
    assert not UploadReport(cancelled=[item]).ok
    assert not UploadReport(not_started=[item]).ok


async def test_a_second_run_is_refused_with_a_hint(pn: PubNub) -> None:
    job = pn.upload_files(CHANNEL, [])
    await job
    with pytest.raises(RuntimeError) as caught:
        await job.run()
    assert str(caught.value) == "a BulkUpload runs once; make a new one with upload_files()"


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"retries": -1}, "retries"),
        ({"channel": ""}, "channel"),
    ],
)
def test_bad_job_arguments_are_named(pn: PubNub, kwargs: dict[str, Any], named: str) -> None:
    arguments: dict[str, Any] = {"channel": CHANNEL, "sources": [], **kwargs}
    with pytest.raises(aiospaces.ValidationError, match=rf"^{named}\b"):
        pn.upload_files(**arguments)
