"""Per-call extras (headers, query) and builder settings, each given alone and on every page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.builder import Builder, prefill
from aiospaces.core.request import CallOptions, RequestSpec
from tests.core.toy import ToyClient

BASE = "https://toy.example"
THING = {"data": {"id": "a", "name": "A"}}


@respx.mock
async def test_an_extra_header_alone_is_sent() -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(200, json=THING))
    async with ToyClient(base_url=BASE) as toy:
        await toy.get_thing(thing_id="a").extra_headers({"X-Trace": "t1", "X-Empty": ""})
    sent = route.calls.last.request
    assert (sent.headers["x-trace"], sent.headers["x-empty"]) == ("t1", "")
    assert sent.url.query == b""


@respx.mock
async def test_an_extra_query_alone_is_sent() -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(200, json=THING))
    async with ToyClient(base_url=BASE) as toy:
        await toy.get_thing(thing_id="a").extra_query([("debug", "1"), ("debug", "2")])
    sent = route.calls.last.request
    assert sent.url.query == b"debug=1&debug=2"
    assert "x-trace" not in sent.headers


@respx.mock
async def test_extras_given_alone_through_request() -> None:
    route = respx.get(f"{BASE}/plain").mock(return_value=httpx.Response(200))
    async with ToyClient(base_url=BASE) as toy:
        await toy.request(RequestSpec(method="GET", path="/plain"), CallOptions(query=[("q", "1")]))
        await toy.request(RequestSpec(method="GET", path="/plain"), CallOptions(headers={"A": "b"}))
    first, second = (call.request for call in route.calls)
    assert (first.url.query, "a" in first.headers) == (b"q=1", False)
    assert (second.url.query, second.headers["a"]) == (b"", "b")


@respx.mock
async def test_extras_win_over_the_sdks_own_headers_and_follow_its_query() -> None:
    route = respx.get(f"{BASE}/with").mock(return_value=httpx.Response(200))
    spec = RequestSpec(
        method="GET", path="/with", query=[("own", "1")], headers={"Accept": "text/plain"}
    )
    options = CallOptions(headers={"Accept": "application/xml"}, query=[("extra", "2")])
    async with ToyClient(base_url=BASE) as toy:
        await toy.request(spec, options)
    sent = route.calls.last.request
    assert sent.headers["accept"] == "application/xml"
    assert sent.url.query == b"own=1&extra=2"
    assert spec.query == [("own", "1")]  # the spec itself is left as it was


@respx.mock
async def test_every_page_carries_the_extras_once_and_the_builder_is_left_as_it_was() -> None:
    route = respx.get(f"{BASE}/cursor").mock(
        side_effect=[
            httpx.Response(200, json={"data": [{"id": "a", "name": "A"}], "next": "Mg"}),
            httpx.Response(200, json={"data": [{"id": "b", "name": "B"}], "next": "Mw"}),
            httpx.Response(200, json={"data": []}),
            httpx.Response(200, json={"data": []}),
        ]
    )
    async with ToyClient(base_url=BASE) as toy:
        builder = toy.list_by_cursor().extra_headers({"X-Trace": "t"}).extra_query({"k": "v"})
        assert [thing.id async for thing in builder] == ["a", "b"]
        assert [thing.id async for thing in builder.limit(5)] == []  # a fresh walk from page 1
    queries = [call.request.url.query for call in route.calls]
    assert queries == [b"k=v", b"start=Mg&k=v", b"start=Mw&k=v", b"limit=5&k=v"]
    assert all(call.request.headers["x-trace"] == "t" for call in route.calls)


def test_without_extras_keeps_only_the_timeout_and_retries() -> None:
    options = CallOptions(timeout=3.0, max_retries=1, headers={"A": "b"}, query=[("q", "1")])
    assert options.without_extras() == CallOptions(timeout=3.0, max_retries=1)


@respx.mock
async def test_json_bodies_may_set_their_own_content_type() -> None:
    route = respx.patch(f"{BASE}/doc").mock(return_value=httpx.Response(200))
    spec = RequestSpec.with_json(
        "PATCH", "/doc", {"é": 1}, headers={"Content-Type": "application/merge-patch+json"}
    )
    async with ToyClient(base_url=BASE) as toy:
        await toy.request(spec)
    sent = route.calls.last.request
    assert sent.headers.get_list("content-type") == ["application/merge-patch+json"]
    assert sent.content == '{"é":1}'.encode()


# -- builder settings -------------------------------------------------------------------------


class Streamer(Builder[bytes]):
    """A builder with an action that is an async generator (like a download's stream())."""

    async def stream(self) -> AsyncIterator[bytes]:
        yield b""


@pytest.mark.parametrize("name", ["_client", "_options", "stream", "future", "no_such_setter"])
async def test_settings_must_name_a_setter(name: str) -> None:
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(TypeError) as caught:
            Streamer(toy, {name: 1})
    assert str(caught.value) == f"Streamer() got an unexpected argument {name!r}"


@pytest.mark.parametrize(
    ("setter", "value", "message"),
    [
        ("max_retries", -1, "max_retries must be an int >= 0, not -1"),
        ("retry_ambiguous", "yes", "retry_ambiguous must be True or False, not str"),
        (
            "extra_headers",
            [("a", "b")],
            "extra_headers must be a mapping of header names to values",
        ),
        (
            "extra_query",
            "a=b",
            "extra_query must be a mapping or a list of (name, value) pairs, not str",
        ),
        ("extra_query", [("a", "b", "c")], "extra_query must hold (name, value) pairs, not tuple"),
    ],
)
async def test_bad_per_call_settings_say_what_is_wrong(
    setter: str, value: Any, message: str
) -> None:
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.ValidationError) as caught:
            toy.get_thing(**{setter: value})
    assert str(caught.value) == message


def test_prefill_puts_the_given_ids_first() -> None:
    assert prefill({"name": "n"}, space_id="sp1", other=None) == {"space_id": "sp1", "name": "n"}
    assert prefill({"space_id": "kw"}, space_id=None) == {"space_id": "kw"}
    assert list(prefill({"b": 2}, a=1)) == ["a", "b"]


def test_json_specs_keep_what_the_caller_says_about_repeating_them() -> None:
    spec = RequestSpec.with_json("POST", "/x", {}, idempotent=True, check="list the x")
    assert (spec.idempotent, spec.check) == (True, "list the x")
    assert RequestSpec.with_json("POST", "/x", {}).idempotent is None
