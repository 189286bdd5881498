"""Core edges no other test reaches: guarded steps, read-ahead bodies, hooks made at test time."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import attrs
import httpx
import pytest
import respx

import aiospaces
from aiospaces.core import validate
from aiospaces.core.cancelsafe import READ_AHEAD, CancelSafeTransport, read_with_head, run_shielded
from aiospaces.core.convert import make_converter, wire
from aiospaces.core.request import RequestSpec
from aiospaces.core.settings import checked
from aiospaces.core.transport import RedactHttpxLogs, redact_url
from tests.core.toy import ToyClient

BASE = "https://toy.example"


# -- run_shielded ----------------------------------------------------------------------------


async def test_a_result_that_came_too_late_is_undone() -> None:
    undone: list[str] = []
    started = asyncio.Event()

    async def step() -> str:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return "late result"  # finished anyway: nobody will use it
        return "never"

    async def undo(value: str) -> None:
        undone.append(value)

    caller = asyncio.ensure_future(run_shielded(step, undo=undo))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert undone == ["late result"]


async def test_a_step_failing_after_a_cancel_is_not_reported_as_lost() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    started = asyncio.Event()

    async def step() -> str:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise ValueError("cleanup failed") from None
        return "never"

    async def undo(value: str) -> None:
        raise AssertionError("nothing to undo")

    try:
        caller = asyncio.ensure_future(run_shielded(step, undo=undo))
        await started.wait()
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        del caller
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []  # the step's error was retrieved, not left "never retrieved"


async def test_an_undo_that_fails_is_not_reported_as_lost() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    started = asyncio.Event()

    async def step() -> str:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return "late result"
        return "never"

    async def undo(value: str) -> None:
        raise OSError("could not close")

    try:
        caller = asyncio.ensure_future(run_shielded(step, undo=undo))
        await started.wait()
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller  # the caller's cancellation wins over the undo's failure
        del caller
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []


# -- read-ahead bodies --------------------------------------------------------------------------


class Chunked(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


class Answering(httpx.AsyncBaseTransport):
    def __init__(self, stream: Chunked, length: int) -> None:
        self.stream = stream
        self.length = length

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(self.length)}, stream=self.stream)


@pytest.mark.parametrize(("size", "read_ahead"), [(READ_AHEAD, True), (READ_AHEAD + 1, False)])
async def test_small_bodies_are_read_with_the_head(size: int, read_ahead: bool) -> None:
    half = size // 2
    inner = Chunked([b"a" * half, b"b" * (size - half)])
    transport = CancelSafeTransport(Answering(inner, size))
    response = await transport.handle_async_request(httpx.Request("GET", "https://h/x"))
    assert isinstance(response.stream, httpx.ByteStream) is read_ahead
    assert inner.closed is read_ahead  # a body read ahead gives its connection back at once
    body = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
    assert body == b"a" * half + b"b" * (size - half)


async def test_a_plain_custom_transport_still_reports_its_pool() -> None:
    async with aiospaces.Session(transport=httpx.AsyncHTTPTransport()) as session:
        assert session.pool_stats() == aiospaces.core.transport.PoolStats(0, 0)


# -- hooks made when a class is defined, here made at test time -------------------------------


def test_checked_fields_defined_now() -> None:
    @attrs.frozen
    class Config:
        required: str = attrs.field(validator=checked(validate.text))
        optional: str | None = attrs.field(
            default=None, validator=checked(validate.text, optional=True)
        )

    assert Config("a").optional is None
    with pytest.raises(aiospaces.ValidationError, match=r"^required must be a non-empty"):
        Config(None)  # type: ignore[arg-type]
    with pytest.raises(aiospaces.ValidationError, match=r"^optional must be a non-empty"):
        Config("a", optional="")


def test_wire_names_and_camel_case_defined_now() -> None:
    @attrs.frozen
    class Item:
        item_id: str = attrs.field(metadata=wire("ID"))
        long_field_name: int = 0

    camel = make_converter(key_style="camel")
    assert camel.structure({"ID": "i", "longFieldName": 3}, Item) == Item("i", 3)
    assert camel.unstructure(Item("i", 3)) == {"ID": "i", "longFieldName": 3}


def test_a_vendor_defined_now_registers_its_secrets() -> None:
    class Vault(ToyClient):
        secret_query_params: ClassVar[frozenset[str]] = frozenset({"Vault-Token"})
        secret_path_parents: ClassVar[frozenset[str]] = frozenset({"Sealed"})

    assert Vault.vendor == "toy"
    url = "https://h/sealed/s1/x?vault-token=t&VAULT-TOKEN=u&k=v"
    assert redact_url(url) == "https://h/sealed/***/x?vault-token=***&VAULT-TOKEN=***&k=v"


# -- texts ------------------------------------------------------------------------------------


def test_httpx_log_records_are_redacted_whatever_follows_the_url() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, "", 0, "%s %s", ("GET", httpx.URL("https://h/?auth=s")), None
    )
    assert RedactHttpxLogs().filter(record)
    assert record.getMessage() == "GET https://h/?auth=***"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(10**29, str(10**29)), (10**30, "an int of 31 digits")],
)
def test_long_numbers_are_shown_by_their_length(value: int, shown: str) -> None:
    with pytest.raises(aiospaces.ValidationError) as caught:
        validate.integer(value, "n", maximum=1)
    assert str(caught.value) == f"n must be an int <= 1, not {shown}"


def test_choices_are_listed_and_a_wrong_kind_shown_by_type() -> None:
    import enum

    class Size(enum.Enum):
        S = "s"
        M = "m"

    with pytest.raises(aiospaces.ValidationError) as caught:
        validate.choice(Size, ["s"], "size")
    assert str(caught.value) == "size must be one of s, m, not list"


@respx.mock
async def test_bodies_missing_a_field_or_of_the_wrong_kind() -> None:
    respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(200, json={}))
    respx.get(f"{BASE}/things/b").mock(return_value=httpx.Response(200, json=[1]))
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.UnexpectedResponseError) as missing:
            await toy.get_thing(thing_id="a")
        with pytest.raises(aiospaces.UnexpectedResponseError) as wrong:
            await toy.get_thing(thing_id="b")
    assert missing.value.message == "expected a JSON Thing; a required field is missing"
    assert wrong.value.message == "expected a JSON Thing; a field has the wrong type (TypeError)"


@respx.mock
async def test_an_ambiguous_call_without_a_vendor_or_a_check(
    retry_waits: list[float],
) -> None:
    class Plain(ToyClient):
        vendor = ""

    respx.post("https://elsewhere.example/make?auth=s").mock(side_effect=httpx.ReadError("cut"))
    async with Plain(base_url=BASE) as plain:
        spec = RequestSpec(method="POST", path="https://elsewhere.example/make?auth=s")
        with pytest.raises(aiospaces.AmbiguousResultError) as caught:
            await plain.request(spec)
    error = caught.value
    assert error.operation == "POST https://elsewhere.example/make?auth=***"
    assert error.check == "read the resource back before sending the request again"
    assert aiospaces.TransportError("x").attempts == 1


@respx.mock
async def test_a_body_breaking_off_inside_stream_is_one_attempt() -> None:
    respx.get(f"{BASE}/big").mock(return_value=httpx.Response(200, content=b"x"))
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.TransportError) as caught:
            async with toy.stream(RequestSpec(method="GET", path="/big")) as exchange:
                raise httpx.ReadError("connection reset", request=exchange.response.request)
    assert str(caught.value) == "GET https://toy.example/big failed: ReadError: connection reset"
    assert caught.value.attempts == 1


# -- the retry loop's accounts ------------------------------------------------------------------


class CutBody(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"{"
        raise httpx.ReadError("cut")


@respx.mock
async def test_what_is_known_after_a_lost_answer(retry_waits: list[float]) -> None:
    respx.post(f"{BASE}/none").mock(side_effect=httpx.ReadError("reset"))
    respx.post(f"{BASE}/cut").mock(return_value=httpx.Response(200, stream=CutBody()))
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.AmbiguousResultError) as none:
            await toy.request(RequestSpec(method="POST", path="/none"))
        with pytest.raises(aiospaces.AmbiguousResultError) as cut:
            await toy.request(RequestSpec(method="POST", path="/cut"))
    assert none.value.known == "the request was sent and no answer came (ReadError)"
    assert cut.value.known == "the server answered 200 but the body was cut off (ReadError)"
    for caught in (none, cut):
        cause = caught.value.__cause__
        assert isinstance(cause, aiospaces.TransportError)
        assert cause.attempts == caught.value.attempts == 1


@respx.mock
async def test_a_failure_that_is_not_retried_counts_the_attempts_before_it(
    retry_waits: list[float],
) -> None:
    respx.get(f"{BASE}/x").mock(
        side_effect=[httpx.Response(503), httpx.UnsupportedProtocol("no such scheme")]
    )
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.TransportError) as caught:
            await toy.request(RequestSpec(method="GET", path="/x"))
    assert caught.value.attempts == 2
    assert "failed after 2 attempts: UnsupportedProtocol" in str(caught.value)


async def test_the_clients_timeout_applies_when_the_call_sets_none(loopback_url: str) -> None:
    async with ToyClient(base_url=loopback_url, timeout=0.2, max_retries=0) as toy:
        with pytest.raises(aiospaces.TimeoutError):
            await toy.request(RequestSpec(method="GET", path="/slow", query=[("seconds", "3")]))


async def test_a_streamed_body_needs_its_length() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"x"

    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(TypeError) as caught:
            await toy.request(RequestSpec(method="POST", path="/x", body=body))
    assert str(caught.value) == "a streamed body needs content_length"


@respx.mock
async def test_the_transport_does_not_follow_redirects_unless_asked() -> None:
    respx.get(f"{BASE}/moved").mock(
        return_value=httpx.Response(307, headers={"Location": f"{BASE}/here"})
    )
    async with aiospaces.Session() as session:
        response = await session.transport.send(httpx.Request("GET", f"{BASE}/moved"))
        await response.aclose()
    assert response.status_code == 307


@pytest.mark.parametrize(
    ("length", "read"),
    [
        ("0", True),
        ("65536", True),  # READ_AHEAD itself
        ("65537", False),
        ("", False),  # no Content-Length: streamed
        ("-1", False),
        ("1e3", False),
        (" 12", False),
        ("\u0663", False),  # a digit, but not an ASCII one
    ],
)
def test_only_a_plain_length_up_to_read_ahead_is_read_with_its_head(
    length: str, read: bool
) -> None:
    assert READ_AHEAD == 65536
    assert read_with_head(length) is read
