from __future__ import annotations

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.builder import Builder, Envelope
from tests.core.toy import GetThing, ToyClient

BASE = "https://toy.example"
THING = {"data": {"id": "a", "name": "A", "eTag": "abc123"}}


@respx.mock
async def test_await_builder_returns_result_and_future_returns_envelope() -> None:
    respx.get(f"{BASE}/things/a").mock(
        return_value=httpx.Response(200, json=THING, headers={"x-request-id": "r-1"})
    )
    async with ToyClient(base_url=BASE) as toy:
        thing = await toy.get_thing().thing_id("a")
        assert thing.id == "a"
        assert thing.etag == "abc123"
        assert await toy.get_thing(thing_id="a").result() == thing
        envelope = await toy.get_thing(thing_id="a").future()
    assert isinstance(envelope, Envelope)
    assert envelope.result == thing
    assert envelope.status.status_code == 200
    assert envelope.status.request_id == "r-1"
    assert envelope.status.headers["x-request-id"] == "r-1"
    assert envelope.status.attempts == 1
    assert envelope.status.elapsed >= 0


@pytest.mark.parametrize("bad", [None, "", 5])
@respx.mock(assert_all_mocked=True)
async def test_validation_fails_before_any_request(bad: object) -> None:
    async with ToyClient(base_url=BASE) as toy:
        builder = toy.get_thing()
        if bad is not None:
            builder.thing_id(bad)  # type: ignore[arg-type]
        with pytest.raises(aiospaces.ValidationError, match="thing_id"):
            await builder
    assert not respx.calls


def test_unknown_factory_keyword_is_a_type_error() -> None:
    toy = ToyClient(base_url=BASE)
    with pytest.raises(TypeError, match="unexpected argument 'colour'"):
        toy.get_thing(colour="red")
    with pytest.raises(TypeError, match="'_thing_id'"):
        toy.get_thing(_thing_id="a")
    with pytest.raises(TypeError, match="'result'"):
        toy.get_thing(result=1)


@pytest.mark.parametrize(
    ("setter", "value"),
    [
        ("timeout", 0),
        ("timeout", -1.0),
        ("timeout", True),
        ("max_retries", -1),
        ("max_retries", 1.5),
    ],
)
def test_bad_call_options_raise_validation_error(setter: str, value: object) -> None:
    builder = ToyClient(base_url=BASE).get_thing()
    with pytest.raises(aiospaces.ValidationError, match=setter):
        getattr(builder, setter)(value)


@respx.mock
async def test_extra_headers_and_query_are_sent() -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(200, json=THING))
    async with ToyClient(base_url=BASE) as toy:
        await (
            toy.get_thing(thing_id="a")
            .extra_headers({"X-Trace": "t1"})
            .extra_query({"debug": "1 2"})
            .extra_query([("x", "y/z")])
        )
    request = route.calls.last.request
    assert request.headers["x-trace"] == "t1"
    assert request.url.raw_path == b"/things/a?debug=1%202&x=y%2Fz"


@respx.mock
async def test_per_call_timeout_reaches_the_request() -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(200, json=THING))
    async with ToyClient(base_url=BASE) as toy:
        await toy.get_thing(thing_id="a").timeout(1.5)
        await toy.get_thing(thing_id="a")
    first, second = (call.request.extensions["timeout"] for call in route.calls)
    assert first == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}
    assert second == {"connect": 5.0, "read": 60.0, "write": 60.0, "pool": 60.0}


@respx.mock
async def test_a_builder_can_be_awaited_twice() -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(200, json=THING))
    async with ToyClient(base_url=BASE) as toy:
        builder = toy.get_thing(thing_id="a")
        assert await builder == await builder
    assert route.call_count == 2


def test_builder_repr_names_operation_only() -> None:
    builder = ToyClient(base_url=BASE).get_thing(thing_id="secret-id")._quiet()
    assert repr(builder) == "<GetThing for ToyClient>"


async def test_unimplemented_builder_hooks() -> None:
    class Bare(Builder[int]):
        pass

    toy = ToyClient(base_url=BASE)
    with pytest.raises(NotImplementedError):
        await Bare(toy)
    with pytest.raises(NotImplementedError):
        await GetThing.__mro__[1]._parse(toy.get_thing()._quiet(), httpx.Response(200))  # type: ignore[attr-defined]
    await toy.aclose()


def test_identifier_never_echoes_a_wrongly_typed_value() -> None:
    from aiospaces.core.validate import identifier

    assert identifier("ok", "name") == "ok"
    with pytest.raises(aiospaces.ValidationError, match=r"not ''$"):
        identifier("", "name")
    with pytest.raises(aiospaces.ValidationError, match=r"not None$"):
        identifier(None, "name")
    with pytest.raises(aiospaces.ValidationError) as caught:
        identifier(b"hunter2", "password")
    assert "hunter2" not in str(caught.value)
    assert str(caught.value).endswith("not bytes")
