"""Watching requests: a debug log line, request/response hooks and OpenTelemetry spans.

Every request attempt can be seen three ways, all off unless asked for:

- **logging**: the ``aiospaces.http`` logger writes one DEBUG line per attempt
  (``pubnub CreateSpace POST https://…?auth=*** -> 200 attempt 1 in 12.3 ms request-id …``);
- **hooks**: ``Session(on_request=..., on_response=...)`` calls your async functions with a
  [RequestInfo][aiospaces.core.observe.RequestInfo] before each attempt is sent and a
  [ResponseInfo][aiospaces.core.observe.ResponseInfo] once its answer (or failure) is known;
- **tracing**: with ``opentelemetry-api`` installed (the ``otel`` extra) each attempt is a
  client span named ``"{vendor} {operation}"``; without it nothing is imported and nothing
  is paid.

What they see is redacted: the URL has PubNub's ``auth`` and ``signature``, tokens and secret
path segments masked (see [redact_url][aiospaces.core.transport.redact_url]); no header, body
or credential is handed out. When nothing watches (no hook, no tracer, DEBUG off for
``aiospaces.http``) the request path skips all of it.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from aiospaces._version import __version__
from aiospaces.core.transport import redact_url

if TYPE_CHECKING:
    import httpx
    from opentelemetry.trace import TracerProvider

__all__ = [
    "OnRequest",
    "OnResponse",
    "Probe",
    "RequestInfo",
    "ResponseInfo",
    "Watcher",
    "current_operation",
    "describe",
    "operation_name",
    "reset_operation",
]

_logger = logging.getLogger("aiospaces.http")

_operation: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "aiospaces_operation", default=None
)
"""The operation (builder class name) a request belongs to; set while a builder runs."""


def current_operation() -> str | None:
    """Return the name of the operation running in this task (``"CreateSpace"``), if any."""
    return _operation.get()


def operation_name(name: str) -> contextvars.Token[str | None]:
    """Set the current operation's name; return the token that restores the previous one."""
    return _operation.set(name)


def reset_operation(token: contextvars.Token[str | None]) -> None:
    """Restore the operation [operation_name][aiospaces.core.observe.operation_name] replaced."""
    _operation.reset(token)


@attrs.frozen
class RequestInfo:
    """One attempt of a request, as the hooks, the log line and the span see it.

    Attributes:
        vendor: ``"pubnub"``, ``"mux"``, ``"neuroio"``, ``"pubnub_admin"`` (empty for a bare
            client).
        operation: The builder that sent it (``"CreateSpace"``), or None outside a builder.
        method: The HTTP method.
        url: The URL with secrets masked.
        attempt: 1 for the first attempt, 2 for the first retry, ...
    """

    vendor: str
    operation: str | None
    method: str
    url: str
    attempt: int


@attrs.frozen
class ResponseInfo:
    """How one attempt ended.

    Attributes:
        request: The attempt.
        status_code: The answer's status, or None when no answer came (see ``error``).
        elapsed: Seconds from sending to the answer (the body read included when the
            request path reads it) or to the failure.
        request_id: The server's request id, when its headers carry one.
        error: The transport failure's class name (``"ConnectError"``), or None.
    """

    request: RequestInfo
    status_code: int | None
    elapsed: float
    request_id: str | None = None
    error: str | None = None


OnRequest = Callable[[RequestInfo], Awaitable[None]]
"""``async def on_request(info: RequestInfo) -> None``: called before each attempt is sent."""
OnResponse = Callable[[ResponseInfo], Awaitable[None]]
"""``async def on_response(info: ResponseInfo) -> None``: called when each attempt ended."""


@functools.cache
def _find_tracer() -> Any:
    """Return OpenTelemetry's tracer for aiospaces, or None when the API is not installed."""
    try:
        from opentelemetry import trace  # noqa: PLC0415 - the optional ``otel`` extra
    except ImportError:
        return None
    return trace.get_tracer("aiospaces", __version__)


_provider_installed = False  # OpenTelemetry installs its global provider once, for good


def _global_provider_set() -> bool:
    """Whether a tracer provider was installed (not the API's placeholder, which drops spans)."""
    global _provider_installed  # a one-way latch, read on every attempt
    if not _provider_installed:
        from opentelemetry import trace  # noqa: PLC0415 - present: a tracer was found

        provider = trace.get_tracer_provider()
        _provider_installed = not isinstance(provider, trace.ProxyTracerProvider)
    return _provider_installed


class Watcher:
    """A Session's watchers: its hooks, the debug logger and the tracer.

    Args:
        on_request: Called before each attempt is sent.
        on_response: Called when each attempt ended.
        tracing: True: spans from OpenTelemetry's global tracer provider when
            ``opentelemetry-api`` is installed; a ``TracerProvider``: spans from that one;
            False: none.
    """

    def __init__(
        self,
        *,
        on_request: OnRequest | None = None,
        on_response: OnResponse | None = None,
        tracing: bool | TracerProvider = True,
    ) -> None:
        self.on_request = on_request
        self.on_response = on_response
        self._tracer: Any = None
        self._global = tracing is True
        if tracing is True:
            self._tracer = _find_tracer()
        elif tracing is not False:
            self._tracer = tracing.get_tracer("aiospaces", __version__)
        hooked = on_request is not None or on_response is not None
        self._always = hooked or (self._tracer is not None and not self._global)

    @property
    def tracer(self) -> Any:
        """The tracer spans come from now, or None.

        The global tracer only once a tracer provider is installed: before that,
        OpenTelemetry's placeholder would drop every span, so none is made.
        """
        if self._global and self._tracer is not None and not _global_provider_set():
            return None
        return self._tracer

    def active(self) -> bool:
        """Whether anything watches: a hook, a tracer, or DEBUG enabled on ``aiospaces.http``."""
        return self._always or self.tracer is not None or _logger.isEnabledFor(logging.DEBUG)

    async def start(
        self,
        request: httpx.Request,
        attempt: int,
        *,
        vendor: str,
        request_id: Callable[[httpx.Response], str | None],
    ) -> Probe:
        """Note that an attempt is about to be sent (the request hook runs here).

        Raises:
            Exception: Whatever the request hook raised (the attempt is not sent).
        """
        info = RequestInfo(
            vendor=vendor,
            operation=_operation.get(),
            method=request.method,
            url=redact_url(request.url),
            attempt=attempt,
        )
        if self.on_request is not None:
            await self.on_request(info)
        return Probe(self, info, request_id)


class Probe:
    """One attempt being watched; ended with ``answered`` or ``failed``."""

    def __init__(
        self,
        watcher: Watcher,
        info: RequestInfo,
        request_id: Callable[[httpx.Response], str | None],
    ) -> None:
        self._watcher = watcher
        self._info = info
        self._request_id = request_id
        self._span: Any = None
        self._token: Any = None
        tracer = watcher.tracer
        if tracer is not None:
            self._open_span(tracer)
        self._started = time.perf_counter()

    def _open_span(self, tracer: Any) -> None:
        from opentelemetry import context, trace  # noqa: PLC0415 - present: a tracer exists

        info = self._info
        attributes: dict[str, str | int] = {
            "aiospaces.vendor": info.vendor,
            "aiospaces.attempt": info.attempt,
            "http.request.method": info.method,
            "url.full": info.url,
        }
        if info.operation is not None:
            attributes["aiospaces.operation"] = info.operation
        name = " ".join(part for part in (info.vendor, info.operation or info.method) if part)
        self._span = tracer.start_span(name, kind=trace.SpanKind.CLIENT, attributes=attributes)
        self._token = context.attach(trace.set_span_in_context(self._span))

    async def answered(self, response: httpx.Response) -> None:
        """Record an answer (any status).

        Raises:
            Exception: Whatever the response hook raised.
        """
        ended = ResponseInfo(
            self._info,
            response.status_code,
            time.perf_counter() - self._started,
            request_id=self._request_id(response),
        )
        await self._end(ended)

    async def failed(self, exc: BaseException, status_code: int | None) -> None:
        """Record a failed attempt (no answer, or its body cut off).

        A cancellation ends the span and the log line but calls no hook.

        Raises:
            Exception: Whatever the response hook raised.
        """
        ended = ResponseInfo(
            self._info,
            status_code,
            time.perf_counter() - self._started,
            error=type(exc).__name__,
        )
        if self._span is not None:
            self._span.record_exception(exc)
        await self._end(ended, call_hook=isinstance(exc, Exception))

    async def _end(self, ended: ResponseInfo, *, call_hook: bool = True) -> None:
        if self._span is not None:
            self._close_span(ended)
        if _logger.isEnabledFor(logging.DEBUG):
            _logger.debug("%s", describe(ended))
        hook = self._watcher.on_response
        if hook is not None and call_hook:
            await hook(ended)

    def _close_span(self, ended: ResponseInfo) -> None:
        from opentelemetry import context, trace  # noqa: PLC0415 - present: a span exists

        span = self._span
        if ended.status_code is not None:
            span.set_attribute("http.response.status_code", ended.status_code)
        if ended.request_id is not None:
            span.set_attribute("aiospaces.request_id", ended.request_id)
        if ended.error is not None or (ended.status_code or 0) >= 400:
            span.set_attribute("error.type", ended.error or str(ended.status_code))
            span.set_status(trace.StatusCode.ERROR)
        span.end()
        context.detach(self._token)


def describe(ended: ResponseInfo) -> str:
    """Return the debug line of an attempt (what ``aiospaces.http`` logs at DEBUG)."""
    info = ended.request
    who = " ".join(part for part in (info.vendor, info.operation) if part)
    outcome = str(ended.status_code) if ended.status_code is not None else "no answer"
    if ended.error is not None:
        outcome += f" ({ended.error})"
    line = (
        f"{who + ' ' if who else ''}{info.method} {info.url} -> {outcome} "
        f"attempt {info.attempt} in {ended.elapsed * 1000:.1f} ms"
    )
    if ended.request_id is not None:
        line += f" request-id {ended.request_id}"
    return line
