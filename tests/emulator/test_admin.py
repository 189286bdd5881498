"""The PubNub Admin emulation over raw HTTP: login forms, auth, bodies and error shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from aiospaces.emulator import Emulator
from aiospaces.emulator.admin import AdminEmulation


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as client:
        yield client


@pytest.fixture
def admin(emulator: Emulator) -> AdminEmulation:
    vendor = emulator.vendors["pubnub_admin"]
    assert isinstance(vendor, AdminEmulation)
    vendor.state_delay = 0
    return vendor


async def login(http: httpx.AsyncClient, email: str = "a@example.com") -> dict[str, Any]:
    response = await http.post("/api/me", json={"email": email, "password": "pw"})
    assert response.status_code == 200
    result: dict[str, Any] = response.json()["result"]
    return result


async def setup(http: httpx.AsyncClient) -> tuple[dict[str, str], int]:
    session = await login(http)
    headers = {"X-Session-Token": session["token"]}
    apps = await http.get(f"/api/apps?owner_id={session['user']['account_id']}", headers=headers)
    return headers, apps.json()["result"][0]["keys"][0]["id"]


async def test_login_accepts_json_and_form_bodies(http: httpx.AsyncClient) -> None:
    first = await login(http)
    assert set(first) >= {"created", "expires", "token", "user", "user_id", "role"}
    assert first["expires"] - first["created"] == 30 * 24 * 3600
    form = await http.post("/api/me", data={"email": "A@example.com", "password": "pw"})
    assert form.status_code == 200
    assert form.json()["result"]["user_id"] == first["user_id"]  # emails are case-insensitive
    assert form.json()["result"]["token"] != first["token"]


@pytest.mark.parametrize(
    "content", [b"", b"[]", b"not json", b'{"email": "a@example.com"}', b'{"email": 1}']
)
async def test_login_needs_email_and_password(http: httpx.AsyncClient, content: bytes) -> None:
    response = await http.post("/api/me", content=content)
    assert response.status_code == 400
    assert response.json() == {"error": "Email and password are required."}


async def test_wrong_password(http: httpx.AsyncClient) -> None:
    await login(http)
    response = await http.post("/api/me", json={"email": "a@example.com", "password": "no"})
    assert (response.status_code, response.json()) == (400, {"error": "Invalid email or password."})


@pytest.mark.parametrize("token", [None, "", "unknown"])
async def test_calls_need_a_live_session_token(http: httpx.AsyncClient, token: str | None) -> None:
    session = await login(http)
    headers = {} if token is None else {"X-Session-Token": token}
    response = await http.get(f"/api/accounts?user_id={session['user_id']}", headers=headers)
    assert (response.status_code, response.json()) == (
        401,
        {"error": "Invalid or expired session token."},
    )


async def test_accounts_and_apps(http: httpx.AsyncClient) -> None:
    session = await login(http)
    headers = {"X-Session-Token": session["token"]}
    accounts = await http.get(f"/api/accounts?user_id={session['user_id']}", headers=headers)
    account = accounts.json()["result"]["accounts"][0]
    assert (account["id"], account["owner_id"]) == (
        session["user"]["account_id"],
        session["user_id"],
    )
    apps = await http.get(f"/api/apps?owner_id={account['id']}", headers=headers)
    body = apps.json()
    assert body["total"] == 1
    key = body["result"][0]["keys"][0]
    assert key["subscribe_key"].startswith("sub-c-")
    assert key["publish_key"].startswith("pub-c-")
    assert key["properties"]["name"] == "Default Keyset"
    bare = await http.get(f"/api/apps?owner_id={account['id']}&no_keys=1", headers=headers)
    assert bare.json()["result"][0]["keys"] == []
    for path in ("/api/accounts?user_id=1", "/api/apps?owner_id=1"):
        forbidden = await http.get(path, headers=headers)
        assert forbidden.status_code == 403
        assert forbidden.json()["error"].startswith("Insufficient rights")


async def test_block_bodies_are_checked(http: httpx.AsyncClient, admin: AdminEmulation) -> None:
    headers, key = await setup(http)
    base = f"/api/v1/blocks/key/{key}/block"
    cases: list[tuple[Any, str]] = [
        (b"{", "Request body must be JSON."),
        (b"[]", "Request body must be a JSON object."),
        (b'{"name": "x", "extra": 1}', "Unknown fields: extra."),
        (b'{"name": ""}', "Block name is required."),
        (b'{"name": "x", "description": 3}', "Block description must be a string."),
        (b'{"name": "x", "key_id": 1}', f"key_id 1 does not match the URL ({key})."),
    ]
    for content, message in cases:
        response = await http.post(base, content=content, headers=headers)
        assert (response.status_code, response.json()) == (400, {"message": message}), content
    created = await http.post(base, json={"key_id": key, "name": "b"}, headers=headers)
    block = created.json()["payload"]
    assert block["description"] == ""
    assert block["event_handlers"] == []
    url = f"{base}/{block['id']}"
    bad = await http.put(url, json={"id": block["id"] + 1}, headers=headers)
    assert bad.status_code == 400
    bad = await http.put(url, json={"name": ""}, headers=headers)
    assert bad.json() == {"message": "Block name must be a non-empty string."}
    bad = await http.put(url, json={"description": None}, headers=headers)
    assert bad.json() == {"message": "Block description must be a string."}
    missing = await http.get(f"{base}/1", headers=headers)
    assert (missing.status_code, missing.json()) == (404, {"message": "Block not found."})
    snapshot = admin.snapshot()
    assert [b["name"] for b in snapshot["blocks"]] == ["b"]
    assert "token" not in str(snapshot)
    assert "password" not in str(snapshot)


async def test_handler_bodies_are_checked(http: httpx.AsyncClient) -> None:
    headers, key = await setup(http)
    block = (
        await http.post(f"/api/v1/blocks/key/{key}/block", json={"name": "b"}, headers=headers)
    ).json()["payload"]
    url = f"/api/v1/blocks/key/{key}/event_handler"
    good = {"block_id": block["id"], "name": "h", "event": "js-after-publish", "code": "c"}
    cases: list[tuple[dict[str, Any], int, Any]] = [
        ({**good, "block_id": 1}, 404, {"message": "Block not found."}),
        ({**good, "block_id": "x"}, 404, {"message": "Block not found."}),
        ({**good, "name": ""}, 400, {"message": "Event handler name is required."}),
        ({**good, "channels": 5}, 400, {"message": "Event handler channels must be a string."}),
        ({**good, "event": "js-on-nothing", "channels": "c"}, 400, None),
        ({**good}, 400, {"message": "A js-after-publish event handler needs channels."}),
        ({**good, "event": "js-on-rest"}, 400, {"message": "A js-on-rest event handler needs a path."}),  # noqa: E501
        ({**good, "channels": "c", "path": "p"}, 400, {"message": "Only js-on-rest event handlers have a path."}),  # noqa: E501
    ]  # fmt: skip
    for body, status, expected in cases:
        response = await http.post(url, json=body, headers=headers)
        assert response.status_code == status, body
        if expected is not None:
            assert response.json() == expected
    created = await http.post(url, json={**good, "channels": "c.*"}, headers=headers)
    handler = created.json()["payload"]
    assert handler | {"id": 0} == {
        "id": 0,
        "key_id": key,
        "block_id": block["id"],
        "name": "h",
        "event": "js-after-publish",
        "code": "c",
        "channels": "c.*",
        "path": None,
        "type": "js",
        "output": "h-debug-console",
        "log_level": "debug",
    }
    one = f"{url}/{handler['id']}"
    wrong = await http.put(one, json={"block_id": block["id"] + 1}, headers=headers)
    assert wrong.status_code == 400
    nowhere = await http.put(f"{url}/1", json={}, headers=headers)
    assert (nowhere.status_code, nowhere.json()) == (404, {"message": "Event handler not found."})
    gone = await http.delete(one, headers=headers)
    assert gone.json() == {"payload": {"id": handler["id"]}}


async def test_seed_through_the_control_api_and_settings(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    assert emulator.settings("http://emu")["pubnub_admin"] == {
        "base_url": "http://emu",
        "email": "sandbox@example.com",
        "password": "sandbox",
    }
    seeded = await http.post(
        "/_emulator/pubnub_admin/seed",
        json={"email": "ops@example.com", "password": "pw", "apps": [{"name": "A", "keys": []}]},
    )
    assert seeded.status_code == 201
    assert [a["name"] for a in seeded.json()["apps"]] == ["A"]
    assert seeded.json()["apps"][0]["keys"][0]["properties"]["name"] == "Default Keyset"
    assert emulator.settings("http://emu")["pubnub_admin"]["email"] == "ops@example.com"
    bad = await http.post("/_emulator/pubnub_admin/seed", json={"email": "", "password": "pw"})
    assert bad.status_code == 400
    state = (await http.get("/_emulator/state")).json()["pubnub_admin"]
    assert [u["email"] for u in state["users"]] == ["ops@example.com"]
    await http.post("/_emulator/reset")
    assert emulator.vendors["pubnub_admin"].snapshot()["users"] == []
