"""Opening a download before streaming it: status, headers and size first, errors before a byte."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.pubnub.client import PubNub

KEYS: dict[str, Any] = {"subscribe_key": "sub-c-open", "publish_key": "pub-c-open", "user_id": "t"}
CHANNEL = "docs"
CONTENT = os.urandom(300_017)


def client(session: aiospaces.Session, emulator: Emulator, **settings: Any) -> PubNub:
    return session.pubnub(**KEYS, **emulator.settings("http://emulator.test")["pubnub"], **settings)


@pytest.mark.parametrize("cipher_key", [None, "open-key"])
async def test_open_knows_status_headers_and_size_before_the_body(
    emulator_session: aiospaces.Session, emulator: Emulator, cipher_key: str | None
) -> None:
    pn = client(emulator_session, emulator, cipher_key=cipher_key)
    sent = await pn.send_file(channel=CHANNEL, file_name="a.bin", file_object=CONTENT)
    download = pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="a.bin")
    async with download.open() as opened:
        assert opened.status_code == 200
        assert opened.decrypted is (cipher_key is not None)
        assert opened.content_type is not None
        if cipher_key is None:
            assert opened.size == opened.stored_size == len(CONTENT)
        else:
            assert opened.size is None  # the padding is known only at the end
            assert opened.stored_size is not None
            assert opened.stored_size > len(CONTENT)
        assert repr(opened) == f"<OpenedDownload 200 size={opened.size}>"
        assert b"".join([chunk async for chunk in opened]) == CONTENT
        with pytest.raises(RuntimeError, match="only once"):
            aiter(opened)
    assert opened.status.attempts == 2  # the file's URL, then storage
    async with download.open() as unread:
        pass
    with pytest.raises(RuntimeError, match="inside its open"):  # not an empty body, silently
        aiter(unread)


async def test_a_missing_file_raises_when_opened_before_any_byte(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    pn = client(emulator_session, emulator)
    entered = False
    with pytest.raises(aiospaces.NotFoundError):
        async with pn.download_file(channel=CHANNEL, file_id="nope", file_name="a.bin").open():
            entered = True
    assert not entered


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
async def test_leaving_or_cancelling_an_open_download_gives_the_connection_back(
    backend: str,
) -> None:
    emulator = Emulator()
    with emulator.serve() as url:
        async with aiospaces.Session(backend=backend) as session:  # type: ignore[arg-type]
            pn = session.pubnub(**KEYS, origin=url)
            sent = await pn.send_file(channel=CHANNEL, file_name="a.bin", file_object=CONTENT)
            download = pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="a.bin")
            async with download.open() as opened:  # left without reading
                assert opened.size == len(CONTENT)
            started = asyncio.Event()

            async def read_slowly() -> None:
                async with download.open() as opened:
                    async for _ in opened:
                        started.set()
                        await asyncio.sleep(10)

            task = asyncio.create_task(read_slowly())
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0.05)
            stats = session.pool_stats()
            assert stats is not None
            assert stats.in_flight == 0
            assert await download == CONTENT  # the pool still works


async def test_a_streaming_response_made_after_open_sends_the_right_status_and_headers(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    pn = client(emulator_session, emulator)
    sent = await pn.send_file(channel=CHANNEL, file_name="a.bin", file_object=CONTENT)

    async def download(request: Request) -> Response:
        builder = pn.download_file(
            channel=CHANNEL, file_id=request.path_params["file_id"], file_name="a.bin"
        )
        opening = builder.open()
        try:
            opened = await opening.__aenter__()
        except aiospaces.NotFoundError:
            return JSONResponse({"error": "no such file"}, status_code=404)

        async def body() -> Any:
            try:
                async for chunk in opened:
                    yield chunk
            finally:
                await opening.__aexit__(None, None, None)

        headers = {"content-length": str(opened.size)} if opened.size is not None else {}
        return StreamingResponse(body(), media_type=opened.content_type, headers=headers)

    app = Starlette(routes=[Route("/files/{file_id}", download)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as web:
        found = await web.get(f"/files/{sent.file_id}")
        assert found.status_code == 200
        assert found.headers["content-length"] == str(len(CONTENT))
        assert found.content == CONTENT
        missing = await web.get("/files/nope")
        assert (missing.status_code, missing.json()) == (404, {"error": "no such file"})
