"""A successful status with a body of the wrong shape: the error says what was expected, and why."""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

import attrs
import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.builder import Builder
from aiospaces.core.convert import make_converter
from aiospaces.core.request import RequestSpec
from tests.core.toy import Thing, ToyClient

BASE = "https://toy.example"
T = TypeVar("T")
converter = make_converter()


class Fetch(Builder[T], Generic[T]):
    """GET /body and structure its JSON as the builder's result type."""

    result_type: Any = None

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path="/body")

    async def _parse(self, response: httpx.Response) -> T:
        result: T = converter.structure(response.json(), self.result_type)
        return result


class Tagged(Generic[T]):
    """A generic mixin that is no builder, listed first among the bases."""


class FetchThing(Fetch[Thing]):
    result_type = Thing


class FetchTagged(Tagged[int], Fetch[Thing]):
    result_type = Thing


class FetchThings(Fetch[list[Thing]]):
    result_type = list[Thing]


class Middle(Fetch[dict[str, T]], Generic[T]):
    result_type = dict[str, int]


class FetchCounts(Middle[int]):
    pass


class Listing(Fetch[list[T]], Generic[T]):
    result_type = list[Thing]


class FetchListing(Listing[Thing]):
    pass


class FetchAny(Builder):  # type: ignore[type-arg]
    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path="/body")

    async def _parse(self, response: httpx.Response) -> Any:
        return json.loads(response.content)


async def failure(builder: Builder[Any], content: bytes) -> aiospaces.UnexpectedResponseError:
    respx.get(f"{BASE}/body").mock(
        return_value=httpx.Response(200, content=content, headers={"x-request-id": "r7"})
    )
    with pytest.raises(aiospaces.UnexpectedResponseError) as caught:
        await builder
    return caught.value


@pytest.mark.parametrize(
    ("make", "content", "message"),
    [
        (FetchThing, b"not json", "expected a JSON Thing; the body is not JSON"),
        (FetchThing, b'{"id": "a"}',
         "expected a JSON Thing; required field missing @ $.name"),
        (FetchTagged, b"", "expected a JSON Thing; the body is not JSON"),
        (FetchThings, b'{"id": "a"}', "expected a JSON list of Thing; expected a list, not a dict"),
        (FetchListing, b"{}", "expected a JSON list of Thing; expected a list, not a dict"),
        (FetchCounts, b'{"a": "x"}',
         "expected a JSON dict of str; invalid value for type, expected int @ $['a']"),
        (FetchAny, b"[" * 100_000, "expected a JSON body; the body is nested too deeply"),
    ],
)  # fmt: skip
@respx.mock
async def test_the_error_says_what_was_expected_and_why(
    make: type[Builder[Any]], content: bytes, message: str
) -> None:
    async with ToyClient(base_url=BASE) as toy:
        error = await failure(make(toy), content)
    assert error.message == message
    assert (error.status_code, error.vendor, error.request_id) == (200, "toy", "r7")


@attrs.frozen
class Five:
    a: str
    b: str
    c: str
    d: str
    e: str


class FetchFive(Fetch[Five]):
    result_type = Five


@respx.mock
async def test_at_most_three_field_errors_are_listed() -> None:
    async with ToyClient(base_url=BASE) as toy:
        error = await failure(FetchFive(toy), b"{}")
    assert error.message == (
        "expected a JSON Five; required field missing @ $.a; required field missing @ $.b; "
        "required field missing @ $.c"
    )
