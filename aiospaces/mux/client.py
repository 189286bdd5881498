"""The Mux client: configuration, HTTP Basic auth, rate limits and the call factories."""

from __future__ import annotations

import base64
import builtins
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import anyio
import attrs

from aiospaces._version import __version__
from aiospaces.core.client import BaseClient
from aiospaces.core.errors import RateLimitError, TimeoutError, ValidationError
from aiospaces.core.settings import config_from_env
from aiospaces.mux.broadcasts import (
    CreateSpaceBroadcast,
    DeleteSpaceBroadcast,
    GetSpaceBroadcast,
    StartSpaceBroadcast,
    StopSpaceBroadcast,
)
from aiospaces.mux.live_streams import (
    CompleteLiveStream,
    CreateLiveStream,
    DeleteLiveStream,
    GetLiveStream,
    ListLiveStreams,
    LiveStreams,
)
from aiospaces.mux.models import RateLimit, Space, SpaceStatus
from aiospaces.mux.spaces import CreateSpace, DeleteSpace, GetSpace, ListSpaces, Spaces
from aiospaces.mux.webhooks import Webhooks

if TYPE_CHECKING:
    import httpx

    from aiospaces.core.builder import Builder, RequestSpec
    from aiospaces.core.errors import APIError
    from aiospaces.core.session import Session

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "USER_AGENT", "Mux", "MuxConfig", "MuxRateLimitError"]

DEFAULT_BASE_URL = "https://api.mux.com"
USER_AGENT = f"aiospaces-Python/{__version__}"
"""What the client sends as ``User-Agent``."""
ENV_VARS = {
    "token_id": "MUX_TOKEN_ID",
    "token_secret": "MUX_TOKEN_SECRET",
    "base_url": "MUX_BASE_URL",
    "webhook_secret": "MUX_WEBHOOK_SECRET",
}
"""Environment variables read by `MuxConfig.from_env`, by setting name."""

B = TypeVar("B", bound="Builder[Any]")


def _non_empty(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ValidationError(f"{attribute.name} must be a non-empty string, not {value!r}")


def _http_url(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    _non_empty(instance, attribute, value)
    if not value.startswith(("https://", "http://")):
        raise ValidationError(f"base_url must start with https:// or http://, not {value!r}")


def _timeout(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and (
        not isinstance(value, int | float) or isinstance(value, bool) or value <= 0
    ):
        raise ValidationError(f"timeout must be a positive number of seconds, not {value!r}")


def _retries(instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValidationError(f"max_retries must be an int >= 0, not {value!r}")


@attrs.frozen(kw_only=True)
class MuxConfig:
    """Everything a Mux client needs; secrets never appear in its repr.

    Attributes:
        token_id: The access token id (the Basic auth user name); required.
        token_secret: The access token secret (the Basic auth password); required.
        base_url: The API origin (``https://api.mux.com``, or an emulator's URL).
        webhook_secret: The webhook signing secret used by ``mux.webhooks``.
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).
    """

    token_id: str = attrs.field(validator=_non_empty)
    token_secret: str = attrs.field(repr=False, validator=_non_empty)
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, validator=_http_url)
    webhook_secret: str | None = attrs.field(default=None, repr=False, validator=_non_empty)
    timeout: float | None = attrs.field(default=None, validator=_timeout)
    max_retries: int | None = attrs.field(default=None, validator=_retries)

    @classmethod
    def from_env(cls, **overrides: Any) -> MuxConfig:
        """Return a config from ``MUX_*`` environment variables; explicit arguments win.

        Raises:
            ValidationError: A required setting is missing or invalid.
        """
        return config_from_env(cls, ENV_VARS, overrides, required=("token_id", "token_secret"))

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value (HTTP Basic)."""
        raw = f"{self.token_id}:{self.token_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()


class MuxRateLimitError(RateLimitError):
    """Mux answered 429 (it sends no ``Retry-After``; aiospaces backs off exponentially).

    Attributes:
        rate_limit: The ``X-RateLimit-*`` headers of the 429 answer.
    """

    def __init__(self, message: str, *, rate_limit: RateLimit, **kwargs: Any) -> None:
        self.rate_limit = rate_limit
        super().__init__(message, **kwargs)


class Mux(BaseClient):
    """An asyncio Mux client: Spaces, space broadcasts and live streams.

    Make it from a session (``session.mux(...)``) to share the connection pool, or use it on
    its own: ``async with aiospaces.mux.Mux(token_id=..., token_secret=...) as mux``.
    Arguments not given are read from ``MUX_TOKEN_ID``, ``MUX_TOKEN_SECRET``,
    ``MUX_BASE_URL`` and ``MUX_WEBHOOK_SECRET``.

    Each call exists flat (``mux.create_space()``, ``mux.start_space_broadcast(sid, bid)``, as
    in mux-python) and grouped (``mux.spaces.create()``, ``mux.live_streams.get(id)``, as in
    Mux's Node SDK); both return the same builders.

    Args:
        session: The Session whose pool to use (None: a private one).
        config: A ready [MuxConfig][aiospaces.mux.client.MuxConfig]; excludes the keyword
            settings.
        **settings: Fields of ``MuxConfig`` (``token_id``, ``token_secret``, ``base_url``, ...).

    Raises:
        ValidationError: A required setting is missing or invalid.
    """

    vendor: ClassVar[str] = "mux"

    def __init__(
        self, session: Session | None = None, *, config: MuxConfig | None = None, **settings: Any
    ) -> None:
        if config is not None and settings:
            raise TypeError("pass either config= or keyword settings, not both")
        self.config = config or MuxConfig.from_env(**settings)
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

    def create_space(self, **kwargs: Any) -> CreateSpace:
        """Return a builder creating a space (``.type()``, ``.passthrough()``, ``.broadcast()``)."""
        return self._new(CreateSpace, kwargs)

    def list_spaces(self, **kwargs: Any) -> ListSpaces:
        """Return a builder listing spaces (awaitable for a page, async-iterable for all)."""
        return self._new(ListSpaces, kwargs)

    def get_space(self, space_id: str | None = None, **kwargs: Any) -> GetSpace:
        """Return a builder fetching a space."""
        return self._new(GetSpace, kwargs, space_id=space_id)

    def delete_space(self, space_id: str | None = None, **kwargs: Any) -> DeleteSpace:
        """Return a builder deleting a space (only an idle one)."""
        return self._new(DeleteSpace, kwargs, space_id=space_id)

    # -- Space broadcasts -----------------------------------------------------------------------

    def create_space_broadcast(
        self, space_id: str | None = None, **kwargs: Any
    ) -> CreateSpaceBroadcast:
        """Return a builder adding a broadcast to a space (``.live_stream_id()`` required)."""
        return self._new(CreateSpaceBroadcast, kwargs, space_id=space_id)

    def get_space_broadcast(
        self, space_id: str | None = None, broadcast_id: str | None = None, **kwargs: Any
    ) -> GetSpaceBroadcast:
        """Return a builder fetching a broadcast."""
        return self._new(GetSpaceBroadcast, kwargs, space_id=space_id, broadcast_id=broadcast_id)

    def delete_space_broadcast(
        self, space_id: str | None = None, broadcast_id: str | None = None, **kwargs: Any
    ) -> DeleteSpaceBroadcast:
        """Return a builder deleting a broadcast (only an idle one)."""
        return self._new(DeleteSpaceBroadcast, kwargs, space_id=space_id, broadcast_id=broadcast_id)

    def start_space_broadcast(
        self, space_id: str | None = None, broadcast_id: str | None = None, **kwargs: Any
    ) -> StartSpaceBroadcast:
        """Return a builder starting a broadcast (the space must be active)."""
        return self._new(StartSpaceBroadcast, kwargs, space_id=space_id, broadcast_id=broadcast_id)

    def stop_space_broadcast(
        self, space_id: str | None = None, broadcast_id: str | None = None, **kwargs: Any
    ) -> StopSpaceBroadcast:
        """Return a builder stopping a broadcast (Mux then completes its live stream)."""
        return self._new(StopSpaceBroadcast, kwargs, space_id=space_id, broadcast_id=broadcast_id)

    # -- Live streams ---------------------------------------------------------------------------

    def create_live_stream(self, **kwargs: Any) -> CreateLiveStream:
        """Return a builder creating a live stream."""
        return self._new(CreateLiveStream, kwargs)

    def list_live_streams(self, **kwargs: Any) -> ListLiveStreams:
        """Return a builder listing live streams (awaitable for a page, async-iterable for all)."""
        return self._new(ListLiveStreams, kwargs)

    def get_live_stream(self, live_stream_id: str | None = None, **kwargs: Any) -> GetLiveStream:
        """Return a builder fetching a live stream."""
        return self._new(GetLiveStream, kwargs, live_stream_id=live_stream_id)

    def delete_live_stream(
        self, live_stream_id: str | None = None, **kwargs: Any
    ) -> DeleteLiveStream:
        """Return a builder deleting a live stream."""
        return self._new(DeleteLiveStream, kwargs, live_stream_id=live_stream_id)

    def complete_live_stream(
        self, live_stream_id: str | None = None, **kwargs: Any
    ) -> CompleteLiveStream:
        """Return a builder signalling a live stream complete (``PUT .../complete``)."""
        return self._new(CompleteLiveStream, kwargs, live_stream_id=live_stream_id)

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
        for name, value in (("timeout", deadline), ("interval", interval), ("max_interval", cap)):
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValidationError(f"{name} must be a positive number, not {value!r}")
        builder = self.get_space(space_id)
        builder._build()  # validate the id before waiting
        delay = interval
        try:
            with anyio.fail_after(deadline):
                while True:
                    space = await builder
                    if space.status == status:
                        return space
                    await anyio.sleep(delay)
                    delay = min(delay * 2, cap)
        except TimeoutError:  # a request's own timeout: already ours
            raise
        except builtins.TimeoutError as exc:
            raise TimeoutError(f"space {space_id!r} was not {status} within {deadline} s") from exc

    # -- BaseClient hooks -----------------------------------------------------------------------

    def _new(self, cls: type[B], kwargs: dict[str, Any], **ids: str | None) -> B:
        prefill = {name: value for name, value in ids.items() if value is not None}
        clash = prefill.keys() & kwargs.keys()
        if clash:
            raise TypeError(f"{sorted(clash)[0]} given both positionally and by keyword")
        return super()._new(cls, {**prefill, **kwargs})

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Add HTTP Basic auth and the ``User-Agent``."""
        headers = {
            "Authorization": self.config.authorization,
            "User-Agent": USER_AGENT,
            **spec.headers,
        }
        return attrs.evolve(spec, headers=headers)

    def _api_error(self, response: httpx.Response) -> APIError:
        error = super()._api_error(response)
        if isinstance(error, RateLimitError):
            return MuxRateLimitError(
                error.message,
                rate_limit=RateLimit.from_headers(response.headers),
                retry_after=error.retry_after,
                status_code=error.status_code,
                vendor=error.vendor,
                error_type=error.error_type,
                details=error.details,
                request_id=error.request_id,
                body=error.body,
            )
        return error
