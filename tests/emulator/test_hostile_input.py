"""Hostile input gets each vendor's 4xx answer, never a 5xx, and nothing of it is stored.

``str.isdigit()`` accepts digits such as ``²`` that ``int()`` refuses; every number the
emulator reads from a request must fail as the vendor would, not as a server error. JSON that
no answer could carry back (lone surrogates, NaN, infinities, absurd nesting) is refused before
it is stored. The full sweep of every route is tests/reliability/test_emulator_hostile.py.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from aiospaces.emulator import Emulator
from aiospaces.emulator._parse import ascii_int, json_value

SUPERSCRIPT_TWO = "\u00b2"
NIO = {"Authorization": "Token hostile"}
MUX = ("token-id", "token-secret")


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://emu") as c:
        yield c


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/v2/objects/sub/channels?limit={SUPERSCRIPT_TWO}", 400),
        (
            "/v2/objects/sub/channels?start="
            + base64.b64encode(SUPERSCRIPT_TWO.encode()).decode().rstrip("="),
            400,
        ),
        (f"/v1/files/sub/channels/ch/files?limit={SUPERSCRIPT_TWO}", 400),
        ('/v1/files/publish-file/pub/sub/0/ch/0/"hi"?meta=not-json', 400),
        (
            "/_storage/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=c"
            f"&X-Amz-Date=20250101T000000Z&X-Amz-Expires={SUPERSCRIPT_TWO}"
            "&X-Amz-SignedHeaders=host&X-Amz-Signature=s",
            400,
        ),
    ],
)
async def test_pubnub_and_storage_numbers(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await client.get(path)
    assert response.status_code == status


async def test_pubnub_signature_timestamp(client: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.vendors["pubnub"].seed({"subscribe_key": "sub-signed", "secret_key": "sec"})
    params = {"signature": "v2.x", "timestamp": SUPERSCRIPT_TWO}
    response = await client.get("/v2/objects/sub-signed/channels", params=params)
    assert response.status_code == 403
    assert response.json()["message"] == "Signature and timestamp are required"


async def test_pubnub_signature_of_odd_characters(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.vendors["pubnub"].seed({"subscribe_key": "sub-signed", "secret_key": "sec"})
    params = {"signature": SUPERSCRIPT_TWO * 3, "timestamp": str(int(time.time()))}
    response = await client.get("/v2/objects/sub-signed/channels", params=params)
    assert response.status_code == 403
    assert response.json()["message"] == "Signature does not match"


async def test_neuroio_numbers(client: httpx.AsyncClient) -> None:
    listed = await client.get("/v1/spaces/", params={"limit": SUPERSCRIPT_TWO}, headers=NIO)
    assert listed.status_code == 200  # DRF: a bad limit falls back to the default
    assert listed.json()["count"] == 1
    token = await client.get(f"/v1/tokens/{SUPERSCRIPT_TWO}/", headers=NIO)
    assert token.status_code == 404


async def test_mux_numbers(client: httpx.AsyncClient) -> None:
    for name in ("limit", "page"):
        response = await client.get("/video/v1/spaces", params={name: SUPERSCRIPT_TWO}, auth=MUX)
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_parameters"


@pytest.mark.parametrize(
    ("method", "path", "body", "after"),
    [
        ("PATCH", "/v2/objects/sub/channels/ch?include=custom", b'{"custom": {"a": NaN}}', None),
        ("POST", "/video/v1/live-streams", b'{"test": Infinity}', "/video/v1/live-streams"),
        ("POST", "/_emulator/faults", b'{"path": "/x", "body": -Infinity}', "/_emulator/faults"),
        ("POST", "/v1/spaces/", b'{"name": NaN}', "/v1/spaces/"),
    ],
)
async def test_non_json_constants_are_refused(
    client: httpx.AsyncClient, method: str, path: str, body: bytes, after: str | None
) -> None:
    headers = NIO if path.startswith("/v1/") else {}
    auth = MUX if path.startswith("/video/") else None
    response = await client.request(method, path, content=body, headers=headers, auth=auth)
    assert response.status_code == 400
    if after is not None:  # nothing unanswerable was stored
        assert (await client.get(after, headers=headers, auth=auth)).status_code == 200


async def test_publish_file_refuses_non_json(client: httpx.AsyncClient) -> None:
    base = "/v1/files/publish-file/pub/sub/0/ch/0/"
    message = await client.get(base + '{"file": {"id": "1", "name": NaN}}')
    assert message.status_code == 400
    assert message.json()["error"]["message"] == "Invalid message: not JSON."
    meta = await client.get(base + '"hi"', params={"meta": "{"})
    assert meta.status_code == 400
    assert meta.json()["error"]["message"] == "Invalid meta parameter."
    assert (await client.get("/_emulator/state")).status_code == 200


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"a": "\\ud800"}', "lone surrogate"),
        (b'{"a": "\xed\xa0\x80"}', "lone surrogate"),
        (b'{"\\udfff": 1}', "lone surrogate"),
        (b'{"a": NaN}', "NaN is not JSON"),
        (b"[-Infinity]", "-Infinity is not JSON"),
        (b'{"a": 1e999}', "out of range"),
        (b"[" * 100_000, "nested deeper than 64"),
        (b"[" * 65 + b"]" * 65, "nested deeper than 64"),
        (b"9" * 5000, "digits"),
    ],
)
def test_json_values_no_answer_could_carry_are_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        json_value(raw)


def test_json_values_within_bounds_are_read() -> None:
    assert json_value(b"[" * 64 + b"]" * 64) is not None
    assert json_value('"\\ud83d\\ude00"') == "\U0001f600"  # a surrogate *pair* is a character
    assert json_value(b"1e308") == 1e308


@pytest.mark.parametrize(
    ("raw", "value"),
    [("7", 7), ("007", 7), ("9" * 18, int("9" * 18)), ("9" * 19, None), ("\u00b2", None),
     ("\u0663", None), ("-1", None), ("+1", None), (" 1", None), ("1_0", None), ("", None),
     (None, None)],
)  # fmt: skip
def test_integers_are_ascii_digits_only(raw: str | None, value: int | None) -> None:
    assert ascii_int(raw) == value


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"custom": {"a": "\\ud800"}}', "body is not valid JSON"),
        (b'{"custom": {"a": 1e999}}', "body is not valid JSON"),
        (b'{"name": ' + b"[" * 100_000, "body is not valid JSON"),
    ],
)
async def test_a_refused_patch_stores_nothing(
    client: httpx.AsyncClient, body: bytes, detail: str
) -> None:
    channel = "/v2/objects/sub/channels/ch"
    response = await client.patch(channel, content=body, params={"include": "custom"})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["message"] == detail
    listed = await client.get("/v2/objects/sub/channels", params={"include": "custom"})
    assert listed.status_code == 200
    assert listed.json()["data"] == []
    assert (await client.get("/_emulator/state")).status_code == 200


async def test_ids_past_eighteen_digits_are_not_found(client: httpx.AsyncClient) -> None:
    space = await client.get("/v1/spaces/" + "9" * 5000 + "/", headers=NIO)
    assert space.status_code == 404
    assert space.json()["error_codes"] == [604]
    token = await client.get("/v1/tokens/" + "9" * 5000 + "/", headers=NIO)
    assert token.status_code == 404
    block = await client.get("/api/v1/blocks/key/" + "1" * 19 + "/block")
    assert block.status_code == 404
    assert "error" in block.json()
