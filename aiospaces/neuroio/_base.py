"""What every NeuroIO builder shares: the token, id and bool checks, DRF list paging."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self, TypeVar, cast

from aiospaces.core import validate
from aiospaces.core.builder import Builder, CallParams
from aiospaces.core.pagination import OffsetPagination
from aiospaces.neuroio.models import Page, converter

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from aiospaces.neuroio.client import NeuroIO

T = TypeVar("T")
ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 20
"""The page size NeuroIO (and its official SDK) uses when none is given."""


MAX_ID = 2**63 - 1
"""Largest id NeuroIO has (a signed 64-bit integer)."""


def object_id(value: object, name: str) -> str:
    """Return a positive integer id as path text, else raise a ValidationError naming it."""
    return str(validate.integer(value, name, minimum=1, maximum=MAX_ID))


def token_ref(value: object) -> str:
    """Return a token id (int) or key (str) as one path segment, else raise."""
    if isinstance(value, str):
        return validate.path_segment(value, "token_id_or_key")
    return object_id(value, "token_id_or_key")


def wire_bool(value: bool) -> str:
    """Return a bool as NeuroIO reads it in queries and forms (``true``/``false``)."""
    return "true" if value else "false"


class NeuroIOBuilder(Builder[T]):
    """A NeuroIO call (the client adds ``Authorization: Token`` to each attempt)."""

    _client: NeuroIO

    def _json(self, response: httpx.Response, cls: type[T]) -> T:
        return converter.structure(response.json(), cls)


class ListParams(CallParams, total=False):
    """Keywords of a DRF-style list (its paging setters)."""

    limit: int
    offset: int


class ListBuilder(NeuroIOBuilder[Page[ItemT]], OffsetPagination[Page[ItemT], ItemT]):
    """A DRF-style list (``limit``/``offset``): await it for one page, ``async for`` for all."""

    _item: ClassVar[type]
    _limit: int = DEFAULT_LIMIT

    def limit(self, limit: int) -> Self:
        """Return at most ``limit`` items per page (default 20; the server may cap it)."""
        self._limit = validate.integer(limit, "limit", minimum=1)
        return self

    def offset(self, offset: int) -> Self:
        """Start the page at item ``offset`` (default 0)."""
        self._offset = validate.integer(offset, "offset", minimum=0)
        return self

    def _window(self) -> list[tuple[str, str]]:
        return [("limit", str(self._limit)), ("offset", str(self._offset))]

    async def _parse(self, response: httpx.Response) -> Page[ItemT]:
        body = response.json()
        if isinstance(body, list):  # some deployments answer with a bare array
            body = {"results": body}
        return cast("Page[ItemT]", converter.structure(body, Page[self._item]))  # type: ignore[name-defined]

    def _items(self, page: Page[ItemT]) -> Sequence[ItemT]:
        return page.results

    def _total(self, page: Page[ItemT]) -> int | None:
        return page.count
