"""Every emulator route, in both modes, survives the hostile sweep (in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from aiospaces.emulator import Emulator
from tests.reliability.hostile_requests import ROUTES, sweep


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://emu") as c:
        yield c


@pytest.mark.timeout(300)  # ~5,000 requests: 5 s alone, 15 s under coverage, more on a busy box
@pytest.mark.parametrize(
    "strict",
    [pytest.param(False, id="sandbox"), pytest.param(True, id="strict")],
)
async def test_hostile_sweep_finds_nothing(
    client: httpx.AsyncClient, emulator: Emulator, strict: bool
) -> None:
    emulator.strict = strict
    result = await sweep(client, emulator, strict=strict)
    assert result.requests > 5000
    assert result.server_errors == []
    assert result.dropped == []
    assert result.wrong_shape == []
    assert result.poisoned == []
    assert result.unauthenticated_through == []


def test_every_vendor_and_the_control_api_are_swept() -> None:
    vendors = {route.vendor for route in ROUTES}
    assert vendors == {"pubnub", "storage", "mux", "neuroio", "admin", "control"}
    prefixes = {route.path.split("/")[1] for route in ROUTES}
    assert prefixes == {
        "v2", "v1", "v3", "publish", "signal", "time", "_storage", "video", "api", "_emulator"
    }  # fmt: skip


async def test_a_sweep_refuses_the_wrong_mode(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    with pytest.raises(ValueError, match="strict mode"):
        await sweep(client, emulator, strict=True)
