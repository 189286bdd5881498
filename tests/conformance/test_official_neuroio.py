"""The official NeuroIO SDK (neuroio==0.1.2), unchanged, against the emulator.

The SDK reads its host from a class attribute set at import time
(``neuroio.base.IAMBaseBase.base_url``); pointing that at the emulator is configuration, as the
SDK's own tests patch its constants. Its calls return raw ``httpx.Response`` objects.
"""

from __future__ import annotations

from typing import Any

import pytest

import aiospaces
from aiospaces.emulator import Emulator

TOKEN = "conformance-token"


@pytest.fixture
def iam(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    from neuroio import base

    monkeypatch.setattr(base.IAMBaseBase, "base_url", emulator_url)
    return emulator_url


async def test_async_client_spaces_calls_and_aiospaces_sees_the_same(iam: str) -> None:
    from neuroio import AsyncClient

    official: Any = AsyncClient(api_token=TOKEN)
    created = await official.spaces.create(name="Lobby")
    assert created.status_code == 201
    space_id = created.json()["id"]
    listed = await official.spaces.list()  # sends q= (None rendered empty), limit=20, offset=0
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()["results"]] == ["default", "Lobby"]
    searched = await official.spaces.list(q="lob", limit=5)
    assert [s["id"] for s in searched.json()["results"]] == [space_id]
    assert (await official.spaces.get(id=space_id)).json() == {"id": space_id, "name": "Lobby"}
    updated = await official.spaces.update(id=space_id, name="Hall")
    assert updated.json()["name"] == "Hall"
    token = await official.spaces.token(id=space_id, permanent=True)
    assert token.status_code == 201
    assert token.json()["expires"] is None
    assert (await official.lists.spaces.all()).status_code == 200
    assert (await official.whoami.me()).json()["space"]["name"] == "default"

    async with aiospaces.Session() as session:
        nio = session.neuroio(api_token=TOKEN, iam_url=iam)
        ours = [(s.id, s.name) async for s in nio.spaces.list()]
        assert ours == [
            (s["id"], s["name"]) for s in (await official.spaces.list()).json()["results"]
        ]
        assert ours[-1] == (space_id, "Hall")
        made = await nio.spaces.create(name="From aiospaces")
        scoped = (await nio.with_token(token.json()["key"]).whoami()).space
        assert scoped is not None
        assert scoped.id == space_id

    seen = (await official.lists.spaces.all()).json()
    assert {"id": made.id, "name": "From aiospaces"} in seen
    assert (await official.spaces.delete(id=made.id)).status_code == 204
    assert (await official.spaces.get(id=made.id)).status_code == 404
    error = (await official.spaces.create(name="")).json()
    assert set(error) == {"error_codes", "message", "fields"}


def test_sync_client_login_tokens_and_spaces(iam: str, emulator: Emulator) -> None:
    from neuroio import Client

    login = Client().auth.login(username="ann", password="pw")
    assert login.status_code == 200
    key = login.json()["token"]["key"]
    official: Any = Client(api_token=key)
    assert official.whoami.me().json()["username"] == "ann"
    assert official.spaces.create(name="Sync").status_code == 201
    for _ in range(5):
        assert official.tokens.create(permanent=True).status_code == 201
    sixth = official.tokens.create(permanent=True)
    assert sixth.status_code == 400
    assert sixth.json()["error_codes"] == [605]
    page = official.tokens.list(permanent=True, limit=2, offset=1).json()
    assert (page["count"], len(page["results"])) == (5, 2)
    first = page["results"][0]
    assert official.tokens.update(token_id_or_key=first["id"], is_active=False).json()[
        "is_active"
    ] is False  # fmt: skip
    assert official.tokens.get(token_id_or_key=first["key"]).json()["is_active"] is False
    assert official.tokens.delete(token_id_or_key=first["id"]).status_code == 204
    assert official.tokens.delete_list(permanent=True).status_code == 204
    assert official.tokens.list().json()["count"] == 1  # the login token making the call
    assert Client(api_token="any").spaces.list().status_code == 200  # sandbox: provisioned
    state = emulator.vendors["neuroio"].snapshot()["ann"]
    assert [s["name"] for s in state["spaces"]] == ["default", "Sync"]
