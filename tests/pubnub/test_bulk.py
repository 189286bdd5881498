"""Bulk uploads: concurrency bound, report, retries, resumes, progress, cancellation."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import anyio
import httpx
import pytest
import respx

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub.report import UploadItem, UploadProgress, UploadReport
from tests.pubnub import test_files_wire as wire

KEYS: dict[str, Any] = {
    "subscribe_key": "sub-c-bulk",
    "publish_key": "pub-c-bulk",
    "user_id": "bulk",
}

pytestmark = pytest.mark.usefixtures("retry_waits")


@pytest.fixture
def pn(emulator_session: aiospaces.Session, emulator: Emulator) -> PubNub:
    settings = emulator.settings("http://emulator.test")["pubnub"]
    return emulator_session.pubnub(**KEYS, **settings, cipher_key="bulk-key")


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = []
    for i in range(12):
        path = tmp_path / f"file-{i:02}.bin"
        path.write_bytes(os.urandom(1000 + i * 5000))
        paths.append(path)
    return paths


async def test_uploads_everything_and_reports(pn: PubNub, files: list[Path]) -> None:
    events: list[UploadProgress] = []
    job = pn.upload_files("bulk", files, concurrency=3, on_progress=events.append)
    report = await job
    assert report is job.report
    assert report.ok
    assert sorted(cast("Path", s.item.source) for s in report.succeeded) == files
    assert all(s.attempts == 1 for s in report.succeeded)
    assert pn.crypto is not None  # encrypted, yet counted in the files' own bytes
    expected = sum(p.stat().st_size for p in files)
    assert report.bytes_sent == expected
    assert events[-1].files_done == 12
    assert events[-1].bytes_sent == events[-1].bytes_total == expected
    assert {e.event for e in events} == {"started", "bytes", "succeeded"}
    for success in report.succeeded:
        got = await pn.download_file(
            channel="bulk", file_id=success.sent.file_id, file_name=success.sent.name
        )
        assert got == cast("Path", success.item.source).read_bytes()


async def test_concurrency_is_bounded(
    pn: PubNub, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    running = peak = 0
    original = type(pn).send_file

    def counting_send_file(self: PubNub, **kwargs: Any) -> object:
        builder = original(self, **kwargs)
        inner = builder.future

        async def future() -> object:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            try:
                await anyio.sleep(0.01)
                return await inner()
            finally:
                running -= 1

        builder.future = future  # type: ignore[method-assign,assignment]
        return builder

    monkeypatch.setattr(type(pn), "send_file", counting_send_file)
    report = await pn.upload_files("bulk", files, concurrency=4)
    assert report.ok
    assert peak == 4


async def test_items_with_bytes_streams_and_messages(pn: PubNub, emulator: Emulator) -> None:
    async def stream() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b"def"

    items = [
        UploadItem(b"raw bytes", file_name="raw.txt", message={"n": 1}),
        UploadItem(stream(), file_name="stream.txt", size=6),
    ]
    report = await pn.upload_files("bulk", items)
    assert report.ok
    names = sorted(s.sent.name for s in report.succeeded)
    assert names == ["raw.txt", "stream.txt"]


async def test_bad_items_fail_alone(pn: PubNub, files: list[Path], tmp_path: Path) -> None:
    missing = tmp_path / "missing.bin"
    report = await pn.upload_files("bulk", [files[0], missing, UploadItem(b"x")])
    assert [s.item.source for s in report.succeeded] == [files[0]]
    steps = sorted((f.step, type(f.error).__name__) for f in report.failed)
    assert steps == [("prepare", "ValidationError"), ("prepare", "ValidationError")]
    assert not report.ok


async def test_transient_upload_failures_are_retried_per_file(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    # 3 failures in a row exhaust one send_file's own retries (2), so the file is tried again
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503, times=3))
    report = await pn.upload_files("bulk", files[:1], retries=1)
    assert report.ok
    assert report.succeeded[0].attempts == 2
    assert pn.crypto is not None  # progress counts the file's own bytes, not the encrypted ones
    assert report.bytes_sent == files[0].stat().st_size


async def test_exhausted_retries_are_reported(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503))
    report = await pn.upload_files("bulk", files[:2], retries=1)
    assert not report.succeeded
    assert {(f.step, f.attempts) for f in report.failed} == {("upload", 2)}
    assert all(isinstance(f.error, aiospaces.ServerError) for f in report.failed)
    assert report.bytes_sent == 0


async def test_publish_failures_are_resumed_not_reuploaded(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=429, times=4))
    report = await pn.upload_files("bulk", files[:1], retries=1, publish_retries=3)
    assert report.ok
    assert report.succeeded[0].attempts == 2
    assert len(emulator.storage.list("")) == 1  # uploaded once


async def test_a_lost_announcement_is_reported_not_repeated(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=503, times=1))
    report = await pn.upload_files("bulk", files[:2], retries=2)
    (unknown,) = report.announcement_unknown
    assert unknown.file_id in {o.key.split("/")[-2] for o in emulator.storage.list("")}
    assert isinstance(unknown.error, aiospaces.FileUploadError)
    assert unknown.error.announced is None
    assert len(report.succeeded) == 1
    assert not report.ok
    assert_accounted(report, files[:2])
    assert emulator.faults.rules[0].fired == 1  # the unknown one was not published again


async def test_unannounced_files_are_reported_with_their_id(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=429))
    report = await pn.upload_files("bulk", files[:1], retries=1, publish_retries=0)
    (failure,) = report.failed
    assert failure.step == "publish"
    assert failure.file_id
    assert isinstance(failure.error, aiospaces.FileUploadError)


async def test_cancelling_reports_what_finished(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", delay=30))
    started = anyio.Event()

    def on_progress(event: UploadProgress) -> None:
        if event.event == "started" and len(job.report.not_started) == 10:
            started.set()

    job = pn.upload_files("bulk", files, concurrency=2, on_progress=on_progress)
    async with anyio.create_task_group() as tg:
        tg.start_soon(job.run)
        await started.wait()
        await anyio.wait_all_tasks_blocked()  # both uploads are held by the slow storage
        tg.cancel_scope.cancel()
    report = job.report
    assert report.succeeded == []
    assert report.cancelled == []  # both had a file id: a store was under way
    assert [f.step for f in report.failed] == ["upload", "upload"]
    assert all(f.file_id for f in report.failed)
    assert "may exist" in str(report.failed[0].error)
    assert len(report.not_started) == 10
    assert not report.ok
    assert_accounted(job.report, files)


def assert_accounted(report: UploadReport, sources: list[Any]) -> None:
    """Every item is in exactly one of the report's lists."""
    seen = [
        *(s.item.source for s in report.succeeded),
        *(f.item.source for f in report.failed),
        *(u.item.source for u in report.announcement_unknown),
        *(i.source for i in report.cancelled),
        *(i.source for i in report.not_started),
    ]
    assert sorted(map(id, seen)) == sorted(map(id, sources))


async def test_cancelling_during_publish_reports_the_stored_file(
    pn: PubNub, emulator: Emulator, files: list[Path]
) -> None:
    held = emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", delay=30))
    job = pn.upload_files("bulk", files[:1])
    async with anyio.create_task_group() as tg:
        tg.start_soon(job.run)
        # cancel once the publish has reached the server, which holds it: waiting for the
        # last byte sent and then for every task to block could catch the store's answer
        # still on its way, and the file would not be stored yet
        with anyio.fail_after(10):
            while not held.fired:  # noqa: ASYNC110 - a counter: no event to wait on
                await anyio.sleep(0.005)
        tg.cancel_scope.cancel()
    # the publish was out when the job was cancelled: it may have been announced
    (unknown,) = job.report.announcement_unknown
    assert isinstance(unknown.error, aiospaces.FileUploadError)
    assert unknown.error.announced is None
    assert unknown.file_id == unknown.error.file_id
    assert unknown.file_id in emulator.storage.list("")[0].key
    assert job.report.cancelled == []
    assert job.report.failed == []


async def test_unexpected_errors_fail_only_their_file(pn: PubNub, files: list[Path]) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"abc"
        raise OSError("disk on fire")

    items: list[UploadItem | Path] = [
        UploadItem(broken(), file_name="broken.bin", size=10),
        files[0],
        files[1],
    ]
    report = await pn.upload_files("bulk", items, concurrency=1)
    assert len(report.succeeded) == 2
    (failure,) = report.failed
    assert failure.step == "upload"
    assert isinstance(failure.error, OSError)
    assert_accounted(
        report, [item.source if isinstance(item, UploadItem) else item for item in items]
    )


async def test_a_failing_progress_callback_stops_the_job(pn: PubNub, files: list[Path]) -> None:
    def on_progress(event: UploadProgress) -> None:
        if event.event == "succeeded":
            raise KeyError("my bug")

    job = pn.upload_files("bulk", files[:4], concurrency=1, on_progress=on_progress)
    with pytest.raises(KeyError, match="my bug"):
        await job
    assert len(job.report.succeeded) == 1  # it did upload; the callback broke afterwards
    assert len(job.report.succeeded) + len(job.report.failed) == 1
    assert_accounted(job.report, files[:4])  # the rest: cancelled or not started


@respx.mock
async def test_bytes_of_a_file_sent_again_are_not_counted_twice() -> None:
    pn = wire.client()
    storage_errors = [httpx.Response(500)] * 3
    routes = wire.Routes(generate=wire.ticket(), upload=[*storage_errors, httpx.Response(204)])
    events: list[UploadProgress] = []
    report = await pn.upload_files(
        wire.CHANNEL,
        [UploadItem(b"x" * 100_000, file_name="a b.txt")],
        retries=1,
        on_progress=events.append,
    )
    assert report.ok
    assert routes.upload.call_count == 4  # 3 by the first send_file, 1 by the bulk retry
    assert report.bytes_sent == 100_000
    assert events[-1].bytes_sent == events[-1].bytes_total == 100_000
    await pn.aclose()


def test_arguments_are_validated(pn: PubNub) -> None:
    for kwargs in ({"concurrency": 0}, {"retries": -1}):
        with pytest.raises(aiospaces.ValidationError):
            pn.upload_files("bulk", [], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(aiospaces.ValidationError):
        pn.upload_files("", [])


async def test_a_job_runs_once(pn: PubNub) -> None:
    job = pn.upload_files("bulk", [])
    assert (await job).ok
    with pytest.raises(RuntimeError):
        await job


async def test_a_finished_files_builder_is_freed_without_the_cycle_collector(
    pn: PubNub, files: list[Path]
) -> None:
    # 1,000 files at once used to keep every finished file's builder, form and answers alive
    # until a full collection (a cycle through its progress callback): ~1 MiB more peak RSS
    import gc

    from aiospaces.pubnub.upload import SendFile

    gc.collect()
    gc.disable()
    try:
        report = await pn.upload_files("bulk-channel", files, concurrency=4)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        builders = [o for o in gc.garbage if isinstance(o, SendFile)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert len(report.succeeded) == len(files)
    assert builders == []
