"""The vocabulary of one HTTP exchange: what to send, per-call settings, and what came back.

A [RequestSpec][aiospaces.core.request.RequestSpec] describes a request before any I/O;
[CallOptions][aiospaces.core.request.CallOptions] carry a call's timeout, retries and extra
headers and query parameters; [BaseClient.request][aiospaces.core.client.BaseClient.request]
turns both into an [Exchange][aiospaces.core.request.Exchange]: the response and its
[Status][aiospaces.core.request.Status].
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import httpx

__all__ = ["BodyFactory", "CallOptions", "Exchange", "RequestSpec", "Status"]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

BodyFactory = Callable[[], AsyncIterable[bytes]]
"""A zero-argument callable returning a fresh body stream; called once per attempt."""


@attrs.frozen(kw_only=True)
class RequestSpec:
    """A vendor-neutral description of one HTTP request, built before any I/O.

    Attributes:
        method: HTTP method.
        path: Path relative to the client's base URL (or an absolute URL).
        query: Query parameters in wire order; values are plain (not yet encoded).
        headers: Request headers.
        body: Bytes, a [BodyFactory][aiospaces.core.request.BodyFactory] (rebuilt for each
            attempt), or None.
        content_length: Required with a factory: the exact length of the stream.
        follow_redirects: Let httpx follow redirects (at most the client's
            ``max_redirects``; 5 on a Session's own client).
        idempotent: Whether sending the request twice has the effect of sending it once.
            None (the default) goes by the method: GET, HEAD, OPTIONS, PUT and DELETE are,
            POST and PATCH are not. A request that is not is retried only after a failure
            that proves it was not processed (see
            [BaseClient.request][aiospaces.core.client.BaseClient.request]).
        check: For a request that is not idempotent: how a user can find out whether it
            took effect (shown by
            [AmbiguousResultError][aiospaces.core.errors.AmbiguousResultError]).
    """

    method: str
    path: str
    query: Sequence[tuple[str, str]] = ()
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes | BodyFactory | None = None
    content_length: int | None = None
    follow_redirects: bool = False
    idempotent: bool | None = None
    check: str | None = None

    @classmethod
    def with_json(
        cls,
        method: str,
        path: str,
        payload: object,
        *,
        query: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        check: str | None = None,
    ) -> RequestSpec:
        """Return a request whose body is ``payload`` as compact JSON (non-ASCII as UTF-8)."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        merged = {"Content-Type": "application/json", **(headers or {})}
        return cls(
            method=method,
            path=path,
            query=query,
            headers=merged,
            body=body,
            idempotent=idempotent,
            check=check,
        )

    @property
    def is_idempotent(self) -> bool:
        """Whether a retry is safe whatever happened to an earlier attempt."""
        if self.idempotent is not None:
            return self.idempotent
        return self.method.upper() in _IDEMPOTENT_METHODS

    @property
    def absolute(self) -> bool:
        """Whether ``path`` is a full URL (e.g. presigned storage), not under the base URL."""
        return "://" in self.path


@attrs.frozen
class CallOptions:
    """Per-call settings: what a builder's ``timeout()``, ``max_retries()`` and extras set.

    Attributes:
        timeout: The call's per-attempt timeout (None: the client's or session's default).
        max_retries: Retries of the call (None: the client's or session's default).
        headers: Extra request headers; they win over the SDK's own.
        query: Extra query parameters, appended to the SDK's own.
        retry_ambiguous: Retry a request that is not idempotent even after a failure that
            leaves open whether the server applied it (accepting a possible duplicate).
    """

    timeout: httpx.Timeout | float | None = None
    max_retries: int | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    query: Sequence[tuple[str, str]] = ()
    retry_ambiguous: bool = False

    def without_extras(self) -> CallOptions:
        """Return these options without the extra headers and query (for a third-party host)."""
        return attrs.evolve(self, headers={}, query=())


@attrs.frozen
class Status:
    """What the HTTP exchange looked like.

    Attributes:
        status_code: The final response's status code.
        headers: The final response's headers.
        request_id: The server's request id (``x-request-id`` and friends), if it sent one.
        attempts: How many requests the call sent (1 when no retry or redirect was needed).
        elapsed: Seconds from the first attempt to the complete response.
    """

    status_code: int
    headers: httpx.Headers
    request_id: str | None
    attempts: int
    elapsed: float


@attrs.frozen
class Exchange:
    """A successful response together with its [Status][aiospaces.core.request.Status].

    From [BaseClient.request][aiospaces.core.client.BaseClient.request] the body is read and
    the response closed; from [BaseClient.stream][aiospaces.core.client.BaseClient.stream] the
    body is still to be read, and the response closes when the ``async with`` block ends.

    Attributes:
        response: The httpx response (status < 400).
        status: Status code, headers, request id, attempts and elapsed time.
    """

    response: httpx.Response
    status: Status
