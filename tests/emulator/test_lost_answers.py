"""Lost answers: the request is processed (the state changes), then the client never learns it.

Each flavour of ``Fault(lose_answer=...)`` is checked the way a duplicate-safety test would use
it: the space exists afterwards, and the client saw a dropped connection, a proxy's 502 or a
timeout.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from aiospaces.emulator import Emulator, Fault
from aiospaces.emulator.faults import ConnectionDropped

SPACES = "/video/v1/spaces"
MUX = ("token-id", "token-secret")


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="http://emu", auth=MUX
    ) as c:
        yield c


async def spaces(client: httpx.AsyncClient) -> int:
    response = await client.get(SPACES)
    assert response.status_code == 200
    return len(response.json()["data"])


async def test_drop_after_processing_in_process(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="POST", path=SPACES, lose_answer="drop", times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(SPACES, json={})
    assert await spaces(client) == 1
    assert emulator.faults.rules[0].fired == 1
    assert (await client.post(SPACES, json={})).status_code == 201  # the rule is used up


async def test_drop_after_processing_through_a_plain_asgi_transport(emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path=SPACES, lose_answer="drop"))
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emu", auth=MUX) as c:
        with pytest.raises(ConnectionDropped):
            await c.post(SPACES, json={})
        emulator.faults.clear()
        assert await spaces(c) == 1


async def test_drop_of_an_empty_answer_is_still_a_drop(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    space = (await client.post(SPACES, json={})).json()["data"]["id"]
    emulator.faults.add(Fault(method="DELETE", path=f"{SPACES}/*", lose_answer="drop"))
    with pytest.raises(httpx.RemoteProtocolError):
        await client.delete(f"{SPACES}/{space}")  # Mux answers 204, no body at all
    assert await spaces(client) == 0


async def test_drop_after_processing_on_a_real_socket(
    emulator_url: str, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="POST", path=SPACES, lose_answer="drop", times=1))
    async with httpx.AsyncClient(base_url=emulator_url, auth=MUX) as c:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await c.post(SPACES, json={})
        assert await spaces(c) == 1


async def test_502_after_processing(client: httpx.AsyncClient, emulator: Emulator) -> None:
    rule = {"method": "POST", "path": SPACES, "lose_answer": "502", "times": 1}
    rule["headers"] = {"Server": "nginx"}
    added = await client.post("/_emulator/faults", json=rule)
    assert added.status_code == 201
    assert added.json()["lose_answer"] == "502"
    response = await client.post(SPACES, json={})
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert response.headers["server"] == "nginx"
    assert "502 Bad Gateway" in response.text  # a proxy's page, not Mux's JSON
    assert await spaces(client) == 1


async def test_late_answer_in_process(client: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="POST", path=SPACES, lose_answer="late", delay=0.3))
    with pytest.raises(TimeoutError):
        with anyio.fail_after(0.1):  # the client's timeout, shorter than the lateness
            await client.post(SPACES, json={})
    assert await spaces(client) == 1
    started = time.monotonic()
    response = await client.post(SPACES, json={})  # a patient client gets the real answer
    assert response.status_code == 201
    assert time.monotonic() - started >= 0.3
    assert await spaces(client) == 2


async def test_late_answer_on_a_real_socket_times_the_client_out(
    emulator_url: str, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="POST", path=SPACES, lose_answer="late", delay=2, times=1))
    async with httpx.AsyncClient(base_url=emulator_url, auth=MUX, timeout=0.2) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.post(SPACES, json={})
        assert await spaces(c) == 1


@pytest.mark.emulator(faults=[Fault(method="POST", path="/v1/spaces/", lose_answer="502")])
async def test_the_marker_takes_lost_answers(emulator: Emulator) -> None:
    headers = {"Authorization": "Token lost-answers"}
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        created = await c.post("/v1/spaces/", json={"name": "twice?"}, headers=headers)
        assert created.status_code == 502
        listed = await c.get("/v1/spaces/", params={"q": "twice"}, headers=headers)
    assert [space["name"] for space in listed.json()["results"]] == ["twice?"]
