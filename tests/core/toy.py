"""A toy vendor built on the core, exercising every hook the real vendors use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import attrs
import httpx

from aiospaces.core import validate
from aiospaces.core.builder import Builder, Envelope
from aiospaces.core.client import BaseClient
from aiospaces.core.convert import make_converter, wire
from aiospaces.core.pagination import CursorPagination, OffsetPagination, PageNumberPagination
from aiospaces.core.request import RequestSpec

converter = make_converter(key_style="camel")


@attrs.frozen
class Thing:
    id: str
    name: str
    etag: str | None = attrs.field(default=None, metadata=wire("eTag"))


@attrs.frozen
class ThingPage:
    data: list[Thing]
    next: str | None = None
    total_count: int | None = None


class GetThing(Builder[Thing]):
    _thing_id: str | None = None

    def thing_id(self, value: str) -> GetThing:
        self._thing_id = value
        return self

    def _build(self) -> RequestSpec:
        thing_id = validate.identifier(self._thing_id, "thing_id")
        return RequestSpec(method="GET", path=f"/things/{thing_id}")

    async def _parse(self, response: httpx.Response) -> Thing:
        return converter.structure(response.json()["data"], Thing)


class Upload(Builder[int]):
    """POST a streamed body built by a factory; returns the size the server saw."""

    _chunks: Sequence[bytes] = ()
    factory_calls = 0

    def chunks(self, value: Sequence[bytes]) -> Upload:
        self._chunks = value
        return self

    def _build(self) -> RequestSpec:
        chunks = list(self._chunks)

        def factory() -> AsyncIterator[bytes]:
            Upload.factory_calls += 1

            async def stream() -> AsyncIterator[bytes]:
                for chunk in chunks:
                    yield chunk

            return stream()

        return RequestSpec(
            method="POST",
            path="/upload",
            body=factory,
            content_length=sum(map(len, chunks)),
            headers={"Content-Type": "application/octet-stream"},
            idempotent=True,  # like a presigned storage write: the same key again
        )

    async def _parse(self, response: httpx.Response) -> int:
        return int(response.json()["size"])


class Call(Builder[Any]):
    """GET (or ``method``) any path and return its JSON body."""

    _method = "GET"
    _path = "/"
    _query: Sequence[tuple[str, str]] = ()
    _idempotent: bool | None = None

    def method(self, value: str) -> Call:
        self._method = value
        return self

    def idempotent(self, value: bool | None) -> Call:
        self._idempotent = value
        return self

    def path(self, value: str) -> Call:
        self._path = value
        return self

    def query(self, value: Sequence[tuple[str, str]]) -> Call:
        self._query = value
        return self

    def _build(self) -> RequestSpec:
        return RequestSpec(
            method=self._method,
            path=self._path,
            query=self._query,
            idempotent=self._idempotent,
            check="look it up",
        )

    async def _parse(self, response: httpx.Response) -> Any:
        return response.json()


class Download(Builder[bytes]):
    """GET with a streamed response consumed chunk by chunk (the client's streaming path)."""

    async def _run(self) -> Envelope[bytes]:
        spec = RequestSpec(method="GET", path="/download")
        async with self._client.stream(spec, self._options) as exchange:
            body = b"".join([chunk async for chunk in exchange.response.aiter_bytes()])
        return Envelope(body, exchange.status)


class ListByCursor(CursorPagination[ThingPage, Thing]):
    _limit: int | None = None
    _start: str | None = None

    def limit(self, value: int) -> ListByCursor:
        self._limit = value
        return self

    def _build(self) -> RequestSpec:
        query = []
        if self._limit is not None:
            query.append(("limit", str(self._limit)))
        if self._start:
            query.append(("start", self._start))
        return RequestSpec(method="GET", path="/cursor", query=query)

    async def _parse(self, response: httpx.Response) -> ThingPage:
        return converter.structure(response.json(), ThingPage)

    def _items(self, page: ThingPage) -> Sequence[Thing]:
        return page.data

    def _next_cursor(self, page: ThingPage) -> str | None:
        return page.next

    def _set_cursor(self, cursor: str) -> None:
        self._start = cursor


class ListByPage(PageNumberPagination[list[Thing], Thing]):
    def _build(self) -> RequestSpec:
        return RequestSpec(
            method="GET", path="/pages", query=[("page", str(self._page_number)), ("limit", "2")]
        )

    async def _parse(self, response: httpx.Response) -> list[Thing]:
        return converter.structure(response.json()["data"], list[Thing])

    def _items(self, page: list[Thing]) -> Sequence[Thing]:
        return page


class ListByOffset(OffsetPagination[dict[str, Any], Thing]):
    def _build(self) -> RequestSpec:
        return RequestSpec(
            method="GET", path="/offset", query=[("offset", str(self._offset)), ("limit", "2")]
        )

    async def _parse(self, response: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = response.json()
        return body

    def _items(self, page: dict[str, Any]) -> Sequence[Thing]:
        return converter.structure(page["results"], list[Thing])

    def _total(self, page: dict[str, Any]) -> int | None:
        count = page.get("count")
        return None if count is None else int(count)


class ToyClient(BaseClient):
    vendor = "toy"

    def get_thing(self, **kwargs: Any) -> GetThing:
        return GetThing(self, kwargs)

    def upload(self, **kwargs: Any) -> Upload:
        return Upload(self, kwargs)

    def call(self, **kwargs: Any) -> Call:
        return Call(self, kwargs)

    def download(self) -> Download:
        return Download(self)

    def list_by_cursor(self, **kwargs: Any) -> ListByCursor:
        return ListByCursor(self, kwargs)

    def list_by_page(self) -> ListByPage:
        return ListByPage(self)

    def list_by_offset(self) -> ListByOffset:
        return ListByOffset(self)


class OtherClient(ToyClient):
    vendor = "other"
