"""PubNub File Sharing: send, list, get URL, download, delete, publish file messages.

```python
sent = await pn.send_file().channel("ch").file_name("a.png").file_object("a.png")
data = await pn.download_file().channel("ch").file_id(sent.file_id).file_name("a.png")
await pn.download_file(channel="ch", file_id=sent.file_id, file_name="a.png").to_path("out.png")
async for info in pn.list_files().channel("ch"):
    ...
```

``send_file`` is three requests: reserve an id and get a presigned POST (generate-upload-url),
upload the (encrypted) file to storage as a streamed multipart body, then publish the file
message. If the upload worked but publishing still fails after its retries, the error is a
[FileUploadError][aiospaces.core.errors.FileUploadError] carrying the file id and name, and
``publish_file_message`` finishes the job without uploading again.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import quote, urljoin

import anyio
import attrs
import httpx

from aiospaces.core.builder import Builder, Envelope, RequestSpec, Status, require
from aiospaces.core.errors import (
    APIError,
    FileUploadError,
    PayloadTooLargeError,
    ValidationError,
)
from aiospaces.core.multipart import CHUNK_SIZE, READ_SIZE, MultipartUpload, UploadSource
from aiospaces.core.pagination import CursorPagination
from aiospaces.core.retry import wrap_transport_error
from aiospaces.core.threads import run_blocking
from aiospaces.pubnub.models import FileInfo, FilePage, PublishedFile, SentFile, converter

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence

    from aiospaces.core.crypto import Decryptor
    from aiospaces.pubnub.client import PubNub

__all__ = [
    "DEFAULT_PUBLISH_RETRIES",
    "DeleteFile",
    "DownloadFile",
    "GetFileUrl",
    "ListFiles",
    "PublishFileMessage",
    "SendFile",
]

DEFAULT_PUBLISH_RETRIES = 5
"""Retries of the publish step of ``send_file`` (PubNub's JS SDK uses 5 too)."""
MAX_FILE_LIMIT = 100
MAX_REDIRECTS = 5
"""Redirects followed when fetching a file from storage."""
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

T = TypeVar("T")


def _url_encode(text: str) -> str:
    """Percent-encode like PubNub's SDKs (``~`` kept, everything else reserved encoded)."""
    return quote(text, safe="~")


class _ChannelFile(Builder[T]):
    """Setters naming a file on a channel."""

    _client: PubNub
    _channel: str | None = None
    _file_name: str | None = None

    def channel(self, channel: str) -> Self:
        """Set the channel the file belongs to."""
        self._channel = channel
        return self

    def file_name(self, file_name: str) -> Self:
        """Set the file name."""
        self._file_name = file_name
        return self


class _FileBuilder(_ChannelFile[T]):
    """A call about one stored file (channel, id and name)."""

    _file_id: str | None = None

    def file_id(self, file_id: str) -> Self:
        """Set the file id (``SentFile.file_id`` or ``FileInfo.id``)."""
        self._file_id = file_id
        return self

    def _file_path(self) -> str:
        channel = require(self._channel, "channel")
        file_id = require(self._file_id, "file_id")
        name = require(self._file_name, "file_name")
        return (
            f"{self._client._files_path(channel)}/files/{quote(file_id, safe='')}/"
            f"{quote(name, safe='')}"
        )


class GetFileUrl(_FileBuilder[str]):
    """Get a (time-limited, signed) download URL for a file; the result is the URL."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=self._file_path())

    async def _parse(self, response: httpx.Response) -> str:
        location = response.headers.get("Location")
        if response.status_code not in _REDIRECTS or not location:
            raise APIError(
                "expected a redirect with a Location header",
                status_code=response.status_code,
                vendor="pubnub",
                body=response.text,
            )
        return str(location)


class DeleteFile(_FileBuilder[None]):
    """Delete a file from a channel."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._file_path())

    async def _parse(self, response: httpx.Response) -> None:
        await response.aread()


class ListFiles(CursorPagination[FilePage, FileInfo]):
    """List a channel's files: awaitable for one page, ``async for`` over all of them."""

    _client: PubNub
    _channel: str | None = None
    _limit: int | None = None
    _next_token: str | None = None

    def channel(self, channel: str) -> Self:
        """Set the channel to list."""
        self._channel = channel
        return self

    def limit(self, limit: int) -> Self:
        """Return at most ``limit`` files per page (1 to 100)."""
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not 1 <= limit <= MAX_FILE_LIMIT
        ):
            raise ValidationError(f"limit must be an int from 1 to {MAX_FILE_LIMIT}, not {limit!r}")
        self._limit = limit
        return self

    def next(self, token: str | None) -> Self:
        """Continue after a previous page (its ``FilePage.next``)."""
        if token is not None and (not isinstance(token, str) or not token):
            raise ValidationError(f"next must be a non-empty string or None, not {token!r}")
        self._next_token = token
        return self

    def _build(self) -> RequestSpec:
        path = self._client._files_path(require(self._channel, "channel")) + "/files"
        query: list[tuple[str, str]] = []
        if self._limit is not None:
            query.append(("limit", str(self._limit)))
        if self._next_token:
            query.append(("next", self._next_token))
        return RequestSpec(method="GET", path=path, query=query)

    async def _parse(self, response: httpx.Response) -> FilePage:
        return converter.structure(response.json(), FilePage)

    def _items(self, page: FilePage) -> Sequence[FileInfo]:
        return page.data

    def _next_cursor(self, page: FilePage) -> str | None:
        return page.next

    def _set_cursor(self, cursor: str) -> None:
        self._next_token = cursor


class _MessageBuilder(_ChannelFile[T]):
    """Setters of the file message (shared by ``send_file`` and ``publish_file_message``)."""

    _message: Any = None
    _meta: Any = None
    _should_store: bool = False
    _ttl: int = 0
    _custom_message_type: str | None = None
    _cipher_key: str | None = None

    def message(self, message: Any) -> Self:
        """Set the JSON-serialisable message sent along with the file."""
        self._message = message
        return self

    def meta(self, meta: Any) -> Self:
        """Set the JSON-serialisable ``meta`` (used by subscribe filters)."""
        self._meta = meta
        return self

    def should_store(self, store: bool) -> Self:
        """Store the file message in history (PubNub's Python default is not to)."""
        self._should_store = bool(store)
        return self

    def ttl(self, hours: int) -> Self:
        """Keep the stored message for ``hours`` (0: the keyset's default)."""
        if not isinstance(hours, int) or isinstance(hours, bool) or hours < 0:
            raise ValidationError(f"ttl must be an int >= 0, not {hours!r}")
        self._ttl = hours
        return self

    def custom_message_type(self, message_type: str) -> Self:
        """Set the message's custom type."""
        self._custom_message_type = require(message_type, "custom_message_type")
        return self

    def cipher_key(self, key: str) -> Self:
        """Encrypt the file message with this key instead of the client's."""
        self._cipher_key = require(key, "cipher_key")
        return self

    def _validate_message(self) -> tuple[str, str, str, str]:
        """Check the settings; return (channel, file name, publish key, meta as JSON)."""
        channel = require(self._channel, "channel")
        name = require(self._file_name, "file_name")
        publish_key = require(
            self._client.config.publish_key, "publish_key (in the client's config)"
        )
        try:
            json.dumps(self._message)
            meta = json.dumps(self._meta)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"message and meta must be JSON-serialisable: {exc}") from exc
        return channel, name, publish_key, meta

    def _publish_spec(self, file_id: str) -> RequestSpec:
        """Describe the publish request (the payload encrypted when a key is set)."""
        channel, name, publish_key, meta = self._validate_message()
        payload = {"message": self._message, "file": {"id": file_id, "name": name}}
        crypto = self._client._crypto(self._cipher_key)
        text = json.dumps(crypto.encrypt_message(payload) if crypto else payload)
        path = (
            f"/v1/files/publish-file/{_url_encode(publish_key)}/"
            f"{_url_encode(self._client.config.subscribe_key)}/0/{_url_encode(channel)}/0/"
            f"{_url_encode(text)}"
        )
        query = [
            ("meta", meta),
            ("ttl", str(self._ttl)),
            ("store", "1" if self._should_store else "0"),
        ]
        if self._custom_message_type:
            query.append(("custom_message_type", self._custom_message_type))
        return RequestSpec(method="GET", path=path, query=query)


class PublishFileMessage(_MessageBuilder[PublishedFile]):
    """Announce an uploaded file on its channel (step 3 of ``send_file``; use it to resume)."""

    _file_id: str | None = None

    def file_id(self, file_id: str) -> Self:
        """Set the id of the uploaded file (``FileUploadError.file_id``)."""
        self._file_id = file_id
        return self

    def _build(self) -> RequestSpec:
        return self._publish_spec(require(self._file_id, "file_id"))

    async def _parse(self, response: httpx.Response) -> PublishedFile:
        body = response.json()
        if not isinstance(body, list) or len(body) < 3 or body[0] != 1:
            raise APIError(
                f"publish failed: {body!r}", status_code=response.status_code, vendor="pubnub"
            )
        return PublishedFile(timestamp=str(body[2]))


@attrs.frozen
class _UploadTicket:
    file_id: str
    name: str
    url: str
    fields: list[tuple[str, str]]


class _GenerateUploadUrl(Builder[_UploadTicket]):
    def __init__(self, client: PubNub, channel: str, name: str) -> None:
        super().__init__(client)
        self._path = client._files_path(channel) + "/generate-upload-url"
        self._body = json.dumps({"name": name}).encode()

    def _build(self) -> RequestSpec:
        headers = {"Content-Type": "application/json"}
        return RequestSpec(method="POST", path=self._path, headers=headers, body=self._body)

    async def _parse(self, response: httpx.Response) -> _UploadTicket:
        body = response.json()
        request = body["file_upload_request"]
        fields = [(str(f["key"]), str(f["value"])) for f in request["form_fields"]]
        return _UploadTicket(body["data"]["id"], body["data"]["name"], request["url"], fields)


class _Upload(Builder[None]):
    def __init__(self, client: PubNub, url: str, body: MultipartUpload) -> None:
        super().__init__(client)
        self._url = url
        self._upload = body

    def _build(self) -> RequestSpec:
        return RequestSpec(
            method="POST",
            path=self._url,
            headers={"Content-Type": self._upload.content_type},
            body=self._upload.stream,
            content_length=self._upload.content_length,
        )

    async def _parse(self, response: httpx.Response) -> None:
        await response.aread()


def _policy_max_size(fields: Sequence[tuple[str, str]]) -> int | None:
    """Return the upper bound of the policy's ``content-length-range``, if it has one."""
    policy = next((value for key, value in fields if key.lower() == "policy"), None)
    if policy is None:
        return None
    try:
        document = json.loads(base64.b64decode(policy))
        for condition in document.get("conditions", []):
            if isinstance(condition, list) and condition[0] == "content-length-range":
                return int(condition[2])
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, binascii.Error):
        return None
    return None


class SendFile(_MessageBuilder[SentFile]):
    """Upload a file to a channel and announce it: the three steps of PubNub's file sharing.

    The file is streamed from its source (bytes, a path, a binary file object, or an async
    iterable with a declared ``size``) and encrypted on the fly when a cipher key is set, so
    memory stays flat whatever the file size. The result is a
    [SentFile][aiospaces.pubnub.models.SentFile].
    """

    uploaded: tuple[str, str] | None = None
    """``(file_id, file_name)`` once the file is stored (step 2 done), else None: a call
    cancelled after that point left a file that ``publish_file_message`` can announce."""

    _file_object: Any = None
    _size: int | None = None
    _content_type: str | None = None
    _publish_retries: int = DEFAULT_PUBLISH_RETRIES
    _on_bytes: Callable[[int], None] | None = None

    def file_object(self, source: Any) -> Self:
        """Set the content: bytes, a path, a binary file object, or an async iterable."""
        self._file_object = source
        return self

    def size(self, size: int) -> Self:
        """Declare the content's size (needed to stream a pipe or an async iterable)."""
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValidationError(f"size must be an int >= 0, not {size!r}")
        self._size = size
        return self

    def content_type(self, content_type: str) -> Self:
        """Set the upload's ``Content-Type`` (guessed from the file name by default)."""
        self._content_type = require(content_type, "content_type")
        return self

    def on_progress(self, callback: Callable[[int], None]) -> Self:
        """Call ``callback(n)`` as each chunk of ``n`` file bytes is sent.

        A negative ``n`` takes back the bytes of an attempt that is retried.
        """
        self._on_bytes = callback
        return self

    def publish_retries(self, retries: int) -> Self:
        """Set how many times the publish step is retried (default 5)."""
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ValidationError(f"publish_retries must be an int >= 0, not {retries!r}")
        self._publish_retries = retries
        return self

    def _build(self) -> RequestSpec:
        raise NotImplementedError("send_file runs several requests; await it")

    async def future(self) -> Envelope[SentFile]:  # noqa: D102 - documented on Builder
        client = self._client
        channel = require(self._channel, "channel")
        name = require(self._file_name, "file_name")
        if self._file_object is None:
            raise ValidationError("file_object is required (bytes, a path, a file or a stream)")
        crypto = client._crypto(self._cipher_key)
        self._validate_message()  # the publish step's input is checked before any I/O
        started = time.perf_counter()
        source = await UploadSource.open(self._file_object, size=self._size)
        try:
            generate = self._step(_GenerateUploadUrl(client, channel, name))
            generate._options.headers.update(self._options.headers)  # PubNub's own origin
            generate._options.query.extend(self._options.query)
            ticket_env = await generate.future()
            ticket = ticket_env.result
            body = MultipartUpload(
                ticket.fields,
                source,
                file_name=name,
                file_content_type=self._content_type,
                transform=crypto.encryptor if crypto else None,
                transformed_size=crypto.encrypted_size if crypto else None,
                on_progress=self._on_bytes,
            )
            limit = _policy_max_size(ticket.fields)
            if limit is not None and body.file_size > limit:
                raise PayloadTooLargeError(
                    f"the file is {body.file_size} bytes"
                    f"{' once encrypted' if crypto else ''}; the upload allows at most {limit}",
                    status_code=413,
                    vendor="pubnub",
                    error_type="EntityTooLarge",
                )
            upload = self._step(_Upload(client, ticket.url, body))
            if not body.replayable:
                upload.max_retries(0)
            upload_env = await upload.future()
            self.uploaded = (ticket.file_id, ticket.name)
        finally:
            await source.aclose()
        publish = self._publisher(ticket)
        try:
            publish_env = await publish.future()
        except Exception as exc:
            raise FileUploadError(
                f"{name!r} was uploaded as file {ticket.file_id} but publishing its file "
                f"message failed: {exc}; resume with publish_file_message()",
                step="publish",
                file_id=ticket.file_id,
                file_name=ticket.name,
            ) from exc
        attempts = sum(e.status.attempts for e in (ticket_env, upload_env, publish_env))
        status = attrs.evolve(
            publish_env.status, attempts=attempts, elapsed=time.perf_counter() - started
        )
        result = SentFile(ticket.name, ticket.file_id, publish_env.result.timestamp)
        return Envelope(result, status)

    def _step(self, builder: Builder[Any]) -> Builder[Any]:
        """Give a step this call's timeout and retries.

        Extra headers and query parameters go to PubNub's two steps, never to storage.
        """
        options = self._options
        if options.timeout is not None:
            builder.timeout(options.timeout)
        if options.max_retries is not None:
            builder.max_retries(options.max_retries)
        return builder

    def _publisher(self, ticket: _UploadTicket) -> PublishFileMessage:
        publish = PublishFileMessage(self._client)
        for name in ("_channel", "_message", "_meta", "_should_store", "_ttl"):
            setattr(publish, name, getattr(self, name))
        publish._custom_message_type = self._custom_message_type
        publish._cipher_key = self._cipher_key
        publish.file_id(ticket.file_id).file_name(ticket.name)
        publish._options = attrs.evolve(self._options, max_retries=self._publish_retries)
        return publish


class DownloadFile(_FileBuilder[bytes]):
    """Download a file, decrypting it on the fly when a cipher key is set.

    ``await`` it for the content as bytes, or stream it in constant memory with
    [to_path][aiospaces.pubnub.files.DownloadFile.to_path] or
    [stream][aiospaces.pubnub.files.DownloadFile.stream].
    """

    _cipher_key: str | None = None

    def cipher_key(self, key: str) -> Self:
        """Decrypt with this key instead of the client's."""
        self._cipher_key = require(key, "cipher_key")
        return self

    def _build(self) -> RequestSpec:
        raise NotImplementedError("download_file runs two requests; await it")

    async def future(self) -> Envelope[bytes]:  # noqa: D102 - documented on Builder
        started = time.perf_counter()
        parts: list[bytes] = []
        async with self._open_content() as (chunks, status):
            async for chunk in chunks:
                parts.append(chunk)
        envelope_status = attrs.evolve(status, elapsed=time.perf_counter() - started)
        return Envelope(b"".join(parts), envelope_status)

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """Yield the (decrypted) content in chunks.

        To stop early and give the connection back at once, wrap it in
        ``contextlib.aclosing``: ``async with aclosing(download.stream()) as chunks:``
        (a generator left behind is only closed when it is garbage-collected).

        Raises:
            DecryptionError: The content cannot be decrypted with the key.
        """
        async with self._open_content() as (chunks, _):
            async for chunk in chunks:
                yield chunk

    async def to_path(self, path: str | os.PathLike[str]) -> Path:
        """Stream the (decrypted) content into ``path`` and return it.

        The content goes to a temporary file beside ``path`` that is renamed into place once
        complete, so a failed download (or a wrong key) never leaves a partial file behind.

        Raises:
            DecryptionError: The content cannot be decrypted with the key.
        """
        self._file_path()  # validate before touching the disk
        target = Path(path)
        file, partial = await run_blocking(_partial_file, target)
        try:
            async with self._open_content(decrypt=False) as (chunks, _):
                decryptor = self._decryptor()
                pending: list[bytes] = []
                size = 0
                async for chunk in chunks:
                    pending.append(chunk)
                    size += len(chunk)
                    del chunk
                    if size >= READ_SIZE:
                        batch, pending, size = pending, [], 0
                        await run_blocking(_write, file, batch, decryptor, False)
                        del batch
                await run_blocking(_write, file, pending, decryptor, True)
            file.close()
            await run_blocking(os.replace, partial, target)
        except BaseException:
            file.close()
            with anyio.CancelScope(shield=True):
                await run_blocking(partial.unlink, True)
            raise
        return target

    def _decryptor(self) -> Decryptor | None:
        crypto = self._client._crypto(self._cipher_key)
        return crypto.decryptor() if crypto else None

    @contextlib.asynccontextmanager
    async def _open_content(
        self, *, decrypt: bool = True
    ) -> AsyncIterator[tuple[AsyncIterator[bytes], Status]]:
        """Get the URL, open the download; yield (content chunks, status); close it after."""
        client = self._client
        get_url = GetFileUrl(client)
        get_url._options = self._options
        get_url._channel, get_url._file_id = self._channel, self._file_id
        get_url._file_name = self._file_name
        decryptor = self._decryptor() if decrypt else None
        url_env = await get_url.future()
        url, total = url_env.result, url_env.status.attempts
        for _ in range(MAX_REDIRECTS + 1):  # storage may redirect; follow it like a browser
            download = _Download(client, url)
            download._options = attrs.evolve(self._options, headers={}, query=[])
            async with client._open(download) as (response, attempts):
                total += attempts
                location = response.headers.get("Location")
                if response.status_code in _REDIRECTS and location:
                    url = urljoin(str(response.url), location)
                    continue
                yield _chunks(response, decryptor), client._status(response, total, 0.0)
                return
        raise APIError(
            f"the download was redirected more than {MAX_REDIRECTS} times",
            status_code=response.status_code,
            vendor="pubnub",
        )


def _partial_file(target: Path) -> tuple[IO[bytes], Path]:
    """Open a fresh, uniquely named ``.{name}.*.part`` file beside ``target``."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    return os.fdopen(fd, "wb"), Path(name)


def _write(file: Any, pieces: list[bytes], decryptor: Decryptor | None, last: bool) -> None:
    """Decrypt and write received chunks one by one, releasing each (in a worker thread)."""
    while pieces:
        data = pieces.pop(0)
        file.write(decryptor.update(data) if decryptor is not None else data)
        del data
    if last and decryptor is not None:
        file.write(decryptor.finalize())


class _Download(Builder[None]):
    def __init__(self, client: PubNub, url: str) -> None:
        super().__init__(client)
        self._url = url

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=self._url, stream=True)


async def _chunks(response: httpx.Response, decryptor: Decryptor | None) -> AsyncIterator[bytes]:
    try:
        async for chunk in _decrypted(response, decryptor):
            yield chunk
    except httpx.TransportError as exc:  # the body broke off mid-way
        raise wrap_transport_error(exc, response.request) from exc


async def _decrypted(response: httpx.Response, decryptor: Decryptor | None) -> AsyncIterator[bytes]:
    async for chunk in response.aiter_bytes():
        if decryptor is None:
            yield chunk
        elif len(chunk) >= CHUNK_SIZE:
            yield await run_blocking(decryptor.update, chunk)
        else:
            yield decryptor.update(chunk)
    if decryptor is not None:
        yield decryptor.finalize()
