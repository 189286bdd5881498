"""The Spaces API: spaces are App Context channels (``/v2/objects/{sub}/channels``).

```python
space = await pn.create_space().space_id("room-1").name("Room 1").custom({"tier": "gold"})
page = await pn.fetch_spaces().filter(F.name.like("Room*")).sort("name:desc").limit(10)
async for space in pn.fetch_spaces().include_custom(True):   # every page
    ...
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Self, TypeVar

from aiospaces.core import validate
from aiospaces.core.builder import CallParams
from aiospaces.core.errors import ValidationError
from aiospaces.core.pagination import CursorPagination
from aiospaces.core.request import RequestSpec
from aiospaces.pubnub._base import PubNubBuilder
from aiospaces.pubnub.filters import Filter
from aiospaces.pubnub.models import Page, Space, SpacePage, converter

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_LIMIT",
    "SORT_KEYS",
    "CreateSpace",
    "CreateSpaceParams",
    "CustomData",
    "FetchSpace",
    "FetchSpaceParams",
    "FetchSpaces",
    "FetchSpacesParams",
    "RemoveSpace",
    "RemoveSpaceParams",
    "Sort",
    "UpdateSpace",
]

T = TypeVar("T")

MAX_ID_LENGTH = 92
"""Longest space id PubNub accepts (characters)."""
MAX_LIMIT = 100
"""Most spaces one page holds."""
SORT_KEYS = ("id", "name", "updated", "status", "type")
"""What spaces can be sorted by."""

CustomData = Mapping[str, str | int | float | bool]
"""A space's custom data: a flat mapping of strings, numbers and booleans."""


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


def _sort_key(raw: object) -> str:
    key, _, direction = raw.partition(":") if isinstance(raw, str) else ("", "", "")
    if key not in SORT_KEYS or direction not in ("", "asc", "desc"):
        shown = repr(raw) if isinstance(raw, str) else f"a {type(raw).__name__}"
        raise ValidationError(
            f"sort key must be one of {', '.join(SORT_KEYS)} with an optional :asc or :desc, "
            f"not {shown}"
        )
    return raw  # type: ignore[return-value]


def _include(custom: bool) -> tuple[str, str]:
    return ("include", "custom,status,type" if custom else "status,type")


class _OneSpace(PubNubBuilder[T]):
    """A call on one space: ``/v2/objects/{sub}/channels/{space_id}``."""

    _id: str | None = None

    def space_id(self, space_id: str) -> Self:
        """Set the space."""
        self._id = space_id
        return self

    def _space_path(self) -> str:
        space_id = validate.path_segment(self._id, "space_id", max_length=MAX_ID_LENGTH)
        return f"{self._channels_path()}/{space_id}"


class FetchSpaceParams(CallParams, total=False):
    """Keywords of ``fetch_space`` (its setters)."""

    space_id: str
    include_custom: bool


class FetchSpace(_OneSpace[Space]):
    """``GET`` one space."""

    _include_custom = False

    def include_custom(self, include: bool = True) -> Self:
        """Also return the space's custom data."""
        self._include_custom = bool(include)
        return self

    def _build(self) -> RequestSpec:
        return RequestSpec(
            method="GET", path=self._space_path(), query=[_include(self._include_custom)]
        )

    async def _parse(self, response: httpx.Response) -> Space:
        return converter.structure(response.json()["data"], Space)


class CreateSpaceParams(FetchSpaceParams, total=False):
    """Keywords of ``create_space`` and ``update_space`` (their setters)."""

    name: str | None
    description: str | None
    status: str | None
    type: str | None
    custom: CustomData | None
    if_matches_etag: str


class CreateSpace(FetchSpace):
    """``PATCH`` (upsert) a space: creates it, or updates the fields you set."""

    _fields: Mapping[str, object] = {}
    _etag: str | None = None

    def _set(self, key: str, value: object) -> Self:
        self._fields = {**self._fields, key: value}
        return self

    def name(self, name: str | None) -> Self:
        """Set the display name (None clears it)."""
        return self._set("name", validate.optional_text(name, "name"))

    def description(self, description: str | None) -> Self:
        """Set the description (None clears it)."""
        return self._set("description", validate.optional_text(description, "description"))

    def status(self, status: str | None) -> Self:
        """Set the status (None clears it)."""
        return self._set("status", validate.optional_text(status, "status"))

    def type(self, type_: str | None) -> Self:
        """Set the type (None clears it)."""
        return self._set("type", validate.optional_text(type_, "type"))

    def custom(self, custom: CustomData | None) -> Self:
        """Replace the custom data: a flat mapping of scalars (None clears it)."""
        if custom is not None:
            if not isinstance(custom, Mapping):
                raise ValidationError("custom must be a dict of scalar values or None")
            for key, value in custom.items():
                if not isinstance(key, str) or not isinstance(value, str | int | float | bool):
                    raise ValidationError(
                        "custom values must be strings, numbers or booleans: "
                        f"{key!r} holds a {type(value).__name__}"
                    )
            custom = dict(validate.json_value(dict(custom), "custom"))  # type: ignore[call-overload]
        return self._set("custom", custom)

    def if_matches_etag(self, etag: str) -> Self:
        """Update only if the space still has this eTag (else ``PreconditionFailedError``)."""
        self._etag = validate.header_value(validate.text(etag, "etag"), "etag")
        return self

    def _build(self) -> RequestSpec:
        headers = {"If-Match": self._etag} if self._etag else {}
        query = [_include(self._include_custom)]
        # setting the same fields twice is setting them once; with an eTag, a repeat of an
        # applied update fails with 412 instead, so it is not sent again after a lost answer
        return RequestSpec.with_json(
            "PATCH",
            self._space_path(),
            self._fields,
            query=query,
            headers=headers,
            idempotent=not self._etag,
            check="fetch the space and compare its eTag and fields with what you sent",
        )


class UpdateSpace(CreateSpace):
    """``PATCH`` a space; only the fields you set change (PATCH is an upsert)."""


class RemoveSpaceParams(CallParams, total=False):
    """Keywords of ``remove_space`` (its setters)."""

    space_id: str


class RemoveSpace(_OneSpace[None]):
    """``DELETE`` a space."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._space_path())

    async def _parse(self, response: httpx.Response) -> None:
        return None


class FetchSpacesParams(CallParams, total=False):
    """Keywords of ``fetch_spaces`` (its setters)."""

    filter: str | Filter
    limit: int
    include_total_count: bool
    include_custom: bool
    sort: str | Sequence[str]
    page: Page | str | None


class FetchSpaces(PubNubBuilder[SpacePage], CursorPagination[SpacePage, Space]):
    """``GET`` a page of spaces; ``async for`` walks every page."""

    _filter: str | None = None
    _limit: int | None = None
    _count = False
    _sort: tuple[str, ...] = ()
    _cursor: Page | None = None
    _include_custom = False

    def filter(self, expression: str | Filter) -> Self:
        """Keep spaces matching an App Context filter expression (a string or ``F`` filter)."""
        text = validate.text(
            str(expression) if isinstance(expression, Filter) else expression, "filter"
        )
        if not text.strip():
            raise ValidationError("filter must be a non-empty expression, not blank")
        self._filter = text
        return self

    def limit(self, limit: int) -> Self:
        """Return at most ``limit`` spaces per page (1 to 100)."""
        self._limit = validate.integer(limit, "limit", minimum=1, maximum=MAX_LIMIT)
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
        flat: list[object] = []
        for key in keys:
            if isinstance(key, str):
                flat.append(key)
            elif isinstance(key, list | tuple):
                flat.extend(key)
            else:
                raise ValidationError(
                    f"sort takes keys or a list of keys, not {type(key).__name__}"
                )
        self._sort = tuple(_sort_key(k) for k in flat)
        return self

    def page(self, page: Page | str | None) -> Self:
        """Fetch the page a previous result pointed to (``result.next`` or ``result.prev``)."""
        if isinstance(page, str):
            page = Page(page, "next")
        if page is not None and not isinstance(page, Page):
            raise ValidationError(
                f"page must be a Page, a cursor string or None, not {type(page).__name__}"
            )
        if page is not None:
            validate.text(page.cursor, "page cursor")
            validate.one_of(page.direction, "page direction", ("next", "prev"))
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
