"""Bulk uploads: the default bound, argument errors, events of each outcome, byte counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub.report import UploadItem, UploadProgress

KEYS: dict[str, Any] = {
    "subscribe_key": "sub-c-bulk-events",
    "publish_key": "pub-c-bulk-events",
    "user_id": "bulk",
}
CHANNEL = "events"

pytestmark = pytest.mark.usefixtures("retry_waits")


@pytest.fixture
def pn(emulator_session: aiospaces.Session, emulator: Emulator) -> PubNub:
    return emulator_session.pubnub(**KEYS, **emulator.settings("http://emulator.test")["pubnub"])


async def test_by_default_eight_files_go_at_once(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", delay=0.2))
    events: list[UploadProgress] = []
    items = [UploadItem(b"x", file_name=f"f{i}.bin") for i in range(10)]
    report = await pn.upload_files(CHANNEL, items, on_progress=events.append)
    assert report.ok
    kinds = [e.event for e in events if e.event in ("started", "succeeded")]
    assert kinds.index("succeeded") == 8  # the ninth waits for a free slot


def test_bad_sources_and_callbacks_are_named(pn: PubNub) -> None:
    with pytest.raises(aiospaces.ValidationError) as caught:
        pn.upload_files(CHANNEL, 5)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "sources must be an iterable of files, not int (pass [path] for one file)"
    )
    with pytest.raises(aiospaces.ValidationError) as caught:
        pn.upload_files(CHANNEL, [], on_progress=5)  # type: ignore[arg-type]
    assert str(caught.value) == "on_progress must be callable, not 5"


async def test_an_unknown_announcement_is_an_event_and_reported_once(
    pn: PubNub, emulator: Emulator
) -> None:
    # a 503 to the publish leaves open whether it was applied: never published again blindly
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=503))
    events: list[UploadProgress] = []

    def on_progress(event: UploadProgress) -> None:
        events.append(event)
        if event.event == "unknown":
            raise RuntimeError("my bug")

    item = UploadItem(b"u" * 10, file_name="u.bin")
    job = pn.upload_files(CHANNEL, [item], on_progress=on_progress)
    with pytest.raises(RuntimeError, match="my bug"):
        await job
    (unknown,) = job.report.announcement_unknown
    assert (unknown.item, unknown.file_name) == (item, "u.bin")
    assert unknown.file_id
    assert unknown.file_id in emulator.storage.list("")[0].key
    assert job.report.failed == []
    (last,) = [e for e in events if e.event == "unknown"]
    assert (last.item, last.files_done) == (item, 1)


async def test_failures_name_the_file_id_that_was_reserved(pn: PubNub, emulator: Emulator) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"abc"
        raise OSError("disk on fire")

    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503, times=3))
    items = [
        UploadItem(b"t" * 10, file_name="transient.bin"),  # takes the three 503s
        UploadItem(broken(), file_name="broken.bin", size=10),
    ]
    report = await pn.upload_files(CHANNEL, items, concurrency=1, retries=0)
    failures = {f.item.name: f for f in report.failed}
    assert isinstance(failures["broken.bin"].error, OSError)
    assert isinstance(failures["transient.bin"].error, aiospaces.ServerError)
    assert all(f.file_id and f.step == "upload" for f in failures.values())


async def test_a_callback_failing_after_the_reservation_names_the_file_id(pn: PubNub) -> None:
    def on_progress(event: UploadProgress) -> None:
        if event.event == "bytes":
            raise KeyError("my bug")

    job = pn.upload_files(
        CHANNEL, [UploadItem(b"c" * 10, file_name="c.bin")], on_progress=on_progress
    )
    with pytest.raises(KeyError):
        await job
    (failure,) = job.report.failed
    assert failure.file_id


async def test_a_file_of_many_pieces_sent_three_times_is_counted_once(
    pn: PubNub, emulator: Emulator
) -> None:
    # the storage reads the whole body, then a proxy answers 502: three times per attempt of
    # the job (send_file's own retries); the third attempt succeeds
    emulator.faults.add(Fault(method="POST", path="/_storage/*", lose_answer="502", times=6))
    size = 700_000  # three pieces of the body
    events: list[UploadProgress] = []
    item = UploadItem(bytes(size), file_name="big.bin")
    report = await pn.upload_files(CHANNEL, [item], retries=2, on_progress=events.append)
    assert [s.attempts for s in report.succeeded] == [3]
    assert report.bytes_sent == size
    assert events[-1].bytes_sent == events[-1].bytes_total == size
