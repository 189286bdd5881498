"""PubNub File Sharing, the one-request calls: list, get a URL, delete, publish a file message.

```python
async for info in pn.list_files().channel("ch"):
    ...
url = await pn.get_file_url(channel="ch", file_id=file_id, file_name="a.png")
await pn.publish_file_message(channel="ch", file_id=file_id, file_name="a.png")
```

Uploading lives in [upload][aiospaces.pubnub.upload] (``send_file``), downloading in
[download][aiospaces.pubnub.download] (``download_file``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Self, TypeVar

from aiospaces.core import validate
from aiospaces.core.builder import CallParams
from aiospaces.core.errors import APIError, UnexpectedResponseError, ValidationError
from aiospaces.core.pagination import CursorPagination
from aiospaces.core.request import RequestSpec
from aiospaces.pubnub._base import ChannelFile, PubNubBuilder, StoredFile, url_encode
from aiospaces.pubnub.models import FileInfo, FilePage, PublishedFile, converter

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

__all__ = [
    "MAX_FILE_LIMIT",
    "DeleteFile",
    "FileMessage",
    "FileMessageParams",
    "GetFileUrl",
    "ListFiles",
    "ListFilesParams",
    "MessageParams",
    "PublishFileMessage",
    "PublishFileMessageParams",
    "StoredFileParams",
    "file_location",
    "published",
]

T = TypeVar("T")

MAX_FILE_LIMIT = 100
"""Most files one page of ``list_files`` holds."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class StoredFileParams(CallParams, total=False):
    """Keywords of ``get_file_url`` and ``delete_file`` (their setters)."""

    channel: str
    file_id: str
    file_name: str


def file_location(response: httpx.Response) -> str:
    """Return the download URL a file-URL answer redirects to.

    Raises:
        UnexpectedResponseError: The answer is not a redirect to an http(s) ``Location``.
    """
    location = response.headers.get("Location")
    if response.status_code not in _REDIRECTS or not location or not _is_url(location):
        raise UnexpectedResponseError(
            "expected a redirect with an http(s) URL in its Location header",
            status_code=response.status_code,
            vendor="pubnub",
            request_id=response.headers.get("x-request-id"),
            body=response.text,
        )
    return str(location)


def _is_url(location: str) -> bool:
    try:
        validate.http_url(location, "Location", query=True)
    except ValidationError:
        return False
    return True


class GetFileUrl(StoredFile[str]):
    """Get a (time-limited, signed) download URL for a file; the result is the URL."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=self._file_path())

    async def _parse(self, response: httpx.Response) -> str:
        return file_location(response)


class DeleteFile(StoredFile[None]):
    """Delete a file from a channel."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._file_path())

    async def _parse(self, response: httpx.Response) -> None:
        return None


class ListFilesParams(CallParams, total=False):
    """Keywords of ``list_files`` (its setters)."""

    channel: str
    limit: int
    next: str | None


class ListFiles(PubNubBuilder[FilePage], CursorPagination[FilePage, FileInfo]):
    """List a channel's files: awaitable for one page, ``async for`` over all of them."""

    _channel: str | None = None
    _limit: int | None = None
    _next_token: str | None = None

    def channel(self, channel: str) -> Self:
        """Set the channel to list."""
        self._channel = channel
        return self

    def limit(self, limit: int) -> Self:
        """Return at most ``limit`` files per page (1 to 100)."""
        self._limit = validate.integer(limit, "limit", minimum=1, maximum=MAX_FILE_LIMIT)
        return self

    def next(self, token: str | None) -> Self:
        """Continue after a previous page (its ``FilePage.next``)."""
        self._next_token = None if token is None else validate.text(token, "next")
        return self

    def _build(self) -> RequestSpec:
        path = self._files_path(self._channel) + "/files"
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


class MessageParams(CallParams, total=False):
    """The file message's setters as keywords (``send_file``, ``publish_file_message``, bulk)."""

    message: object
    meta: object
    should_store: bool
    ttl: int
    custom_message_type: str
    cipher_key: str


class FileMessageParams(MessageParams, total=False):
    """Keywords shared by ``send_file`` and ``publish_file_message`` (the message setters)."""

    channel: str
    file_name: str


class FileMessage(ChannelFile[T]):
    """Setters of the file message (shared by ``send_file`` and ``publish_file_message``)."""

    _message: object = None
    _meta: object = None
    _should_store: bool = False
    _ttl: int = 0
    _custom_message_type: str | None = None
    _cipher_key: str | None = None

    def message(self, message: object) -> Self:
        """Set the JSON-serialisable message sent along with the file."""
        self._message = validate.json_value(message, "message")
        return self

    def meta(self, meta: object) -> Self:
        """Set the JSON-serialisable ``meta`` (used by subscribe filters)."""
        self._meta = validate.json_value(meta, "meta")
        return self

    def should_store(self, store: bool) -> Self:
        """Store the file message in history (PubNub's Python default is not to)."""
        self._should_store = validate.boolean(store, "should_store")
        return self

    def ttl(self, hours: int) -> Self:
        """Keep the stored message for ``hours`` (0: the keyset's default)."""
        self._ttl = validate.integer(hours, "ttl", minimum=0)
        return self

    def custom_message_type(self, message_type: str) -> Self:
        """Set the message's custom type."""
        self._custom_message_type = validate.text(message_type, "custom_message_type")
        return self

    def cipher_key(self, key: str) -> Self:
        """Encrypt the file message with this key instead of the client's."""
        self._cipher_key = validate.secret(key, "cipher_key")
        return self

    def _check_message(self) -> tuple[str, str, str]:
        """Check the message settings; return (channel, publish key, meta as JSON)."""
        channel = self._checked_channel()
        publish_key = validate.identifier(
            self._client.config.publish_key, "publish_key (in the client's config)"
        )
        validate.json_value(self._message, "message")
        meta = json.dumps(validate.json_value(self._meta, "meta"))
        return channel, publish_key, meta

    def _publish_spec(self, file_id: str, file_name: str) -> RequestSpec:
        """Describe the publish request (the payload encrypted when a key is set)."""
        channel, publish_key, meta = self._check_message()
        payload = {"message": self._message, "file": {"id": file_id, "name": file_name}}
        crypto = self._client.crypto_for(self._cipher_key)
        text = json.dumps(crypto.encrypt_message(payload) if crypto else payload)
        sub = url_encode(self._client.config.subscribe_key)
        path = (
            f"/v1/files/publish-file/{url_encode(publish_key)}/{sub}/0/{url_encode(channel)}/0/"
            f"{url_encode(text)}"
        )
        query = [
            ("meta", meta),
            ("ttl", str(self._ttl)),
            ("store", "1" if self._should_store else "0"),
        ]
        if self._custom_message_type:
            query.append(("custom_message_type", self._custom_message_type))
        # a GET, but each one publishes a message: never repeated after a lost answer
        return RequestSpec(
            method="GET", path=path, query=query, idempotent=False, check=_PUBLISH_CHECK
        )


_PUBLISH_CHECK = (
    "look for the file message in the channel's history (file id and name) before "
    "publishing it again with publish_file_message()"
)


def published(response: httpx.Response) -> PublishedFile:
    """Return the timetoken of a ``[1, "Sent", "<timetoken>"]`` publish answer.

    Raises:
        APIError: PubNub says the publish failed.
        ValueError: The answer is not a publish answer (an UnexpectedResponseError once the
            caller's [parsing][aiospaces.core.convert.parsing] sees it).
    """
    body = response.json()
    if not isinstance(body, list) or len(body) < 3:
        raise ValueError('a publish answer is [1, "Sent", "<timetoken>"]')
    if body[0] != 1:
        raise APIError(
            f"publish failed: {str(body[1])[:200]}",
            status_code=response.status_code,
            vendor="pubnub",
            body=body,
        )
    timetoken = str(body[2]) if isinstance(body[2], str | int) else ""
    if not (timetoken.isascii() and timetoken.isdigit()):
        raise ValueError("a publish answer's timetoken is a string of digits")
    return PublishedFile(timestamp=timetoken)


class PublishFileMessageParams(FileMessageParams, total=False):
    """Keywords of ``publish_file_message`` (its setters)."""

    file_id: str


class PublishFileMessage(FileMessage[PublishedFile]):
    """Announce an uploaded file on its channel (step 3 of ``send_file``; use it to resume)."""

    _file_id: str | None = None

    def file_id(self, file_id: str) -> Self:
        """Set the id of the uploaded file (``FileUploadError.file_id``)."""
        self._file_id = file_id
        return self

    def _build(self) -> RequestSpec:
        file_id = validate.identifier(self._file_id, "file_id")
        return self._publish_spec(file_id, self._checked_file_name())

    async def _parse(self, response: httpx.Response) -> PublishedFile:
        return published(response)
