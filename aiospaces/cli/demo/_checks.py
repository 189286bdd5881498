"""The demo's one way to fail: a check that raises DemoError naming the part and the promise."""

from __future__ import annotations


class DemoError(AssertionError):
    """A demo check failed: the emulated API did not keep one of its promises."""


def check(condition: bool, what: str, *, part: str) -> None:
    """Raise DemoError (``"{part} demo failed: {what}"``) unless ``condition`` holds."""
    if not condition:
        raise DemoError(f"{part} demo failed: {what}")
