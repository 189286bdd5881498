"""The Spaces API: spaces are App Context channels (``/v2/objects/{sub}/channels``).

```python
space = await pn.create_space().space_id("room-1").name("Room 1").custom({"tier": "gold"})
page = await pn.fetch_spaces().filter(F.name.like("Room*")).sort("name:desc").limit(10)
async for space in pn.fetch_spaces().include_custom(True):   # every page
    ...
```
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from urllib.parse import quote

from aiospaces.core.builder import Builder, RequestSpec, require
from aiospaces.core.errors import ValidationError
from aiospaces.core.pagination import CursorPagination
from aiospaces.pubnub.filters import Filter
from aiospaces.pubnub.models import Page, Space, SpacePage, converter

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import httpx

    from aiospaces.pubnub.client import PubNub

__all__ = [
    "MAX_ID_LENGTH",
    "CreateSpace",
    "FetchSpace",
    "FetchSpaces",
    "RemoveSpace",
    "Sort",
    "UpdateSpace",
]

T = TypeVar("T")

MAX_ID_LENGTH = 92
"""Longest space id PubNub accepts (characters)."""
MAX_LIMIT = 100
SORT_KEYS = ("id", "name", "updated", "status", "type")


class Sort:
    """Sort keys for [FetchSpaces.sort][aiospaces.pubnub.spaces.FetchSpaces.sort]."""

    @staticmethod
    def asc(key: str) -> str:
        """Return ``key:asc``."""
        return _sort_key(f"{key}:asc")

    @staticmethod
    def desc(key: str) -> str:
        """Return ``key:desc``."""
        return _sort_key(f"{key}:desc")


def _sort_key(raw: str) -> str:
    key, _, direction = raw.partition(":")
    if key not in SORT_KEYS or direction not in ("", "asc", "desc"):
        raise ValidationError(
            f"sort key must be one of {', '.join(SORT_KEYS)} with an optional :asc or :desc, "
            f"not {raw!r}"
        )
    return raw


def _space_id(value: str | None) -> str:
    value = require(value, "space_id")
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(f"space_id is longer than {MAX_ID_LENGTH} characters")
    return value


def _optional_text(name: str, value: str | None) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{name} must be a string or None, not {type(value).__name__}")
    return value


def _include(custom: bool) -> tuple[str, str]:
    return ("include", "custom,status,type" if custom else "status,type")


class _PubNubBuilder(Builder[T]):
    """Shared helpers of the Spaces builders."""

    def _channels_path(self) -> str:
        client = cast("PubNub", self._client)
        return f"/v2/objects/{client.config.subscribe_key}/channels"

    async def _space(self, response: httpx.Response) -> Space:
        return converter.structure(response.json()["data"], Space)


class FetchSpace(_PubNubBuilder[Space]):
    """``GET`` one space."""

    _id: str | None = None
    _include_custom = False

    def space_id(self, space_id: str) -> Self:
        """Set the space to fetch."""
        self._id = space_id
        return self

    def include_custom(self, include: bool = True) -> Self:
        """Also return the space's custom data."""
        self._include_custom = bool(include)
        return self

    def _build(self) -> RequestSpec:
        path = f"{self._channels_path()}/{quote(_space_id(self._id), safe='')}"
        return RequestSpec(method="GET", path=path, query=[_include(self._include_custom)])

    async def _parse(self, response: httpx.Response) -> Space:
        return await self._space(response)


class CreateSpace(FetchSpace):
    """``PATCH`` (upsert) a space: creates it, or updates the fields you set."""

    _fields: dict[str, Any]
    _etag: str | None = None

    def __init__(self, client: PubNub, **kwargs: Any) -> None:
        self._fields = {}
        super().__init__(client, **kwargs)

    def _set(self, key: str, value: Any) -> Self:
        self._fields = {**self._fields, key: value}
        return self

    def name(self, name: str | None) -> Self:
        """Set the display name (None clears it)."""
        return self._set("name", _optional_text("name", name))

    def description(self, description: str | None) -> Self:
        """Set the description (None clears it)."""
        return self._set("description", _optional_text("description", description))

    def status(self, status: str | None) -> Self:
        """Set the status (None clears it)."""
        return self._set("status", _optional_text("status", status))

    def type(self, type_: str | None) -> Self:
        """Set the type (None clears it)."""
        return self._set("type", _optional_text("type", type_))

    def custom(self, custom: Mapping[str, str | int | float | bool] | None) -> Self:
        """Replace the custom data: a flat mapping of scalars (None clears it)."""
        if custom is not None:
            if not isinstance(custom, dict):
                raise ValidationError("custom must be a dict of scalar values or None")
            for key, value in custom.items():
                if not isinstance(key, str) or not isinstance(value, str | int | float | bool):
                    raise ValidationError(
                        f"custom values must be strings, numbers or booleans: {key!r}={value!r}"
                    )
            try:
                json.dumps(custom, allow_nan=False)
            except ValueError as exc:
                raise ValidationError(f"custom is not valid JSON: {exc}") from exc
            custom = dict(custom)
        return self._set("custom", custom)

    def if_matches_etag(self, etag: str) -> Self:
        """Update only if the space still has this eTag (else ``PreconditionFailedError``)."""
        if not isinstance(etag, str) or not etag:
            raise ValidationError(f"etag must be a non-empty string, not {etag!r}")
        self._etag = etag
        return self

    def _build(self) -> RequestSpec:
        spec = super()._build()
        headers = {"Content-Type": "application/json"}
        if self._etag:
            headers["If-Match"] = self._etag
        body = json.dumps(self._fields, separators=(",", ":"), ensure_ascii=False).encode()
        return RequestSpec(
            method="PATCH", path=spec.path, query=spec.query, headers=headers, body=body
        )


class UpdateSpace(CreateSpace):
    """``PATCH`` a space; only the fields you set change (PATCH is an upsert)."""


class RemoveSpace(_PubNubBuilder[None]):
    """``DELETE`` a space."""

    _id: str | None = None

    def space_id(self, space_id: str) -> Self:
        """Set the space to remove."""
        self._id = space_id
        return self

    def _build(self) -> RequestSpec:
        path = f"{self._channels_path()}/{quote(_space_id(self._id), safe='')}"
        return RequestSpec(method="DELETE", path=path)

    async def _parse(self, response: httpx.Response) -> None:
        return None


class FetchSpaces(_PubNubBuilder[SpacePage], CursorPagination[SpacePage, Space]):
    """``GET`` a page of spaces; ``async for`` walks every page."""

    _filter: str | None = None
    _limit: int | None = None
    _count = False
    _sort: tuple[str, ...] = ()
    _cursor: Page | None = None
    _include_custom = False

    def filter(self, expression: str | Filter) -> Self:
        """Keep spaces matching an App Context filter expression (a string or ``F`` filter)."""
        text = str(expression) if isinstance(expression, Filter) else expression
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("filter must be a non-empty expression")
        self._filter = text
        return self

    def limit(self, limit: int) -> Self:
        """Return at most ``limit`` spaces per page (1 to 100)."""
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be an int from 1 to {MAX_LIMIT}, not {limit!r}")
        self._limit = limit
        return self

    def include_total_count(self, include: bool = True) -> Self:
        """Ask for the total number of matching spaces (``SpacePage.total_count``)."""
        self._count = bool(include)
        return self

    def include_custom(self, include: bool = True) -> Self:
        """Also return each space's custom data."""
        self._include_custom = bool(include)
        return self

    def sort(self, *keys: str | Sequence[str]) -> Self:
        """Order by keys like ``"name"``, ``"updated:desc"`` or ``Sort.desc("updated")``."""
        flat: list[str] = []
        for key in keys:
            flat.extend([key] if isinstance(key, str) else key)
        self._sort = tuple(_sort_key(k) for k in flat)
        return self

    def page(self, page: Page | str | None) -> Self:
        """Fetch the page a previous result pointed to (``result.next`` or ``result.prev``)."""
        if isinstance(page, str):
            page = Page(page, "next")
        if page is not None and not isinstance(page, Page):
            raise ValidationError(f"page must be a Page, a cursor string or None, not {page!r}")
        self._cursor = page
        return self

    def _build(self) -> RequestSpec:
        query: list[tuple[str, str]] = []
        if self._filter:
            query.append(("filter", self._filter))
        if self._limit is not None:
            query.append(("limit", str(self._limit)))
        if self._count:
            query.append(("count", "true"))
        if self._sort:
            query.append(("sort", ",".join(self._sort)))
        if self._cursor is not None:
            name = "start" if self._cursor.direction == "next" else "end"
            query.append((name, self._cursor.cursor))
        query.append(_include(self._include_custom))
        return RequestSpec(method="GET", path=self._channels_path(), query=query)

    async def _parse(self, response: httpx.Response) -> SpacePage:
        return converter.structure(response.json(), SpacePage)

    def _items(self, page: SpacePage) -> Sequence[Space]:
        return page.data

    def _next_cursor(self, page: SpacePage) -> str | None:
        return page.next.cursor if page.next else None

    def _set_cursor(self, cursor: str) -> None:
        self._cursor = Page(cursor, "next")
