"""The retry loop: send attempts, and decide after each failure whether to send another.

[send_with_retries][aiospaces.core.attempts.send_with_retries] applies a
[RetryPolicy][aiospaces.core.retry.RetryPolicy] (what is retried, how long to wait) together
with what the request is: an idempotent request is retried after any transport failure or
retryable status; one that is not (creating, publishing) only after a failure that proves it
was not processed (see [Rules][aiospaces.core.attempts.Rules]); after any other failure it
raises [Lost][aiospaces.core.attempts.Lost], which the client turns into an
[AmbiguousResultError][aiospaces.core.errors.AmbiguousResultError].
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio
import attrs
import httpx

from aiospaces.core.errors import APIError, TimeoutError, TransportError
from aiospaces.core.transport import close_response, redact_url

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiospaces.core.retry import RetryPolicy
    from aiospaces.core.transport import Transport

__all__ = [
    "NOT_SENT",
    "PLAIN_HTTP_HINT",
    "RETRYABLE",
    "Lost",
    "Rules",
    "plain_http_answered_tls",
    "proven_unapplied",
    "send_with_retries",
    "wrap_transport_error",
]

_logger = logging.getLogger("aiospaces")

PLAIN_HTTP_HINT = "the server speaks plain HTTP: use ssl=False or an http:// origin"
"""Added to the error of an https request that a plain-HTTP server answered."""
_PLAIN_HTTP_SIGNS = (
    "wrong_version_number",  # OpenSSL 1.1-3.1: the "TLS record" was an HTTP status line
    "wrong version number",
    "record_layer_failure",  # OpenSSL 3.2+
    "record layer failure",
    "packet_length_too_long",
    "packet length too long",
    "unknown protocol",  # LibreSSL
)

RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""Transport failures worth another attempt (not our own protocol mistakes)."""


@attrs.frozen
class Rules:
    """What may be retried: the policy, and whether the request is safe to send again.

    Attributes:
        policy: The retry policy (how many retries, which statuses, the waits).
        safe: The request is idempotent, or the caller accepts duplicates.
        not_applied: Error statuses that prove the request was not processed.
    """

    policy: RetryPolicy
    safe: bool  # idempotent, or the caller accepts duplicates
    not_applied: frozenset[int]  # statuses that prove the request was not processed

    def retry_status(self, response: httpx.Response) -> bool:
        """Whether an error answer may be followed by another attempt."""
        if not self.policy.should_retry(response):
            return False
        return self.safe or proven_unapplied(response, self.not_applied)

    def ambiguous_status(self, response: httpx.Response) -> bool:
        """Whether an error answer leaves open if a request that is not safe was applied."""
        if self.safe or not self.policy.should_retry(response):
            return False
        return not proven_unapplied(response, self.not_applied)


def proven_unapplied(response: httpx.Response, not_applied: frozenset[int]) -> bool:
    """Whether an error answer proves the request was not processed (or invites a retry)."""
    # header names ignore case; whatever its default, a missing hint is not "true"
    raw = response.headers.get("x-should-retry", "")  # pragma: no mutate
    hint = raw.strip().lower()
    return hint == "true" or response.status_code in not_applied


class Lost(Exception):
    """A request that is not safe to repeat was sent and its answer lost."""

    def __init__(self, known: str, attempts: int, error: TransportError) -> None:
        super().__init__(known)  # pragma: no mutate - internal: only .known is ever read
        self.known = known
        self.attempts = attempts
        self.error = error


NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures before the request left: nothing can have been processed."""


async def send_with_retries(
    transport: Transport,
    make_request: Callable[[int], httpx.Request],
    rules: Rules,
    read_body: bool,
    *,
    follow_redirects: bool,
) -> tuple[httpx.Response, int]:
    """Send a request, retrying per ``rules``; return the final response and requests sent.

    ``make_request(attempt)`` is called for every attempt, so bodies (streams included) and
    signatures are rebuilt each time. Discarded responses are closed before sleeping. The
    returned response is open: the caller must close it. With ``read_body`` the body is read
    inside the attempt, so a connection dropped mid-body is retried too. A request that is
    not safe to repeat is retried only after failures that prove it was not processed;
    after any other transport failure ``Lost`` is raised.
    """
    policy = rules.policy
    attempt = 0
    sent = 0
    while True:
        request = make_request(attempt)
        status: int | None = None
        try:
            response = await transport.send(request, follow_redirects=follow_redirects)
            sent += 1 + len(response.history)
            status = response.status_code
            if read_body:
                try:
                    await response.aread()
                except BaseException:
                    await close_response(response)
                    raise
        except RETRYABLE as exc:
            if status is None:
                sent += 1
            if not rules.safe and not isinstance(exc, NOT_SENT):
                known = (
                    f"the server answered {status} but the body was cut off ({type(exc).__name__})"
                    if status is not None
                    else f"the request was sent and no answer came ({type(exc).__name__})"
                )
                raise Lost(known, sent, wrap_transport_error(exc, request, sent)) from exc
            if attempt >= policy.max_retries or plain_http_answered_tls(exc, request):
                raise wrap_transport_error(exc, request, sent) from exc
            wait = policy.delay(attempt)
            _logger.info(
                "retrying %s %s after %s (attempt %d, in %.2fs)",
                request.method, redact_url(request.url), type(exc).__name__, attempt + 1, wait,
            )  # fmt: skip
        except httpx.TooManyRedirects as exc:
            raise APIError(
                f"{request.method} {redact_url(request.url)} was redirected more than "
                f"{transport.client.max_redirects} times",
                status_code=0,
            ) from exc
        except httpx.TransportError as exc:
            raise wrap_transport_error(exc, request, sent + 1) from exc
        else:
            if (
                response.status_code < 400
                or attempt >= policy.max_retries
                or not rules.retry_status(response)
            ):
                return response, sent
            wait = policy.delay(attempt, response.headers)
            await close_response(response)
            _logger.info(
                "retrying %s %s after status %d (attempt %d, in %.2fs)",
                request.method, redact_url(request.url), response.status_code, attempt + 1, wait,
            )  # fmt: skip
        await _sleep(wait)
        attempt += 1


async def _sleep(seconds: float) -> None:
    """Wait between attempts (a seam tests patch to skip the waiting)."""
    await anyio.sleep(seconds)


def plain_http_answered_tls(exc: BaseException, request: httpx.Request) -> bool:
    """Return whether an https request failed because the server answered in plain HTTP.

    The TLS handshake then reads an HTTP status line as a TLS record: OpenSSL reports
    ``[SSL: WRONG_VERSION_NUMBER]`` (``RECORD_LAYER_FAILURE`` from 3.2 on). Both backends
    carry that text in the connection error (aiohttp's through
    [map_aiohttp_error][aiospaces.core.aiohttp_errors.map_aiohttp_error]). Not worth a retry.
    """
    if request.url.scheme != "https" or not isinstance(exc, httpx.ConnectError):
        return False
    text = str(exc).lower()
    return any(sign in text for sign in _PLAIN_HTTP_SIGNS)


def wrap_transport_error(
    exc: httpx.TransportError, request: httpx.Request, attempts: int = 1
) -> TransportError:
    """Return the aiospaces error for an httpx transport failure (secrets redacted)."""
    where = f"{request.method} {redact_url(request.url)}"
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(f"{where} timed out{tries}: {type(exc).__name__}", attempts=attempts)
    hint = f" ({PLAIN_HTTP_HINT})" if plain_http_answered_tls(exc, request) else ""
    return TransportError(
        f"{where} failed{tries}: {type(exc).__name__}: {exc}{hint}", attempts=attempts
    )
