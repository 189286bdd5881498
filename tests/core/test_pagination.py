from __future__ import annotations

import httpx
import pytest
import respx

import aiospaces
from tests.core.toy import ThingPage, ToyClient

BASE = "https://toy.example"


def things(*ids: str) -> list[dict[str, str]]:
    return [{"id": i, "name": i.upper()} for i in ids]


@respx.mock
async def test_cursor_pages_follow_next_until_absent() -> None:
    route = respx.get(f"{BASE}/cursor").mock(
        side_effect=[
            httpx.Response(200, json={"data": things("a", "b"), "next": "Mg", "totalCount": 3}),
            httpx.Response(200, json={"data": things("c"), "prev": "Mg"}),
        ]
    )
    async with ToyClient(base_url=BASE) as toy:
        ids = [thing.id async for thing in toy.list_by_cursor(limit=2)]
    assert ids == ["a", "b", "c"]
    assert [call.request.url.raw_path for call in route.calls] == [
        b"/cursor?limit=2",
        b"/cursor?limit=2&start=Mg",
    ]


@respx.mock
async def test_cursor_pages_and_single_page() -> None:
    respx.get(f"{BASE}/cursor").mock(
        side_effect=[
            httpx.Response(200, json={"data": things("a"), "next": "MQ", "totalCount": 2}),
            httpx.Response(200, json={"data": things("b"), "next": "Mg"}),
            httpx.Response(200, json={"data": [], "next": "Mw"}),  # an empty page ends the walk
        ]
    )
    async with ToyClient(base_url=BASE) as toy:
        builder = toy.list_by_cursor()
        pages = [page async for page in builder.pages()]
    assert [len(p.data) for p in pages] == [1, 1, 0]
    assert pages[0].total_count == 2
    assert isinstance(pages[0], ThingPage)
    assert builder._start is None  # walking did not change the caller's builder


@respx.mock
async def test_page_number_paging_ends_on_an_empty_page_not_a_short_one() -> None:
    route = respx.get(f"{BASE}/pages").mock(
        side_effect=[
            httpx.Response(200, json={"data": things("a", "b")}),
            httpx.Response(200, json={"data": things("c")}),  # short, but not the end
            httpx.Response(200, json={"data": things("d")}),
            httpx.Response(200, json={"data": []}),
        ]
    )
    async with ToyClient(base_url=BASE) as toy:
        ids = [thing.id async for thing in toy.list_by_page()]
    assert ids == ["a", "b", "c", "d"]
    assert [c.request.url.params["page"] for c in route.calls] == ["1", "2", "3", "4"]


@respx.mock
async def test_offset_paging_stops_at_total_count() -> None:
    route = respx.get(f"{BASE}/offset").mock(
        side_effect=[
            httpx.Response(200, json={"count": 3, "results": things("a", "b")}),
            httpx.Response(200, json={"count": 3, "results": things("c")}),
        ]
    )
    async with ToyClient(base_url=BASE) as toy:
        ids = [thing.id async for thing in toy.list_by_offset()]
    assert ids == ["a", "b", "c"]
    assert [c.request.url.params["offset"] for c in route.calls] == ["0", "2"]


@respx.mock
async def test_offset_paging_without_total_stops_on_empty_page() -> None:
    respx.get(f"{BASE}/offset").mock(
        side_effect=[
            httpx.Response(200, json={"results": things("a", "b")}),
            httpx.Response(200, json={"results": []}),
        ]
    )
    async with ToyClient(base_url=BASE) as toy:
        assert [t.id async for t in toy.list_by_offset()] == ["a", "b"]


@respx.mock
async def test_an_error_mid_walk_raises() -> None:
    respx.get(f"{BASE}/pages").mock(
        side_effect=[httpx.Response(200, json={"data": things("a")}), httpx.Response(404)]
    )
    seen = []

    async def walk(toy: ToyClient) -> None:
        async for thing in toy.list_by_page():
            seen.append(thing.id)

    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.NotFoundError):
            await walk(toy)
    assert seen == ["a"]
