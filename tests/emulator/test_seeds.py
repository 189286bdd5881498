"""Seeds of the wrong shape are refused with a reason, and nothing of them is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from aiospaces.emulator import Emulator


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


BAD_SEEDS: list[tuple[str, object, str]] = [
    ("pubnub", {}, "missing fields: subscribe_key"),
    ("pubnub", {"subscribe_key": 5}, "subscribe_key must be a non-empty string"),
    ("pubnub", {"subscribe_key": ""}, "subscribe_key must be a non-empty string"),
    ("pubnub", {"subscribe_key": "s", "secret_key": 5}, "secret_key must be a string"),
    ("pubnub", {"subscribe_key": "s", "auth_keys": "abc"}, "auth_keys must be a list"),
    ("pubnub", {"subscribe_key": "s", "auth_keys": [1, {}]}, "auth_keys must be a list"),
    ("pubnub", {"subscribe_key": "s", "colour": "red"}, "unknown fields: 'colour'"),
    ("pubnub", [], "must be a JSON object"),
    ("mux", {"token_id": "t"}, "missing fields: token_secret"),
    ("mux", {"token_id": "t", "token_secret": "s", "environment": {}}, "environment must be"),
    ("mux", {"token_id": "t", "token_secret": "s", "webhook_secret": 5}, "webhook_secret"),
    ("neuroio", {"username": "u", "tokens": "abc"}, "tokens must be a list"),
    ("neuroio", {"username": "u", "tokens": ["a", "a"]}, "token keys must be new"),
    ("neuroio", {"username": "u", "spaces": [{"x": 1}]}, "spaces must be a list"),
    ("neuroio", {"username": "u", "password": 5}, "password must be a string"),
    ("pubnub_admin", {"email": "e", "password": "p", "apps": "x"}, "apps must be a list"),
    ("pubnub_admin", {"email": "e", "password": "p", "apps": [5]}, "must be an object"),
    ("pubnub_admin", {"email": "e", "password": "p", "apps": [{"name": "a", "keys": "k"}]},
     "keys must be a list"),
    ("pubnub_admin", {"email": "e", "password": "p", "apps": [{"name": {"x": 1}}]},
     "name must be a non-empty string"),
    ("pubnub_admin", {"email": "e", "password": "p", "apps": [{"name": "a", "x": 1}]},
     "unknown fields: 'x'"),
]  # fmt: skip


@pytest.mark.parametrize(("vendor", "payload", "reason"), BAD_SEEDS)
async def test_bad_seeds_are_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, vendor: str, payload: object, reason: str
) -> None:
    before = (await client.get("/_emulator/state")).json()
    response = await client.post(f"/_emulator/{vendor}/seed", json=payload)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert (await client.get("/_emulator/state")).json() == before


async def test_a_neuroio_seed_reusing_a_key_keeps_nothing(client: httpx.AsyncClient) -> None:
    seed = {"username": "first", "tokens": ["k1"]}
    assert (await client.post("/_emulator/neuroio/seed", json=seed)).status_code == 201
    before = (await client.get("/_emulator/state")).json()
    again = {"username": "second", "tokens": ["k2", "k1"], "spaces": ["s"]}
    response = await client.post("/_emulator/neuroio/seed", json=again)
    assert response.status_code == 400
    assert (await client.get("/_emulator/state")).json() == before


async def test_good_seeds_still_work_in_strict_mode(emulator: Emulator) -> None:
    emulator.strict = True
    seeds = {
        "pubnub": {"subscribe_key": "s", "publish_key": "p", "secret_key": "", "auth_keys": None},
        "mux": {"token_id": "t", "token_secret": "s", "environment": None},
        "neuroio": {"username": "u", "password": None, "tokens": ["k"], "spaces": ["a"]},
        "pubnub_admin": {"email": "e", "password": "", "apps": [{"name": "a"}]},
    }
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        for vendor, seed in seeds.items():
            assert (await c.post(f"/_emulator/{vendor}/seed", json=seed)).status_code == 201
        assert (await c.get("/v2/objects/s/channels")).status_code == 200
        assert (await c.get("/video/v1/spaces", auth=("t", "s"))).status_code == 200
        assert (await c.get("/v1/whoami/", headers={"Authorization": "Token k"})).is_success
