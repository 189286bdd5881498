from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.retry import RetryPolicy
from tests.core.toy import ToyClient, Upload

BASE = "https://toy.example"
THING = {"data": {"id": "a", "name": "A"}}


@pytest.fixture
def sleeps(retry_waits: list[float]) -> list[float]:
    """Record the waits between attempts instead of waiting."""
    return retry_waits


@pytest.fixture
async def toy() -> AsyncIterator[ToyClient]:
    async with aiospaces.Session() as session:
        yield ToyClient(session, base_url=BASE)


@respx.mock
async def test_503_then_200_succeeds_with_two_attempts(toy: ToyClient, sleeps: list[float]) -> None:
    respx.get(f"{BASE}/things/a").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=THING)]
    )
    envelope = await toy.get_thing(thing_id="a").future()
    assert envelope.result.id == "a"
    assert envelope.status.attempts == 2
    assert envelope.status.status_code == 200
    assert len(sleeps) == 1
    assert 0.375 <= sleeps[0] <= 0.5  # first backoff: 0.5 s minus up to 25 % jitter


@respx.mock
async def test_retries_exhausted_raise_server_error(toy: ToyClient, sleeps: list[float]) -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(500))
    with pytest.raises(aiospaces.ServerError) as caught:
        await toy.get_thing(thing_id="a")
    assert route.call_count == 3
    assert caught.value.status_code == 500
    assert len(sleeps) == 2
    assert 0.75 <= sleeps[1] <= 1.0  # second backoff doubles


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "3600"}, 60.0),  # capped at max_retry_after
        ({"retry-after-ms": "999999"}, 60.0),
    ],
)
@respx.mock
async def test_retry_after_is_honoured_and_capped(
    toy: ToyClient, sleeps: list[float], headers: dict[str, str], expected: float
) -> None:
    respx.get(f"{BASE}/things/a").mock(
        side_effect=[httpx.Response(429, headers=headers), httpx.Response(200, json=THING)]
    )
    envelope = await toy.get_thing(thing_id="a").future()
    assert envelope.status.attempts == 2
    assert sleeps == [pytest.approx(expected)]


@respx.mock
async def test_retry_after_http_date(toy: ToyClient, sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    far = email.utils.formatdate(time.time() + 86400, usegmt=True)
    respx.get(f"{BASE}/things/a").mock(
        side_effect=[
            httpx.Response(503, headers={"retry-after": when}),
            httpx.Response(503, headers={"retry-after": far}),
            httpx.Response(200, json=THING),
        ]
    )
    await toy.get_thing(thing_id="a")
    assert 28 <= sleeps[0] <= 30
    assert sleeps[1] == 60.0


@pytest.mark.parametrize("value", ["soon", "-5", ""])
def test_unusable_retry_after_falls_back_to_backoff(value: str) -> None:
    policy = RetryPolicy()
    headers = httpx.Headers({"retry-after": value, "retry-after-ms": "nan?"})
    assert policy.retry_after(headers) is None
    assert 0.375 <= policy.delay(0, headers) <= 0.5


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert [policy.delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


@respx.mock
async def test_x_should_retry_false_stops_retries(toy: ToyClient, sleeps: list[float]) -> None:
    route = respx.get(f"{BASE}/things/a").mock(
        return_value=httpx.Response(503, headers={"x-should-retry": "false"})
    )
    with pytest.raises(aiospaces.ServerError):
        await toy.get_thing(thing_id="a")
    assert route.call_count == 1
    assert sleeps == []


@respx.mock
async def test_x_should_retry_true_retries_a_400(toy: ToyClient, sleeps: list[float]) -> None:
    respx.get(f"{BASE}/things/a").mock(
        side_effect=[
            httpx.Response(400, headers={"x-should-retry": "true"}),
            httpx.Response(200, json=THING),
        ]
    )
    assert (await toy.get_thing(thing_id="a").future()).status.attempts == 2


@respx.mock
async def test_4xx_is_not_retried(toy: ToyClient, sleeps: list[float]) -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(404))
    with pytest.raises(aiospaces.NotFoundError):
        await toy.get_thing(thing_id="a")
    assert route.call_count == 1


@respx.mock
async def test_per_call_and_per_client_max_retries(sleeps: list[float]) -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(502))
    async with aiospaces.Session(retries=5) as session:
        toy = ToyClient(session, base_url=BASE, max_retries=1)
        with pytest.raises(aiospaces.ServerError):
            await toy.get_thing(thing_id="a")
        assert route.call_count == 2
        with pytest.raises(aiospaces.ServerError):
            await toy.get_thing(thing_id="a").max_retries(0)
        assert route.call_count == 3
        with pytest.raises(aiospaces.ServerError):
            await ToyClient(session, base_url=BASE).get_thing(thing_id="a")
        assert route.call_count == 9


@respx.mock
async def test_transport_errors_are_retried_then_wrapped(
    toy: ToyClient, sleeps: list[float]
) -> None:
    route = respx.get(f"{BASE}/things/a").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(aiospaces.TransportError, match="ConnectError") as caught:
        await toy.get_thing(thing_id="a")
    assert route.call_count == 3
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert not isinstance(caught.value, aiospaces.TimeoutError)


@respx.mock
async def test_timeouts_become_our_timeout_error(toy: ToyClient, sleeps: list[float]) -> None:
    respx.get(f"{BASE}/things/a").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TimeoutError) as caught:  # the builtin catches ours too
        await toy.get_thing(thing_id="a").max_retries(1)
    assert isinstance(caught.value, aiospaces.TimeoutError)
    assert len(sleeps) == 1


@respx.mock
async def test_transport_error_then_success(toy: ToyClient, sleeps: list[float]) -> None:
    respx.get(f"{BASE}/things/a").mock(
        side_effect=[httpx.RemoteProtocolError("dropped"), httpx.Response(200, json=THING)]
    )
    assert (await toy.get_thing(thing_id="a").future()).status.attempts == 2


@respx.mock
async def test_local_protocol_errors_are_not_retried(toy: ToyClient, sleeps: list[float]) -> None:
    route = respx.get(f"{BASE}/things/a").mock(side_effect=httpx.UnsupportedProtocol("ftp"))
    with pytest.raises(aiospaces.TransportError):
        await toy.get_thing(thing_id="a")
    assert route.call_count == 1


async def test_streamed_body_is_rebuilt_for_the_retry(sleeps: list[float]) -> None:
    seen: list[tuple[str | None, bool, bytes]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        chunked = "transfer-encoding" in request.headers
        seen.append((request.headers.get("content-length"), chunked, body))
        status = 503 if len(seen) == 1 else 200
        return httpx.Response(status, json={"size": len(body)})

    Upload.factory_calls = 0
    transport = httpx.MockTransport(handler)
    async with aiospaces.Session(transport=transport) as session:
        toy = ToyClient(session, base_url=BASE)
        envelope = await toy.upload(chunks=[b"abc", b"defg", b"h"]).future()
    assert envelope.result == 8
    assert envelope.status.attempts == 2
    assert Upload.factory_calls == 2
    assert seen == [("8", False, b"abcdefgh"), ("8", False, b"abcdefgh")]


@pytest.mark.parametrize(
    ("status", "retried"),
    [(408, True), (429, True), (500, True), (503, True), (400, False), (404, False)],
)
def test_retries_status_is_what_should_retry_decides_without_a_hint(
    status: int, retried: bool
) -> None:
    policy = RetryPolicy()
    assert policy.retries_status(status) is retried
    assert policy.should_retry(httpx.Response(status)) is retried
    assert RetryPolicy(retry_statuses=frozenset()).retries_status(429) is False
