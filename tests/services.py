"""Whether a missing real service (redis-server, Chromium) fails the tests or skips them."""

from __future__ import annotations

import os

REQUIRE_SERVICES = "AIOSPACES_REQUIRE_SERVICES"
"""Set (to anything but empty or 0) where a missing service must fail the tests, not skip them."""


def services_required() -> bool:
    """Whether a missing service fails the tests (CI) rather than skipping them."""
    return os.environ.get(REQUIRE_SERVICES, "") not in ("", "0")
