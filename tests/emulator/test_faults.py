"""Fault injection and the control API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import aiospaces
from aiospaces.core import attempts as core_attempts
from aiospaces.emulator import Emulator, Fault

PATH = "/v2/objects/sub-c-f/channels"


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


async def test_status_fault_fires_n_times_with_headers(client: httpx.AsyncClient) -> None:
    added = await client.post(
        "/_emulator/faults",
        json={"method": "GET", "path": "/v2/objects/*", "status": 503, "times": 2,
              "headers": {"Retry-After": "1"}, "body": {"error": "busy"}},
    )  # fmt: skip
    assert added.status_code == 201
    statuses = [(await client.get(PATH)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    rules = (await client.get("/_emulator/faults")).json()
    assert rules[0]["fired"] == 2
    first = await client.post("/_emulator/faults", json={"status": 500})
    assert first.status_code == 201
    assert (await client.get("/_emulator/state")).status_code == 200  # control is never faulted
    await client.delete("/_emulator/faults")
    assert (await client.get(PATH)).status_code == 200


async def test_method_mismatch_passes_through(client: httpx.AsyncClient) -> None:
    await client.post("/_emulator/faults", json={"method": "DELETE", "status": 500})
    assert (await client.get(PATH)).status_code == 200


BAD_RULES: list[tuple[dict[str, object], str]] = [
    ({"status": 500, "colour": "red"}, "unknown fault fields"),
    ({"path": 5}, "path must be a string"),
    ({"path": None}, "path must be a string"),
    ({"method": 5}, "method must be a string"),
    ({"method": "G T"}, "method must be an HTTP method"),
    ({"status": "500"}, "status must be an integer"),
    ({"status": True}, "status must be an integer"),
    ({"status": 99}, "status must be from 100 to 599"),
    ({"status": 600}, "status must be from 100 to 599"),
    ({"delay": -1}, "delay must be from 0"),
    ({"delay": 3601}, "delay must be from 0 to 3600"),
    ({"delay": "1"}, "delay must be a number"),
    ({"times": -1}, "times must be from 0"),
    ({"times": 1.5}, "times must be an integer"),
    ({"probability": 2}, "probability must be from 0 to 1"),
    ({"probability": "0.5"}, "probability must be a number"),
    ({"drop": "yes"}, "drop"),
    ({"headers": "x"}, "headers must be a dict"),
    ({"headers": {"X": 5}}, "headers must map strings to strings"),
    ({"headers": {"X-A": "a\r\nb"}}, "cannot be sent"),
    ({"headers": {"Content-Length": "5"}}, "set by the fault itself"),
    ({"lose_answer": "bogus"}, "lose_answer must be one of drop, 502, late"),
    ({"lose_answer": "late"}, "needs a delay"),
    ({"lose_answer": "502", "status": 500}, "no status, body or drop"),
    ({"lose_answer": "drop", "drop": True}, "no status, body or drop"),
    ({"fired": 3}, "unknown fault fields"),
]


@pytest.mark.parametrize(("payload", "reason"), BAD_RULES)
async def test_bad_fault_rules_are_rejected_with_a_reason(
    client: httpx.AsyncClient, payload: dict[str, object], reason: str
) -> None:
    response = await client.post("/_emulator/faults", json=payload)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert (await client.get("/_emulator/faults")).json() == []
    assert (await client.get(PATH)).status_code == 200  # nothing half-added breaks requests


@pytest.mark.parametrize(("payload", "reason"), [p for p in BAD_RULES if "fields" not in p[1]])
def test_the_python_api_refuses_the_same_rules(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises((TypeError, ValueError), match=re.escape(reason)):
        Fault(**payload)


def test_a_rule_stays_valid_when_changed() -> None:
    rule = Fault(status=503)
    with pytest.raises(ValueError, match="status"):
        rule.status = 700
    with pytest.raises(ValueError, match="body"):
        Fault(body=float("nan"))
    with pytest.raises(ValueError, match="body"):
        Fault(body="\ud800")


async def test_only_the_first_rule_that_fires_acts(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(path=PATH, status=503, times=1))
    emulator.faults.add(Fault(path=PATH, status=429))
    statuses = [(await client.get(PATH)).status_code for _ in range(3)]
    assert statuses == [503, 429, 429]
    assert [rule.fired for rule in emulator.faults.rules] == [1, 2]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [({"seed": "x"}, "seed must be"), ({"seed": True}, "seed must be"), ({"x": 1}, "unknown")],
)
async def test_bad_fault_seeds_are_rejected(
    client: httpx.AsyncClient, payload: dict[str, object], reason: str
) -> None:
    response = await client.post("/_emulator/faults/seed", json=payload)
    assert response.status_code == 400
    assert reason in response.json()["error"]


async def test_probabilistic_faults_repeat_with_the_same_seed() -> None:
    def run(seed: int) -> list[bool]:
        emulator = Emulator(seed=seed, faults=[Fault(status=500, probability=0.5)])
        return [bool(emulator.faults._fire("GET", PATH)) for _ in range(40)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert 5 < sum(run(7)) < 35


async def test_reseeding_through_the_control_api(client: httpx.AsyncClient) -> None:
    await client.post("/_emulator/faults", json={"status": 500, "probability": 0.5})

    async def sample() -> list[int]:
        await client.post("/_emulator/faults/seed", json={"seed": 3})
        return [(await client.get(PATH)).status_code for _ in range(20)]

    assert await sample() == await sample()


async def test_dropped_connection_in_process_is_a_protocol_error(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(path=PATH, drop=True, times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(PATH)
    assert (await client.get(PATH)).status_code == 200


async def test_dropped_connection_on_a_real_socket(emulator_url: str, emulator: Emulator) -> None:
    emulator.faults.add(Fault(path=PATH, drop=True, times=1))
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(PATH)
        assert (await client.get(PATH)).status_code == 200


async def test_sdk_retries_through_emulator_faults(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(core_attempts, "_sleep", no_sleep)
    emulator.faults.add(Fault(path=PATH, status=429, headers={"Retry-After": "2"}, times=1))
    emulator.faults.add(Fault(path=PATH, drop=True, times=1))
    from tests.core.toy import ToyClient

    async with aiospaces.Session(transport=emulator.transport()) as session:
        toy = ToyClient(session, base_url="http://emu")
        envelope = await toy.call(path=PATH).future()
    assert envelope.status.attempts == 3
    assert waits[0] == 2.0
    assert envelope.result["status"] == 200


async def test_reset_and_state(client: httpx.AsyncClient) -> None:
    await client.patch(f"{PATH}/x", json={"name": "X"})
    state = (await client.get("/_emulator/state")).json()
    assert state["pubnub"]["sub-c-f"]["channels"][0]["id"] == "x"
    await client.post("/_emulator/faults", json={"status": 500, "path": "/nothing"})
    assert (await client.post("/_emulator/reset")).json() == {"reset": True}
    after = (await client.get("/_emulator/state")).json()
    assert after["pubnub"] == {}
    assert {"pubnub", "mux", "neuroio", "pubnub_admin"} <= after.keys()
    assert (await client.get("/_emulator/faults")).json() == []


async def test_seed_errors(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_emulator/no-such-vendor/seed", json={})).status_code == 404
    assert (await client.post("/_emulator/pubnub/seed", json={})).status_code == 400
    assert (await client.post("/_emulator/pubnub/seed", content=b"[")).status_code == 400
    assert (await client.post("/_emulator/pubnub/seed", content=b"[1]")).status_code == 400
