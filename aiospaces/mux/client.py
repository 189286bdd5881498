"""The Mux client: HTTP Basic auth, Mux's error shapes and rate limits, the call factories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Unpack

import attrs

from aiospaces._version import __version__
from aiospaces.core.client import BaseClient, ErrorInfo
from aiospaces.core.errors import RateLimitError, TimeoutError
from aiospaces.core.polling import poll_until
from aiospaces.core.settings import config_or_env
from aiospaces.mux._base import ListParams, path_id
from aiospaces.mux.config import MuxConfig
from aiospaces.mux.live_streams import (
    CompleteLiveStream,
    CreateLiveStream,
    CreateLiveStreamParams,
    DeleteLiveStream,
    GetLiveStream,
    ListLiveStreams,
    ListLiveStreamsParams,
    LiveStreams,
)
from aiospaces.mux.models import RateLimit, Space, SpaceStatus
from aiospaces.mux.spaces import (
    CreateSpace,
    CreateSpaceParams,
    DeleteSpace,
    GetSpace,
    ListSpaces,
    Spaces,
)
from aiospaces.mux.webhooks import Webhooks

if TYPE_CHECKING:
    import httpx

    from aiospaces.core.builder import CallParams
    from aiospaces.core.errors import APIError
    from aiospaces.core.request import RequestSpec
    from aiospaces.core.session import Session
    from aiospaces.mux.broadcasts import (
        CreateSpaceBroadcast,
        CreateSpaceBroadcastParams,
        DeleteSpaceBroadcast,
        GetSpaceBroadcast,
        StartSpaceBroadcast,
        StopSpaceBroadcast,
    )

__all__ = ["USER_AGENT", "Mux", "MuxRateLimitError"]

USER_AGENT = f"aiospaces-Python/{__version__}"
"""What the client sends as ``User-Agent``."""


class MuxRateLimitError(RateLimitError):
    """Mux answered 429 (it sends no ``Retry-After``; aiospaces backs off exponentially)."""

    rate_limit: RateLimit = RateLimit()
    """The ``X-RateLimit-*`` headers of the 429 answer."""


class Mux(BaseClient):
    """An asyncio Mux client: Spaces, space broadcasts and live streams.

    Make it from a session (``session.mux(...)``) to share the connection pool, or use it on
    its own: ``async with aiospaces.Mux(token_id=..., token_secret=...) as mux``.
    Settings not given are read from ``MUX_TOKEN_ID``, ``MUX_TOKEN_SECRET``,
    ``MUX_BASE_URL`` and ``MUX_WEBHOOK_SECRET``.

    Each call exists flat (``mux.create_space()``, ``mux.start_space_broadcast(sid, bid)``, as
    in mux-python) and grouped (``mux.spaces.create()``, ``mux.live_streams.get(id)``, as in
    Mux's Node SDK); both return the same builders.

    Args:
        session: The Session whose pool to use (None: a private one).
        config: A ready [MuxConfig][aiospaces.mux.config.MuxConfig]; excludes the other
            settings.
        token_id: The access token id; required.
        token_secret: The access token secret; required.
        base_url: The API origin (default ``https://api.mux.com``).
        webhook_secret: The webhook signing secret used by ``mux.webhooks``.
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).

    Raises:
        ValidationError: A required setting is missing or invalid.
        TypeError: Both ``config`` and other settings were given.
    """

    vendor: ClassVar[str] = "mux"
    secret_query_params: ClassVar[frozenset[str]] = frozenset({"stream_key"})  # lists filter by it

    def __init__(
        self,
        session: Session | None = None,
        *,
        config: MuxConfig | None = None,
        token_id: str | None = None,
        token_secret: str | None = None,
        base_url: str | None = None,
        webhook_secret: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        settings = {
            "token_id": token_id,
            "token_secret": token_secret,
            "base_url": base_url,
            "webhook_secret": webhook_secret,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self.config = config_or_env(config, MuxConfig, settings)
        super().__init__(
            session,
            base_url=self.config.base_url,
            max_retries=self.config.max_retries,
            timeout=self.config.timeout,
        )
        self.spaces = Spaces(self)
        """The Spaces calls, grouped (``mux.spaces.create()``, ...)."""
        self.live_streams = LiveStreams(self)
        """The live-stream calls, grouped (``mux.live_streams.get(id)``, ...)."""
        self.webhooks = Webhooks(self.config.webhook_secret)
        """Webhook verification bound to ``webhook_secret``."""

    def __repr__(self) -> str:
        return f"<Mux {self.config!r}>"

    # -- Spaces ---------------------------------------------------------------------------------

    def create_space(self, **params: Unpack[CreateSpaceParams]) -> CreateSpace:
        """Return a builder creating a space (``.type()``, ``.passthrough()``, ``.broadcast()``)."""
        return self.spaces.create(**params)

    def list_spaces(self, **params: Unpack[ListParams]) -> ListSpaces:
        """Return a builder listing spaces (awaitable for a page, async-iterable for all)."""
        return self.spaces.list(**params)

    def get_space(self, space_id: str | None = None, **params: Unpack[CallParams]) -> GetSpace:
        """Return a builder fetching a space."""
        return self.spaces.get(space_id, **params)

    def delete_space(
        self, space_id: str | None = None, **params: Unpack[CallParams]
    ) -> DeleteSpace:
        """Return a builder deleting a space (only an idle one)."""
        return self.spaces.delete(space_id, **params)

    # -- Space broadcasts -----------------------------------------------------------------------

    def create_space_broadcast(
        self, space_id: str | None = None, **params: Unpack[CreateSpaceBroadcastParams]
    ) -> CreateSpaceBroadcast:
        """Return a builder adding a broadcast to a space (``.live_stream_id()`` required)."""
        return self.spaces.create_broadcast(space_id, **params)

    def get_space_broadcast(
        self,
        space_id: str | None = None,
        broadcast_id: str | None = None,
        **params: Unpack[CallParams],
    ) -> GetSpaceBroadcast:
        """Return a builder fetching a broadcast."""
        return self.spaces.get_broadcast(space_id, broadcast_id, **params)

    def delete_space_broadcast(
        self,
        space_id: str | None = None,
        broadcast_id: str | None = None,
        **params: Unpack[CallParams],
    ) -> DeleteSpaceBroadcast:
        """Return a builder deleting a broadcast (only an idle one)."""
        return self.spaces.delete_broadcast(space_id, broadcast_id, **params)

    def start_space_broadcast(
        self,
        space_id: str | None = None,
        broadcast_id: str | None = None,
        **params: Unpack[CallParams],
    ) -> StartSpaceBroadcast:
        """Return a builder starting a broadcast (the space must be active)."""
        return self.spaces.start_broadcast(space_id, broadcast_id, **params)

    def stop_space_broadcast(
        self,
        space_id: str | None = None,
        broadcast_id: str | None = None,
        **params: Unpack[CallParams],
    ) -> StopSpaceBroadcast:
        """Return a builder stopping a broadcast (Mux then completes its live stream)."""
        return self.spaces.stop_broadcast(space_id, broadcast_id, **params)

    # -- Live streams ---------------------------------------------------------------------------

    def create_live_stream(self, **params: Unpack[CreateLiveStreamParams]) -> CreateLiveStream:
        """Return a builder creating a live stream."""
        return self.live_streams.create(**params)

    def list_live_streams(self, **params: Unpack[ListLiveStreamsParams]) -> ListLiveStreams:
        """Return a builder listing live streams (awaitable for a page, async-iterable for all)."""
        return self.live_streams.list(**params)

    def get_live_stream(
        self, live_stream_id: str | None = None, **params: Unpack[CallParams]
    ) -> GetLiveStream:
        """Return a builder fetching a live stream."""
        return self.live_streams.get(live_stream_id, **params)

    def delete_live_stream(
        self, live_stream_id: str | None = None, **params: Unpack[CallParams]
    ) -> DeleteLiveStream:
        """Return a builder deleting a live stream."""
        return self.live_streams.delete(live_stream_id, **params)

    def complete_live_stream(
        self, live_stream_id: str | None = None, **params: Unpack[CallParams]
    ) -> CompleteLiveStream:
        """Return a builder signalling a live stream complete (``PUT .../complete``)."""
        return self.live_streams.complete(live_stream_id, **params)

    # -- waiting for state ----------------------------------------------------------------------

    async def wait_until_active(
        self,
        space_id: str,
        *,
        timeout: float = 30.0,  # noqa: ASYNC109 - a deadline for the whole polling loop
        interval: float = 0.1,
        max_interval: float = 2.0,
    ) -> Space:
        """Poll a space until it is ``active`` (participants joined); return it.

        Polls with a backoff that doubles from ``interval`` up to ``max_interval`` seconds.

        Raises:
            TimeoutError: The space was not active within ``timeout`` seconds.
            NotFoundError: The space does not exist.
        """
        return await self._wait(space_id, SpaceStatus.ACTIVE, timeout, interval, max_interval)

    async def wait_until_idle(
        self,
        space_id: str,
        *,
        timeout: float = 30.0,  # noqa: ASYNC109 - a deadline for the whole polling loop
        interval: float = 0.1,
        max_interval: float = 2.0,
    ) -> Space:
        """Poll a space until it is ``idle`` (everyone left); return it.

        Raises:
            TimeoutError: The space was not idle within ``timeout`` seconds.
            NotFoundError: The space does not exist.
        """
        return await self._wait(space_id, SpaceStatus.IDLE, timeout, interval, max_interval)

    async def _wait(
        self, space_id: str, status: SpaceStatus, deadline: float, interval: float, cap: float
    ) -> Space:
        path_id(space_id, "space_id")  # before waiting on anything
        return await poll_until(
            self.get_space(space_id)._quiet().result,
            lambda space: space.status == status,
            timeout=deadline,
            interval=interval,
            max_interval=cap,
            expired=lambda _, waited: TimeoutError(
                f"space {space_id!r} was not {status} within {deadline} s"
            ),
        )

    # -- BaseClient hooks -----------------------------------------------------------------------

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Add HTTP Basic auth and the ``User-Agent``."""
        headers = {
            "Authorization": self.config.authorization,
            "User-Agent": USER_AGENT,
            **spec.headers,
        }
        return attrs.evolve(spec, headers=headers)

    def _error_info(self, response: httpx.Response, body: Any) -> ErrorInfo:
        """Return Mux's error: ``{"error": {"type", "messages"}}``, or ``{"errors": [...]}``."""
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):
                messages = error.get("messages")
                kind = error.get("type")
                text = "; ".join(map(str, messages)) if isinstance(messages, list) else None
                message = error.get("message") or text or kind or "error"
                kind = None if kind is None else str(kind)
                return ErrorInfo(str(message), kind, error.get("details"))
            errors = body.get("errors")
            if isinstance(errors, list) and errors:
                return ErrorInfo("; ".join(map(str, errors)))
        return super()._error_info(response, body)

    def _error_class(self, response: httpx.Response, info: ErrorInfo) -> type[APIError]:
        """Answer 429 with MuxRateLimitError."""
        if response.status_code == 429:
            return MuxRateLimitError
        return super()._error_class(response, info)

    def _api_error(self, response: httpx.Response, attempts: int = 1) -> APIError:
        error = super()._api_error(response, attempts)
        if isinstance(error, MuxRateLimitError):
            error.rate_limit = RateLimit.from_headers(response.headers)
        return error
