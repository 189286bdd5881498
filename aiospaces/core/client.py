"""The one request path every vendor client shares: send, retry, map errors, close.

[BaseClient.request][aiospaces.core.client.BaseClient.request] sends one
[RequestSpec][aiospaces.core.request.RequestSpec] with a call's
[CallOptions][aiospaces.core.request.CallOptions] and returns the
[Exchange][aiospaces.core.request.Exchange] (response and status);
[stream][aiospaces.core.client.BaseClient.stream] is the same with the body left unread.
Builders, multi-step calls (file uploads and downloads) and polling helpers are all plain
async code on top of these two.

Vendor clients subclass [BaseClient][aiospaces.core.client.BaseClient] and override a few
hooks: ``_encode_query`` (exact query encoding), ``_prepare`` (auth, signing; called for
every attempt), ``_error_info`` (the vendor's error body) and ``_error_class``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import quote

import attrs
import httpx

from aiospaces.core.attempts import Lost, Rules, send_with_retries, wrap_transport_error
from aiospaces.core.errors import (
    AmbiguousResultError,
    APIError,
    RateLimitError,
    error_class_for_status,
)
from aiospaces.core.request import CallOptions, Exchange, RequestSpec, Status
from aiospaces.core.session import Session
from aiospaces.core.transport import close_response, redact_url, register_secrets

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Sequence
    from types import TracebackType

    from aiospaces.core.observe import Probe

__all__ = ["BaseClient", "ErrorInfo"]

_logger = logging.getLogger("aiospaces")

_NO_OPTIONS = CallOptions()


@attrs.frozen
class ErrorInfo:
    """The vendor's description of an error, pulled out of a response body.

    Attributes:
        message: The human-readable message.
        error_type: The vendor's error type or code, if it sent one.
        details: Structured details (field errors, a stack trace), if any.
    """

    message: str
    error_type: str | None = None
    details: Any = None


class BaseClient:
    """Shared machinery of the vendor clients; one instance per vendor configuration.

    A client made from a [Session][aiospaces.core.session.Session] shares its connection pool;
    one made without a session owns a private one and should be used as an async context
    manager (or closed with [aclose][aiospaces.core.client.BaseClient.aclose]).

    Args:
        session: The Session whose pool to use (None: a private one).
        base_url: Where relative request paths go.
        max_retries: Retries per call (None: the session's default).
        timeout: Per-attempt timeout in seconds (None: the session's default).
    """

    vendor: ClassVar[str] = ""
    """Vendor name carried by the errors this client raises."""
    request_id_headers: ClassVar[Sequence[str]] = ("x-request-id", "request-id")
    """Response headers that may carry the server's request id, in order of preference."""
    secret_query_params: ClassVar[frozenset[str]] = frozenset()
    """Query parameters of this vendor whose values are masked in logs and errors."""
    secret_path_parents: ClassVar[frozenset[str]] = frozenset()
    """Path segments after which this vendor puts a secret (masked unless it is a number)."""
    not_applied_statuses: ClassVar[frozenset[int]] = frozenset({408, 429})
    """Error statuses that prove a request was not processed (so even a request that is not
    idempotent may be sent again); vendors add the ones they document."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        register_secrets(query=cls.secret_query_params, path_parents=cls.secret_path_parents)

    def __init__(
        self,
        session: Session | None = None,
        *,
        base_url: str,
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self._owns_session = session is None
        self._session = Session() if session is None else session
        self._base_url = base_url.rstrip("/")
        self._max_retries = max_retries
        self._timeout = timeout

    @property
    def session(self) -> Session:
        """The [Session][aiospaces.core.session.Session] whose pool this client uses."""
        return self._session

    async def aclose(self) -> None:
        """Close the client's private session; a shared session is left open."""
        if self._owns_session:
            await self._session.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._base_url}>"

    # -- the request path -----------------------------------------------------------------------

    async def request(self, spec: RequestSpec, options: CallOptions = _NO_OPTIONS) -> Exchange:
        """Send one request (with retries, auth and error mapping) and return its exchange.

        The body is read within the retried attempt, so a connection dropped mid-body is
        retried too; the returned response is closed.

        Retries follow the session's [RetryPolicy][aiospaces.core.retry.RetryPolicy] for an
        idempotent request (``spec.is_idempotent``). One that is not (creating something,
        publishing a message) is retried only after a failure that proves it was not
        processed: no connection made, no pool slot free in time, or an answer in
        ``not_applied_statuses`` (408, 429) or with ``x-should-retry: true``. After any other
        failure — the connection dropped after sending, a read timeout, a 5xx — it raises
        [AmbiguousResultError][aiospaces.core.errors.AmbiguousResultError] instead of risking
        a duplicate, unless the call's options say ``retry_ambiguous``.

        Raises:
            APIError: The final response had an error status (a subclass per status).
            TransportError: The request could not be completed after all retries.
            AmbiguousResultError: A request that is not idempotent failed in a way that
                leaves open whether the server applied it.
        """
        started = time.perf_counter()
        response, attempts = await self._send(spec, options, read_body=True)
        await close_response(response)
        return Exchange(response, self._status(response, attempts, started))

    @contextlib.asynccontextmanager
    async def stream(
        self, spec: RequestSpec, options: CallOptions = _NO_OPTIONS
    ) -> AsyncIterator[Exchange]:
        """Send one request and yield its exchange with the body unread; close it afterwards.

        A transport failure while the body is read inside the block is raised as a
        [TransportError][aiospaces.core.errors.TransportError].

        Raises:
            APIError: The final response had an error status (a subclass per status).
            TransportError: The request or the reading of its body failed.
        """
        started = time.perf_counter()
        response, attempts = await self._send(spec, options, read_body=False)
        try:
            yield Exchange(response, self._status(response, attempts, started))
        except httpx.TransportError as exc:  # the body broke off mid-way
            raise wrap_transport_error(exc, response.request) from exc
        finally:
            await close_response(response)

    async def _send(
        self, spec: RequestSpec, options: CallOptions, *, read_body: bool
    ) -> tuple[httpx.Response, int]:
        """Send with retries; return a successful response (unread unless ``read_body``).

        Raises:
            APIError: The final response had an error status (the response is closed).
            AmbiguousResultError: A request that is not idempotent may have been processed.
        """
        transport = self._session.transport  # raises SessionClosedError when closed
        if options.query or options.headers:
            spec = attrs.evolve(
                spec,
                query=[*spec.query, *options.query],
                headers={**spec.headers, **options.headers},
            )
        timeout = self._timeout if options.timeout is None else options.timeout
        retries = self._max_retries if options.max_retries is None else options.max_retries
        policy = self._session.retry_policy
        if retries is not None and retries != policy.max_retries:
            policy = attrs.evolve(policy, max_retries=retries)

        def make_request(attempt: int) -> httpx.Request:
            final = self._prepare(spec, attempt)
            url = final.path if final.absolute else self._base_url + final.path
            if final.query:
                url += "?" + self._encode_query(final.query)
            headers = dict(final.headers)
            content: bytes | AsyncIterable[bytes] | None
            if callable(final.body):
                if final.content_length is None:
                    raise TypeError("a streamed body needs content_length")
                headers["Content-Length"] = str(final.content_length)
                content = final.body()
            else:
                content = final.body
            return transport.build_request(
                final.method, url, headers=headers, content=content, timeout=timeout
            )

        rules = Rules(
            policy,
            safe=spec.is_idempotent or options.retry_ambiguous,
            not_applied=self.not_applied_statuses,
        )
        watcher = self._session.watcher
        watch = None
        if watcher.active():

            async def watch(request: httpx.Request, attempt: int) -> Probe:
                return await watcher.start(
                    request, attempt, vendor=self.vendor, request_id=self._request_id
                )

        try:
            response, attempts = await send_with_retries(
                transport,
                make_request,
                rules,
                read_body,
                follow_redirects=spec.follow_redirects,
                watch=watch,
            )
        except Lost as lost:
            raise self._ambiguous(spec, lost.known, lost.attempts) from lost.error
        if response.status_code >= 400:
            try:
                await response.aread()
            finally:
                await close_response(response)
            error = self._api_error(response, attempts)
            if rules.ambiguous_status(response):
                known = f"the answer was {response.status_code}, which does not say if it applied"
                raise self._ambiguous(spec, known, attempts) from error
            raise error
        return response, attempts

    def _ambiguous(self, spec: RequestSpec, known: str, attempts: int) -> AmbiguousResultError:
        where = spec.path if spec.absolute else self._base_url + spec.path
        return AmbiguousResultError(
            operation=f"{self.vendor + ' ' if self.vendor else ''}{spec.method} "
            f"{redact_url(where)}",
            known=known,
            check=spec.check or "read the resource back before sending the request again",
            attempts=attempts,
        )

    def _status(self, response: httpx.Response, attempts: int, started: float) -> Status:
        return Status(
            status_code=response.status_code,
            headers=response.headers,
            request_id=self._request_id(response),
            attempts=attempts,
            elapsed=time.perf_counter() - started,
        )

    # -- hooks ----------------------------------------------------------------------------------

    def _encode_query(self, query: Sequence[tuple[str, str]]) -> str:
        """Return the raw query string; the default percent-encodes all but ``A-Za-z0-9-_.~``."""

        def encoded(text: str) -> str:
            return quote(text, safe="")  # pragma: no mutate - "XXXX" is as safe: X is never quoted

        return "&".join(f"{encoded(k)}={encoded(v)}" for k, v in query)

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Return the spec to send for ``attempt`` (add auth, timestamps, signatures here)."""
        return spec

    def _error_info(self, response: httpx.Response, body: Any) -> ErrorInfo:
        """Return the vendor's error description; the default uses the text or the reason."""
        text = response.text.strip()
        return ErrorInfo(text[:300] if text else response.reason_phrase or "error")

    def _error_class(self, response: httpx.Response, info: ErrorInfo) -> type[APIError]:
        """Return the APIError subclass for an error answer (by status by default)."""
        return error_class_for_status(response.status_code)

    # -- errors ---------------------------------------------------------------------------------

    def _request_id(self, response: httpx.Response) -> str | None:
        headers = response.headers
        present = headers.keys()  # lower-cased, in one pass: most answers carry none of them
        for name in self.request_id_headers:
            if name.lower() in present:
                value = headers.get(name)
                if value:
                    return str(value)
        return None

    def _api_error(  # every caller passes attempts: the default is never used
        self,
        response: httpx.Response,
        attempts: int = 1,  # pragma: no mutate
    ) -> APIError:
        try:
            body: Any = json.loads(response.content)
        except ValueError:
            body = None
        info = self._error_info(response, body)
        kwargs: dict[str, Any] = {
            "status_code": response.status_code,
            "vendor": self.vendor,
            "error_type": info.error_type,
            "details": info.details,
            "request_id": self._request_id(response),
            "body": body if body is not None else response.text,
            "attempts": attempts,
        }
        cls = self._error_class(response, info)
        if issubclass(cls, RateLimitError):
            return cls(
                info.message,
                retry_after=self._session.retry_policy.retry_after(response.headers),
                **kwargs,
            )
        return cls(info.message, **kwargs)
