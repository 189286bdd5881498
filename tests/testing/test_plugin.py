"""The pytest plugin's fixtures and marker, used the way SDK users would."""

from __future__ import annotations

import httpx
import pytest

import aiospaces
from aiospaces.core import attempts as core_attempts
from aiospaces.emulator import Emulator, Fault
from tests.core.toy import ToyClient

PATH = "/v2/objects/sub-c-plugin/channels"


async def test_emulator_session_talks_to_the_emulator_in_process(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    toy = ToyClient(emulator_session, base_url="http://emulator")
    page = await toy.call(path=PATH)
    assert page == {"status": 200, "data": []}
    assert emulator_session.pool_stats() is None  # in-process: no sockets, no pool
    assert "sub-c-plugin" in emulator.vendors["pubnub"].snapshot()


@pytest.mark.emulator(faults=[Fault(path=PATH, status=503, times=1)], seed=1)
async def test_marker_installs_faults(
    emulator_session: aiospaces.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(core_attempts, "_sleep", no_sleep)
    toy = ToyClient(emulator_session, base_url="http://emulator")
    envelope = await toy.call(path=PATH).future()
    assert envelope.status.attempts == 2


@pytest.mark.emulator(strict=True)
def test_marker_sets_strict_mode(emulator: Emulator) -> None:
    assert emulator.strict


async def test_emulator_url_serves_on_loopback(emulator_url: str) -> None:
    assert emulator_url.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient() as client:
        response = await client.get(emulator_url + PATH)
    assert response.status_code == 200


@pytest.mark.emulator("positional")
def test_marker_rejects_positional_arguments(request: pytest.FixtureRequest) -> None:
    with pytest.raises(TypeError, match="keyword"):
        request.getfixturevalue("emulator")


@pytest.mark.anyio
async def test_an_anyio_marked_test_gets_a_working_session(
    emulator_session: aiospaces.Session,
) -> None:
    pn = emulator_session.pubnub(subscribe_key="sub-c-plugin", user_id="t", origin="e", ssl=False)
    assert (await pn.create_space(space_id="lobby", name="Lobby")).name == "Lobby"
