"""Which fault rules act on a request: the first that fires (default), or all that fire."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from aiospaces.emulator import Emulator, Fault

PATH = "/v2/objects/sub-c-mode/channels"


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


def mode(emulator: Emulator) -> str:
    return emulator.faults.mode


def fired(emulator: Emulator) -> list[int]:
    return [rule.fired for rule in emulator.faults.rules]


async def test_first_mode_stops_at_the_first_rule_even_a_delay(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(path=PATH, delay=0.01))
    emulator.faults.add(Fault(path=PATH, status=503))
    assert (await client.get(PATH)).status_code == 200  # the delay acted, alone
    assert fired(emulator) == [1, 0]


@pytest.mark.emulator(fault_mode="all")
async def test_all_mode_adds_the_delays_and_the_first_outcome_decides(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    for rule in (
        Fault(path=PATH, delay=0.1),
        Fault(path="/v1/*", delay=5),  # does not match
        Fault(path=PATH, delay=0.1, times=1),
        Fault(path=PATH, status=503, delay=0.1),
        Fault(path=PATH, status=429),  # after the deciding rule: not tried
    ):
        emulator.faults.add(rule)
    started = time.monotonic()
    assert (await client.get(PATH)).status_code == 503
    assert time.monotonic() - started >= 0.3  # 0.1 + 0.1 + the 503's own 0.1
    assert fired(emulator) == [1, 0, 1, 1, 0]
    assert (await client.get(PATH)).status_code == 503  # the times=1 rule is spent
    assert fired(emulator) == [2, 0, 1, 2, 0]


@pytest.mark.emulator(fault_mode="all")
async def test_all_mode_with_only_delays_calls_the_app(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(path=PATH, delay=0.05))
    emulator.faults.add(Fault(path=PATH, delay=0.05, probability=0.0))  # never fires
    emulator.faults.add(Fault(method="GET", path="/v2/*", delay=0.05))
    response = await client.get(PATH)
    assert response.json() == {"status": 200, "data": []}
    assert fired(emulator) == [1, 0, 1]


@pytest.mark.emulator(fault_mode="all")
async def test_all_mode_delays_then_loses_the_answer(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="PATCH", delay=0.05))
    emulator.faults.add(Fault(method="PATCH", lose_answer="502"))
    answer = await client.patch(f"{PATH}/kept", json={"name": "kept"})
    assert answer.status_code == 502
    assert (await client.get(f"{PATH}/kept")).json()["data"]["name"] == "kept"  # processed
    assert fired(emulator) == [1, 1]


async def test_the_mode_is_set_through_the_control_api(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    assert emulator.faults.mode == "first"  # the default
    answer = await client.post("/_emulator/faults/mode", json={"mode": "all"})
    assert (answer.status_code, answer.json()) == (200, {"mode": "all"})
    assert mode(emulator) == "all"
    for body in ({"mode": "some"}, {"mode": "all", "extra": 1}, {}, {"mode": None}):
        refused = await client.post("/_emulator/faults/mode", json=body)
        assert refused.status_code == 400
        assert "mode" in refused.json()["error"]
    assert mode(emulator) == "all"
    with pytest.raises(ValueError, match="mode must be one of first, all"):
        setattr(emulator.faults, "mode", "sometimes")  # noqa: B010 - a value mypy refuses
