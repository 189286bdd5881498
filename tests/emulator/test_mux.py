"""The Mux emulation over raw HTTP: auth, wire shapes, validation, control API, webhooks."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiospaces.emulator import Emulator
from aiospaces.emulator.app import serve_asgi
from aiospaces.emulator.mux.control import signature_header
from aiospaces.emulator.mux.routes import DEFAULT_TOKEN_ID, DEFAULT_TOKEN_SECRET
from aiospaces.emulator.mux.state import MuxOptions
from aiospaces.mux.webhooks import construct_event, verify_signature

EMU = "http://emu"


def basic(token_id: str = DEFAULT_TOKEN_ID, secret: str = DEFAULT_TOKEN_SECRET) -> dict[str, str]:
    raw = base64.b64encode(f"{token_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url=EMU) as client:
        yield client


async def api(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return await http.request(method, f"/video/v1{path}", headers=basic(), **kwargs)


async def test_auth_errors_use_the_standard_shape(http: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer x"}, {"Authorization": "Basic !!"}):
        response = await http.get("/video/v1/spaces", headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "error": {"type": "unauthorized", "messages": ["Unauthorized request"]}
        }
        assert response.headers["x-request-id"]
        assert response.headers["content-type"] == "application/json; charset=utf-8"
    # sandbox: a new token is provisioned with the secret it first used
    assert (await http.get("/video/v1/spaces", headers=basic("t", "a"))).status_code == 200
    assert (await http.get("/video/v1/spaces", headers=basic("t", "b"))).status_code == 401


async def test_wire_shapes_and_statuses(http: httpx.AsyncClient) -> None:
    created = await api(http, "POST", "/spaces", content=b"")
    assert created.status_code == 201
    space = created.json()["data"]
    assert set(space) == {"id", "created_at", "type", "status"}
    assert space["created_at"].isdigit()
    assert 32 <= len(space["id"]) <= 44
    missing = await api(http, "GET", "/spaces/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found"
    deleted = await api(http, "DELETE", f"/spaces/{space['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    stream = (await api(http, "POST", "/live-streams", json={"playback_policy": "signed"})).json()
    assert stream["data"]["playback_ids"][0]["policy"] == "signed"
    assert stream["data"]["status"] == "idle"
    done = await api(http, "PUT", f"/live-streams/{stream['data']['id']}/complete")
    assert done.json() == {"data": {}}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/spaces", b"{", "not valid JSON"),
        ("/spaces", b"[]", "JSON object"),
        ("/spaces", b'{"name": "x"}', "name is not a valid space parameter"),
        ("/spaces", b'{"type": "browser"}', "type must be one of server"),
        ("/spaces", json.dumps({"passthrough": "x" * 256}).encode(), "passthrough"),
        ("/spaces", b'{"broadcasts": {}}', "broadcasts must be a list"),
        ("/spaces", b'{"broadcasts": [1]}', "must be an object"),
        ("/spaces", b'{"broadcasts": [{}]}', "live_stream_id is required"),
        ("/spaces", b'{"broadcasts": [{"live_stream_id": "x", "z": 1}]}', "z is not a valid"),
        ("/live-streams", b'{"bogus": 1}', "bogus is not a valid live stream parameter"),
        ("/live-streams", b'{"playback_policy": ["open"]}', "playback_policy"),
        ("/live-streams", b'{"latency_mode": "fast"}', "latency_mode"),
        ("/live-streams", b'{"reconnect_window": 2000}', "reconnect_window"),
        ("/live-streams", b'{"max_continuous_duration": 5}', "max_continuous_duration"),
        ("/live-streams", b'{"passthrough": 5}', "passthrough"),
        ("/live-streams", b'{"new_asset_settings": []}', "new_asset_settings"),
    ],
)
async def test_bad_bodies_are_400_invalid_parameters(
    http: httpx.AsyncClient, path: str, body: bytes, message: str
) -> None:
    response = await api(http, "POST", path, content=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_parameters"
    assert any(message in m for m in error["messages"])


async def test_latency_flags_and_paging_parameters(http: httpx.AsyncClient) -> None:
    low = await api(http, "POST", "/live-streams", json={"low_latency": True})
    assert low.json()["data"]["latency_mode"] == "low"
    reduced = await api(http, "POST", "/live-streams", json={"reduced_latency": True})
    assert reduced.json()["data"]["latency_mode"] == "reduced"
    for query in ("limit=0", "limit=101", "page=0", "page=x"):
        response = await api(http, "GET", f"/spaces?{query}")
        assert response.status_code == 400, query
    assert len((await api(http, "GET", "/live-streams?page=2&limit=1")).json()["data"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/video/v1/nothing"),
        ("PATCH", "/video/v1/spaces/x"),  # Mux has no update endpoint
        ("PUT", "/video/v1/spaces"),
        ("GET", "/video/v1/spaces/x/broadcasts"),
    ],
)
async def test_unknown_routes_answer_muxs_404_after_auth(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await http.request(method, path, headers=basic())
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
    assert response.headers["x-request-id"]
    anonymous = await http.request(method, path)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "unauthorized"


async def test_live_stream_status_filter_is_checked(http: httpx.AsyncClient) -> None:
    response = await api(http, "GET", "/live-streams?status=gone")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_parameters"
    assert (await api(http, "GET", "/live-streams?status=disabled")).json() == {"data": []}


@pytest.mark.parametrize(
    "options",
    [
        {"rule_status": "x"},
        {"rule_status": 200},
        {"rule_status": 429},
        {"rule_status": True},
        {"max_broadcasts": 0},
        {"rate_limit": "2"},
        {"rate_limit": 0},
        {"rate_window": 0},
        {"rate_window": None},
    ],
)
async def test_config_refuses_values_that_would_break_the_emulator(
    http: httpx.AsyncClient, options: dict[str, Any]
) -> None:
    response = await http.post("/_emulator/mux/config", json=options)
    assert response.status_code == 400
    assert next(iter(options)) in response.json()["error"]
    # the emulation still answers normally
    assert (await api(http, "GET", "/spaces")).status_code == 200
    assert (await http.get("/_emulator/mux/config")).json()["rule_status"] == 400


async def test_config_accepts_valid_values(http: httpx.AsyncClient) -> None:
    changed = {"rule_status": 403, "max_broadcasts": 2, "rate_limit": None, "rate_window": 0.5}
    response = await http.post("/_emulator/mux/config", json=changed)
    assert response.json() == changed


async def test_control_api_errors(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_emulator/mux/spaces/nope/participants")).status_code == 404
    space = (await api(http, "POST", "/spaces", json={})).json()["data"]
    base = f"/_emulator/mux/spaces/{space['id']}/participants"
    assert (await http.post(base, json={"participant_id": 5})).status_code == 400
    assert (await http.post(base, content=b"{")).status_code == 400
    assert (await http.post(base, content=b"[]")).status_code == 400
    assert (await http.delete(f"{base}/ghost")).status_code == 404
    joined = await http.post(base)
    assert joined.status_code == 201
    assert joined.json()["participant_id"]
    assert (await http.post("/_emulator/mux/config", json={"nope": 1})).status_code == 400
    options = (await http.get("/_emulator/mux/config")).json()
    assert options == {
        "rule_status": 400,
        "max_broadcasts": 1,
        "rate_limit": None,
        "rate_window": 1.0,
    }
    assert (await http.post("/_emulator/mux/webhooks/send", json={})).status_code == 400
    no_secret = await http.post("/_emulator/mux/webhooks/send", json={"url": "http://x"})
    assert no_secret.status_code == 400


async def test_seed_snapshot_reset_and_shared_environments(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    for token in ("a", "b"):
        seeded = await http.post(
            "/_emulator/mux/seed",
            json={"token_id": token, "token_secret": "s", "environment": "prod"},
        )
        assert seeded.json() == {"token_id": token, "environment": "prod"}
    bad = await http.post("/_emulator/mux/seed", json={"token_id": "", "token_secret": "s"})
    assert bad.status_code == 400
    made = await http.post("/video/v1/spaces", headers=basic("a", "s"), json={})
    listed = await http.get("/video/v1/spaces", headers=basic("b", "s"))
    assert [s["id"] for s in listed.json()["data"]] == [made.json()["data"]["id"]]
    state = (await http.get("/_emulator/state")).json()["mux"]
    assert state["prod"]["spaces"][0]["participants"] == []
    assert state["prod"]["events"] == 1
    assert emulator.settings(EMU)["mux"]["token_id"] == "a"
    await http.post("/_emulator/reset")
    assert emulator.vendors["mux"].snapshot() == {}
    assert emulator.settings(EMU)["mux"] == {
        "token_id": DEFAULT_TOKEN_ID,
        "token_secret": DEFAULT_TOKEN_SECRET,
        "base_url": EMU,
    }


async def test_webhooks_are_recorded_and_delivered_signed(http: httpx.AsyncClient) -> None:
    await http.post(
        "/_emulator/mux/seed",
        json={"token_id": "t", "token_secret": "s", "webhook_secret": "whsec"},
    )
    headers = basic("t", "s")
    stream = (await http.post("/video/v1/live-streams", headers=headers, json={})).json()["data"]
    space = (
        await http.post(
            "/video/v1/spaces",
            headers=headers,
            json={"broadcasts": [{"live_stream_id": stream["id"]}]},
        )
    ).json()["data"]
    events = (await http.get("/_emulator/mux/webhooks?environment=t")).json()
    assert [e["type"] for e in events] == [
        "video.live_stream.created",
        "video.space.created",
        "video.space.broadcast.created",
    ]
    assert events[1]["object"] == {"type": "space", "id": space["id"]}

    received: list[tuple[bytes, str]] = []

    async def record(request: Request) -> Response:
        received.append((await request.body(), request.headers["mux-signature"]))
        return Response(b"ok")

    receiver = Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])
    with serve_asgi(receiver) as url:
        sent = await http.post("/_emulator/mux/webhooks/send", json={"url": url})
        assert [d["status_code"] for d in sent.json()["delivered"]] == [200, 200, 200]
        again = await http.post("/_emulator/mux/webhooks/send", json={"url": url})
        assert again.json()["delivered"] == []  # already delivered
        other = await http.post(
            "/_emulator/mux/webhooks/send", json={"url": url, "all": True, "secret": "other"}
        )
        assert len(other.json()["delivered"]) == 3
    first = construct_event(received[0][0], received[0][1], "whsec")
    assert first.type == "video.live_stream.created"
    verify_signature(received[3][0], received[3][1], "other")
    attempts = (await http.get("/_emulator/mux/webhooks")).json()[0]["attempts"]
    assert [a["response_status_code"] for a in attempts] == [200, 200]

    unreachable = await http.post(
        "/_emulator/mux/webhooks/send", json={"url": "http://127.0.0.1:9", "all": True}
    )
    assert unreachable.json()["delivered"][0]["status_code"] is None
    assert unreachable.json()["delivered"][0]["error"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"url": "http://[::1"}, "url must be an http(s) URL"),
        ({"url": "ftp://x/"}, "url must be an http(s) URL"),
        ({"url": "http:///x"}, "url must be an http(s) URL"),
        ({"url": "http://\u0000/"}, "url must be an http(s) URL"),
        ({"url": "http://x", "secret": 5}, "secret must be a string"),
        ({"url": "http://x", "environment": ["e"]}, "environment must be a string"),
        ({"url": "http://x", "all": "yes"}, "all must be a boolean"),
        ({"url": "http://x", "colour": "red"}, "unknown fields"),
    ],
)
async def test_webhook_sends_of_the_wrong_shape_are_refused(
    http: httpx.AsyncClient, payload: dict[str, Any], reason: str
) -> None:
    await api(http, "POST", "/live-streams", json={})  # an event to deliver
    response = await http.post("/_emulator/mux/webhooks/send", json=payload)
    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_signature_header_format() -> None:
    value = signature_header(b"{}", "k", 1565125718)
    assert value.startswith("t=1565125718,v1=")
    verify_signature(b"{}", value, "k", now=1565125718)


def test_options_validate_themselves() -> None:
    with pytest.raises(ValueError, match="rule_status"):
        MuxOptions(rule_status=429)
    options = MuxOptions()
    with pytest.raises(ValueError, match="rate_window"):
        options.rate_window = 0
