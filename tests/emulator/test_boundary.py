"""The boundary answers what no route should see, in the shape of the vendor the path is for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from typing import Any

import httpx
import pytest

from aiospaces.emulator import Emulator
from aiospaces.emulator.boundary import MAX_BODY

MUX = ("token-id", "token-secret")


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://emu") as c:
        yield c


def pubnub(body: Any) -> bool:
    return isinstance(body["error"], dict) and {"message", "source"} <= body["error"].keys()


def mux(body: Any) -> bool:
    return bool({"type", "messages"} <= body["error"].keys())


def neuroio(body: Any) -> bool:
    return isinstance(body["error_codes"], list) and "fields" in body


def plain(body: Any) -> bool:
    return isinstance(body["error"], str)


SHAPES: list[tuple[str, Callable[[Any], bool]]] = [
    ("/v2/objects/sub/channels", pubnub),
    ("/v1/files/sub/channels/ch/files", pubnub),
    ("/v1/spaces/", neuroio),
    ("/video/v1/spaces", mux),
    ("/api/apps", plain),
    ("/_emulator/state", plain),
]


@pytest.mark.parametrize(("path", "shape"), SHAPES)
async def test_unknown_methods_are_405_in_the_vendors_shape(
    client: httpx.AsyncClient, path: str, shape: Callable[[Any], bool]
) -> None:
    response = await client.request("PROPFIND", path, auth=MUX)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert shape(response.json())


@pytest.mark.parametrize(("path", "shape"), SHAPES)
async def test_unknown_paths_are_404_in_the_vendors_shape(
    client: httpx.AsyncClient, path: str, shape: Callable[[Any], bool]
) -> None:
    response = await client.get(path + "/no/such/thing%2Fhere", auth=MUX)
    assert response.status_code == 404
    assert shape(response.json())


async def test_storage_refusals_are_s3_xml(client: httpx.AsyncClient) -> None:
    response = await client.request("PUT", "/_storage/some/key")
    assert response.status_code == 405
    assert "<Code>MethodNotAllowed</Code>" in response.text


@pytest.mark.parametrize("host", [b"[", b"emu:port", b"\xff", b"a/b", b"emu:99999"])
async def test_a_host_header_that_is_no_host_is_400(client: httpx.AsyncClient, host: bytes) -> None:
    response = await client.get("/v2/objects/sub/channels", headers={b"Host": host})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The Host header is not a host[:port]."


async def test_a_declared_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"name": "' + b"a" * MAX_BODY + b'"}'
    token = {"Authorization": "Token t"}
    response = await client.post("/v1/spaces/", content=body, headers=token)
    assert response.status_code == 413
    assert response.json()["error_codes"] == [600]
    listed = await client.get("/v1/spaces/", headers=token)
    assert listed.json()["count"] == 1  # only the account's default space


async def test_a_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"custom": {"a": "'
        for _ in range(MAX_BODY // 65536 + 1):
            yield b"a" * 65536
        yield b'"}}'

    channel = "/v2/objects/sub/channels/ch"
    response = await client.patch(channel, content=chunks())  # no Content-Length: chunked
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("The request body is larger")
    assert (await client.get(channel)).status_code == 404


async def test_uploads_are_left_to_the_storage_limit(client: httpx.AsyncClient) -> None:
    body = b"x" * (MAX_BODY + 1)
    response = await client.post(
        "/_storage/", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 400  # S3's own answer to a form that is not one
    assert "<Code>MalformedPOSTRequest</Code>" in response.text


async def test_a_client_that_goes_away_mid_body_is_no_server_error(emulator: Emulator) -> None:
    sent: list[MutableMapping[str, Any]] = []
    messages: Iterator[dict[str, Any]] = iter(
        [
            {"type": "http.request", "body": b'{"name": ', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "PATCH",
        "path": "/v2/objects/sub-c/channels/room",
        "raw_path": b"/v2/objects/sub-c/channels/room",
        "query_string": b"",
        "headers": [(b"host", b"emu"), (b"content-type", b"application/json")],
        "scheme": "http",
        "server": ("emu", 80),
        "client": ("127.0.0.1", 1),
        "http_version": "1.1",
        "root_path": "",
    }
    await emulator.app(scope, receive, send)  # must not raise
    assert all(m.get("status", 200) < 500 for m in sent)
    assert "room" not in str(emulator.vendors["pubnub"].snapshot())  # nothing half-stored
