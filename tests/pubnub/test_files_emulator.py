"""File sharing against the emulator: round trips, encryption, limits, retries, resumes."""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, BinaryIO

import anyio
import pytest

import aiospaces
from aiospaces.core.transport import PoolStats
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.upload import SendFile

KEYS: dict[str, Any] = {
    "subscribe_key": "sub-c-files",
    "publish_key": "pub-c-files",
    "user_id": "tester",
}
CHANNEL = "photos 2026 ü"

pytestmark = pytest.mark.usefixtures("retry_waits")


def client(session: aiospaces.Session, emulator: Emulator, **settings: Any) -> PubNub:
    return session.pubnub(**KEYS, **emulator.settings("http://emulator.test")["pubnub"], **settings)


@pytest.fixture
def pn(emulator_session: aiospaces.Session, emulator: Emulator) -> PubNub:
    return client(emulator_session, emulator)


def messages(emulator: Emulator) -> list[dict[str, object]]:
    snapshot = emulator.vendors["pubnub"].snapshot()
    found: list[dict[str, object]] = snapshot[KEYS["subscribe_key"]]["messages"]
    return found


@pytest.mark.parametrize("cipher_key", [None, "my-cipher-key"])
@pytest.mark.parametrize("crypto", ["aescbc", "legacy"])
async def test_round_trip(
    emulator_session: aiospaces.Session,
    emulator: Emulator,
    tmp_path: Path,
    cipher_key: str | None,
    crypto: str,
) -> None:
    pn = client(emulator_session, emulator, cipher_key=cipher_key, crypto=crypto)
    content = os.urandom(200_003)
    source = tmp_path / "in.bin"
    source.write_bytes(content)

    sent = await pn.send_file().channel(CHANNEL).file_name("holiday.jpg").file_object(source)
    assert sent.name == "holiday.jpg"
    assert len(sent.timestamp) == 17

    page = await pn.list_files().channel(CHANNEL)
    assert [(f.id, f.name) for f in page.data] == [(sent.file_id, "holiday.jpg")]
    stored = page.data[0].size
    if cipher_key is None:
        assert stored == len(content)
    else:
        assert stored == CryptoModule(cipher_key, default=crypto).encrypted_size(len(content))  # type: ignore[arg-type]

    download = pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="holiday.jpg")
    assert await download == content
    out = await download.to_path(tmp_path / "out.jpg")
    assert out.read_bytes() == content
    streamed = [chunk async for chunk in download.stream()]
    assert b"".join(streamed) == content

    url = await pn.get_file_url(channel=CHANNEL, file_id=sent.file_id, file_name="holiday.jpg")
    assert url.startswith("http://emulator.test/_storage/")

    message = messages(emulator)[-1]["message"]
    if cipher_key is None:
        assert message == {"message": None, "file": {"id": sent.file_id, "name": "holiday.jpg"}}
    else:
        assert isinstance(message, str)
        decrypted = CryptoModule(cipher_key).decrypt_message(message)
        assert decrypted["file"] == {"id": sent.file_id, "name": "holiday.jpg"}

    await pn.delete_file(channel=CHANNEL, file_id=sent.file_id, file_name="holiday.jpg")
    assert (await pn.list_files().channel(CHANNEL)).data == []
    with pytest.raises(aiospaces.NotFoundError):
        await download


async def test_wrong_key_never_returns_ciphertext(
    emulator_session: aiospaces.Session,
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without a MAC a wrong key yields valid padding about once in 256 random IVs; a fixed IV
    # makes the outcome (bad padding) deterministic.
    monkeypatch.setattr(secrets, "token_bytes", lambda n: bytes(range(n)))
    writer = client(emulator_session, emulator, cipher_key="right")
    reader = client(emulator_session, emulator, cipher_key="wrong")
    sent = await writer.send_file(channel=CHANNEL, file_name="a.txt", file_object=b"secret" * 999)
    download = reader.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="a.txt")
    with pytest.raises(aiospaces.DecryptionError):
        await download
    with pytest.raises(aiospaces.DecryptionError):
        await download.to_path(tmp_path / "a.txt")
    assert list(tmp_path.iterdir()) == []  # no partial plaintext (or ciphertext) left behind


async def test_message_meta_ttl_and_store(pn: PubNub, emulator: Emulator) -> None:
    await (
        pn.send_file()
        .channel(CHANNEL)
        .file_name("n.txt")
        .file_object(b"x")
        .message({"text": "look"})
        .meta({"kind": "photo"})
        .should_store(True)
        .ttl(12)
    )
    stored = messages(emulator)[-1]
    assert stored["meta"] == {"kind": "photo"}
    assert stored["store"] is True
    assert stored["ttl"] == 12
    assert stored["message"]["message"] == {"text": "look"}  # type: ignore[index]


async def test_listing_walks_every_page(pn: PubNub) -> None:
    sent = [
        await pn.send_file(channel="many", file_name=f"f{i}.txt", file_object=b"%d" % i)
        for i in range(7)
    ]
    first = await pn.list_files().channel("many").limit(3)
    assert first.count == 3
    assert first.next
    walked = [f.id async for f in pn.list_files().channel("many").limit(3)]
    assert walked == sorted(s.file_id for s in sent)


@pytest.mark.emulator(max_upload_size=1000)
async def test_too_large_is_refused_before_uploading(pn: PubNub, emulator: Emulator) -> None:
    with pytest.raises(aiospaces.PayloadTooLargeError) as caught:
        await pn.send_file(channel=CHANNEL, file_name="big.bin", file_object=b"x" * 1001)
    assert "at most 1000" in str(caught.value)
    assert emulator.storage.list("") == []
    await pn.send_file(channel=CHANNEL, file_name="ok.bin", file_object=b"x" * 1000)


@pytest.mark.emulator(max_upload_size=1000)
async def test_encryption_overhead_counts_against_the_limit(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    pn = client(emulator_session, emulator, cipher_key="k")
    with pytest.raises(aiospaces.PayloadTooLargeError, match="once encrypted"):
        await pn.send_file(channel=CHANNEL, file_name="a.bin", file_object=b"x" * 990)


async def test_storage_failure_is_retried_with_a_rebuilt_body(
    pn: PubNub, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=500, times=1))
    source = tmp_path / "a.bin"
    content = os.urandom(150_000)
    source.write_bytes(content)
    envelope = await pn.send_file(channel=CHANNEL, file_name="a.bin", file_object=source).future()
    assert envelope.status.attempts == 4  # generate + 2 uploads + publish
    got = await pn.download_file(
        channel=CHANNEL, file_id=envelope.result.file_id, file_name="a.bin"
    )
    assert got == content


async def test_a_dropped_upload_is_retried(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path="/_storage/*", drop=True, times=1))
    sent = await pn.send_file(channel=CHANNEL, file_name="a.bin", file_object=b"abc" * 50_000)
    got = await pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="a.bin")
    assert got == b"abc" * 50_000


async def test_publish_is_retried_then_resumable(pn: PubNub, emulator: Emulator) -> None:
    # 429 says the publish was not processed: it is retried, then left for resuming
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=429, times=7))
    with pytest.raises(aiospaces.FileUploadError) as caught:
        await pn.send_file(channel=CHANNEL, file_name="r.txt", file_object=b"hi", message="m")
    error = caught.value
    assert error.step == "publish"
    assert error.announced is False
    assert error.file_name == "r.txt"
    assert error.file_id
    assert isinstance(error.__cause__, aiospaces.RateLimitError)
    assert "after 6 attempts" in str(error.__cause__)
    assert emulator.faults.rules[0].fired == 6  # 1 try + 5 retries
    assert messages(emulator) == []
    # the upload itself is kept: resume by publishing only
    published = await pn.publish_file_message(
        channel=CHANNEL, file_id=error.file_id, file_name=error.file_name, message="m"
    )
    assert messages(emulator)[-1]["timetoken"] == published.timestamp
    got = await pn.download_file(channel=CHANNEL, file_id=error.file_id, file_name="r.txt")
    assert got == b"hi"


async def test_a_lost_publish_answer_is_not_repeated(pn: PubNub, emulator: Emulator) -> None:
    # a 503 does not say whether the message went out: publishing again could announce twice
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=503, times=1))
    with pytest.raises(aiospaces.FileUploadError) as caught:
        await pn.send_file(channel=CHANNEL, file_name="r.txt", file_object=b"hi")
    error = caught.value
    assert error.announced is None
    assert error.file_id
    assert "history" in str(error)
    assert isinstance(error.__cause__, aiospaces.AmbiguousResultError)
    assert emulator.faults.rules[0].fired == 1


async def test_publish_retries_are_configurable(pn: PubNub, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=429, times=2))
    sent = await pn.send_file(channel=CHANNEL, file_name="r.txt", file_object=b"hi").future()
    assert sent.status.attempts == 5  # generate, upload, 3 publishes
    emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*", status=429, times=2))
    with pytest.raises(aiospaces.FileUploadError):
        await pn.send_file(channel=CHANNEL, file_name="r.txt", file_object=b"hi", publish_retries=1)


def _pipe_with(content: bytes) -> tuple[BinaryIO, threading.Thread]:
    read_fd, write_fd = os.pipe()

    def write() -> None:
        with open(write_fd, "wb") as writer, contextlib.suppress(BrokenPipeError):
            writer.write(content)  # a refused upload may stop reading early

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return open(read_fd, "rb"), thread


async def test_pipe_with_declared_size(pn: PubNub) -> None:
    content = os.urandom(300_000)
    reader, thread = _pipe_with(content)
    with reader:
        sent = await pn.send_file(
            channel=CHANNEL, file_name="p.bin", file_object=reader, size=len(content)
        )
    thread.join()
    got = await pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="p.bin")
    assert got == content


async def test_pipe_is_not_blindly_retried(pn: PubNub, emulator: Emulator) -> None:
    content = os.urandom(100_000)
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=500, times=1))
    reader, thread = _pipe_with(content)
    with reader, pytest.raises(aiospaces.ServerError):
        await pn.send_file(
            channel=CHANNEL, file_name="p.bin", file_object=reader, size=len(content)
        )
    thread.join()
    assert emulator.faults.rules[0].fired == 1
    assert emulator.storage.list("") == []  # nothing (and certainly no empty file) was stored


async def test_pipe_without_size_is_spooled_and_replayable(pn: PubNub, emulator: Emulator) -> None:
    content = os.urandom(200_000)
    emulator.faults.add(Fault(method="POST", path="/_storage/*", status=500, times=1))
    reader, thread = _pipe_with(content)
    with reader:
        sent = await pn.send_file(channel=CHANNEL, file_name="p.bin", file_object=reader)
    thread.join()
    got = await pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="p.bin")
    assert got == content


async def test_async_iterable_source(pn: PubNub) -> None:
    async def produce() -> AsyncIterator[bytes]:
        for i in range(10):
            yield bytes([i]) * 10_000

    sent = await pn.send_file(
        channel=CHANNEL, file_name="gen.bin", file_object=produce(), size=100_000
    )
    got = await pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="gen.bin")
    assert got == b"".join(bytes([i]) * 10_000 for i in range(10))


async def test_bad_input_sends_nothing(pn: PubNub, emulator: Emulator) -> None:
    cases: list[Callable[[], SendFile]] = [
        lambda: pn.send_file(file_name="a", file_object=b"x"),
        lambda: pn.send_file(channel=CHANNEL, file_object=b"x"),
        lambda: pn.send_file(channel=CHANNEL, file_name="a"),
        lambda: pn.send_file(channel=CHANNEL, file_name="a", file_object=12),  # type: ignore[arg-type]
        lambda: pn.send_file(channel=CHANNEL, file_name="a", file_object=b"x", message={1, 2}),
        lambda: pn.send_file(channel=CHANNEL, file_name="a", file_object="/no/such/file"),
    ]
    for make in cases:
        with pytest.raises(aiospaces.ValidationError):
            await make()
    with pytest.raises(aiospaces.ValidationError):
        pn.list_files().limit(0)
    assert emulator.storage.list("") == []
    assert emulator.vendors["pubnub"].snapshot() == {}  # not even a keyset was provisioned


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
async def test_cancelled_upload_leaves_no_connection(emulator: Emulator, backend: str) -> None:
    started = anyio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"x" * 65536
        started.set()
        await anyio.sleep(30)
        yield b"y"

    with emulator.serve() as url:
        async with aiospaces.Session(backend=backend) as session:  # type: ignore[arg-type]
            pn = session.pubnub(**KEYS, **emulator.settings(url)["pubnub"])
            async with anyio.create_task_group() as tg:

                async def upload() -> None:
                    await pn.send_file(
                        channel=CHANNEL, file_name="s.bin", file_object=slow(), size=65537
                    )

                tg.start_soon(upload)
                await started.wait()
                tg.cancel_scope.cancel()
            stats = session.pool_stats()
            assert isinstance(stats, PoolStats)
            assert stats.in_flight == 0
            # the session still works afterwards
            sent = await pn.send_file(channel=CHANNEL, file_name="t.bin", file_object=b"ok")
            assert (
                await pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="t.bin")
                == b"ok"
            )
    assert [s.key.rsplit("/", 1)[-1] for s in emulator.storage.list("")] == ["t.bin"]


async def test_download_envelope_counts_every_attempt(pn: PubNub, emulator: Emulator) -> None:
    sent = await pn.send_file(channel=CHANNEL, file_name="e.bin", file_object=b"e" * 1000)
    emulator.faults.add(Fault(method="GET", path="/_storage/*", status=503, times=1))
    envelope = await pn.download_file(
        channel=CHANNEL, file_id=sent.file_id, file_name="e.bin"
    ).future()
    assert envelope.result == b"e" * 1000
    assert envelope.status.status_code == 200
    assert envelope.status.attempts == 3  # the URL, then storage twice


async def test_stopping_a_stream_early_returns_the_connection(emulator: Emulator) -> None:
    with emulator.serve() as url:
        async with aiospaces.Session() as session:
            pn = session.pubnub(**KEYS, **emulator.settings(url)["pubnub"])
            sent = await pn.send_file(
                channel=CHANNEL, file_name="s.bin", file_object=os.urandom(10**6)
            )
            download = pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="s.bin")
            async with contextlib.aclosing(download.stream()) as chunks:
                async for _ in chunks:
                    break
            stats = session.pool_stats()
            assert isinstance(stats, PoolStats)
            assert stats.in_flight == 0


@pytest.mark.parametrize("backend", ["auto", "httpx", "aiohttp"])
async def test_an_encrypted_upload_cancelled_mid_stream_leaves_nothing_behind(
    emulator: Emulator, backend: str, tmp_path: Path
) -> None:
    # a path is read and encrypted one piece ahead of the one being sent: cancelling the send
    # waits for that piece, closes the file and gives the connection back
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(5 * 1024 * 1024 - 4096))  # the limit is 5 MiB, encrypted
    sent = anyio.Event()
    with emulator.serve() as url:
        async with aiospaces.Session(backend=backend) as session:  # type: ignore[arg-type]
            pn = session.pubnub(**KEYS, **emulator.settings(url)["pubnub"], cipher_key="k")
            async with anyio.create_task_group() as tg:

                async def upload() -> None:
                    builder = pn.send_file().channel(CHANNEL).file_name("big.bin")
                    await builder.file_object(path).on_progress(lambda n: sent.set())

                tg.start_soon(upload)
                await sent.wait()
                tg.cancel_scope.cancel()
            stats = session.pool_stats()
            assert isinstance(stats, PoolStats)
            assert stats.in_flight == 0
            again = await pn.send_file(channel=CHANNEL, file_name="t.bin", file_object=path)
            back = await pn.download_file(channel=CHANNEL, file_id=again.file_id, file_name="t.bin")
            assert back == path.read_bytes()
    assert [s.key.rsplit("/", 1)[-1] for s in emulator.storage.list("")] == ["t.bin"]
