"""Watching requests: the debug line, hooks, OpenTelemetry spans, the error texts."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import aiospaces
from aiospaces.core.observe import RequestInfo, ResponseInfo, current_operation, describe
from aiospaces.emulator import Emulator, Fault

KEYS: dict[str, Any] = {"subscribe_key": "sub-c-obs", "publish_key": "pub-c-obs", "user_id": "me"}
SECRETS: dict[str, Any] = {"secret_key": "sec-c-very-secret", "auth_key": "auth-very-secret"}


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr("aiospaces.core.attempts._sleep", instant)


def pubnub(session: aiospaces.Session, emulator: Emulator) -> aiospaces.PubNub:
    settings = emulator.settings("http://emulator.test")["pubnub"]
    return session.pubnub(**KEYS, **SECRETS, **settings)


async def test_one_debug_line_per_attempt_with_no_secret_in_it(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.faults.add(Fault(method="GET", path="/v2/objects/*", status=503, times=1))
    caplog.set_level(logging.DEBUG, logger="aiospaces.http")
    async with aiospaces.Session(transport=emulator.transport()) as session:
        with pytest.raises(aiospaces.NotFoundError, match=r"\[after 2 attempts\]"):
            await pubnub(session, emulator).fetch_space(space_id="room")
    lines = [r.getMessage() for r in caplog.records if r.name == "aiospaces.http"]
    assert len(lines) == 2
    pattern = (
        r"^pubnub FetchSpace GET http://emulator\.test/v2/objects/sub-c-obs/channels/room\?.* "
        r"-> (\d+) attempt (\d) in \d+\.\d ms"
    )
    assert [re.match(pattern, line).groups() for line in lines] == [  # type: ignore[union-attr]
        ("503", "1"),
        ("404", "2"),
    ]
    for line in lines:
        assert "auth=***" in line
        assert "signature=***" in line
        assert "very-secret" not in line


async def test_the_debug_line_carries_the_request_id_when_the_server_sends_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"status": 200, "data": []}, headers={"x-request-id": "r-1"}
        )

    caplog.set_level(logging.DEBUG, logger="aiospaces.http")
    async with aiospaces.Session(transport=httpx.MockTransport(answer)) as session:
        await session.pubnub(**KEYS).fetch_spaces()
    (line,) = [r.getMessage() for r in caplog.records if r.name == "aiospaces.http"]
    assert line.startswith("pubnub FetchSpaces GET https://ps.pndsn.com/v2/objects/sub-c-obs/")
    assert line.endswith("request-id r-1")
    assert "-> 200 attempt 1 in " in line


async def test_nothing_is_logged_when_debug_is_off(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiospaces.http")
    async with aiospaces.Session(transport=emulator.transport(), tracing=False) as session:
        assert not session.watcher.active()
        await pubnub(session, emulator).fetch_spaces()
    assert not [r for r in caplog.records if r.name == "aiospaces.http"]


def test_a_failure_reads_as_no_answer() -> None:
    info = RequestInfo(vendor="", operation=None, method="GET", url="http://x/", attempt=3)
    ended = ResponseInfo(info, None, 0.0042, error="ConnectError")
    assert describe(ended) == "GET http://x/ -> no answer (ConnectError) attempt 3 in 4.2 ms"


async def test_hooks_see_every_attempt_redacted(emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="GET", path="/v2/objects/*", status=503, times=1))
    seen: list[RequestInfo | ResponseInfo] = []

    async def on_request(info: RequestInfo) -> None:
        seen.append(info)

    async def on_response(info: ResponseInfo) -> None:
        seen.append(info)

    session = aiospaces.Session(
        transport=emulator.transport(), on_request=on_request, on_response=on_response
    )
    async with session:
        await pubnub(session, emulator).fetch_spaces(limit=2)
    kinds = [(type(s).__name__, getattr(s, "attempt", None)) for s in seen]
    assert kinds == [
        ("RequestInfo", 1),
        ("ResponseInfo", None),
        ("RequestInfo", 2),
        ("ResponseInfo", None),
    ]
    first, failed, _, answered = seen
    assert isinstance(first, RequestInfo)
    assert (first.vendor, first.operation, first.method) == ("pubnub", "FetchSpaces", "GET")
    assert "auth=***" in first.url
    assert "very-secret" not in first.url
    assert isinstance(failed, ResponseInfo)
    assert isinstance(answered, ResponseInfo)
    assert (failed.status_code, answered.status_code) == (503, 200)
    assert answered.request.attempt == 2
    assert failed.request.attempt == 1  # each attempt is seen with its own number


async def test_a_hook_that_raises_stops_the_call_before_it_is_sent() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"status": 200, "data": []})

    async def refuse(info: RequestInfo) -> None:
        raise PermissionError(f"not {info.method}")

    session = aiospaces.Session(transport=httpx.MockTransport(answer), on_request=refuse)
    async with session:
        with pytest.raises(PermissionError, match="not GET"):
            await session.pubnub(**KEYS).fetch_spaces()
    assert sent == []


async def test_the_response_hook_hears_of_a_transport_failure() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    ended: list[ResponseInfo] = []

    async def on_response(info: ResponseInfo) -> None:
        ended.append(info)

    session = aiospaces.Session(
        transport=httpx.MockTransport(broken), retries=1, on_response=on_response
    )
    async with session:
        with pytest.raises(aiospaces.TransportError, match="after 2 attempts"):
            await session.pubnub(**KEYS).fetch_spaces()
    assert [(e.status_code, e.error, e.request.attempt) for e in ended] == [
        (None, "ConnectError", 1),
        (None, "ConnectError", 2),
    ]


def test_hooks_must_be_callable() -> None:
    with pytest.raises(aiospaces.ValidationError, match="on_response must be an async function"):
        aiospaces.Session(on_response="print")  # type: ignore[arg-type]


async def test_a_span_per_attempt_with_vendor_operation_and_attempt(emulator: Emulator) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    emulator.faults.add(Fault(method="GET", path="/v2/objects/*", status=503, times=1))
    session = aiospaces.Session(transport=emulator.transport(), tracing=provider)
    async with session:
        await pubnub(session, emulator).fetch_spaces()
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == ["pubnub FetchSpaces", "pubnub FetchSpaces"]
    first, second = spans
    assert first.kind is SpanKind.CLIENT
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["aiospaces.vendor"] == "pubnub"
    assert first.attributes["aiospaces.operation"] == "FetchSpaces"
    assert [s.attributes["aiospaces.attempt"] for s in spans] == [1, 2]  # type: ignore[index]
    assert first.attributes["http.response.status_code"] == 503
    assert first.status.status_code is StatusCode.ERROR
    assert second.attributes["http.response.status_code"] == 200
    assert second.status.status_code is StatusCode.UNSET
    url = str(first.attributes["url.full"])
    assert "auth=***" in url
    assert "very-secret" not in url


async def test_a_transport_failure_is_an_error_span_with_its_exception() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    session = aiospaces.Session(transport=httpx.MockTransport(broken), retries=0, tracing=provider)
    async with session:
        with pytest.raises(aiospaces.TransportError):
            await session.mux(token_id="id", token_secret="s").get_space("sp")
    (span,) = exporter.get_finished_spans()
    assert span.name == "mux GetSpace"
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ConnectError"
    assert [event.name for event in span.events] == ["exception"]


def test_without_tracing_no_tracer_is_kept() -> None:
    assert aiospaces.Session(tracing=False).watcher.tracer is None


def test_tracing_must_be_a_bool_or_a_provider() -> None:
    with pytest.raises(aiospaces.ValidationError, match="tracing"):
        aiospaces.Session(tracing="yes")  # type: ignore[arg-type]


def test_without_opentelemetry_nothing_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiospaces.core import observe

    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # as if not installed
    assert observe._find_tracer.__wrapped__() is None


def test_the_operation_is_known_only_while_a_builder_runs(emulator: Emulator) -> None:
    seen: list[str | None] = []

    async def on_request(info: RequestInfo) -> None:
        seen.append(current_operation())

    async def run() -> None:
        session = aiospaces.Session(transport=emulator.transport(), on_request=on_request)
        async with session:
            await pubnub(session, emulator).fetch_spaces()
            seen.append(current_operation())

    asyncio.run(run())
    assert seen == ["FetchSpaces", None]


async def test_a_response_hook_that_raises_fails_the_call() -> None:
    async def refuse(info: ResponseInfo) -> None:
        raise LookupError(f"status {info.status_code}")

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": 200, "data": []})

    session = aiospaces.Session(transport=httpx.MockTransport(answer), on_response=refuse)
    async with session:
        with pytest.raises(LookupError, match="status 200"):
            await session.pubnub(**KEYS).fetch_spaces()


def test_no_span_is_made_before_a_tracer_provider_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiospaces.core import observe

    watcher = aiospaces.Session().watcher  # the global provider: none installed in the tests
    assert watcher.tracer is None
    assert not watcher.active()
    monkeypatch.setattr(observe, "_global_provider_set", lambda: True)
    assert watcher.tracer is observe._find_tracer()
    assert watcher.active()
