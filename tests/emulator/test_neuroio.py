"""The NeuroIO IAM emulation on the wire: DRF pages, error bodies, auth, seeding, strict mode."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.emulator.neuroio import ERROR_CODES, MAX_PERMANENT_TOKENS, SANDBOX_TOKEN

AUTH = {"Authorization": "Token t0"}


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="http://emu.test:8080", headers=AUTH
    ) as c:
        yield c


async def test_space_shapes_and_statuses(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/spaces/", json={"name": "Lobby"})
    assert created.status_code == 201
    assert created.json() == {"id": 2, "name": "Lobby"}  # id 1 is the account's "default"
    assert (await client.get("/v1/spaces/2/")).json() == {"id": 2, "name": "Lobby"}
    patched = await client.patch("/v1/spaces/2/", json={"name": "Hall"})
    assert patched.json() == {"id": 2, "name": "Hall"}
    assert (await client.patch("/v1/spaces/2/", json={})).json()["name"] == "Hall"
    assert (await client.put("/v1/spaces/2/", json={"name": "Room"})).json()["name"] == "Room"
    deleted = await client.delete("/v1/spaces/2/")
    assert (deleted.status_code, deleted.content) == (204, b"")
    missing = await client.get("/v1/spaces/2/")
    assert missing.status_code == 404
    assert missing.json() == {"error_codes": [604], "message": "Not found.", "fields": []}


async def test_drf_pages_with_absolute_links(client: httpx.AsyncClient) -> None:
    for i in range(24):
        await client.post("/v1/spaces/", json={"name": f"s{i:02}"})
    first = (await client.get("/v1/spaces/", params={"q": "", "limit": 10, "offset": 0})).json()
    assert list(first) == ["count", "next", "previous", "results"]
    assert first["count"] == 25
    assert first["next"] == "http://emu.test:8080/v1/spaces/?q=&limit=10&offset=10"
    assert first["previous"] is None
    middle = (await client.get(first["next"])).json()
    assert middle["previous"] == "http://emu.test:8080/v1/spaces/?q=&limit=10"
    last = (await client.get("/v1/spaces/?limit=10&offset=20")).json()
    assert [s["name"] for s in last["results"]] == ["s19", "s20", "s21", "s22", "s23"]
    assert last["next"] is None
    assert last["previous"] == "http://emu.test:8080/v1/spaces/?limit=10&offset=10"
    default = (await client.get("/v1/spaces/")).json()
    assert len(default["results"]) == 20
    capped = (await client.get("/v1/spaces/?limit=1000&offset=x")).json()
    assert len(capped["results"]) == 25
    searched = (await client.get("/v1/spaces/", params={"q": "S2"})).json()
    assert [s["name"] for s in searched["results"]] == ["s20", "s21", "s22", "s23"]
    full = (await client.get("/v1/lists/spaces/")).json()
    assert isinstance(full, list)
    assert len(full) == 25


async def test_validation_errors_have_fields(client: httpx.AsyncClient) -> None:
    for body in ({}, {"name": ""}, {"name": 3}, {"name": "x" * 256}):
        answer = await client.post("/v1/spaces/", json=body)
        assert answer.status_code == 400
        payload = answer.json()
        assert payload["error_codes"] == [ERROR_CODES["validation"]]
        assert payload["message"] == "Validation error."
        assert payload["fields"][0]["name"] == "name"
        assert payload["fields"][0]["error_code"] == 600
    assert (await client.put("/v1/spaces/1/", json={})).status_code == 400
    broken = await client.post(
        "/v1/spaces/", content=b"{", headers={"content-type": "application/json"}
    )
    assert broken.json()["message"] == "JSON parse error."
    listed = await client.post("/v1/spaces/", json=["name"])
    assert listed.status_code == 400
    bad_flag = await client.post("/v1/tokens/", json={"permanent": "maybe"})
    assert bad_flag.json()["fields"][0]["name"] == "permanent"


async def test_paths_without_trailing_slash_redirect(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/spaces")
    assert answer.status_code in (301, 307, 308)
    assert answer.headers["location"].endswith("/v1/spaces/")


async def test_authentication_answers(client: httpx.AsyncClient) -> None:
    none = await client.get("/v1/whoami/", headers={"Authorization": ""})
    assert none.status_code == 401
    assert none.headers["www-authenticate"] == "Token"
    assert none.json() == {
        "error_codes": [601],
        "message": "Authentication credentials were not provided.",
        "fields": [],
    }
    bearer = await client.get("/v1/whoami/", headers={"Authorization": "Bearer t0"})
    assert bearer.status_code == 401
    me = await client.get("/v1/whoami/")
    assert me.json() == {"username": "sandbox-1", "space": {"id": 1, "name": "default"}}


async def test_tokens_wire(client: httpx.AsyncClient) -> None:
    made = await client.post("/v1/tokens/", json={"permanent": False})
    assert made.status_code == 201
    token = made.json()
    assert list(token) == ["id", "key", "is_active", "created", "expires"]
    assert re.fullmatch(r"[0-9a-f]{40}", token["key"])
    assert token["created"].endswith("+00:00")
    assert token["expires"].endswith("+00:00")
    permanent = (await client.post("/v1/tokens/", json={"permanent": True})).json()
    assert permanent["expires"] is None
    form = await client.patch(f"/v1/tokens/{token['id']}/", data={"is_active": "false"})
    assert form.json()["is_active"] is False
    by_key = await client.patch(f"/v1/tokens/{token['key']}/", json={"is_active": True})
    assert by_key.json()["is_active"] is True
    bad = await client.patch(f"/v1/tokens/{token['id']}/", data={"is_active": "perhaps"})
    assert bad.status_code == 400
    listed = (await client.get("/v1/tokens/", params={"permanent": "true"})).json()
    assert listed["count"] == 2  # the sandbox token is permanent too
    assert (await client.get("/v1/tokens/?permanent=False")).json()["count"] == 1
    assert (await client.delete(f"/v1/tokens/{token['key']}/")).status_code == 204
    assert (await client.get(f"/v1/tokens/{token['id']}/")).status_code == 404
    assert (await client.delete("/v1/tokens/?permanent=true")).status_code == 204
    assert (await client.get("/v1/tokens/")).json()["count"] == 1  # the caller's own
    retired = await client.get(
        "/v1/whoami/", headers={"Authorization": f"Token {permanent['key']}"}
    )
    assert retired.status_code == 401  # deleted keys are not re-provisioned


async def test_permanent_limit_counts_the_sandbox_token(client: httpx.AsyncClient) -> None:
    for _ in range(MAX_PERMANENT_TOKENS - 1):
        assert (await client.post("/v1/tokens/", json={"permanent": True})).status_code == 201
    refused = await client.post("/v1/tokens/", json={"permanent": True})
    assert refused.status_code == 400
    assert refused.json()["error_codes"] == [ERROR_CODES["permanent_limit"]]


async def test_login_form_fields_required(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/auth/token/", json={"username": "a"})
    assert answer.status_code == 400
    assert [f["name"] for f in answer.json()["fields"]] == ["password"]
    ok = await client.post("/v1/auth/token/", json={"username": "a", "password": "p"})
    assert list(ok.json()) == ["user", "token"]
    assert ok.json()["user"] == {"username": "a"}


@pytest.mark.emulator(strict=True)
async def test_strict_mode_accepts_only_seeded_accounts(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    assert (await client.get("/v1/whoami/")).status_code == 401
    refused = await client.post("/v1/auth/token/", json={"username": "ann", "password": "pw"})
    assert refused.json()["error_codes"] == [602]
    seeded = await client.post(
        "/_emulator/neuroio/seed",
        json={"username": "ann", "password": "pw", "tokens": ["t0"], "spaces": ["lab"]},
    )
    assert seeded.status_code == 201
    assert seeded.json() == {
        "username": "ann",
        "default_space": {"id": 1, "name": "default"},
        "spaces": [{"id": 2, "name": "lab"}],
    }
    assert (await client.get("/v1/whoami/")).json()["username"] == "ann"
    login = await client.post("/v1/auth/token/", json={"username": "ann", "password": "pw"})
    assert login.status_code == 200
    wrong = await client.post("/v1/auth/token/", json={"username": "ann", "password": "no"})
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Username and password do not match."

    state = (await client.get("/_emulator/state")).json()["neuroio"]["ann"]
    assert state["spaces"] == [{"id": 1, "name": "default"}, {"id": 2, "name": "lab"}]
    assert "t0" not in str(state)
    assert [t["permanent"] for t in state["tokens"]] == [True, False]


async def test_seed_rejects_bad_payloads(emulator: Emulator) -> None:
    neuroio = emulator.vendors["neuroio"]
    with pytest.raises(ValueError, match="username"):
        neuroio.seed({"username": ""})
    neuroio.seed({"username": "a", "tokens": ["k"]})
    with pytest.raises(ValueError, match="token"):
        neuroio.seed({"username": "b", "tokens": ["k"]})
    again = neuroio.seed({"username": "a", "spaces": ["x"]})
    assert again["default_space"]["id"] == 1  # the same account, one default space


async def test_reset_and_settings(client: httpx.AsyncClient, emulator: Emulator) -> None:
    await client.post("/v1/spaces/", json={"name": "x"})
    emulator.reset()
    assert emulator.vendors["neuroio"].snapshot() == {}
    assert emulator.settings("http://h:1")["neuroio"] == {
        "iam_url": "http://h:1",
        "api_token": SANDBOX_TOKEN,
    }


async def test_settings_hand_out_a_working_token() -> None:
    sandbox = Emulator()
    async with aiospaces.Session(transport=sandbox.transport()) as session:
        nio = session.neuroio(**sandbox.settings("http://emu")["neuroio"])
        assert (await nio.spaces.create(name="from settings")).name == "from settings"
    strict = Emulator(strict=True)
    assert "api_token" not in strict.settings("http://emu")["neuroio"]  # nothing seeded yet
    strict.vendors["neuroio"].seed({"username": "ann", "tokens": ["ann-token"]})
    assert strict.settings("http://emu")["neuroio"]["api_token"] == "ann-token"
    async with aiospaces.Session(transport=strict.transport()) as session:
        nio = session.neuroio(**strict.settings("http://emu")["neuroio"])
        assert (await nio.whoami()) is not None
