"""The base of every vendor client: turns a builder into a request, sends it, maps errors.

Vendor clients subclass [BaseClient][aiospaces.core.client.BaseClient] and override a few
hooks: ``_encode_query`` (exact query encoding), ``_prepare`` (auth, signing; called for every
attempt) and ``_error_info`` (the vendor's error body).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar
from urllib.parse import quote

import attrs
import httpx

from aiospaces.core.builder import Envelope, RequestSpec, Status
from aiospaces.core.errors import APIError, RateLimitError, error_class_for_status
from aiospaces.core.retry import send_with_retries, wrap_transport_error
from aiospaces.core.transport import close_response

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Sequence
    from types import TracebackType

    from aiospaces.core.builder import Builder
    from aiospaces.core.session import Session

__all__ = ["BaseClient", "ErrorInfo", "parse_error_body"]

T = TypeVar("T")
B = TypeVar("B", bound="Builder[Any]")


@attrs.frozen
class ErrorInfo:
    """The vendor's description of an error, pulled out of a response body."""

    message: str
    error_type: str | None = None
    details: Any = None


_S3_CODE = re.compile(r"<Code>([^<]*)</Code>")
_S3_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def parse_error_body(body: Any, text: str) -> ErrorInfo | None:
    """Return the error described by a body in one of the vendors' common shapes, else None.

    Understands ``{"error": {"message"|"messages", "type"|"source", "details"}}`` (PubNub App
    Context, Mux), ``{"error": "text"}``, ``{"errors": [...]}`` (Mux 429),
    ``{"message": ..., "error_codes": [...], "fields": [...]}`` (NeuroIO),
    ``{"message": {"text": ...}}`` and ``{"error_code": ...}`` (PubNub Admin), and S3's XML.
    """
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            messages = error.get("messages")
            message = error.get("message") or (
                "; ".join(map(str, messages)) if isinstance(messages, list) else None
            )
            kind = error.get("type") or error.get("source")
            return ErrorInfo(str(message or kind or "error"), _str(kind), error.get("details"))
        message = body.get("message")
        if isinstance(message, dict):
            message = message.get("text")
        if isinstance(error, str) and not message:
            message = error
        errors = body.get("errors")
        if not message and isinstance(errors, list) and errors:
            message = "; ".join(map(str, errors))
        codes = body.get("error_codes")
        kind = body.get("error_code") or (
            ",".join(map(str, codes)) if isinstance(codes, list) and codes else None
        )
        if message or kind:
            return ErrorInfo(str(message or kind), _str(kind), body.get("fields") or None)
        return None
    code = _S3_CODE.search(text)
    if code:
        found = _S3_MESSAGE.search(text)
        return ErrorInfo(found.group(1) if found else code.group(1), code.group(1))
    return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


class BaseClient:
    """Shared machinery of the vendor clients; one instance per vendor configuration.

    A client made from a [Session][aiospaces.core.session.Session] shares its connection pool;
    one made without a session owns a private one and should be used as an async context
    manager (or closed with [aclose][aiospaces.core.client.BaseClient.aclose]).
    """

    vendor: ClassVar[str] = ""
    """Vendor name carried by the errors this client raises."""
    request_id_headers: ClassVar[Sequence[str]] = ("x-request-id", "request-id", "x-amz-request-id")
    """Response headers that may carry the server's request id, in order of preference."""

    def __init__(
        self,
        session: Session | None = None,
        *,
        base_url: str,
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> None:
        if session is None:
            from aiospaces.core.session import Session  # noqa: PLC0415 - avoid an import cycle

            session = Session()
            self._owns_session = True
        else:
            self._owns_session = False
        self._session = session
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

    def _new(self, cls: type[B], kwargs: dict[str, Any]) -> B:
        """Return a ``cls`` builder with ``kwargs`` as setters and the client's default timeout."""
        builder = cls(self, **kwargs)
        if self._timeout is not None and "timeout" not in kwargs:
            builder.timeout(self._timeout)
        return builder

    # -- hooks --------------------------------------------------------------------------------

    def _encode_query(self, query: Sequence[tuple[str, str]]) -> str:
        """Return the raw query string; the default percent-encodes all but ``A-Za-z0-9-_.~``."""
        return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Return the spec to send for ``attempt`` (add auth, timestamps, signatures here)."""
        return spec

    def _error_info(self, response: httpx.Response, body: Any) -> ErrorInfo:
        """Return the vendor's error description for an error response."""
        found = parse_error_body(body, response.text if body is None else "")
        if found is not None:
            return found
        text = response.text.strip()
        return ErrorInfo(text[:300] if text else response.reason_phrase or "error")

    # -- execution ----------------------------------------------------------------------------

    async def _execute(self, builder: Builder[T]) -> Envelope[T]:
        started = time.perf_counter()
        response, attempts = await self._send(builder)
        try:
            try:
                result = await builder._parse(response)
            except httpx.TransportError as exc:  # a streamed body broke off mid-way
                raise wrap_transport_error(exc, response.request) from exc
        finally:
            await close_response(response)
        return Envelope(result, self._status(response, attempts, time.perf_counter() - started))

    def _status(self, response: httpx.Response, attempts: int, elapsed: float) -> Status:
        """Describe a finished exchange (for an Envelope)."""
        return Status(
            status_code=response.status_code,
            headers=response.headers,
            request_id=self._request_id(response),
            attempts=attempts,
            elapsed=elapsed,
        )

    @contextlib.asynccontextmanager
    async def _open(self, builder: Builder[Any]) -> AsyncIterator[tuple[httpx.Response, int]]:
        """Send the builder's request; yield (the successful response unread, attempts); close."""
        response, attempts = await self._send(builder)
        try:
            yield response, attempts
        finally:
            await close_response(response)

    async def _send(self, builder: Builder[Any]) -> tuple[httpx.Response, int]:
        """Send with retries; return a successful response (unread if streamed) and attempts.

        Raises:
            APIError: The final response had an error status (the response is closed).
        """
        spec = builder._build()
        options = builder._options
        transport = self._session.transport  # raises SessionClosedError when closed
        if options.query or options.headers:
            spec = attrs.evolve(
                spec,
                query=[*spec.query, *options.query],
                headers={**spec.headers, **options.headers},
            )
        retries = options.max_retries
        if retries is None:
            retries = self._max_retries
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
                final.method, url, headers=headers, content=content, timeout=options.timeout
            )

        response, attempts = await send_with_retries(
            transport, make_request, policy, read_body=not spec.stream
        )
        if response.status_code >= 400:
            try:
                await response.aread()
            finally:
                await close_response(response)
            raise self._api_error(response)
        return response, attempts

    def _request_id(self, response: httpx.Response) -> str | None:
        for name in self.request_id_headers:
            value = response.headers.get(name)
            if value:
                return str(value)
        return None

    def _api_error(self, response: httpx.Response) -> APIError:
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
        }
        cls = error_class_for_status(response.status_code, info.error_type)
        if issubclass(cls, RateLimitError):
            return cls(
                info.message,
                retry_after=self._session.retry_policy.retry_after(response.headers),
                **kwargs,
            )
        return cls(info.message, **kwargs)
