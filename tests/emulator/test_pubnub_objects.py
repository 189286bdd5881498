"""App Context channels (Spaces) as the emulator serves them, checked against recorded shapes."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from aiospaces.emulator import Emulator
from aiospaces.emulator.pubnub import pam_encode, sign_v2

SUB = "sub-c-test"
BASE = f"/v2/objects/{SUB}/channels"


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


async def put(client: httpx.AsyncClient, channel: str, **fields: Any) -> httpx.Response:
    return await client.patch(f"{BASE}/{channel}", json=fields, params={"include": "custom"})


async def test_patch_upserts_and_get_returns_recorded_shape(client: httpx.AsyncClient) -> None:
    created = await client.patch(
        f"{BASE}/somechannelid",
        params={"include": "custom,status,type"},
        content=b'{"name": "Some name", "description": "Some description", '
        b'"custom": {"key1": "val1", "key2": "val2"}}',
    )
    assert created.status_code == 200
    data = created.json()["data"]
    assert list(data) == [
        "id",
        "name",
        "description",
        "type",
        "status",
        "custom",
        "updated",
        "eTag",
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", data["eTag"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z", data["updated"])
    fetched = await client.get(f"{BASE}/somechannelid")
    assert fetched.json() == {
        "status": 200,
        "data": {
            "id": "somechannelid",
            "name": "Some name",
            "description": "Some description",
            "updated": data["updated"],
            "eTag": data["eTag"],
        },
    }
    updated = (await put(client, "somechannelid", name="Renamed")).json()["data"]
    assert updated["name"] == "Renamed"
    assert updated["description"] == "Some description"  # absent keys are kept
    assert updated["custom"] == {"key1": "val1", "key2": "val2"}
    assert updated["eTag"] != data["eTag"]


async def test_if_match_mismatch_gives_recorded_412(client: httpx.AsyncClient) -> None:
    etag = (await put(client, "c1", name="N")).json()["data"]["eTag"]
    ok = await client.patch(f"{BASE}/c1", json={"name": "N2"}, headers={"If-Match": etag})
    assert ok.status_code == 200
    stale = await client.patch(f"{BASE}/c1", json={"name": "N3"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json() == {
        "status": 412,
        "error": {
            "message": "Channel to update has been modified after it was read.",
            "source": "objects",
        },
    }


async def test_delete_and_missing(client: httpx.AsyncClient) -> None:
    await put(client, "gone", name="G")
    removed = await client.delete(f"{BASE}/gone")
    assert removed.status_code == 200
    assert removed.json() == {"status": 200, "data": None}
    missing = await client.get(f"{BASE}/gone")
    assert missing.status_code == 404
    assert missing.json()["error"]["source"] == "objects"


async def test_deleting_a_missing_channel_answers_200_as_production_does(
    client: httpx.AsyncClient,
) -> None:
    # Recorded against production: the same channel deleted twice, 200 both times.
    await put(client, "twice", name="T")
    for _ in range(2):
        again = await client.delete(f"{BASE}/twice")
        assert (again.status_code, again.json()) == (200, {"status": 200, "data": None})
    never = await client.delete(f"{BASE}/never-existed")
    assert (never.status_code, never.json()) == (200, {"status": 200, "data": None})
    assert (await client.get(BASE)).json()["data"] == []


@pytest.mark.parametrize(
    ("body", "location"),
    [
        (b"not json", "body"),
        (b"[1]", "body"),
        (b'{"name": 5}', "name"),
        (b'{"custom": {"a": {"nested": 1}}}', "custom"),
        (b'{"colour": "red"}', "colour"),
    ],
)
async def test_bad_bodies_are_400_with_details(
    client: httpx.AsyncClient, body: bytes, location: str
) -> None:
    response = await client.patch(f"{BASE}/c", content=body)
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert details[0]["location"] == location
    assert details[0]["locationType"] == "body"


async def test_list_pages_with_unpadded_base64_cursors_and_count(
    client: httpx.AsyncClient,
) -> None:
    for i in range(15):
        await put(client, f"ch-{i:02}", name=f"Room {i}")
    first = (await client.get(BASE, params={"limit": "10", "count": "True"})).json()
    assert first["totalCount"] == 15
    assert first["next"] == "MTA"
    assert "prev" not in first
    assert [c["id"] for c in first["data"]][:2] == ["ch-00", "ch-01"]
    second = (await client.get(BASE, params={"limit": "10", "start": "MTA"})).json()
    assert len(second["data"]) == 5
    assert second["prev"] == "MTA"
    assert second["next"] == "MTU"  # production links the last page that has items too
    assert "totalCount" not in second
    empty = (await client.get(BASE, params={"limit": "10", "start": "MTU"})).json()
    assert empty["data"] == []
    assert "next" not in empty  # only an empty page goes without
    back = (await client.get(BASE, params={"limit": "10", "end": "MTA"})).json()
    assert [c["id"] for c in back["data"]] == [f"ch-{i:02}" for i in range(10)]


@pytest.mark.parametrize("count", ["1", "true", "True", "TRUE"])
async def test_count_one_or_true_gives_total_count(client: httpx.AsyncClient, count: str) -> None:
    # Production honours count=1 (the Objective-C and Ruby SDKs send it) like count=true.
    for i in range(3):
        await put(client, f"c{i}")
    listed = (await client.get(BASE, params={"count": count, "limit": "2"})).json()
    assert listed["totalCount"] == 3
    assert len(listed["data"]) == 2


@pytest.mark.parametrize("count", ["0", "false", "False", "", "yes"])
async def test_other_count_values_give_no_total_count(
    client: httpx.AsyncClient, count: str
) -> None:
    await put(client, "c")
    listed = await client.get(BASE, params={"count": count})
    assert listed.status_code == 200
    assert "totalCount" not in listed.json()


async def test_a_short_last_page_still_links_to_the_empty_page(client: httpx.AsyncClient) -> None:
    # Recorded: 3 channels, limit=10 answered totalCount 3 and next "Mw" (offset 3).
    for i in range(3):
        await put(client, f"c{i}")
    only = (await client.get(BASE, params={"limit": "10", "count": "true"})).json()
    assert (len(only["data"]), only["totalCount"], only["next"]) == (3, 3, "Mw")
    after = (await client.get(BASE, params={"limit": "10", "start": only["next"]})).json()
    assert after == {"status": 200, "data": [], "prev": "Mw"}
    none = (await client.get(f"/v2/objects/{SUB}-empty/channels")).json()
    assert none == {"status": 200, "data": []}


async def test_list_filter_sort_and_include(client: httpx.AsyncClient) -> None:
    await put(client, "a", name="Room A", custom={"size": 3})
    await put(client, "b", name="Hall B", custom={"size": 10})
    await put(client, "c", name="Room C", custom={"size": 7})
    listed = await client.get(
        BASE,
        params={"filter": 'name LIKE "Room*"', "sort": "name:desc", "include": "custom"},
    )
    data = listed.json()["data"]
    assert [c["id"] for c in data] == ["c", "a"]
    assert data[0]["custom"] == {"size": 7}
    repeated = await client.get(BASE, params=[("sort", "updated:desc"), ("sort", "id")])
    assert [c["id"] for c in repeated.json()["data"]] == ["c", "b", "a"]
    numeric = await client.get(BASE, params={"filter": "custom.size > 5"})
    assert sorted(c["id"] for c in numeric.json()["data"]) == ["b", "c"]


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "name LIKE"},
        {"filter": 'custom.size == "3"'},
        {"sort": "colour:asc"},
        {"sort": "name:sideways"},
        {"limit": "0"},
        {"limit": "101"},
        {"start": "!!!"},
    ],
)
async def test_bad_list_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    await put(client, "a", name="A", custom={"size": 3})
    response = await client.get(BASE, params=params)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["locationType"] == "query"


@pytest.mark.emulator(strict=True)
async def test_strict_mode_rejects_unknown_keys(client: httpx.AsyncClient) -> None:
    response = await client.get(BASE)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid Subscribe Key"


@pytest.mark.emulator(strict=True)
async def test_strict_mode_enforces_auth_and_signature(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    seeded = await client.post(
        "/_emulator/pubnub/seed",
        json={
            "subscribe_key": SUB,
            "publish_key": "pub-c-x",
            "secret_key": "sec-c-x",
            "auth_keys": ["tok"],
        },
    )
    assert seeded.status_code == 201
    no_auth = await client.get(BASE, params={"uuid": "me"})
    assert no_auth.status_code == 403
    assert no_auth.json()["service"] == "Access Manager"
    unsigned = await client.get(BASE, params={"uuid": "me", "auth": "tok"})
    assert unsigned.status_code == 403
    stamp = str(int(time.time()))
    query = [("auth", "tok"), ("timestamp", stamp), ("uuid", "me")]
    signed_query = "&".join(f"{k}={pam_encode(v)}" for k, v in sorted(query))
    signature = sign_v2("sec-c-x", "pub-c-x", "GET", BASE, signed_query, "")
    good = await client.get(BASE, params=[*query, ("signature", signature)])
    assert good.status_code == 200, good.text
    bad = await client.get(BASE, params=[*query, ("signature", signature[:-2] + "xx")])
    assert bad.status_code == 403
    assert bad.json()["message"] == "Signature does not match"


def test_signature_v2_matches_the_official_sdk_vectors() -> None:
    query = (
        "filter=name%20LIKE%20%22ab%2A%22&include=custom&limit=10"
        "&pnsdk=PubNub-Python%2F10.4.0&timestamp=1700000000&uuid=me"
    )
    assert (
        sign_v2("sec-c-x", "pub-c-x", "GET", "/v2/objects/sub-c-x/channels", query, "")
        == "v2.9qT-mUB_0H398m32bqPkNVB0DicZsTSrHWUEWV-CvfY"
    )
    body = '{"name": "N", "description": null, "custom": null}'
    query = "pnsdk=PubNub-Python%2F10.4.0&timestamp=1700000000&uuid=me"
    path = "/v2/objects/sub-c-x/channels/sp1"
    assert (
        sign_v2("sec-c-x", "pub-c-x", "PATCH", path, query, body)
        == "v2.ab1N31pl6Ove5F5wKY31KxZA9FdAHbqo4yJ-NGEVPaA"
    )
    assert pam_encode("a b~*/") == "a%20b%7E%2A%2F"
