"""The pytest plugin's fixtures and marker, used the way SDK users would."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

import aiospaces
from aiospaces.core import attempts as core_attempts
from aiospaces.emulator import Emulator, Fault, StateFileError
from aiospaces.testing import plugin
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


@pytest.mark.emulator(request_log_size=10)
async def test_emulator_requests_shows_what_the_test_sent(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    pn = emulator_session.pubnub(subscribe_key="sub-c-log", publish_key="pub-c-log", user_id="u")
    await pn.send_file(channel="album", file_name="a.txt", file_object=b"x" * 5000)
    [upload] = emulator.requests.select(vendor="storage", method="POST")
    assert upload.status == 204
    assert upload.bytes_in > 5_000
    assert emulator.requests.select(status="5xx") == []
    [announced] = emulator.requests.select(path="/v1/files/publish-file/*")
    assert announced.vendor == "pubnub"
    assert [r.vendor for r in emulator.requests] == ["pubnub", "storage", "pubnub"]
    assert emulator.requests.size == 10


def test_the_emulator_fixture_closes_its_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    kept = Emulator(state_path=state)  # holds the file: another emulator is refused
    with pytest.raises(StateFileError, match="in use"):
        Emulator(state_path=state)
    kept.close()
    fixture = plugin.emulator.__wrapped__  # type: ignore[attr-defined]
    marker = pytest.mark.emulator(state_path=state).mark
    request = SimpleNamespace(node=SimpleNamespace(get_closest_marker=lambda name: marker))
    made = fixture(request)
    used = next(made)
    assert used.durable is not None
    with pytest.raises(StopIteration):
        next(made)  # the test is over: the fixture closes it
    Emulator(state_path=state).close()  # the file is free again
