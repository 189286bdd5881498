"""Each vendor reads its own error bodies into the typed errors (the core knows none of them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

import aiospaces
from aiospaces.core.client import BaseClient, ErrorInfo

BASE = "https://toy.example"
CLIENTS: dict[str, Callable[[], BaseClient]] = {
    "pubnub": lambda: aiospaces.PubNub(subscribe_key="sub", user_id="u", origin="toy.example"),
    "mux": lambda: aiospaces.Mux(token_id="i", token_secret="s", base_url=BASE),
    "neuroio": lambda: aiospaces.NeuroIO(api_token="t", iam_url=BASE),
    "pubnub_admin": lambda: aiospaces.PubNubAdmin(email="e@x.io", password="p", base_url=BASE),
}

PUBNUB_412 = {
    "status": 412,
    "error": {
        "message": "Channel to update has been modified after it was read.",
        "source": "objects",
    },
}
PUBNUB_400 = {
    "status": 400,
    "error": {
        "message": "Invalid filter expression.",
        "source": "objects",
        "details": [{"message": "bad token", "location": "filter", "locationType": "query"}],
    },
}
MUX_404 = {
    "error": {
        "type": "not_found",
        "messages": ["The requested resource either doesn't exist or you don't have access to it."],
    }
}
MUX_429 = {"errors": ["Too many requests, retry later."]}
NEUROIO_400 = {
    "error_codes": [400],
    "message": "Validation error.",
    "fields": [{"name": "name", "message": "required", "error_code": 1}],
}
ADMIN_401 = {"error": "Invalid session"}
ADMIN_409 = {"message": {"text": "Block is already running", "stack": "at x"}}
PAM_403 = {"error": True, "status": 403, "service": "Access Manager", "message": "Token is revoked"}
S3_TOO_LARGE = (
    "<?xml version='1.0' encoding='UTF-8'?><Error><Code>EntityTooLarge</Code>"
    "<Message>Your proposed upload exceeds the maximum allowed size</Message>"
    "<RequestId>R1</RequestId></Error>"
)


def _answer(
    status: int, *, json: Any = None, text: str | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    request = httpx.Request("GET", f"{BASE}/things/a")
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=request)
    return httpx.Response(status, json=json, headers=headers, request=request)


@pytest.mark.parametrize(
    ("vendor", "status", "body", "cls", "message", "error_type"),
    [
        (
            "pubnub",
            400,
            PUBNUB_400,
            aiospaces.BadRequestError,
            "Invalid filter expression.",
            "objects",
        ),
        ("pubnub_admin", 401, ADMIN_401, aiospaces.AuthenticationError, "Invalid session", None),
        ("pubnub", 403, PAM_403, aiospaces.PermissionDeniedError, "Token is revoked", None),
        (
            "mux",
            404,
            MUX_404,
            aiospaces.NotFoundError,
            "The requested resource either",
            "not_found",
        ),
        ("pubnub_admin", 409, ADMIN_409, aiospaces.ConflictError, "Block is already running", None),
        (
            "pubnub",
            412,
            PUBNUB_412,
            aiospaces.PreconditionFailedError,
            "Channel to update",
            "objects",
        ),
        ("pubnub", 413, {"message": "too big"}, aiospaces.PayloadTooLargeError, "too big", None),
        ("neuroio", 422, NEUROIO_400, aiospaces.APIError, "Validation error.", "400"),
        ("neuroio", 500, {"message": "oops"}, aiospaces.ServerError, "oops", None),
    ],
)
def test_error_statuses_map_to_typed_exceptions(
    vendor: str,
    status: int,
    body: Any,
    cls: type[aiospaces.APIError],
    message: str,
    error_type: str | None,
) -> None:
    client = CLIENTS[vendor]()
    error = client._api_error(_answer(status, json=body, headers={"x-request-id": "rid-7"}))
    assert type(error) is cls
    assert error.status_code == status
    assert error.message.startswith(message)
    assert error.error_type == error_type
    assert error.request_id == "rid-7"
    assert error.vendor == vendor
    assert error.body == body
    assert f"{status} {vendor}" in str(error)
    assert "rid-7" in str(error)


def test_field_details_are_kept() -> None:
    error = CLIENTS["neuroio"]()._api_error(_answer(400, json=NEUROIO_400))
    assert isinstance(error, aiospaces.BadRequestError)
    assert error.details == NEUROIO_400["fields"]


def test_a_javascript_stack_is_kept() -> None:
    error = CLIENTS["pubnub_admin"]()._api_error(_answer(409, json=ADMIN_409))
    assert error.details == {"stack": "at x"}


def test_s3_entity_too_large_is_payload_too_large() -> None:
    headers = {"content-type": "application/xml", "x-amz-request-id": "amz-1"}
    error = CLIENTS["pubnub"]()._api_error(_answer(400, text=S3_TOO_LARGE, headers=headers))
    assert isinstance(error, aiospaces.PayloadTooLargeError)
    assert error.error_type == "EntityTooLarge"
    assert error.message.startswith("Your proposed upload exceeds")
    assert error.request_id == "amz-1"
    assert error.body == S3_TOO_LARGE


def test_rate_limit_carries_retry_after() -> None:
    error = CLIENTS["mux"]()._api_error(_answer(429, json=MUX_429, headers={"retry-after": "120"}))
    assert isinstance(error, aiospaces.RateLimitError)
    assert error.retry_after == 120.0
    assert error.message == "Too many requests, retry later."


def test_error_body_shapes() -> None:
    admin, mux = CLIENTS["pubnub_admin"](), CLIENTS["mux"]()
    code = {"error_code": "STOP_BLOCK_EMPTY"}
    assert admin._error_info(_answer(400, json=code), code) == ErrorInfo(
        "STOP_BLOCK_EMPTY", "STOP_BLOCK_EMPTY"
    )
    unrelated = _answer(400, json={"unrelated": 1})
    assert admin._error_info(unrelated, {"unrelated": 1}) == ErrorInfo(unrelated.text)
    plain = _answer(400, text="plain text")
    for client in CLIENTS.values():
        assert client()._error_info(plain, None) == ErrorInfo("plain text")
    assert mux._error_info(_answer(400, json={}), {"error": {"type": "t"}}) == ErrorInfo("t", "t")
