"""The core Session: one connection pool (one ``httpx.AsyncClient``) and the default retries.

Vendor clients share the pool of the Session they are made with. The public
[aiospaces.Session][aiospaces.session.Session] adds the vendor factories
(``session.pubnub(...)``, ``session.mux(...)``, ...); this one knows no vendor.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal, Self

import httpx

from aiospaces.core import validate
from aiospaces.core.errors import EventLoopError, SessionClosedError, ValidationError
from aiospaces.core.observe import OnRequest, OnResponse, Watcher
from aiospaces.core.retry import RetryPolicy
from aiospaces.core.transport import (
    Backend,
    PoolStats,
    Transport,
    build_client,
    resolve_backend,
)

if TYPE_CHECKING:
    from types import TracebackType

    from opentelemetry.trace import TracerProvider

__all__ = ["Session"]


class Session:
    """Own one ``httpx.AsyncClient`` (one connection pool) for every client made with it.

    Use [aiospaces.Session][aiospaces.session.Session], which adds the vendor factories;
    a vendor client made without a session owns one of these.

    Args:
        backend: ``"auto"`` (default): the aiohttp transport when ``aiohttp`` and
            ``httpx-aiohttp`` are importable (they are installed with aiospaces) and
            ``http2`` is off, else httpx's own; ``"httpx"`` or ``"aiohttp"`` to choose.
            Both keep the same promises (errors, cancellation, redaction, streaming); aiohttp
            is several times faster under concurrency.
        http2: Negotiate HTTP/2 (needs the ``http2`` extra).
        limits: Pool limits (``httpx.Limits``); default 1000 connections, 20 kept idle.
        timeout: Default per-attempt timeout in seconds or an ``httpx.Timeout``.
        retries: Default number of retries for every call (per-client and per-call settings win).
        transport: A custom httpx transport, e.g. ``httpx.MockTransport`` or an emulator's.
        http_client: Your own ``httpx.AsyncClient``; the session uses it and never closes it.
        on_request: ``async def hook(info: RequestInfo)``, awaited before each attempt of
            every request is sent (see [observe][aiospaces.core.observe]).
        on_response: ``async def hook(info: ResponseInfo)``, awaited when each attempt got
            its answer or failed.
        tracing: Make an OpenTelemetry span per attempt: True (default) from the global
            tracer provider when ``opentelemetry-api`` is installed (the ``otel`` extra), or
            from the ``TracerProvider`` given; False: no spans.

    A session belongs to the event loop it first sends on: using it from another loop (a
    second ``asyncio.run()``) raises [EventLoopError][aiospaces.core.errors.EventLoopError].

    Raises:
        ValidationError: Incompatible arguments.
    """

    def __init__(
        self,
        *,
        backend: Backend = "auto",
        http2: bool = False,
        limits: httpx.Limits | None = None,
        timeout: httpx.Timeout | float | None = None,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        on_request: OnRequest | None = None,
        on_response: OnResponse | None = None,
        tracing: bool | TracerProvider = True,
    ) -> None:
        if http_client is not None and (
            transport is not None or http2 or limits is not None or timeout is not None
        ):
            raise ValidationError(
                "http_client= is used as given: configure transport, http2, limits and timeout "
                "on it instead"
            )
        validate.integer(retries, "retries", minimum=0)
        validate.boolean(http2, "http2")
        if timeout is not None:
            validate.timeout_or_timeouts(timeout)
        for given, name, kind in (
            (limits, "limits", httpx.Limits),
            (transport, "transport", httpx.AsyncBaseTransport),
            (http_client, "http_client", httpx.AsyncClient),
        ):
            if given is not None and not isinstance(given, kind):
                raise ValidationError(
                    f"{name} must be an httpx.{kind.__name__} or None, not {type(given).__name__}"
                )
        self._backend = resolve_backend(backend, http2=http2)
        self._http2 = http2
        self._limits = limits
        self._timeout = timeout
        self._custom_transport = transport
        self._retry_policy = RetryPolicy(max_retries=retries)
        self._transport: Transport | None = None
        if http_client is not None:
            self._transport = Transport(http_client, owned=False)
        self._closed = False
        for hook, name in ((on_request, "on_request"), (on_response, "on_response")):
            if hook is not None and not callable(hook):
                raise ValidationError(f"{name} must be an async function or None")
        if not isinstance(tracing, bool) and not callable(getattr(tracing, "get_tracer", None)):
            raise ValidationError("tracing must be True, False or an OpenTelemetry TracerProvider")
        self._watcher = Watcher(on_request=on_request, on_response=on_response, tracing=tracing)
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def watcher(self) -> Watcher:
        """The session's [Watcher][aiospaces.core.observe.Watcher]: its hooks and tracer."""
        return self._watcher

    @property
    def backend(self) -> Literal["httpx", "aiohttp"]:
        """The backend in use: what ``"auto"`` resolved to, or the one chosen.

        A custom ``transport`` or ``http_client`` is used as given, whatever this says.
        """
        return self._backend

    @property
    def retry_policy(self) -> RetryPolicy:
        """The default [RetryPolicy][aiospaces.core.retry.RetryPolicy] of calls in this session."""
        return self._retry_policy

    @property
    def closed(self) -> bool:
        """Whether [aclose][aiospaces.core.session.Session.aclose] has been called."""
        return self._closed

    @property
    def transport(self) -> Transport:
        """The session's transport, created on first use.

        Raises:
            SessionClosedError: The session was closed.
        """
        if self._closed:
            raise SessionClosedError(
                "this Session is closed; create a new Session (or use one per application)"
            )
        loop = asyncio._get_running_loop()
        if loop is not self._loop and loop is not None:
            if self._loop is not None:
                raise EventLoopError(
                    "this Session was first used in another event loop (an earlier "
                    "asyncio.run()?) and its connections belong to it; create the Session "
                    "inside the loop that uses it (one per asyncio.run())"
                )
            self._loop = loop
        if self._transport is None:
            client = build_client(
                backend=self._backend,
                limits=self._limits,
                timeout=self._timeout,
                http2=self._http2,
                transport=self._custom_transport,
            )
            self._transport = Transport(client, owned=True)
        return self._transport

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The one ``httpx.AsyncClient`` every client of this session sends through."""
        return self.transport.client

    def pool_stats(self) -> PoolStats | None:
        """Return open and in-flight connection counts, or None if the transport has no pool."""
        if self._transport is None:
            return PoolStats(connections=0, in_flight=0)
        return self._transport.pool_stats()

    async def aclose(self) -> None:
        """Close the pool (unless it is the user's ``http_client``); closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._transport is not None:
            await self._transport.aclose()

    async def __aenter__(self) -> Self:
        _ = self.transport
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Session backend={self._backend} {state}>"
