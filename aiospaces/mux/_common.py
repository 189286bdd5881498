"""Helpers shared by the Mux builders: paths, validation, ``{"data": ...}`` unwrapping."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import quote

from aiospaces.core.builder import Builder, RequestSpec, require
from aiospaces.core.errors import ValidationError
from aiospaces.core.pagination import PageNumberPagination
from aiospaces.mux.models import converter

if TYPE_CHECKING:
    import httpx

    from aiospaces.core.client import BaseClient

T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E", bound=enum.Enum)
PageT = TypeVar("PageT")
ItemT = TypeVar("ItemT")

MAX_TEXT = 255
"""Longest id or passthrough Mux accepts (characters)."""
MAX_LIMIT = 100
SPACES = "/video/v1/spaces"
LIVE_STREAMS = "/video/v1/live-streams"


def path_id(value: str | None, name: str) -> str:
    """Return ``value`` percent-encoded for a path, or raise a ValidationError naming it."""
    return quote(text(require(value, name), name), safe="")


def text(value: Any, name: str) -> str:
    """Return a string of at most 255 characters, or raise a ValidationError naming it."""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{name} is longer than {MAX_TEXT} characters")
    return value


def choice(enum_type: type[E], value: Any, name: str) -> E:
    """Return the member of ``enum_type`` named by ``value`` (a member or its wire string)."""
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum_type)
        raise ValidationError(f"{name} must be one of {allowed}, not {value!r}") from None


def positive(value: Any, name: str, maximum: int | None = None) -> int:
    """Return an int >= 1 (and <= ``maximum``), or raise a ValidationError naming it."""
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < 1
        or (maximum is not None and value > maximum)
    ):
        upper = f" to {maximum}" if maximum is not None else " or more"
        raise ValidationError(f"{name} must be an int from 1{upper}, not {value!r}")
    return value


def json_body(payload: dict[str, Any]) -> bytes:
    """Return compact JSON bytes."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
ACCEPT = {"Accept": "application/json"}


class MuxBuilder(Builder[T]):
    """A Mux builder: answers are ``{"data": ...}`` envelopes."""

    def _data(self, response: httpx.Response) -> Any:
        return response.json()["data"]

    def _structure(self, response: httpx.Response, cls: type[R]) -> R:
        return converter.structure(self._data(response), cls)


class MuxCreate(MuxBuilder[T]):
    """A Mux create call: setters collect the JSON body's fields."""

    def __init__(self, client: BaseClient, **kwargs: Any) -> None:
        self._fields: dict[str, Any] = {}
        super().__init__(client, **kwargs)

    def _set(self, key: str, value: Any) -> Self:
        self._fields = {**self._fields, key: value}
        return self


def post(path: str, payload: dict[str, Any] | None) -> RequestSpec:
    """Return a POST spec with a JSON body (none when ``payload`` is None)."""
    if payload is None:
        return RequestSpec(method="POST", path=path, headers=ACCEPT)
    return RequestSpec(method="POST", path=path, headers=JSON_HEADERS, body=json_body(payload))


class MuxList(MuxBuilder[PageT], PageNumberPagination[PageT, ItemT]):
    """A Mux list: ``limit``/``page`` (1-based) query parameters and no totals."""

    _limit: int | None = None
    _page_given = False

    def limit(self, limit: int) -> Self:
        """Return at most ``limit`` items per page (1 to 100; Mux's default is 25)."""
        self._limit = positive(limit, "limit", MAX_LIMIT)
        return self

    def page(self, page: int) -> Self:
        """Start at page ``page`` (1-based)."""
        self._set_page_number(positive(page, "page"))
        return self

    def _set_page_number(self, number: int) -> None:
        super()._set_page_number(number)
        self._page_given = True

    def _paging(self) -> list[tuple[str, str]]:
        """Return the ``limit`` and ``page`` query parameters that were set."""
        query: list[tuple[str, str]] = []
        if self._limit is not None:
            query.append(("limit", str(self._limit)))
        if self._page_given:
            query.append(("page", str(self._page_number)))
        return query
