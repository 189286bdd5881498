"""Hostile input to the PubNub client: dot ids, odd answers, keys that are no URL part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.pubnub import PubNub
from aiospaces.pubnub.models import Page
from tests.pubnub.test_files_wire import FILES, ORIGIN, PUBLISHED, S3, SUB, Routes, client, ticket

SPACES = f"{ORIGIN}/v2/objects/{SUB}/channels"
SPACE = {"id": "room", "updated": "2024-01-01T00:00:00.000000Z", "eTag": "e1"}
DOTS = [".", "..", "a/../b", "../room", "room/.", "..\\x"]
Call = Callable[[PubNub, str], Any]
STORED: Any = {"channel": "ch", "file_id": "fid", "file_name": "a.txt"}
CALLS: list[Call] = [
    lambda pn, bad: pn.fetch_space(space_id=bad),
    lambda pn, bad: pn.create_space(space_id=bad, name="x"),
    lambda pn, bad: pn.update_space().space_id(bad),
    lambda pn, bad: pn.remove_space(space_id=bad),
    lambda pn, bad: pn.list_files(channel=bad),
    lambda pn, bad: pn.get_file_url(channel=bad, file_id="fid", file_name="a.txt"),
    lambda pn, bad: pn.get_file_url(channel="ch", file_id=bad, file_name="a.txt"),
    lambda pn, bad: pn.delete_file(channel="ch", file_id="fid", file_name=bad),
    lambda pn, bad: pn.download_file(channel="ch", file_id=bad, file_name="a.txt"),
    lambda pn, bad: pn.send_file(channel=bad, file_name="a.txt", file_object=b"x"),
    lambda pn, bad: pn.send_file(channel="ch", file_name=bad, file_object=b"x"),
    lambda pn, bad: pn.publish_file_message(channel="ch", file_id=bad, file_name="a.txt"),
    lambda pn, bad: pn.upload_files(bad, [b"x"]),
]


@pytest.mark.parametrize("bad", DOTS)
@pytest.mark.parametrize("call", CALLS)
@respx.mock
async def test_dot_ids_never_reach_the_network(call: Call, bad: str) -> None:
    anything = respx.route().respond(200, json={})
    async with client() as pn:
        with pytest.raises(aiospaces.ValidationError, match=r"space_id|channel|file_"):
            await call(pn, bad)
    assert not anything.called


@pytest.mark.parametrize(
    ("call", "answer"),
    [
        (lambda pn: pn.fetch_space(space_id="room"), httpx.Response(200, text="<html>")),
        (lambda pn: pn.fetch_space(space_id="room"), httpx.Response(200, json={"data": None})),
        (
            lambda pn: pn.fetch_space(space_id="room"),
            httpx.Response(200, json={"data": {**SPACE, "updated": 10**20}}),
        ),
        (lambda pn: pn.fetch_spaces(), httpx.Response(200, json=[SPACE])),
        (lambda pn: pn.fetch_spaces(), httpx.Response(200, json={"data": [], "next": 5})),
        (lambda pn: pn.fetch_spaces(), httpx.Response(200, json={"data": {"a": SPACE}})),
        (lambda pn: pn.list_files(channel="ch"), httpx.Response(200, json={"data": []})),
        (lambda pn: pn.get_file_url(**STORED), httpx.Response(200, json={})),
        (
            lambda pn: pn.get_file_url(**STORED),
            httpx.Response(307, headers={"Location": "file:///etc/passwd"}),
        ),
        (lambda pn: pn.publish_file_message(**STORED), httpx.Response(200, json={"ok": 1})),
        (lambda pn: pn.publish_file_message(**STORED), httpx.Response(200, json=[1, "Sent", 1.5])),
    ],
)
@respx.mock
async def test_an_answer_of_the_wrong_shape_is_an_unexpected_response_error(
    call: Callable[[PubNub], Any], answer: httpx.Response
) -> None:
    answer.headers["x-request-id"] = "req-odd"
    respx.route().mock(return_value=answer)
    async with client() as pn:
        with pytest.raises(aiospaces.UnexpectedResponseError) as caught:
            await call(pn)
    error = caught.value
    assert (error.status_code, error.vendor, error.request_id) == (
        answer.status_code,
        "pubnub",
        "req-odd",
    )


def _ticket_with(**changes: Any) -> httpx.Response:
    body = ticket().json()
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = body
        for parent in parents:
            node = node[parent]
        node[leaf] = value
    return httpx.Response(200, json=body, headers={"x-request-id": "req-ticket"})


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="not json", headers={"x-request-id": "req-ticket"}),
        _ticket_with(data=None),
        _ticket_with(data__id=".."),
        _ticket_with(data__name=None),
        _ticket_with(file_upload_request__url="/relative"),
        _ticket_with(file_upload_request__form_fields=[{"key": 1, "value": None}]),
        _ticket_with(file_upload_request__form_fields={"key": "v"}),
    ],
)
@respx.mock
async def test_an_odd_upload_ticket_stops_the_upload_before_storage(answer: httpx.Response) -> None:
    routes = Routes(generate=answer)
    async with client() as pn:
        with pytest.raises(
            aiospaces.UnexpectedResponseError, match="generate-upload-url"
        ) as caught:
            await pn.send_file(channel="photos 2026/ü", file_name="a b.txt", file_object=b"x")
    assert caught.value.request_id == "req-ticket"
    assert not routes.upload.called
    assert not routes.publish.called


@respx.mock
async def test_an_odd_publish_answer_is_a_resumable_failure_caused_by_the_answer() -> None:
    Routes(publish=httpx.Response(200, json={"sent": True}))
    async with client() as pn:
        with pytest.raises(aiospaces.FileUploadError) as caught:
            await pn.send_file(
                channel="photos 2026/ü", file_name="a b.txt", file_object=b"x", publish_retries=0
            )
    assert caught.value.file_id == "fid-1"
    assert isinstance(caught.value.__cause__, aiospaces.UnexpectedResponseError)


@respx.mock
async def test_the_usual_three_requests_still_work() -> None:
    routes = Routes()
    async with client() as pn:
        sent = await pn.send_file(channel="photos 2026/ü", file_name="a b.txt", file_object=b"x")
    assert sent.timestamp == PUBLISHED.json()[2]
    assert routes.upload.calls.last.request.url == S3
    assert FILES in str(routes.generate.calls.last.request.url)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"subscribe_key": "sub c"}, "subscribe_key"),
        ({"publish_key": "pub-ç"}, "publish_key"),
        ({"auth_key": "äuth-hunter2"}, "auth_key"),
        ({"token": "tok hunter2"}, "token"),
        ({"secret_key": "sec\ud800hunter2"}, "secret_key"),
        ({"secret_key": b"sec-c-hunter2"}, "secret_key"),
        ({"cipher_key": "key\udc00hunter2"}, "cipher_key"),
        ({"origin": "\x865"}, "origin"),
        ({"origin": "ps.pndsn.com:0"}, "origin"),
        ({"config": "sub-c-x"}, "config"),
    ],
)
def test_bad_settings_fail_at_construction_without_echoing_secrets(
    settings: dict[str, Any], named: str
) -> None:
    make: Callable[..., PubNub] = PubNub if "config" in settings else client
    with pytest.raises(aiospaces.ValidationError, match=named) as caught:
        make(**settings)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda pn: pn.update_space(space_id="room").if_matches_etag("é1"),
        lambda pn: pn.update_space(space_id="room").if_matches_etag("e1\r\nX-Injected: 1"),
        lambda pn: pn.fetch_spaces().page("cur\ud800sor"),
        lambda pn: pn.fetch_spaces().page(Page(5, "next")),  # type: ignore[arg-type]
        lambda pn: pn.fetch_spaces().sort(5),
        lambda pn: pn.fetch_spaces().sort(["name", None]),
        lambda pn: pn.fetch_spaces(sort=b"name"),
        lambda pn: pn.send_file().cipher_key("key\ud800"),
        lambda pn: pn.send_file().on_progress("print"),
        lambda pn: pn.send_file().content_type("text/plain\r\nX-Injected: 1"),
        lambda pn: pn.send_file().content_type("text/plaïn"),
        lambda pn: pn.send_file().message({"nan": float("nan")}),
        lambda pn: pn.publish_file_message().meta({1, 2}),
        lambda pn: pn.upload_files("ch", 5),
        lambda pn: pn.upload_files("ch", "a.txt"),
        lambda pn: pn.upload_files("ch", [b"x"], on_progress="print"),
        lambda pn: pn.upload_files("ch", [b"x"], ttl=-1),
    ],
)
def test_bad_setter_values_raise_at_once(make: Callable[[PubNub], Any]) -> None:
    with pytest.raises(aiospaces.ValidationError):
        make(client())


@pytest.mark.parametrize("source", ["a\x00b.txt", "x\ud800", 5, httpx.Timeout(1.0)])
@respx.mock
async def test_file_sources_that_cannot_be_read_are_validation_errors(source: Any) -> None:
    anything = respx.route().respond(200, json={})
    async with client() as pn:
        with pytest.raises(aiospaces.ValidationError, match=r"read|file content"):
            await pn.send_file(channel="ch", file_name="a.txt", file_object=source)
    assert not anything.called
