"""The PubNub client: common parameters, auth, signing, and the Spaces factories."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import quote

import attrs

from aiospaces._version import __version__
from aiospaces.core.client import BaseClient
from aiospaces.pubnub.config import PubNubConfig
from aiospaces.pubnub.signing import sign_request
from aiospaces.pubnub.spaces import CreateSpace, FetchSpace, FetchSpaces, RemoveSpace, UpdateSpace

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aiospaces.core.builder import Builder, RequestSpec
    from aiospaces.core.session import Session

__all__ = ["PNSDK", "PubNub"]

PNSDK = f"aiospaces-Python/{__version__}"
"""What the client sends as ``pnsdk``."""

B = TypeVar("B", bound="Builder[Any]")


class PubNub(BaseClient):
    """An asyncio PubNub client: Spaces (App Context) today, files next.

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
            session, base_url=self.config.base_url, max_retries=self.config.max_retries
        )

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

    # -- BaseClient hooks -----------------------------------------------------------------------

    def _new(self, cls: type[B], kwargs: dict[str, Any]) -> B:
        builder = cls(self, **kwargs)
        if self.config.timeout is not None and "timeout" not in kwargs:
            builder.timeout(self.config.timeout)
        return builder

    def _encode_query(self, query: Sequence[tuple[str, str]]) -> str:
        """Percent-encode values like PubNub (``~`` kept, ``+`` as ``%2B``)."""
        return "&".join(f"{quote(k, safe='')}={quote(v, safe='~')}" for k, v in query)

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Add ``pnsdk``, ``uuid``, ``auth`` and, with a secret key, ``timestamp``/``signature``."""
        if "://" in spec.path:  # storage URLs carry their own credentials
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
