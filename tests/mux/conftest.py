"""Fixtures of the Mux tests."""

from __future__ import annotations

import pytest

from aiospaces.core import retry


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the waits between retry attempts instead of waiting."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(retry, "sleep", fake_sleep)
    return recorded


@pytest.fixture(autouse=True)
def no_mux_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's MUX_* variables out of the tests."""
    for name in ("MUX_TOKEN_ID", "MUX_TOKEN_SECRET", "MUX_BASE_URL", "MUX_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
