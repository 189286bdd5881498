"""Retry policy and the one retry loop every call goes through.

What is retried: transport failures (connect/read/write errors, timeouts, a dropped
connection) and the statuses 408, 429 and 5xx — unless the server says
``x-should-retry: false`` (and ``x-should-retry: true`` makes any status retryable).

How long to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or an HTTP date), capped
at ``max_retry_after``; otherwise ``min(0.5 · 2ⁿ, 8)`` seconds minus up to 25 % jitter.
"""

from __future__ import annotations

import builtins
import email.utils
import logging
import random
import time
from typing import TYPE_CHECKING

import anyio
import attrs
import httpx

from aiospaces.core.errors import TimeoutError, TransportError
from aiospaces.core.transport import close_response, redact_url

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiospaces.core.transport import Transport

__all__ = ["RetryPolicy", "send_with_retries", "wrap_transport_error"]

logger = logging.getLogger("aiospaces")

RETRYABLE_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""Transport failures worth another attempt (not our own protocol mistakes)."""


@attrs.frozen
class RetryPolicy:
    """When to retry a call and how long to wait before the next attempt.

    Attributes:
        max_retries: Retries after the first attempt (so ``2`` means up to 3 attempts).
        base_delay: First backoff delay in seconds; doubles per retry.
        max_delay: Upper bound of the exponential backoff.
        max_retry_after: Upper bound applied to a server's ``Retry-After``.
        jitter: Fraction of the backoff removed at random (0.25 gives 75 to 100 % of it).
        retry_statuses: Statuses retried besides every 5xx.
    """

    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25
    retry_statuses: frozenset[int] = frozenset({408, 429})

    def should_retry(self, response: httpx.Response) -> bool:
        """Return whether a response's status (or its ``x-should-retry``) asks for a retry."""
        hint = response.headers.get("x-should-retry", "").strip().lower()
        if hint == "true":
            return True
        if hint == "false":
            return False
        return response.status_code in self.retry_statuses or response.status_code >= 500

    def retry_after(self, headers: httpx.Headers) -> float | None:
        """Return the server's requested wait in seconds, uncapped, or None if it gave none.

        ``retry-after-ms`` wins over ``Retry-After``; the latter may be seconds or an HTTP
        date. Negative or unparseable values count as absent.
        """
        raw_ms = headers.get("retry-after-ms")
        if raw_ms is not None:
            try:
                value = float(raw_ms) / 1000
            except ValueError:
                value = -1.0
            if value >= 0:
                return value
        raw = headers.get("retry-after")
        if raw is None:
            return None
        try:
            seconds = float(raw)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                return None
            seconds = when.timestamp() - time.time()
            return max(seconds, 0.0)
        return seconds if seconds >= 0 else None

    def delay(self, retry: int, headers: httpx.Headers | None = None) -> float:
        """Return the seconds to wait before retry number ``retry`` (0-based)."""
        if headers is not None:
            requested = self.retry_after(headers)
            if requested is not None:
                return min(requested, self.max_retry_after)
        backoff = min(self.base_delay * 2.0**retry, self.max_delay)
        return backoff * (1.0 - self.jitter * random.random())  # noqa: S311 - jitter, not crypto


async def send_with_retries(
    transport: Transport,
    make_request: Callable[[int], httpx.Request],
    policy: RetryPolicy,
    *,
    read_body: bool = True,
) -> tuple[httpx.Response, int]:
    """Send a request, retrying per ``policy``; return the final response and the attempt count.

    ``make_request(attempt)`` is called for every attempt, so bodies (streams included) and
    signatures are rebuilt each time. Discarded responses are closed before sleeping. The
    returned response is open: the caller must close it. With ``read_body`` the body is read
    inside the attempt, so a connection dropped mid-body is retried too.

    Raises:
        TimeoutError: The last attempt timed out.
        TransportError: The last attempt failed to connect, send or receive.
    """
    attempt = 0
    while True:
        request = make_request(attempt)
        try:
            response = await transport.send(request)
            if read_body:
                try:
                    await response.aread()
                except BaseException:
                    await close_response(response)
                    raise
        except RETRYABLE_EXCEPTIONS as exc:
            if attempt >= policy.max_retries:
                raise wrap_transport_error(exc, request) from exc
            wait = policy.delay(attempt)
            logger.info(
                "retrying %s %s after %s (attempt %d, in %.2fs)",
                request.method, redact_url(request.url), type(exc).__name__, attempt + 1, wait,
            )  # fmt: skip
        except httpx.TransportError as exc:
            raise wrap_transport_error(exc, request) from exc
        else:
            if (
                response.status_code < 400
                or attempt >= policy.max_retries
                or not policy.should_retry(response)
            ):
                return response, attempt + 1
            wait = policy.delay(attempt, response.headers)
            await close_response(response)
            logger.info(
                "retrying %s %s after status %d (attempt %d, in %.2fs)",
                request.method, redact_url(request.url), response.status_code, attempt + 1, wait,
            )  # fmt: skip
        await sleep(wait)
        attempt += 1


async def sleep(seconds: float) -> None:
    """Wait between attempts (a module-level seam so tests can skip the waiting)."""
    await anyio.sleep(seconds)


def wrap_transport_error(exc: httpx.TransportError, request: httpx.Request) -> TransportError:
    """Return the aiospaces error for an httpx transport failure (secrets redacted).

    httpx-aiohttp reports every aiohttp connection failure (refused, server disconnected) as
    ``httpx.ConnectTimeout``; only a cause that really is a timeout becomes our TimeoutError.
    """
    where = f"{request.method} {redact_url(request.url)}"
    cause = exc.__cause__
    mislabelled = (
        cause is not None
        and type(cause).__module__.startswith("aiohttp")
        and not isinstance(cause, builtins.TimeoutError)
    )
    if mislabelled:
        return TransportError(f"{where} failed: {type(cause).__name__}: {cause}")
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(f"{where} timed out: {type(exc).__name__}")
    return TransportError(f"{where} failed: {type(exc).__name__}: {exc}")
