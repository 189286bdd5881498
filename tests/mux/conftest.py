"""Fixtures of the Mux tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def sleeps(retry_waits: list[float]) -> list[float]:
    """Record the waits between attempts instead of waiting."""
    return retry_waits


@pytest.fixture(autouse=True)
def no_mux_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's MUX_* variables out of the tests."""
    for name in ("MUX_TOKEN_ID", "MUX_TOKEN_SECRET", "MUX_BASE_URL", "MUX_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
