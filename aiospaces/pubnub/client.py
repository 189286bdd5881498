"""The PubNub client: common parameters, auth, signing, errors, and the call factories."""

from __future__ import annotations

import functools
import re
import time
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Unpack
from urllib.parse import quote

import attrs

from aiospaces._version import __version__
from aiospaces.core import validate
from aiospaces.core.client import BaseClient, ErrorInfo
from aiospaces.core.errors import PayloadTooLargeError
from aiospaces.core.request import RequestSpec
from aiospaces.core.settings import config_or_env
from aiospaces.pubnub.bulk import BulkUpload, UploadFilesParams
from aiospaces.pubnub.config import PubNubConfig
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.download import DownloadFile, DownloadFileParams
from aiospaces.pubnub.files import (
    DeleteFile,
    GetFileUrl,
    ListFiles,
    ListFilesParams,
    PublishFileMessage,
    PublishFileMessageParams,
    StoredFileParams,
)
from aiospaces.pubnub.history import FetchMessages, FetchMessagesParams
from aiospaces.pubnub.messages import Publish, PublishParams, Signal, SignalParams
from aiospaces.pubnub.signing import sign_publish_post, sign_request
from aiospaces.pubnub.spaces import (
    CreateSpace,
    CreateSpaceParams,
    FetchSpace,
    FetchSpaceParams,
    FetchSpaces,
    FetchSpacesParams,
    RemoveSpace,
    RemoveSpaceParams,
    UpdateSpace,
)
from aiospaces.pubnub.subscribe import Subscription
from aiospaces.pubnub.upload import SendFile, SendFileParams

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Sequence

    import httpx

    from aiospaces.core.errors import APIError
    from aiospaces.core.session import Session
    from aiospaces.core.sources import FileSource
    from aiospaces.pubnub.journal import JobJournal
    from aiospaces.pubnub.report import UploadItem, UploadProgress

__all__ = ["PNSDK", "PubNub"]

PNSDK = f"aiospaces-Python/{__version__}"
"""What the client sends as ``pnsdk``."""

_S3_CODE = re.compile(r"<Code>([^<]*)</Code>")
_S3_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def _pair(key: str, value: str) -> str:
    """Return ``key=value`` percent-encoded (see ``PubNub._encode_query``)."""
    if key == "channel-group":
        encoded = ",".join(quote(name, safe="~") for name in value.split(","))
    else:
        encoded = quote(value, safe="~")
    return f"{quote(key, safe='')}={encoded}"


_CACHED_VALUE = 100
"""Pairs with values up to this long are encoded once: ``pnsdk``, ``uuid``, ``include``..."""
_UNCACHED = frozenset({"auth", "signature", "timestamp"})
"""Keys never kept encoded: secrets stay out of a process-wide cache, and these change anyway."""
_cached_pair = functools.lru_cache(maxsize=512)(_pair)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class PubNub(BaseClient):
    """An asyncio PubNub client: Spaces (App Context), File Sharing, publish and subscribe.

    Make it from a session (``session.pubnub(...)``) to share the connection pool, or use it
    on its own: ``async with aiospaces.PubNub(subscribe_key=..., user_id=...) as pn``.
    Settings not given are read from ``PUBNUB_*`` environment variables (see
    [ENV_VARS][aiospaces.pubnub.config.ENV_VARS]).

    Args:
        session: The Session whose pool to use (None: a private one).
        config: A ready [PubNubConfig][aiospaces.pubnub.config.PubNubConfig]; excludes the
            other settings.
        subscribe_key: The keyset's subscribe key (``sub-c-…``); required.
        user_id: Who is calling (sent as ``uuid``); required.
        publish_key: The publish key; needed to publish and to sign requests.
        secret_key: The secret key; when set, every request carries a v2 signature.
        auth_key: Access Manager auth key sent as ``auth`` (a ``token`` wins over it).
        token: Access Manager v3 token sent as ``auth``.
        origin: Host (and port) of the PubNub edge (default ``ps.pndsn.com``), or a URL
            such as ``http://127.0.0.1:8089`` whose scheme sets ``ssl``.
        ssl: Use https (default True, or as the origin URL says).
        cipher_key: Key for file and message encryption.
        crypto: ``"aescbc"`` (default; the PNED/ACRH cryptor) or ``"legacy"``.
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).

    Raises:
        ValidationError: A required setting is missing or invalid.
        TypeError: Both ``config`` and other settings were given.
    """

    vendor: ClassVar[str] = "pubnub"
    request_id_headers: ClassVar[Sequence[str]] = ("x-request-id", "request-id", "x-amz-request-id")
    secret_query_params: ClassVar[frozenset[str]] = frozenset(
        {"auth", "signature", "x-amz-signature"}
    )

    def __init__(
        self,
        session: Session | None = None,
        *,
        config: PubNubConfig | None = None,
        subscribe_key: str | None = None,
        user_id: str | None = None,
        publish_key: str | None = None,
        secret_key: str | None = None,
        auth_key: str | None = None,
        token: str | None = None,
        origin: str | None = None,
        ssl: bool | None = None,
        cipher_key: str | None = None,
        crypto: Literal["aescbc", "legacy"] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        settings = {
            "subscribe_key": subscribe_key,
            "user_id": user_id,
            "publish_key": publish_key,
            "secret_key": secret_key,
            "auth_key": auth_key,
            "token": token,
            "origin": origin,
            "ssl": ssl,
            "cipher_key": cipher_key,
            "crypto": crypto,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self.config = config_or_env(config, PubNubConfig, settings)
        super().__init__(
            session,
            base_url=self.config.base_url,
            max_retries=self.config.max_retries,
            timeout=self.config.timeout,
        )
        key = self.config.cipher_key
        self.crypto: CryptoModule | None = (
            CryptoModule(key, default=self.config.crypto) if key else None
        )
        """Encrypts files and file messages when the config has a ``cipher_key``."""

    def __repr__(self) -> str:
        return f"<PubNub {self.config!r}>"

    def crypto_for(self, cipher_key: str | None) -> CryptoModule | None:
        """Return the crypto module for a per-call key, else the client's (None: plaintext)."""
        if cipher_key is None:
            return self.crypto
        return CryptoModule(cipher_key, default=self.config.crypto)

    # -- Spaces ---------------------------------------------------------------------------------

    def fetch_spaces(self, **params: Unpack[FetchSpacesParams]) -> FetchSpaces:
        """Return a builder listing spaces (awaitable for one page, async-iterable for all)."""
        return FetchSpaces(self, params)

    def fetch_space(self, **params: Unpack[FetchSpaceParams]) -> FetchSpace:
        """Return a builder fetching one space."""
        return FetchSpace(self, params)

    def create_space(self, **params: Unpack[CreateSpaceParams]) -> CreateSpace:
        """Return a builder creating (upserting) a space."""
        return CreateSpace(self, params)

    def update_space(self, **params: Unpack[CreateSpaceParams]) -> UpdateSpace:
        """Return a builder updating a space's fields."""
        return UpdateSpace(self, params)

    def remove_space(self, **params: Unpack[RemoveSpaceParams]) -> RemoveSpace:
        """Return a builder removing a space."""
        return RemoveSpace(self, params)

    # -- Files ----------------------------------------------------------------------------------

    def send_file(self, **params: Unpack[SendFileParams]) -> SendFile:
        """Return a builder uploading a file to a channel and announcing it (3 requests)."""
        return SendFile(self, params)

    def list_files(self, **params: Unpack[ListFilesParams]) -> ListFiles:
        """Return a builder listing a channel's files (awaitable page, or ``async for``)."""
        return ListFiles(self, params)

    def get_file_url(self, **params: Unpack[StoredFileParams]) -> GetFileUrl:
        """Return a builder getting a file's signed download URL."""
        return GetFileUrl(self, params)

    def download_file(self, **params: Unpack[DownloadFileParams]) -> DownloadFile:
        """Return a builder downloading (and decrypting) a file: bytes, a path or a stream."""
        return DownloadFile(self, params)

    def delete_file(self, **params: Unpack[StoredFileParams]) -> DeleteFile:
        """Return a builder deleting a file."""
        return DeleteFile(self, params)

    def publish_file_message(
        self, **params: Unpack[PublishFileMessageParams]
    ) -> PublishFileMessage:
        """Return a builder announcing an uploaded file (resumes a failed ``send_file``)."""
        return PublishFileMessage(self, params)

    def upload_files(
        self,
        channel: str,
        sources: Iterable[FileSource | UploadItem],
        *,
        concurrency: int = 8,
        retries: int = 2,
        on_progress: Callable[[UploadProgress], None] | None = None,
        journal: str | os.PathLike[str] | JobJournal | None = None,
        **send_options: Unpack[UploadFilesParams],
    ) -> BulkUpload:
        """Upload many files to ``channel`` concurrently; ``await`` the result for a report.

        Args:
            channel: The channel every file goes to.
            sources: Paths, or [UploadItem][aiospaces.pubnub.report.UploadItem]s for bytes,
                streams, custom names and messages.
            concurrency: How many files are uploaded at once.
            retries: How many more times a file that failed for a transient reason is tried
                (a file stored but not announced is only re-published).
            on_progress: Called with an [UploadProgress][aiospaces.pubnub.report.UploadProgress]
                as files start, send bytes, succeed or fail.
            journal: Record each file's state in this journal (a path: an SQLite file, made
                if missing; or any [JobJournal][aiospaces.pubnub.journal.JobJournal]).
                Rerunning with the same journal skips the files announced, resumes the
                others where they stopped, and never announces a file twice (see "Bulk
                uploads at scale"). File messages are then stored in history.
            **send_options: Setters applied to every ``send_file`` call (``should_store``,
                ``ttl``, ``meta``, ``cipher_key``, ``publish_retries``, ...).

        Returns:
            A [BulkUpload][aiospaces.pubnub.bulk.BulkUpload]; its ``report`` stays valid even
            if the awaiting task is cancelled.
        """
        return BulkUpload(
            self,
            channel,
            sources,
            concurrency=concurrency,
            retries=retries,
            on_progress=on_progress,
            send_options=send_options,
            journal=journal,
        )

    def file_url(self, channel: str, file_id: str, file_name: str) -> str:
        """Return PubNub's URL of a file: it redirects to a signed storage URL (no request made).

        ``GET /v1/files/{sub}/channels/{channel}/files/{id}/{name}`` with this client's
        ``pnsdk``, ``uuid``, ``auth`` and, with a secret key, a signature that PubNub accepts
        for about a minute. It is what a [FileEvent][aiospaces.pubnub.events.FileEvent]
        carries as ``url``.

        Raises:
            ValidationError: A name cannot be carried in the path.
        """
        sub = quote(self.config.subscribe_key, safe="")
        path = (
            f"/v1/files/{sub}/channels/{validate.path_segment(channel, 'channel')}/files/"
            f"{validate.path_segment(file_id, 'file_id')}/"
            f"{validate.path_segment(file_name, 'file_name')}"
        )
        spec = self._prepare(RequestSpec(method="GET", path=path), 0)
        return f"{self.config.base_url}{spec.path}?{self._encode_query(spec.query)}"

    # -- Realtime -------------------------------------------------------------------------------

    def publish(self, **params: Unpack[PublishParams]) -> Publish:
        """Return a builder publishing a message to a channel (encrypted with the cipher key)."""
        return Publish(self, params)

    def signal(self, **params: Unpack[SignalParams]) -> Signal:
        """Return a builder sending a signal: a small message, never stored or encrypted."""
        return Signal(self, params)

    def fetch_messages(self, **params: Unpack[FetchMessagesParams]) -> FetchMessages:
        """Return a builder reading channels' history (awaitable page, or ``async for``)."""
        return FetchMessages(self, params)

    def subscribe(
        self,
        *,
        channels: str | Iterable[str] = (),
        channel_groups: str | Iterable[str] = (),
        with_presence: bool = False,
        filter_expression: str | None = None,
        heartbeat: int | None = None,
        timetoken: int | str | None = None,
        max_retries: int | None = None,
    ) -> Subscription:
        """Return a subscription: ``async with`` it, then ``async for event in sub``.

        While it waits for events, its long-poll holds one connection of the Session's
        shared pool (see [Subscription][aiospaces.pubnub.subscribe.Subscription]).

        Args:
            channels: Channel names (one name or several).
            channel_groups: Channel group names.
            with_presence: Also receive presence events.
            filter_expression: A subscribe filter on messages' ``meta`` (``filter-expr``).
            heartbeat: Presence timeout in seconds to announce.
            timetoken: Resume after this timetoken (default: from now).
            max_retries: Consecutive failed polls tolerated (None: keep trying).

        Raises:
            ValidationError: A name, the filter or a number is invalid.
        """
        return Subscription(
            self,
            channels=channels,
            channel_groups=channel_groups,
            with_presence=with_presence,
            filter_expression=filter_expression,
            heartbeat=heartbeat,
            timetoken=timetoken,
            max_retries=max_retries,
        )

    # -- BaseClient hooks -----------------------------------------------------------------------

    def _encode_query(self, query: Sequence[tuple[str, str]]) -> str:
        """Percent-encode values like PubNub (``~`` kept, ``+`` as ``%2B``).

        ``channel-group`` is a list: each name is encoded, the commas between them are not.
        """
        return "&".join(
            [
                _pair(k, v) if len(v) > _CACHED_VALUE or k in _UNCACHED else _cached_pair(k, v)
                for k, v in query
            ]
        )

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Add ``pnsdk``, ``uuid``, ``auth`` and, with a secret key, ``timestamp``/``signature``."""
        if spec.absolute:  # storage URLs carry their own credentials
            return spec
        config = self.config
        query = [*spec.query, ("pnsdk", PNSDK), ("uuid", config.user_id)]
        if config.auth:
            query.append(("auth", config.auth))
        if config.secret_key:
            query.append(("timestamp", str(int(time.time()))))
            publish_key = config.publish_key or ""
            if spec.method == "POST" and spec.path.startswith("/publish/"):
                signature = sign_publish_post(
                    config.secret_key, config.subscribe_key, publish_key, spec.path, query
                )
            else:
                body = spec.body.decode() if isinstance(spec.body, bytes) else ""
                signature = sign_request(
                    config.secret_key, publish_key, spec.method, spec.path, query, body
                )
            query.append(("signature", signature))
        return attrs.evolve(spec, query=query)

    def _error_info(self, response: httpx.Response, body: Any) -> ErrorInfo:
        """Return PubNub's description of an error answer (or its storage's S3 XML).

        Understands ``{"error": {"message", "source", "details"}}`` (App Context, files),
        ``{"error": true, "message": ...}`` (Access Manager) and ``[0, "<message>", ...]``
        (publish and signal).
        """
        if isinstance(body, list) and len(body) >= 2 and isinstance(body[1], str) and body[1]:
            return ErrorInfo(body[1])
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):
                source = error.get("source")
                message = error.get("message") or source or "error"
                return ErrorInfo(str(message), _text(source), error.get("details"))
            if isinstance(body.get("message"), str) and body["message"]:
                return ErrorInfo(body["message"])
        elif body is None and (code := _S3_CODE.search(response.text)):
            found = _S3_MESSAGE.search(response.text)
            return ErrorInfo(found.group(1) if found else code.group(1), code.group(1))
        return super()._error_info(response, body)

    def _error_class(self, response: httpx.Response, info: ErrorInfo) -> type[APIError]:
        """Map S3's ``EntityTooLarge`` (a 400) to PayloadTooLargeError."""
        if info.error_type == "EntityTooLarge":
            return PayloadTooLargeError
        return super()._error_class(response, info)
