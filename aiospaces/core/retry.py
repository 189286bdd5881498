"""The retry policy: which failures are retried and how long to wait before the next attempt.

The loop that applies it is [BaseClient.request][aiospaces.core.client.BaseClient.request]'s.

What is retried: transport failures (connect/read/write errors, timeouts, a dropped
connection) and the statuses 408, 429 and 5xx — unless the server says
``x-should-retry: false`` (and ``x-should-retry: true`` makes any status retryable).

How long to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or an HTTP date), capped
at ``max_retry_after``; otherwise ``min(0.5 · 2ⁿ, 8)`` seconds minus up to 25 % jitter.
"""

from __future__ import annotations

import contextlib
import email.utils
import random
import time
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import httpx

__all__ = ["RetryPolicy"]


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
        # header names ignore case; whatever its default, a missing hint is not "true"/"false"
        raw = response.headers.get("x-should-retry", "")  # pragma: no mutate
        hint = raw.strip().lower()
        if hint == "true":
            return True
        if hint == "false":
            return False
        return self.retries_status(response.status_code)

    def retries_status(self, status_code: int) -> bool:
        """Return whether an answer with this status is retried (without a server hint)."""
        return status_code in self.retry_statuses or status_code >= 500

    def retry_after(self, headers: httpx.Headers) -> float | None:
        """Return the server's requested wait in seconds, uncapped, or None if it gave none.

        ``retry-after-ms`` wins over ``Retry-After``; the latter may be seconds or an HTTP
        date. Negative or unparseable values count as absent.
        """
        raw_ms = headers.get("retry-after-ms")  # pragma: no mutate - header names ignore case
        if raw_ms is not None:
            with contextlib.suppress(ValueError):
                value = float(raw_ms) / 1000
                if value >= 0:
                    return value
        raw = headers.get("retry-after")  # pragma: no mutate - header names ignore case
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
