"""What every NeuroIO builder shares: auth, JSON bodies, id checks, DRF list paging."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast
from urllib.parse import quote

import attrs

from aiospaces.core.builder import Builder, RequestSpec
from aiospaces.core.errors import ValidationError
from aiospaces.core.pagination import OffsetPagination
from aiospaces.neuroio.models import Page, converter

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from aiospaces.neuroio.client import NeuroIO

__all__ = [
    "DEFAULT_LIMIT",
    "ListBuilder",
    "NeuroIOBuilder",
    "check_bool",
    "json_spec",
    "object_id",
    "token_ref",
    "wire_bool",
]

T = TypeVar("T")
ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 20
"""The page size NeuroIO (and its official SDK) uses when none is given."""


class NeuroIOBuilder(Builder[T]):
    """A NeuroIO call: ``_request()`` describes it; ``Authorization: Token`` is added here."""

    _needs_token: ClassVar[bool] = True

    def _request(self) -> RequestSpec:
        raise NotImplementedError

    def _build(self) -> RequestSpec:
        spec = self._request()
        if not self._needs_token:
            return spec
        token = cast("NeuroIO", self._client).config.api_token
        if not token:
            raise ValidationError(
                "api_token is required for this call: pass api_token= or set NEUROIO_API_TOKEN"
            )
        return attrs.evolve(spec, headers={**spec.headers, "Authorization": f"Token {token}"})

    def _json(self, response: httpx.Response, cls: type[T]) -> T:
        return converter.structure(response.json(), cls)


def json_spec(method: str, path: str, body: dict[str, Any]) -> RequestSpec:
    """Return a request with a compact JSON body."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return RequestSpec(
        method=method, path=path, headers={"Content-Type": "application/json"}, body=raw
    )


def object_id(value: int | None, name: str) -> str:
    """Return a positive integer id as path text, else raise a ValidationError naming it."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError(f"{name} is required and must be a positive int, not {value!r}")
    return str(value)


def token_ref(value: int | str | None) -> str:
    """Return a token id or key as one path segment, else raise a ValidationError."""
    if isinstance(value, str) and value:
        return quote(value, safe="")
    return object_id(value if not isinstance(value, str) else None, "token_id_or_key")


def check_bool(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool, else raise a ValidationError naming it."""
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, not {value!r}")
    return value


def wire_bool(value: bool) -> str:
    """Return a bool as NeuroIO reads it in queries and forms (``true``/``false``)."""
    return "true" if value else "false"


class ListBuilder(NeuroIOBuilder[Page[ItemT]], OffsetPagination[Page[ItemT], ItemT]):
    """A DRF-style list (``limit``/``offset``): await it for one page, ``async for`` for all."""

    _item: ClassVar[type]
    _limit: int = DEFAULT_LIMIT

    def limit(self, limit: int) -> Self:
        """Return at most ``limit`` items per page (default 20; the server may cap it)."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValidationError(f"limit must be a positive int, not {limit!r}")
        self._limit = limit
        return self

    def offset(self, offset: int) -> Self:
        """Start the page at item ``offset`` (default 0)."""
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValidationError(f"offset must be an int >= 0, not {offset!r}")
        self._offset = offset
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
