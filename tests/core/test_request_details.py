"""The request path's details a user sees: timings, encodings, error texts, logs, repr."""

from __future__ import annotations

import logging
import time
from typing import ClassVar

import anyio
import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.request import RequestSpec
from aiospaces.core.transport import redact_url
from tests.core.toy import ToyClient

BASE = "https://toy.example"
THING = {"data": {"id": "a", "name": "A"}}


async def test_elapsed_is_the_time_the_call_took() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.1)
        return httpx.Response(200, json=THING)

    async with aiospaces.Session(transport=httpx.MockTransport(slow)) as session:
        toy = ToyClient(session, base_url=BASE)
        started = time.perf_counter()
        envelope = await toy.get_thing(thing_id="a").future()
        took = time.perf_counter() - started
    assert 0.1 <= envelope.status.elapsed <= took


@respx.mock
async def test_query_names_and_values_are_encoded_whole() -> None:
    route = respx.get(url__startswith=f"{BASE}/q").mock(return_value=httpx.Response(200))
    async with ToyClient(base_url=BASE) as toy:
        await toy.request(RequestSpec(method="GET", path="/q", query=[("a b/c", "x/y&z=~")]))
    assert route.calls.last.request.url.query == b"a%20b%2Fc=x%2Fy%26z%3D~"


@respx.mock
async def test_error_bodies_are_kept_as_json_or_text() -> None:
    respx.get(f"{BASE}/json").mock(return_value=httpx.Response(400, json={"why": "bad"}))
    respx.get(f"{BASE}/text").mock(return_value=httpx.Response(400, text="x" * 500))
    respx.get(f"{BASE}/empty").mock(return_value=httpx.Response(404))
    respx.get(f"{BASE}/odd").mock(return_value=httpx.Response(499))
    async with ToyClient(base_url=BASE) as toy:
        errors = []
        for path in ("/json", "/text", "/empty", "/odd"):
            with pytest.raises(aiospaces.APIError) as caught:
                await toy.request(RequestSpec(method="GET", path=path))
            errors.append(caught.value)
    as_json, as_text, empty, odd = errors
    assert as_json.body == {"why": "bad"}
    assert as_text.body == "x" * 500
    assert as_text.message == "x" * 300  # the message is cut, the body is not
    assert (empty.message, empty.body) == ("Not Found", "")
    assert odd.message == "error"  # no text and no reason phrase
    assert (as_json.vendor, as_json.status_code) == ("toy", 400)


@respx.mock
async def test_a_rate_limit_error_carries_the_servers_wait() -> None:
    respx.get(f"{BASE}/busy").mock(return_value=httpx.Response(429, headers={"retry-after": "7"}))
    async with ToyClient(base_url=BASE, max_retries=0) as toy:
        with pytest.raises(aiospaces.RateLimitError) as caught:
            await toy.request(RequestSpec(method="GET", path="/busy"))
    assert caught.value.retry_after == 7.0
    assert caught.value.message == "Too Many Requests"


@respx.mock
async def test_too_many_redirects_has_no_status() -> None:
    respx.get(f"{BASE}/loop").mock(
        return_value=httpx.Response(302, headers={"Location": f"{BASE}/loop"})
    )
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.APIError) as caught:
            await toy.request(RequestSpec(method="GET", path="/loop", follow_redirects=True))
    assert caught.value.status_code == 0
    assert "GET https://toy.example/loop was redirected more than 5 times" in str(caught.value)


@respx.mock
async def test_transport_errors_say_what_failed_and_how(retry_waits: list[float]) -> None:
    respx.get(f"{BASE}/refused").mock(side_effect=httpx.ConnectError("refused"))
    respx.get(f"{BASE}/slow").mock(side_effect=httpx.ReadTimeout("slow"))
    async with ToyClient(base_url=BASE, max_retries=0) as toy:
        with pytest.raises(aiospaces.TransportError) as refused:
            await toy.request(RequestSpec(method="GET", path="/refused", query=[("auth", "s")]))
        with pytest.raises(aiospaces.TimeoutError) as slow:
            await toy.request(RequestSpec(method="GET", path="/slow"))
    assert (
        str(refused.value)
        == "GET https://toy.example/refused?auth=*** failed: ConnectError: refused"
    )
    assert str(slow.value) == "GET https://toy.example/slow timed out: ReadTimeout"


@respx.mock
async def test_each_retry_is_logged_with_its_cause_and_wait(
    caplog: pytest.LogCaptureFixture, retry_waits: list[float]
) -> None:
    respx.get(f"{BASE}/flaky").mock(
        side_effect=[
            httpx.Response(503, headers={"retry-after": "2"}),
            httpx.ConnectError("refused"),
            httpx.Response(200),
        ]
    )
    async with ToyClient(base_url=BASE) as toy:
        with caplog.at_level(logging.INFO, logger="aiospaces"):
            await toy.request(RequestSpec(method="GET", path="/flaky", query=[("auth", "s")]))
    url = "https://toy.example/flaky?auth=***"
    assert caplog.messages[0] == f"retrying GET {url} after status 503 (attempt 1, in 2.00s)"
    assert caplog.messages[1].startswith(f"retrying GET {url} after ConnectError (attempt 2, in ")


class Counting(ToyClient):
    """A vendor that signs each attempt (as PubNub does with a timestamp)."""

    secret_query_params: ClassVar[frozenset[str]] = frozenset({"Counted-Key"})
    secret_path_parents: ClassVar[frozenset[str]] = frozenset({"counted-keys"})

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.attempts: list[int] = []

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        self.attempts.append(attempt)
        return spec


@respx.mock
async def test_each_attempt_is_prepared_afresh(retry_waits: list[float]) -> None:
    respx.get(f"{BASE}/flaky").mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    async with Counting(base_url=BASE) as counting:
        await counting.request(RequestSpec(method="GET", path="/flaky"))
    assert counting.attempts == [0, 1]


def test_a_vendors_secrets_are_registered_when_it_is_defined() -> None:
    url = "https://h/counted-keys/k1/x?counted-key=v&other=o"
    assert redact_url(url) == "https://h/counted-keys/***/x?counted-key=***&other=o"


def test_a_client_shows_its_class_and_base_url() -> None:
    assert repr(Counting(base_url=BASE + "/")) == "<Counting https://toy.example>"


async def test_the_wait_between_attempts_is_real() -> None:
    answers = iter([httpx.Response(503, headers={"retry-after-ms": "30"}), httpx.Response(200)])
    transport = httpx.MockTransport(lambda request: next(answers))
    async with aiospaces.Session(transport=transport) as session:
        toy = ToyClient(session, base_url=BASE)
        started = time.perf_counter()
        exchange = await toy.request(RequestSpec(method="GET", path="/x"))
        took = time.perf_counter() - started
    assert exchange.status.attempts == 2
    assert took >= 0.03


class Traced(ToyClient):
    request_id_headers: ClassVar[tuple[str, ...]] = ("X-Trace", "x-request-id", "request-id")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Request-Id": "r", "X-REQUEST-ID": "x"}, "x"),  # the first name listed wins, any case
        ({"x-trace": "", "request-id": "r"}, "r"),  # an empty value is no request id
        ({"x-trace": "t", "x-request-id": "x"}, "t"),  # a vendor's name, written in capitals
        ({"content-type": "application/json"}, None),
    ],
)
async def test_the_request_id_is_the_first_header_listed_that_has_a_value(
    headers: dict[str, str], expected: str | None
) -> None:
    async with aiospaces.Session(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=THING, headers=headers))
    ) as session:
        envelope = await Traced(session, base_url=BASE).get_thing(thing_id="a").future()
    assert envelope.status.request_id == expected
