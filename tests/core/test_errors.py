from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.client import ErrorInfo, parse_error_body
from tests.core.toy import ToyClient

BASE = "https://toy.example"

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


@pytest.mark.parametrize(
    ("status", "body", "cls", "message", "error_type"),
    [
        (400, PUBNUB_400, aiospaces.BadRequestError, "Invalid filter expression.", "objects"),
        (401, ADMIN_401, aiospaces.AuthenticationError, "Invalid session", None),
        (403, PAM_403, aiospaces.PermissionDeniedError, "Token is revoked", None),
        (404, MUX_404, aiospaces.NotFoundError, "The requested resource either", "not_found"),
        (409, ADMIN_409, aiospaces.ConflictError, "Block is already running", None),
        (412, PUBNUB_412, aiospaces.PreconditionFailedError, "Channel to update", "objects"),
        (413, {"message": "too big"}, aiospaces.PayloadTooLargeError, "too big", None),
        (422, NEUROIO_400, aiospaces.APIError, "Validation error.", "400"),
        (500, {"message": "oops"}, aiospaces.ServerError, "oops", None),
    ],
)
@respx.mock
async def test_error_statuses_map_to_typed_exceptions(
    status: int, body: Any, cls: type[aiospaces.APIError], message: str, error_type: str | None
) -> None:
    respx.get(f"{BASE}/things/a").mock(
        return_value=httpx.Response(status, json=body, headers={"x-request-id": "rid-7"})
    )
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(cls) as caught:
            await toy.get_thing(thing_id="a").max_retries(0)
    error = caught.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.message.startswith(message)
    assert error.error_type == error_type
    assert error.request_id == "rid-7"
    assert error.vendor == "toy"
    assert error.body == body
    assert f"{status} toy" in str(error)
    assert "rid-7" in str(error)


@respx.mock
async def test_field_details_are_kept() -> None:
    respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(400, json=NEUROIO_400))
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.BadRequestError) as caught:
            await toy.get_thing(thing_id="a")
    assert caught.value.details == NEUROIO_400["fields"]


@respx.mock
async def test_s3_entity_too_large_is_payload_too_large() -> None:
    respx.get(f"{BASE}/things/a").mock(
        return_value=httpx.Response(
            400,
            text=S3_TOO_LARGE,
            headers={"content-type": "application/xml", "x-amz-request-id": "amz-1"},
        )
    )
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.PayloadTooLargeError) as caught:
            await toy.get_thing(thing_id="a")
    assert caught.value.error_type == "EntityTooLarge"
    assert caught.value.message.startswith("Your proposed upload exceeds")
    assert caught.value.request_id == "amz-1"
    assert caught.value.body == S3_TOO_LARGE


@respx.mock
async def test_rate_limit_carries_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    respx.get(f"{BASE}/things/a").mock(
        return_value=httpx.Response(429, json=MUX_429, headers={"retry-after": "120"})
    )
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.RateLimitError) as caught:
            await toy.get_thing(thing_id="a").max_retries(0)
    assert caught.value.retry_after == 120.0
    assert caught.value.message == "Too many requests, retry later."


@respx.mock
async def test_non_json_error_uses_text_or_reason() -> None:
    respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(404, text="no such thing"))
    respx.get(f"{BASE}/things/b").mock(return_value=httpx.Response(403))
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.NotFoundError, match="no such thing"):
            await toy.get_thing(thing_id="a")
        with pytest.raises(aiospaces.PermissionDeniedError, match="Forbidden") as caught:
            await toy.get_thing(thing_id="b")
    assert caught.value.request_id is None


def test_parse_error_body_shapes() -> None:
    assert parse_error_body({"error_code": "STOP_BLOCK_EMPTY"}, "") == ErrorInfo(
        "STOP_BLOCK_EMPTY", "STOP_BLOCK_EMPTY"
    )
    assert parse_error_body({"unrelated": 1}, "") is None
    assert parse_error_body(None, "plain text") is None
    assert parse_error_body({"error": {"type": "t"}}, "") == ErrorInfo("t", "t")


def test_api_errors_pickle_with_their_fields() -> None:
    error = aiospaces.NotFoundError("gone", status_code=404, vendor="mux", request_id="r")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is aiospaces.NotFoundError
    assert (copy.status_code, copy.vendor, copy.request_id, str(copy)) == (
        404,
        "mux",
        "r",
        str(error),
    )


def test_other_errors_carry_their_context() -> None:
    error = aiospaces.FileUploadError("publish failed", step="publish", file_id="f1", file_name="a")
    assert (error.step, error.file_id, error.file_name) == ("publish", "f1", "a")
    assert issubclass(aiospaces.DecryptionError, aiospaces.CryptoError)
    assert issubclass(aiospaces.ValidationError, ValueError)
    assert issubclass(aiospaces.TimeoutError, TimeoutError)
    assert issubclass(aiospaces.TimeoutError, aiospaces.TransportError)
