"""Error texts and copies: what each error says, and that pickling keeps every field."""

from __future__ import annotations

import pickle

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.client import ErrorInfo
from tests.core.toy import ToyClient

BASE = "https://toy.example"


def test_an_api_error_says_status_vendor_type_message_request_id_and_attempts() -> None:
    error = aiospaces.ConflictError(
        "taken", status_code=409, vendor="mux", error_type="conflict", request_id="r1", attempts=3
    )
    assert str(error) == "409 mux conflict: taken (request id r1) [after 3 attempts]"
    assert str(aiospaces.APIError("bad", status_code=400)) == "400: bad"
    assert str(aiospaces.APIError("bad", status_code=400, attempts=2)) == (
        "400: bad [after 2 attempts]"
    )


def test_a_rate_limit_error_keeps_every_field() -> None:
    error = aiospaces.RateLimitError(
        "slow down", status_code=429, vendor="pubnub", error_type="limit", details={"d": 1},
        request_id="r2", body={"b": 2}, retry_after=1.5, attempts=2,
    )  # fmt: skip
    fields = (error.vendor, error.error_type, error.details, error.request_id, error.body)
    assert fields == ("pubnub", "limit", {"d": 1}, "r2", {"b": 2})
    assert (error.retry_after, error.attempts) == (1.5, 2)
    assert str(error) == "429 pubnub limit: slow down (request id r2) [after 2 attempts]"
    bare = aiospaces.RateLimitError("slow", status_code=429)
    assert (bare.vendor, bare.attempts, bare.retry_after) == ("", 1, None)


@pytest.mark.parametrize("attempts", [1, 2])
def test_an_ambiguous_result_counts_its_requests(attempts: int) -> None:
    error = aiospaces.AmbiguousResultError(
        operation="POST /x", known="the answer was lost", check="read it back", attempts=attempts
    )
    sent = "1 request" if attempts == 1 else "2 requests"
    assert str(error) == (
        f"POST /x may or may not have taken effect (the answer was lost; {sent} sent, "
        "not retried to avoid a duplicate); to find out: read it back"
    )


@pytest.mark.parametrize(
    "error",
    [
        aiospaces.TransportError("GET /x failed", attempts=3),
        aiospaces.TimeoutError("GET /x timed out", attempts=2),
        aiospaces.FileUploadError(
            "not announced", step="publish", file_id="f1", file_name="a.txt", announced=None
        ),
        aiospaces.RateLimitError("slow", status_code=429, vendor="v", retry_after=2.0, attempts=2),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_survive_pickling_whole(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


class Typed(ToyClient):
    """A vendor whose error bodies carry a type and details."""

    def _error_info(self, response: httpx.Response, body: object) -> ErrorInfo:
        assert isinstance(body, dict)
        return ErrorInfo(body["message"], error_type=body["type"], details=body["details"])


@respx.mock
async def test_a_429_from_a_vendor_keeps_its_type_details_body_and_request_id() -> None:
    body = {"message": "slow down", "type": "rate", "details": [{"n": 1}]}
    respx.get(f"{BASE}/things/a").mock(
        return_value=httpx.Response(
            429, json=body, headers={"retry-after": "3", "x-request-id": "req-9"}
        )
    )
    async with Typed(base_url=BASE, max_retries=0) as typed:
        with pytest.raises(aiospaces.RateLimitError) as caught:
            await typed.get_thing(thing_id="a")
    error = caught.value
    assert (error.error_type, error.details, error.body) == ("rate", [{"n": 1}], body)
    assert (error.request_id, error.vendor, error.retry_after) == ("req-9", "toy", 3.0)


@respx.mock
async def test_transport_errors_after_retries_say_how_many_attempts(
    retry_waits: list[float],
) -> None:
    respx.get(f"{BASE}/things/a").mock(side_effect=httpx.ConnectError("refused"))
    respx.get(f"{BASE}/things/b").mock(side_effect=httpx.ReadTimeout("slow"))
    async with ToyClient(base_url=BASE, max_retries=1) as toy:
        with pytest.raises(aiospaces.TransportError) as refused:
            await toy.get_thing(thing_id="a")
        with pytest.raises(aiospaces.TimeoutError) as slow:
            await toy.get_thing(thing_id="b")
    assert str(refused.value) == (
        "GET https://toy.example/things/a failed after 2 attempts: ConnectError: refused"
    )
    assert refused.value.attempts == 2
    assert (
        str(slow.value)
        == "GET https://toy.example/things/b timed out after 2 attempts: ReadTimeout"
    )
    assert slow.value.attempts == 2
