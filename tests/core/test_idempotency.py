"""Which failures a request that is not idempotent may be retried after, and what it raises.

A retry is allowed only when the failure proves the request was not processed; otherwise the
call raises AmbiguousResultError (or, with ``retry_ambiguous``, retries like any other).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

import aiospaces
from aiospaces.core.request import RequestSpec
from tests.core.toy import ToyClient

BASE = "https://toy.example"
Answer = Callable[[httpx.Request], httpx.Response]


def _then_ok(first: httpx.Response | Exception) -> tuple[list[httpx.Request], Answer]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            if isinstance(first, Exception):
                raise first
            return first
        return httpx.Response(201, json={"id": "made"})

    return seen, answer


PROVEN_UNSENT: list[httpx.Response | Exception] = [
    httpx.ConnectError("refused"),
    httpx.ConnectTimeout("connect timed out"),
    httpx.PoolTimeout("no slot"),
    httpx.Response(429, headers={"retry-after": "0"}),
    httpx.Response(408),
    httpx.Response(503, headers={"x-should-retry": "true"}),
]
AMBIGUOUS: list[httpx.Response | Exception] = [
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadTimeout("read timed out"),
    httpx.ReadError("connection reset"),
    httpx.WriteTimeout("write timed out"),
    httpx.Response(500),
    httpx.Response(502, text="Bad Gateway"),
    httpx.Response(503),
    httpx.Response(504),
]


def _id(value: object) -> str:
    return type(value).__name__ if isinstance(value, Exception) else str(value.status_code)  # type: ignore[attr-defined]


@pytest.mark.parametrize("first", PROVEN_UNSENT, ids=_id)
async def test_a_post_is_retried_after_a_failure_that_proves_it_was_not_processed(
    first: httpx.Response | Exception, retry_waits: list[float]
) -> None:
    seen, answer = _then_ok(first)
    async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
        toy = ToyClient(session, base_url=BASE)
        envelope = await toy.call(path="/things", method="POST").future()
    assert envelope.result == {"id": "made"}
    assert envelope.status.attempts == 2
    assert len(seen) == 2


@pytest.mark.parametrize("first", AMBIGUOUS, ids=_id)
async def test_a_post_is_not_repeated_after_an_ambiguous_failure(
    first: httpx.Response | Exception, retry_waits: list[float]
) -> None:
    seen, answer = _then_ok(first)
    async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
        toy = ToyClient(session, base_url=BASE)
        with pytest.raises(aiospaces.AmbiguousResultError) as caught:
            await toy.call(path="/things", method="POST")
    error = caught.value
    assert len(seen) == 1
    assert retry_waits == []
    assert error.attempts == 1
    assert error.operation == "toy POST https://toy.example/things"
    assert error.check == "look it up"
    assert isinstance(error.__cause__, aiospaces.TransportError | aiospaces.ServerError)


@pytest.mark.parametrize("first", AMBIGUOUS, ids=_id)
async def test_the_same_failures_are_retried_for_an_idempotent_request(
    first: httpx.Response | Exception, retry_waits: list[float]
) -> None:
    for method, idempotent in (("PUT", None), ("DELETE", None), ("POST", True)):
        seen, answer = _then_ok(first)
        async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
            toy = ToyClient(session, base_url=BASE)
            await toy.call(path="/things", method=method, idempotent=idempotent)
        assert len(seen) == 2, method


@pytest.mark.parametrize("first", AMBIGUOUS, ids=_id)
async def test_retry_ambiguous_opts_in_to_the_blind_retry(
    first: httpx.Response | Exception, retry_waits: list[float]
) -> None:
    seen, answer = _then_ok(first)
    async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
        toy = ToyClient(session, base_url=BASE)
        result = await toy.call(path="/things", method="POST").retry_ambiguous()
    assert result == {"id": "made"}
    assert len(seen) == 2


async def test_a_get_can_be_declared_not_idempotent(retry_waits: list[float]) -> None:
    seen, answer = _then_ok(httpx.Response(503))
    async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
        toy = ToyClient(session, base_url=BASE)
        with pytest.raises(aiospaces.AmbiguousResultError):
            await toy.call(path="/publish", idempotent=False)
    assert len(seen) == 1


async def test_a_body_cut_off_after_the_status_is_ambiguous(retry_waits: list[float]) -> None:
    class CutOff(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'{"id": '
            raise httpx.RemoteProtocolError("peer closed connection")

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, stream=CutOff())

    async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
        toy = ToyClient(session, base_url=BASE)
        with pytest.raises(aiospaces.AmbiguousResultError, match="answered 201 but the body"):
            await toy.call(path="/things", method="POST")


@pytest.mark.parametrize("status", [400, 404, 409])
async def test_a_definite_refusal_is_its_api_error(status: int, retry_waits: list[float]) -> None:
    seen, answer = _then_ok(httpx.Response(status))
    async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
        toy = ToyClient(session, base_url=BASE)
        with pytest.raises(aiospaces.APIError) as caught:
            await toy.call(path="/things", method="POST")
    assert caught.value.status_code == status
    assert len(seen) == 1


async def test_a_server_that_forbids_the_retry_gives_a_plain_error(
    retry_waits: list[float],
) -> None:
    seen, answer = _then_ok(httpx.Response(503, headers={"x-should-retry": "false"}))
    async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
        toy = ToyClient(session, base_url=BASE)
        with pytest.raises(aiospaces.ServerError):
            await toy.call(path="/things", method="POST")
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("method", "expected"),
    [("GET", True), ("head", True), ("OPTIONS", True), ("PUT", True), ("DELETE", True),
     ("POST", False), ("PATCH", False)],
)  # fmt: skip
def test_idempotency_goes_by_the_method_unless_declared(method: str, expected: bool) -> None:
    assert RequestSpec(method=method, path="/").is_idempotent is expected
    assert RequestSpec(method=method, path="/", idempotent=not expected).is_idempotent is (
        not expected
    )


def test_retry_ambiguous_takes_only_a_bool() -> None:
    toy = ToyClient(aiospaces.Session(), base_url=BASE)
    with pytest.raises(aiospaces.ValidationError):
        toy.call().retry_ambiguous(1)  # type: ignore[arg-type]
