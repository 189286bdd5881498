"""Bulk uploads cancelled part-way: each file's report entry names what may exist, exactly."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.bulk import BulkUpload
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub.report import UploadItem, UploadProgress

KEYS: dict[str, Any] = {
    "subscribe_key": "sub-c-bulk-cancel",
    "publish_key": "pub-c-bulk-cancel",
    "user_id": "bulk",
}


@pytest.fixture
def pn(emulator_session: aiospaces.Session, emulator: Emulator) -> PubNub:
    return emulator_session.pubnub(**KEYS, **emulator.settings("http://emulator.test")["pubnub"])


async def cancel_when(job: BulkUpload, ready: anyio.Event) -> None:
    """Run the job, and cancel it once ``ready`` is set and every task waits on the server."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(job.run)
        await ready.wait()
        await anyio.wait_all_tasks_blocked()
        tg.cancel_scope.cancel()


async def test_cancelled_while_stored_names_the_reserved_file_id(
    pn: PubNub, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", delay=30))
    started = anyio.Event()

    def on_progress(event: UploadProgress) -> None:
        if event.event == "started":
            started.set()

    item = UploadItem(b"x" * 100, file_name="slow.bin")
    job = pn.upload_files("c", [item], on_progress=on_progress)
    await cancel_when(job, started)
    (failure,) = job.report.failed
    error = failure.error
    assert isinstance(error, aiospaces.FileUploadError)
    assert (
        str(error) == "cancelled while the file was being stored (it may exist under this file id)"
    )
    assert (failure.step, error.step) == ("upload", "upload")
    assert failure.file_id is not None
    assert (error.file_id, error.file_name) == (failure.file_id, "slow.bin")
    assert (job.report.cancelled, job.report.announcement_unknown) == ([], [])


async def test_cancelled_while_announced_is_reported_as_unknown(
    pn: PubNub, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", delay=30))
    stored = anyio.Event()

    def on_progress(event: UploadProgress) -> None:
        if event.bytes_total and event.bytes_sent == event.bytes_total:
            stored.set()

    item = UploadItem(b"y" * 100, file_name="told.bin")
    job = pn.upload_files("c", [item], on_progress=on_progress)
    await cancel_when(job, stored)
    (unknown,) = job.report.announcement_unknown
    error = unknown.error
    assert isinstance(error, aiospaces.FileUploadError)
    assert str(error) == "cancelled while the file message was being published"
    assert (error.step, error.announced) == ("publish", None)
    assert (unknown.file_name, error.file_name) == ("told.bin", "told.bin")
    assert unknown.file_id == error.file_id
    assert unknown.item is item
    assert unknown.attempts == 1
    assert job.report.failed == []


async def test_a_cancelled_job_before_any_file_id_leaves_files_cancelled(
    pn: PubNub, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="POST", path="/v1/files/*", delay=30))
    started = anyio.Event()

    def on_progress(event: UploadProgress) -> None:
        if event.event == "started":
            started.set()

    items = [UploadItem(b"z", file_name=f"z{i}.bin") for i in range(3)]
    job = pn.upload_files("c", items, concurrency=1, on_progress=on_progress)
    await cancel_when(job, started)
    assert job.report.cancelled == items[:1]  # no file id yet: nothing can be stored
    assert job.report.not_started == items[1:]
    assert job.report.failed == []
