"""The PubNub emulation against recorded production traffic: one shape test per endpoint.

Every fact here was seen in responses recorded against production PubNub (the test cassettes
of the pubnub/python and pubnub/ruby SDK repositories, replayed by
``benchmarks/fidelity_audit.py``); the values are small literals from those recordings. The
first half pins, per endpoint, the status, keys, value types and headers clients rely on; the
second half the differences the audit found and the emulator now follows.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from aiospaces.emulator import Emulator
from aiospaces.emulator.pubnub.files import file_key, upload_content_type

SUB, PUB = "sub-c-fidelity", "pub-c-fidelity"
CHANNELS = f"/v2/objects/{SUB}/channels"
FILES = f"/v1/files/{SUB}/channels"
ETAG = re.compile(r"[0-9a-f]{32}")
UPDATED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")
CREATED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
NAME = "king_arthur.txt"
BYTES = b"Knights who say Ni!"  # the recorded file: 19 bytes, MD5 3676cdb7...
FORM_FIELDS = [
    "tagging", "key", "Content-Type", "X-Amz-Credential", "X-Amz-Security-Token",
    "X-Amz-Algorithm", "X-Amz-Date", "Policy", "X-Amz-Signature",
]  # fmt: skip
DOWNLOAD_QUERY = [
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Signature",
]  # fmt: skip
TAGGING = (
    "<Tagging><TagSet><Tag><Key>ObjectTTLInDays</Key><Value>1</Value></Tag></TagSet></Tagging>"
)


def at(text: str) -> float:
    """Seconds since the epoch of an ISO 8601 UTC time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


def form_of(answer: httpx.Response) -> dict[str, str]:
    fields = answer.json()["file_upload_request"]["form_fields"]
    return {f["key"]: f["value"] for f in fields}


async def reserve(client: httpx.AsyncClient, channel: str, name: str = NAME) -> httpx.Response:
    return await client.post(f"{FILES}/{channel}/generate-upload-url", json={"name": name})


async def upload(
    client: httpx.AsyncClient, answer: httpx.Response, data: bytes, **changed: str
) -> httpx.Response:
    """POST ``data`` with the handed-out form, fields in order and the file last (as SDKs do).

    ``changed`` replaces the values of some fields (``Content_Type`` for ``Content-Type``).
    """
    fields = answer.json()["file_upload_request"]["form_fields"]
    values = {name.replace("_", "-"): value for name, value in changed.items()}
    files: list[tuple[str, Any]] = [
        (f["key"], (None, values.get(f["key"], f["value"]))) for f in fields
    ]
    files.append(("file", (answer.json()["data"]["name"], data, "text/plain")))
    return await client.post("/_storage/", files=files)


async def send_file(client: httpx.AsyncClient, channel: str, data: bytes = BYTES) -> str:
    answer = await reserve(client, channel)
    assert (await upload(client, answer, data)).status_code == 204
    return str(answer.json()["data"]["id"])


# -- App Context channels --------------------------------------------------------------------


async def test_set_channel_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    answer = await client.patch(
        f"{CHANNELS}/somechannelid",
        params={"include": "custom,status,type"},
        json={"name": "Some name", "description": "Some description", "status": None,
              "type": None, "custom": {"key1": "val1", "key2": "val2"}},
    )  # fmt: skip
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert list(body) == ["status", "data"]
    assert body["status"] == 200
    data = body["data"]
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
    assert data["id"] == "somechannelid"
    assert (data["name"], data["description"]) == ("Some name", "Some description")
    assert (data["type"], data["status"]) == (None, None)
    assert data["custom"] == {"key1": "val1", "key2": "val2"}
    assert UPDATED.fullmatch(data["updated"])
    assert ETAG.fullmatch(data["eTag"])


async def test_set_channel_with_a_stale_etag_answers_the_recorded_412(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.patch(f"{CHANNELS}/c", json={"name": "Some name"})).json()["data"]
    await client.patch(f"{CHANNELS}/c", json={"name": "Some name-2"})
    stale = await client.patch(
        f"{CHANNELS}/c", json={"name": "Some name-3"}, headers={"If-Match": first["eTag"]}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/json"
    assert stale.json() == {
        "status": 412,
        "error": {
            "message": "Channel to update has been modified after it was read.",
            "source": "objects",
        },
    }


@pytest.mark.parametrize(
    ("include", "keys"),
    [
        ("custom", ["id", "name", "description", "custom", "updated", "eTag"]),
        ("status,type", ["id", "name", "description", "type", "status", "updated", "eTag"]),
        ("", ["id", "name", "description", "updated", "eTag"]),
    ],
)
async def test_get_channel_answers_the_recorded_keys_per_include(
    client: httpx.AsyncClient, include: str, keys: list[str]
) -> None:
    await client.patch(f"{CHANNELS}/ch", json={"name": "n", "custom": {"XXX": "YYYY"}})
    answer = await client.get(f"{CHANNELS}/ch", params={"include": include} if include else {})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert list(answer.json()) == ["status", "data"]
    assert list(answer.json()["data"]) == keys


async def test_list_channels_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    for name in ("a", "b", "c"):
        await client.patch(f"{CHANNELS}/{name}", json={"name": name})
    answer = await client.get(CHANNELS, params={"count": "true", "include": "custom", "limit": "2"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert list(body) == ["status", "data", "totalCount", "next"]
    assert body["totalCount"] == 3
    assert body["next"] == "Mg"  # production's cursors: unpadded base64 of the offset ("2")
    assert [list(item) for item in body["data"]] == [
        ["id", "name", "description", "custom", "updated", "eTag"]
    ] * 2


async def test_remove_channel_answers_the_recorded_body(client: httpx.AsyncClient) -> None:
    await client.patch(f"{CHANNELS}/somechannelid", json={"name": "n"})
    answer = await client.delete(f"{CHANNELS}/somechannelid")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"status": 200, "data": None}


# -- file sharing ----------------------------------------------------------------------------


async def test_generate_upload_url_answers_the_recorded_shape(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.storage.clock = lambda: at("2025-05-05T17:26:43")
    answer = await reserve(client, "files_asyncio_ch")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert list(body) == ["status", "data", "file_upload_request"]
    assert list(body["data"]) == ["id", "name"]
    assert UUID.fullmatch(body["data"]["id"])
    assert body["data"]["name"] == NAME
    request = body["file_upload_request"]
    assert list(request) == ["url", "method", "expiration_date", "form_fields"]
    assert request["method"] == "POST"
    assert request["expiration_date"] == "2025-05-05T17:27:43Z"  # a minute after the answer
    assert [f["key"] for f in request["form_fields"]] == FORM_FIELDS
    assert all(list(f) == ["key", "value"] for f in request["form_fields"])
    form = form_of(answer)
    assert form["tagging"] == TAGGING
    assert (
        form["key"]
        == f"{SUB}/0MR1-z2w0nSJYxwEy74p5QjV85TmgNBKPrV71t55NT0/{body['data']['id']}/{NAME}"
    )
    assert form["Content-Type"] == "text/plain; charset=utf-8"
    assert re.fullmatch(
        r"[A-Z0-9]{20}/20250505/[a-z0-9-]+/s3/aws4_request", form["X-Amz-Credential"]
    )
    assert form["X-Amz-Security-Token"] == ""
    assert form["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert re.fullmatch(r"[0-9a-f]{64}", form["X-Amz-Signature"])


async def test_publish_file_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    message = {"message": {"test_message": "test"}, "file": {"id": "2222", "name": "test"}}
    answer = await client.get(
        f"/v1/files/publish-file/{PUB}/{SUB}/0/files_native_sync_ch/0/{json.dumps(message)}",
        params={"meta": "{}", "store": "0", "ttl": "0"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == 'text/javascript; charset="UTF-8"'
    assert answer.headers["cache-control"] == "no-cache"
    sent = answer.json()
    assert sent[:2] == [1, "Sent"]
    assert re.fullmatch(r"\d{17}", sent[2])


async def test_list_files_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    ids = sorted([await send_file(client, "listed") for _ in range(3)])
    first = await client.get(f"{FILES}/listed/files", params={"limit": "2"})
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    body = first.json()
    assert list(body) == ["status", "data", "next", "count"]
    assert body["count"] == 2
    assert re.fullmatch(r"[A-Za-z0-9_-]+", body["next"])  # an opaque URL-safe token
    assert [item["id"] for item in body["data"]] == ids[:2]  # by id, as S3 lists keys
    for item in body["data"]:
        assert list(item) == ["name", "id", "size", "created"]
        assert (item["name"], item["size"]) == (NAME, 19)
        assert CREATED.fullmatch(item["created"])  # seconds, no fraction
    last = await client.get(f"{FILES}/listed/files", params={"limit": "2", "next": body["next"]})
    assert last.json()["next"] is None  # null, not left out, once nothing is left
    assert [item["id"] for item in last.json()["data"]] == ids[2:]


async def test_get_file_url_answers_the_recorded_307(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    file_id = await send_file(client, "files_native_sync_ch")
    emulator.storage.clock = lambda: at("2025-05-05T17:26:45")
    answer = await client.get(f"{FILES}/files_native_sync_ch/files/{file_id}/{NAME}")
    assert answer.status_code == 307
    assert answer.content == b""
    assert answer.headers["cache-control"] == "public, max-age=2235, immutable"  # as recorded
    location = urlsplit(answer.headers["location"])
    assert location.path.endswith(f"/{file_id}/{NAME}")
    query = dict(parse_qsl(location.query))
    assert list(query) == DOWNLOAD_QUERY
    assert query["X-Amz-Date"] == "20250505T170000Z"  # the start of the hour, as recorded
    assert query["X-Amz-Expires"] == "3900"
    assert query["X-Amz-SignedHeaders"] == "host"


async def test_delete_file_answers_the_recorded_body(client: httpx.AsyncClient) -> None:
    file_id = await send_file(client, "files_asyncio_ch")
    answer = await client.delete(f"{FILES}/files_asyncio_ch/files/{file_id}/{NAME}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"status": 200}


async def test_presigned_post_answers_the_recorded_204(client: httpx.AsyncClient) -> None:
    answer = await reserve(client, "files_asyncio_ch")
    stored = await upload(client, answer, BYTES)
    assert stored.status_code == 204
    assert stored.content == b""
    assert stored.headers["etag"] == '"3676cdb7a927db43c846070c4e7606c7"'  # recorded: MD5
    assert stored.headers["server"] == "AmazonS3"
    assert stored.headers["x-amz-server-side-encryption"] == "AES256"
    assert re.fullmatch(
        r'expiry-date="[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} 00:00:00 GMT", '
        r'rule-id="Archive file 1 day after creation"',
        stored.headers["x-amz-expiration"],
    )
    location = urlsplit(stored.headers["location"]).path  # the key, its slashes encoded
    assert location.endswith("%2F" + answer.json()["data"]["id"] + "%2F" + NAME)


async def test_download_answers_the_recorded_bytes_and_headers(client: httpx.AsyncClient) -> None:
    file_id = await send_file(client, "files_asyncio_ch")
    redirect = await client.get(f"{FILES}/files_asyncio_ch/files/{file_id}/{NAME}")
    answer = await client.get(redirect.headers["location"])
    assert answer.status_code == 200
    assert answer.content == BYTES
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"  # the form's field
    assert answer.headers["content-length"] == "19"
    assert answer.headers["etag"] == '"3676cdb7a927db43c846070c4e7606c7"'
    assert answer.headers["server"] == "AmazonS3"
    assert answer.headers["x-amz-server-side-encryption"] == "AES256"
    assert answer.headers["x-amz-expiration"].endswith(
        'rule-id="Archive file 1 day after creation"'
    )


# -- differences the audit found, now followed -----------------------------------------------


@pytest.mark.parametrize(
    ("channel", "segment"),
    [
        ("files_asyncio_ch", "0MR1-z2w0nSJYxwEy74p5QjV85TmgNBKPrV71t55NT0"),
        ("files_native_sync_ch", "f-tIAcNXJO9m81fWVV_o-fSQ-veupNrTloVAUPbeUQQ"),
        ("files_native_threads_ch", "jaDgk-9c_B8i5c_vBjUOQQfLTonvLy7MImT7mZ_coCQ"),
    ],
)
def test_a_files_key_names_the_channel_by_its_recorded_hash(channel: str, segment: str) -> None:
    assert file_key("sub-c-1", channel) == f"sub-c-1/{segment}/"
    digest = base64.urlsafe_b64encode(hashlib.sha256(channel.encode()).digest())
    assert segment == digest.decode().rstrip("=")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("king_arthur.txt", "text/plain; charset=utf-8"),  # recorded
        ("file_5mb", "binary/octet-stream"),  # recorded
        ("notes.html", "text/html; charset=utf-8"),  # a text type: the same rule as .txt
        ("photo.png", "image/png"),
    ],
)
async def test_the_upload_content_type_follows_the_file_name(
    client: httpx.AsyncClient, name: str, content_type: str
) -> None:
    assert upload_content_type(name) == content_type
    assert form_of(await reserve(client, "ch", name))["Content-Type"] == content_type


async def test_the_upload_policy_has_the_recorded_conditions_and_takes_any_type(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.storage.clock = lambda: at("2024-12-03T14:45:53")
    answer = await reserve(client, "files_asyncio_ch")
    form = form_of(answer)
    policy = json.loads(base64.b64decode(form["Policy"]))
    assert policy["expiration"] == "2024-12-03T14:46:53Z"
    kinds = [next(iter(c)) if isinstance(c, dict) else c[:2] for c in policy["conditions"]]
    assert kinds == [
        "bucket", ["eq", "$tagging"], ["eq", "$key"], ["content-length-range", 0],
        ["starts-with", "$Content-Type"], "x-amz-credential", "x-amz-security-token",
        "x-amz-algorithm", "x-amz-date",
    ]  # fmt: skip
    assert policy["conditions"][4] == ["starts-with", "$Content-Type", ""]
    assert form["X-Amz-Date"] == "20241203T144653Z"  # recorded: dated at the expiry
    # production's policy lets a client choose the type
    assert (await upload(client, answer, b"png", Content_Type="image/png")).status_code == 204
    redirect = await client.get(
        f"{FILES}/files_asyncio_ch/files/{answer.json()['data']['id']}/{NAME}"
    )
    assert (await client.get(redirect.headers["location"])).headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    ("now", "max_age", "signed"),
    [  # (answered at, Cache-Control max-age, X-Amz-Date), as recorded
        ("2025-05-05T17:26:45", 2235, "20250505T170000Z"),
        ("2024-12-11T13:43:36", 1224, "20241211T130000Z"),
        ("2020-11-19T20:00:09", 3831, "20201119T200000Z"),
    ],
)
async def test_a_download_url_is_signed_at_the_hour_and_cached_until_a_minute_before_expiry(
    client: httpx.AsyncClient, emulator: Emulator, now: str, max_age: int, signed: str
) -> None:
    file_id = await send_file(client, "ch")
    emulator.storage.clock = lambda: at(now)
    first = await client.get(f"{FILES}/ch/files/{file_id}/{NAME}")
    assert first.headers["cache-control"] == f"public, max-age={max_age}, immutable"
    assert dict(parse_qsl(urlsplit(first.headers["location"]).query))["X-Amz-Date"] == signed
    emulator.storage.clock = lambda: at(now) + 60
    again = await client.get(f"{FILES}/ch/files/{file_id}/{NAME}")
    assert again.headers["location"] == first.headers["location"]  # the same URL all hour
    assert (await client.get(first.headers["location"])).content == BYTES


async def test_a_patch_that_changes_nothing_keeps_the_etag_and_updated(
    client: httpx.AsyncClient,
) -> None:
    # Recorded: the same {"name":"some_name"} PATCH answered eTag "Adqiu+akxbGf1wE" and the
    # same "updated" from 2021-03-03T23:11:02Z to a day later; a change gives new ones.
    body = {"name": "some_name", "custom": {"XXX": "YYYY"}}
    first = (await client.patch(f"{CHANNELS}/channel", json=body)).json()["data"]
    again = await client.patch(
        f"{CHANNELS}/channel", json={"name": "some_name"}, headers={"If-Match": first["eTag"]}
    )
    assert again.status_code == 200
    assert (again.json()["data"]["eTag"], again.json()["data"]["updated"]) == (
        first["eTag"],
        first["updated"],
    )
    changed = (await client.patch(f"{CHANNELS}/channel", json={"name": "other"})).json()["data"]
    assert changed["eTag"] != first["eTag"]
    stale = await client.patch(
        f"{CHANNELS}/channel", json={"name": "x"}, headers={"If-Match": first["eTag"]}
    )
    assert stale.status_code == 412


async def test_sorting_by_id_orders_letters_and_digits_before_punctuation(
    client: httpx.AsyncClient,
) -> None:
    for channel in ("somechannel_with_custom", "somechannelid", "somechannel"):
        await client.patch(f"{CHANNELS}/{channel}", json={"name": channel})
    answer = await client.get(CHANNELS, params={"sort": "id:asc,updated:desc"})
    ids = [item["id"] for item in answer.json()["data"]]
    assert ids == ["somechannel", "somechannelid", "somechannel_with_custom"]  # as recorded
    default = await client.get(CHANNELS)
    assert [item["id"] for item in default.json()["data"]] == ids


async def test_sorting_by_updated_compares_times_not_text(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    # ``updated`` drops trailing zeros ("...:53.1Z"), so as text ".12Z" < ".1Z" would sort
    # 53.12 s before 53.1 s.
    for channel in ("a", "b"):
        await client.patch(f"{CHANNELS}/{channel}", json={"name": channel})
    channels = emulator.vendors["pubnub"].keysets.by_key[SUB].channels  # type: ignore[attr-defined]
    channels["a"].updated = "2024-03-07T08:46:53.1Z"
    channels["b"].updated = "2024-03-07T08:46:53.12Z"
    answer = await client.get(CHANNELS, params={"sort": "updated"})
    assert [item["id"] for item in answer.json()["data"]] == ["a", "b"]
