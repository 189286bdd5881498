"""Hostile input to the Mux client: dot ids, odd answers, secrets, webhook headers."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.mux import Mux, construct_event, parse_event, verify_signature
from aiospaces.mux.webhooks import (
    MAX_HEADER_LENGTH,
    Webhooks,
    WebhookSignatureError,
    sign_payload,
)

BASE = "https://mux.example"
SPACE = {"created_at": "1607452572", "id": "sp1", "status": "idle", "type": "server"}
DOTS = [".", "..", "a/../b", "../sp2", "sp1/..", "..\\x"]
Call = Callable[[Mux, str], Any]
CALLS: list[Call] = [
    lambda mux, bad: mux.get_space(bad),
    lambda mux, bad: mux.delete_space(space_id=bad),
    lambda mux, bad: mux.spaces.get().space_id(bad),
    lambda mux, bad: mux.delete_space_broadcast("sp1", bad),
    lambda mux, bad: mux.delete_space_broadcast(bad, "b1"),
    lambda mux, bad: mux.get_space_broadcast("sp1", broadcast_id=bad),
    lambda mux, bad: mux.start_space_broadcast("sp1", bad),
    lambda mux, bad: mux.spaces.stop_broadcast("sp1").broadcast_id(bad),
    lambda mux, bad: mux.create_space_broadcast(bad, live_stream_id="ls1"),
    lambda mux, bad: mux.get_live_stream(bad),
    lambda mux, bad: mux.delete_live_stream(live_stream_id=bad),
    lambda mux, bad: mux.live_streams.complete(bad),
    lambda mux, bad: mux.wait_until_active(bad),
]


def client(**extra: Any) -> Mux:
    return Mux(token_id="tok-id", token_secret="tok-secret", base_url=BASE, **extra)


@pytest.mark.parametrize("bad", DOTS)
@pytest.mark.parametrize("call", CALLS)
@respx.mock
async def test_dot_ids_never_reach_the_network(call: Call, bad: str) -> None:
    anything = respx.route().respond(204)
    async with client() as mux:
        with pytest.raises(aiospaces.ValidationError, match="_id"):
            await call(mux, bad)
    assert not anything.called


@respx.mock
async def test_deleting_the_broadcast_dot_dot_does_not_delete_the_space() -> None:
    space = respx.delete(f"{BASE}/video/v1/spaces/sp1").respond(204)
    async with client() as mux:
        with pytest.raises(aiospaces.ValidationError, match=r"broadcast_id cannot be '\.\.'"):
            await mux.delete_space_broadcast("sp1", "..")
    assert not space.called


@pytest.mark.parametrize(
    ("call", "answer"),
    [
        (lambda mux: mux.get_space("sp1"), httpx.Response(200, text="<html>maintenance</html>")),
        (lambda mux: mux.get_space("sp1"), httpx.Response(200, json={"data": []})),
        (lambda mux: mux.get_space("sp1"), httpx.Response(200, json={"space": SPACE})),
        (
            lambda mux: mux.get_space("sp1"),
            httpx.Response(200, json={"data": {**SPACE, "id": None}}),
        ),
        (lambda mux: mux.list_spaces(), httpx.Response(200, json={"data": {"id": "x"}})),
        (lambda mux: mux.create_space(), httpx.Response(201, json=[1, 2])),
        (lambda mux: mux.get_live_stream("ls1"), httpx.Response(200, json={"data": {"id": 1}})),
    ],
)
@respx.mock
async def test_an_answer_of_the_wrong_shape_is_an_unexpected_response_error(
    call: Callable[[Mux], Any], answer: httpx.Response
) -> None:
    answer.headers["x-request-id"] = "req-odd"
    respx.route().mock(return_value=answer)
    async with client() as mux:
        with pytest.raises(aiospaces.UnexpectedResponseError) as caught:
            await call(mux)
    error = caught.value
    assert (error.status_code, error.vendor, error.request_id) == (
        answer.status_code,
        "mux",
        "req-odd",
    )
    assert error.body is not None
    assert "expected a JSON" in error.message


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"token_id": "tök"}, "token_id"),
        ({"token_id": "tok id"}, "token_id"),
        ({"token_secret": "sécret-value"}, "token_secret"),
        ({"token_secret": "secret\ud800value"}, "token_secret"),
        ({"token_secret": b"secret-value"}, "token_secret"),
        ({"webhook_secret": "whsec\udc00value"}, "webhook_secret"),
        ({"base_url": "https://mux.example:99999"}, "base_url"),
        ({"base_url": "https://mux.example/?x=1"}, "base_url"),
        ({"max_retries": "3"}, "max_retries"),
        ({"config": {"token_id": "a"}}, "config"),
    ],
)
def test_bad_settings_fail_at_construction_without_echoing_secrets(
    settings: dict[str, Any], named: str
) -> None:
    given = {"token_id": "tok-id", "token_secret": "tok-secret", **settings}
    if "config" in settings:
        given = settings
    with pytest.raises(aiospaces.ValidationError, match=named) as caught:
        Mux(**given)
    assert "value" not in str(caught.value)


SECRET = "whsec-test"
BODY = b'{"type": "video.asset.ready", "id": "e1", "created_at": 1, "data": {}}'
NOW = 1_700_000_000


def _v1(stamp: str, body: bytes = BODY) -> str:
    return hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "header",
    [
        f"t=²,v1={_v1('2')}",
        f"t=١٧٠٠٠٠٠٠٠٠,v1={_v1(str(NOW))}",  # noqa: RUF001 - Arabic-Indic digits on purpose
        f"t={NOW}",
        f"v1={_v1(str(NOW))}",
        f"t={NOW},v1=00",
        f"t={NOW},v1={'é' * 64}",
        f"t={NOW},v1={_v1(str(NOW)).upper()}x",
        f"t={'9' * 5000},v1={_v1(str(NOW))}",
        f"t={NOW},v1={_v1(str(NOW))}" + ",x=y" * MAX_HEADER_LENGTH,
        f"t=-{NOW},v1={_v1(str(NOW))}",
        f"t={NOW}.5,v1={_v1(str(NOW))}",
        "",
        "t=\ud800,v1=\udc00",
        "=,=,,",
        None,
        5,
        b"t=1,v1=00",
        {"mux-signature": 5},
        {5: "t=1"},
        {},
    ],
)
@pytest.mark.parametrize("body", [BODY, BODY.decode(), bytearray(BODY)])
def test_hostile_signature_headers_raise_only_webhook_signature_errors(
    header: Any, body: bytes | str
) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_signature(body, header, SECRET, now=NOW)
    with pytest.raises(WebhookSignatureError):
        Webhooks(SECRET).unwrap(body, header)


@pytest.mark.parametrize("body", [None, 5, ["x"], "caf\udce9", object()])
def test_hostile_bodies_raise_only_webhook_signature_errors(body: Any) -> None:
    header = f"t={NOW},v1={_v1(str(NOW))}"
    with pytest.raises(WebhookSignatureError, match="body"):
        verify_signature(body, header, SECRET, now=NOW)


@pytest.mark.parametrize("secret", ["", None, b"whsec-test", "whsec\ud800"])
def test_a_missing_or_broken_secret_is_a_webhook_signature_error(secret: Any) -> None:
    header = f"t={NOW},v1={_v1(str(NOW))}"
    with pytest.raises(WebhookSignatureError, match="secret") as caught:
        verify_signature(BODY, header, secret, now=NOW)
    assert "whsec" not in str(caught.value)


def test_valid_signatures_still_verify_in_any_case_and_body_form() -> None:
    stamp = str(NOW)
    forms: list[Any] = [BODY, BODY.decode(), bytearray(BODY), memoryview(BODY)]
    for body in forms:
        verify_signature(body, f"t={stamp},v1={_v1(stamp).upper()}", SECRET, now=NOW)
    rotated = f"t={stamp},v1={'0' * 64},v1={_v1(stamp)}"
    event = construct_event(BODY, {"Mux-Signature": rotated}, SECRET, tolerance=1e12)
    assert event.id == "e1"
    with pytest.raises(aiospaces.ValidationError, match="tolerance"):
        verify_signature(BODY, rotated, SECRET, tolerance=float("nan"))
    with pytest.raises(aiospaces.ValidationError, match="now"):
        verify_signature(BODY, rotated, SECRET, now="soon")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body", [b"\xff\xfe", b"[" * 100_000, b"[]", b"{}", "\ud800", 5, b'{"type": 5, "id": "e"}']
)
def test_bodies_that_are_no_event_are_validation_errors(body: Any) -> None:
    with pytest.raises(aiospaces.ValidationError) as caught:
        parse_event(body)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"body": 5}, "body"),
        ({"secret": b"s"}, "secret"),
        ({"timestamp": -1}, "timestamp"),
        ({"timestamp": "1"}, "timestamp"),
    ],
)
def test_signing_checks_its_arguments(arguments: dict[str, Any], named: str) -> None:
    with pytest.raises(aiospaces.ValidationError, match=named):
        sign_payload(**{"body": b"{}", "secret": "s", "timestamp": 1, **arguments})
