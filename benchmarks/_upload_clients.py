"""The clients ``benchmarks/upload.py`` compares: aiospaces, the official SDK, raw clients.

Each is an async context manager yielding [Ops][]: ``upload(path, name)`` runs a whole
PubNub file upload (generate-upload-url, the presigned POST, the file message) and returns the
file id; ``download(file_id, name, out)`` writes the (decrypted) file to ``out``. Every client
is used the way its own documentation shows: aiospaces streams from the path; the official
SDK is given an open file object (it reads it whole, encrypts it in memory) and its
``download_file`` returns bytes, which are written out; raw httpx posts ``files=`` with an
open file object (httpx streams it in 64 KiB reads) and raw aiohttp a ``FormData`` with one;
both send the same three requests as the SDKs, and for an encrypted scenario they send the
file's ACRH-encrypted copy written beforehand (what the network allows, without AES).
"""

from __future__ import annotations

import contextlib
import json
import warnings
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attrs
import httpx

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

SUBSCRIBE_KEY = "sub-c-bench"
PUBLISH_KEY = "pub-c-bench"
USER_ID = "bench"
CHANNEL = "bench-files"
CIPHER_KEY = "bench-cipher-key"
CONTENT_TYPE = "application/octet-stream"

#: Command-line key -> display name, in table order. ``aes`` is no client: it reads and
#: encrypts the same files without sending them (the AES limit); the raw clients send the same
#: three requests (for encrypted scenarios, the files encrypted beforehand): the network limit.
CLIENTS = {
    "aes": "AES alone (limit)",
    "raw-httpx": "raw httpx",
    "raw-aiohttp": "raw aiohttp",
    "official": "official pubnub",
    "aiospaces": "aiospaces",
    "aiospaces-httpx": "aiospaces (httpx)",
}


@attrs.frozen
class Ops:
    """What a client can do: upload a file (returns its id), download one to a path."""

    upload: Callable[[Path, str], Awaitable[str]]
    download: Callable[[str, str, Path], Awaitable[object]]


@contextlib.asynccontextmanager
async def _aiospaces(port: int, encrypted: bool, backend: str = "auto") -> AsyncIterator[Ops]:
    import aiospaces  # noqa: PLC0415 - imported only in the child that measures it

    async with aiospaces.Session(backend=backend) as session:  # type: ignore[arg-type]
        pn = session.pubnub(
            subscribe_key=SUBSCRIBE_KEY,
            publish_key=PUBLISH_KEY,
            user_id=USER_ID,
            origin=f"127.0.0.1:{port}",
            ssl=False,
            cipher_key=CIPHER_KEY if encrypted else None,
            crypto="aescbc",
        )

        async def upload(path: Path, name: str) -> str:
            sent = await pn.send_file().channel(CHANNEL).file_name(name).file_object(path)
            return sent.file_id

        async def download(file_id: str, name: str, out: Path) -> object:
            builder = pn.download_file().channel(CHANNEL).file_id(file_id).file_name(name)
            return await builder.to_path(out)

        yield Ops(upload, download)


@contextlib.asynccontextmanager
async def _official(port: int, encrypted: bool) -> AsyncIterator[Ops]:
    from pubnub.crypto import AesCbcCryptoModule  # noqa: PLC0415 - child only
    from pubnub.pnconfiguration import PNConfiguration  # noqa: PLC0415 - child only
    from pubnub.pubnub_asyncio import PubNubAsyncio  # noqa: PLC0415 - child only

    with warnings.catch_warnings():
        # "Mutable config will be deprecated in the future." from PNConfiguration's setters
        warnings.filterwarnings("ignore", "Mutable config", DeprecationWarning)
        config = PNConfiguration()
        config.subscribe_key = SUBSCRIBE_KEY
        config.publish_key = PUBLISH_KEY
        config.user_id = USER_ID
        config.origin = f"127.0.0.1:{port}"
        config.ssl = False
        # its subscription manager would open (and leak) an event loop; nothing subscribes here
        config.enable_subscribe = False
        if encrypted:
            config.cipher_key = CIPHER_KEY
            config.crypto_module = AesCbcCryptoModule(config)  # ACRH, as aiospaces' "aescbc"
        pubnub = PubNubAsyncio(config)

    async def upload(path: Path, name: str) -> str:
        with path.open("rb") as file:
            envelope = await (
                pubnub.send_file().channel(CHANNEL).file_name(name).file_object(file).future()
            )
        if envelope.status.is_error():
            raise RuntimeError(f"official pubnub: upload failed: {envelope.status!r}")
        return str(envelope.result.file_id)

    async def download(file_id: str, name: str, out: Path) -> object:
        envelope = await (
            pubnub.download_file().channel(CHANNEL).file_id(file_id).file_name(name).future()
        )
        if envelope.status.is_error():
            raise RuntimeError(f"official pubnub: download failed: {envelope.status!r}")
        out.write_bytes(envelope.result.data)  # noqa: ASYNC240 - as its users do
        return out

    try:
        yield Ops(upload, download)
    finally:
        await pubnub.stop()


@contextlib.asynccontextmanager
async def _raw_httpx(port: int, encrypted: bool) -> AsyncIterator[Ops]:
    base = f"http://127.0.0.1:{port}"
    files_path = f"{base}/v1/files/{SUBSCRIBE_KEY}/channels/{CHANNEL}"
    async with httpx.AsyncClient() as client:

        async def upload(path: Path, name: str) -> str:
            response = await client.post(
                f"{files_path}/generate-upload-url", params={"uuid": USER_ID}, json={"name": name}
            )
            response.raise_for_status()
            ticket = response.json()
            request = ticket["file_upload_request"]
            fields = {field["key"]: field["value"] for field in request["form_fields"]}
            with (encrypted_copy(path) if encrypted else path).open("rb") as file:
                posted = await client.post(
                    request["url"], data=fields, files={"file": (name, file, CONTENT_TYPE)}
                )
            posted.raise_for_status()
            file_id = str(ticket["data"]["id"])
            message = json.dumps({"message": None, "file": {"id": file_id, "name": name}})
            published = await client.get(
                f"{base}/v1/files/publish-file/{PUBLISH_KEY}/{SUBSCRIBE_KEY}/0/{CHANNEL}/0/"
                + quote(message, safe=""),
                params={"uuid": USER_ID, "store": "0"},
            )
            published.raise_for_status()
            return file_id

        async def download(file_id: str, name: str, out: Path) -> object:
            raise NotImplementedError("raw httpx does not download")

        yield Ops(upload, download)


def encrypted_copy(path: Path, folder: Path | None = None) -> Path:
    """Return where the parent wrote ``path``'s ACRH-encrypted copy (what raw clients send).

    Beside the file, or in ``folder`` (``benchmarks/bulk.py``, whose file folders are jobs).
    """
    return (folder / path.name if folder else path).with_suffix(".enc")


async def _publish_file(client: Any, base: str, file_id: str, name: str) -> None:
    message = json.dumps({"message": None, "file": {"id": file_id, "name": name}})
    url = f"{base}/v1/files/publish-file/{PUBLISH_KEY}/{SUBSCRIBE_KEY}/0/{CHANNEL}/0/" + quote(
        message, safe=""
    )
    async with client.get(url, params={"uuid": USER_ID, "store": "0"}) as published:
        published.raise_for_status()


@contextlib.asynccontextmanager
async def _raw_aiohttp(
    port: int, encrypted: bool, encrypted_folder: Path | None = None
) -> AsyncIterator[Ops]:
    import aiohttp  # noqa: PLC0415 - child only

    base = f"http://127.0.0.1:{port}"
    files_path = f"{base}/v1/files/{SUBSCRIBE_KEY}/channels/{CHANNEL}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000)) as client:

        async def upload(path: Path, name: str) -> str:
            async with client.post(
                f"{files_path}/generate-upload-url", params={"uuid": USER_ID}, json={"name": name}
            ) as response:
                response.raise_for_status()
                ticket = await response.json()
            request = ticket["file_upload_request"]
            form = aiohttp.FormData()
            for field in request["form_fields"]:
                form.add_field(field["key"], field["value"])
            sent = encrypted_copy(path, encrypted_folder) if encrypted else path
            with sent.open("rb") as file:
                form.add_field("file", file, filename=name, content_type=CONTENT_TYPE)
                async with client.post(request["url"], data=form) as posted:
                    posted.raise_for_status()
            file_id = str(ticket["data"]["id"])
            await _publish_file(client, base, file_id, name)
            return file_id

        async def download(file_id: str, name: str, out: Path) -> object:
            raise NotImplementedError("raw aiohttp does not download")

        yield Ops(upload, download)


@contextlib.asynccontextmanager
async def _aiospaces_httpx(port: int, encrypted: bool) -> AsyncIterator[Ops]:
    async with _aiospaces(port, encrypted, backend="httpx") as ops:
        yield ops


def open_client(
    key: str, port: int, *, encrypted: bool, encrypted_folder: Path | None = None
) -> contextlib.AbstractAsyncContextManager[Ops]:
    """Return the context manager of the client ``key`` (see [CLIENTS][])."""
    if key == "raw-aiohttp":
        return _raw_aiohttp(port, encrypted, encrypted_folder)
    factories: dict[str, Callable[[int, bool], Any]] = {
        "aiospaces": _aiospaces,
        "aiospaces-httpx": _aiospaces_httpx,
        "official": _official,
        "raw-httpx": _raw_httpx,
        "raw-aiohttp": _raw_aiohttp,
    }
    if key not in factories:
        raise ValueError(f"unknown client {key!r}")
    factory: Callable[[int, bool], contextlib.AbstractAsyncContextManager[Ops]] = factories[key]
    return factory(port, encrypted)
