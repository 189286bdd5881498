"""The PubNub client: common parameters, auth, signing, and the Spaces factories."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import quote

import attrs

from aiospaces._version import __version__
from aiospaces.bulk import BulkUpload
from aiospaces.core.client import BaseClient
from aiospaces.core.crypto import CryptoModule
from aiospaces.pubnub.config import PubNubConfig
from aiospaces.pubnub.files import (
    DeleteFile,
    DownloadFile,
    GetFileUrl,
    ListFiles,
    PublishFileMessage,
    SendFile,
)
from aiospaces.pubnub.signing import sign_request
from aiospaces.pubnub.spaces import CreateSpace, FetchSpace, FetchSpaces, RemoveSpace, UpdateSpace

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from aiospaces.bulk import UploadProgress
    from aiospaces.core.builder import Builder, RequestSpec
    from aiospaces.core.session import Session

__all__ = ["PNSDK", "PubNub"]

PNSDK = f"aiospaces-Python/{__version__}"
"""What the client sends as ``pnsdk``."""

B = TypeVar("B", bound="Builder[Any]")


class PubNub(BaseClient):
    """An asyncio PubNub client: Spaces (App Context) and File Sharing.

    Make it from a session (``session.pubnub(...)``) to share the connection pool, or use it
    on its own: ``async with aiospaces.PubNub(subscribe_key=..., user_id=...) as pn``.
    Arguments not given are read from ``PUBNUB_*`` environment variables.

    Args:
        session: The Session whose pool to use (None: a private one).
        config: A ready [PubNubConfig][aiospaces.pubnub.config.PubNubConfig]; excludes the
            keyword settings.
        **settings: Fields of ``PubNubConfig`` (``subscribe_key``, ``user_id``, ...).

    Raises:
        ValidationError: A required setting is missing or invalid.
    """

    vendor: ClassVar[str] = "pubnub"

    def __init__(
        self, session: Session | None = None, *, config: PubNubConfig | None = None, **settings: Any
    ) -> None:
        if config is not None and settings:
            raise TypeError("pass either config= or keyword settings, not both")
        self.config = config or PubNubConfig.from_env(**settings)
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

    # -- Spaces ---------------------------------------------------------------------------------

    def fetch_spaces(self, **kwargs: Any) -> FetchSpaces:
        """Return a builder listing spaces (awaitable for one page, async-iterable for all)."""
        return self._new(FetchSpaces, kwargs)

    def fetch_space(self, **kwargs: Any) -> FetchSpace:
        """Return a builder fetching one space."""
        return self._new(FetchSpace, kwargs)

    def create_space(self, **kwargs: Any) -> CreateSpace:
        """Return a builder creating (upserting) a space."""
        return self._new(CreateSpace, kwargs)

    def update_space(self, **kwargs: Any) -> UpdateSpace:
        """Return a builder updating a space's fields."""
        return self._new(UpdateSpace, kwargs)

    def remove_space(self, **kwargs: Any) -> RemoveSpace:
        """Return a builder removing a space."""
        return self._new(RemoveSpace, kwargs)

    # -- Files ----------------------------------------------------------------------------------

    def send_file(self, **kwargs: Any) -> SendFile:
        """Return a builder uploading a file to a channel and announcing it (3 requests)."""
        return self._new(SendFile, kwargs)

    def list_files(self, **kwargs: Any) -> ListFiles:
        """Return a builder listing a channel's files (awaitable page, or ``async for``)."""
        return self._new(ListFiles, kwargs)

    def get_file_url(self, **kwargs: Any) -> GetFileUrl:
        """Return a builder getting a file's signed download URL."""
        return self._new(GetFileUrl, kwargs)

    def download_file(self, **kwargs: Any) -> DownloadFile:
        """Return a builder downloading (and decrypting) a file: bytes, a path or a stream."""
        return self._new(DownloadFile, kwargs)

    def delete_file(self, **kwargs: Any) -> DeleteFile:
        """Return a builder deleting a file."""
        return self._new(DeleteFile, kwargs)

    def publish_file_message(self, **kwargs: Any) -> PublishFileMessage:
        """Return a builder announcing an uploaded file (resumes a failed ``send_file``)."""
        return self._new(PublishFileMessage, kwargs)

    def upload_files(
        self,
        channel: str,
        sources: Iterable[Any],
        *,
        concurrency: int = 8,
        retries: int = 2,
        on_progress: Callable[[UploadProgress], None] | None = None,
        **send_options: Any,
    ) -> BulkUpload:
        """Upload many files to ``channel`` concurrently; ``await`` the result for a report.

        Args:
            channel: The channel every file goes to.
            sources: Paths, or [UploadItem][aiospaces.bulk.UploadItem]s for bytes, streams,
                custom names and messages.
            concurrency: How many files are uploaded at once.
            retries: How many more times a file that failed for a transient reason is tried
                (a file stored but not announced is only re-published).
            on_progress: Called with an [UploadProgress][aiospaces.bulk.UploadProgress] as
                files start, send bytes, succeed or fail.
            **send_options: Setters applied to every ``send_file`` call (``should_store``,
                ``ttl``, ``meta``, ``cipher_key``, ``publish_retries``, ...).

        Returns:
            A [BulkUpload][aiospaces.bulk.BulkUpload]; its ``report`` stays valid even if the
            awaiting task is cancelled.
        """
        return BulkUpload(
            self,
            channel,
            sources,
            concurrency=concurrency,
            retries=retries,
            on_progress=on_progress,
            send_options=send_options,
        )

    def _files_path(self, channel: str) -> str:
        sub = quote(self.config.subscribe_key, safe="")
        return f"/v1/files/{sub}/channels/{quote(channel, safe='')}"

    def _crypto(self, cipher_key: str | None) -> CryptoModule | None:
        """Return the crypto module for a per-call key, else the client's (None: plaintext)."""
        if cipher_key is None:
            return self.crypto
        return CryptoModule(cipher_key, default=self.config.crypto)

    # -- BaseClient hooks -----------------------------------------------------------------------

    def _encode_query(self, query: Sequence[tuple[str, str]]) -> str:
        """Percent-encode values like PubNub (``~`` kept, ``+`` as ``%2B``)."""
        return "&".join(f"{quote(k, safe='')}={quote(v, safe='~')}" for k, v in query)

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
            body = spec.body.decode() if isinstance(spec.body, bytes) else ""
            signature = sign_request(
                config.secret_key, config.publish_key or "", spec.method, spec.path, query, body
            )
            query.append(("signature", signature))
        return attrs.evolve(spec, query=query)
