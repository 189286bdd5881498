"""Waiting for a server-side state: the one polling loop behind every ``wait`` helper.

```python
space = await poll_until(
    lambda: mux.get_space(space_id).result(),
    lambda space: space.status == "active",
    timeout=30.0,
    expired=lambda last, waited: TimeoutError(f"not active after {waited:.1f} s"),
)
```
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

import anyio

from aiospaces.core import validate

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["poll_until"]

T = TypeVar("T")


async def poll_until(
    fetch: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    timeout: float,  # noqa: ASYNC109 - a deadline for the whole wait, not for one call
    expired: Callable[[T | None, float], BaseException],
    interval: float = 0.1,
    max_interval: float = 2.0,
) -> T:
    """Call ``fetch`` until ``done`` accepts what it returned; return that value.

    Between calls it pauses ``interval`` seconds, doubling up to ``max_interval``. The whole
    wait, requests included, is bounded by ``timeout``: when it runs out (or the pauses add up
    to it), the error ``expired(last value or None, seconds waited)`` is raised. ``done`` may
    raise to end the wait early; errors of ``fetch`` end it too.

    Raises:
        ValidationError: ``timeout``, ``interval`` or ``max_interval`` is not positive.
    """
    validate.timeout(timeout)
    validate.timeout(interval, "interval")
    validate.timeout(max_interval, "max_interval")
    started = time.monotonic()
    slept = 0.0
    pause = interval
    last: T | None = None
    with anyio.move_on_after(timeout):
        while True:
            last = await fetch()
            if done(last):
                return last
            waited = max(time.monotonic() - started, slept)
            if waited >= timeout:
                break
            delay = min(pause, timeout - waited)
            await _sleep(delay)
            slept += delay
            pause = min(pause * 2, max_interval)
    raise expired(last, max(time.monotonic() - started, slept))


async def _sleep(seconds: float) -> None:
    """Pause between polls (a seam tests patch to skip the waiting)."""
    await anyio.sleep(seconds)
