"""Walking list endpoints page by page, in the three styles the vendors use.

Every list builder is a [PaginatedBuilder][aiospaces.core.pagination.PaginatedBuilder]:

```python
page = await pn.fetch_spaces().limit(10)            # one page
async for space in pn.fetch_spaces():                # every item of every page
    ...
async for page in pn.fetch_spaces().pages():         # every page
    ...
```

- [CursorPagination][aiospaces.core.pagination.CursorPagination]: the page carries an opaque
  "next" cursor (PubNub's unpadded base64 ``next``); stops when it is absent.
- [PageNumberPagination][aiospaces.core.pagination.PageNumberPagination]: ``page``/``limit``
  (Mux); stops on the first empty page. A short page is *not* taken as the end, since a server
  may cap ``limit`` below what was asked.
- [OffsetPagination][aiospaces.core.pagination.OffsetPagination]: ``offset``/``limit``
  (NeuroIO, DRF-style); stops on an empty page or when the total count is reached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, Self, TypeVar

from aiospaces.core.builder import Builder

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

__all__ = [
    "CursorPagination",
    "OffsetPagination",
    "PageNumberPagination",
    "PaginatedBuilder",
]

PageT = TypeVar("PageT")
ItemT = TypeVar("ItemT")


class PaginatedBuilder(Builder[PageT], Generic[PageT, ItemT]):
    """A builder for a list endpoint: awaitable for one page, async-iterable for all items."""

    def _items(self, page: PageT) -> Sequence[ItemT]:
        """Return the items of a page."""
        raise NotImplementedError

    def _next(self, page: PageT) -> Self | None:
        """Return a builder for the page after ``page``, or None at the end."""
        raise NotImplementedError

    async def pages(self) -> AsyncIterator[PageT]:
        """Yield every page, starting with the one this builder describes."""
        builder: PaginatedBuilder[PageT, ItemT] | None = self
        while builder is not None:
            page = await builder.result()
            yield page
            builder = builder._next(page)

    async def _walk(self) -> AsyncIterator[ItemT]:
        async for page in self.pages():
            for item in self._items(page):
                yield item

    def __aiter__(self) -> AsyncIterator[ItemT]:
        self._unused = False
        return self._walk()


class CursorPagination(PaginatedBuilder[PageT, ItemT]):
    """Pages linked by an opaque cursor that the server returns with each page."""

    def _next_cursor(self, page: PageT) -> str | None:
        """Return the cursor of the following page, or None."""
        raise NotImplementedError

    def _set_cursor(self, cursor: str) -> None:
        """Make this builder ask for the page at ``cursor``."""
        raise NotImplementedError

    def _next(self, page: PageT) -> Self | None:
        cursor = self._next_cursor(page)
        if not cursor or not self._items(page):
            return None
        following = self._clone()
        following._set_cursor(cursor)
        return following


class PageNumberPagination(PaginatedBuilder[PageT, ItemT]):
    """Numbered pages (``page=1, 2, ...``); the first empty page ends the walk."""

    _page_number: int = 1

    def _set_page_number(self, number: int) -> None:
        """Make this builder ask for page ``number``."""
        self._page_number = number

    def _next(self, page: PageT) -> Self | None:
        if not self._items(page):
            return None
        following = self._clone()
        following._set_page_number(self._page_number + 1)
        return following


class OffsetPagination(PaginatedBuilder[PageT, ItemT]):
    """``offset``/``limit`` windows; ends on an empty page or once ``total`` items were seen."""

    _offset: int = 0

    def _set_offset(self, offset: int) -> None:
        """Make this builder ask for the window starting at ``offset``."""
        self._offset = offset

    def _total(self, page: PageT) -> int | None:
        """Return the total number of items if the page says, else None."""
        return None

    def _next(self, page: PageT) -> Self | None:
        items = self._items(page)
        if not items:
            return None
        offset = self._offset + len(items)
        total = self._total(page)
        if total is not None and offset >= total:
            return None
        following = self._clone()
        following._set_offset(offset)
        return following
