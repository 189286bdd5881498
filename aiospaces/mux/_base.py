"""What the Mux builders share: paths, the 255-character rule, ``{"data": ...}`` answers, lists."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from aiospaces.core import validate
from aiospaces.core.builder import Builder, CallParams, Envelope
from aiospaces.core.errors import AmbiguousResultError
from aiospaces.core.pagination import PageNumberPagination
from aiospaces.core.request import RequestSpec, Status
from aiospaces.mux.models import converter

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

T = TypeVar("T")
R = TypeVar("R")
PageT = TypeVar("PageT")
ItemT = TypeVar("ItemT")

MAX_TEXT = 255
"""Longest id or passthrough Mux accepts (characters)."""
MAX_LIMIT = 100
SPACES = "/video/v1/spaces"
LIVE_STREAMS = "/video/v1/live-streams"
ACCEPT = {"Accept": "application/json"}


def path_id(value: object, name: str) -> str:
    """Return an id of at most 255 characters encoded as a path segment (else raise)."""
    return validate.path_segment(value, name, max_length=MAX_TEXT)


def text(value: object, name: str) -> str:
    """Return a string of at most 255 characters (else raise a ValidationError naming it)."""
    return validate.text(value, name, empty=True, max_length=MAX_TEXT)


def optional_text(value: object, name: str) -> str | None:
    """Return None or a string of at most 255 characters (else raise)."""
    return validate.optional_text(value, name, max_length=MAX_TEXT)


def get(path: str, query: list[tuple[str, str]] | None = None) -> RequestSpec:
    """Return a GET that asks for JSON."""
    return RequestSpec(method="GET", path=path, query=query or (), headers=ACCEPT)


def post(
    path: str, payload: object | None, *, idempotent: bool | None = None, check: str | None = None
) -> RequestSpec:
    """Return a POST with a JSON body (none when ``payload`` is None).

    A POST is taken as not idempotent unless ``idempotent`` says otherwise; ``check`` tells
    the user how to find out whether it took effect after a lost answer.
    """
    if payload is None:
        return RequestSpec(
            method="POST", path=path, headers=ACCEPT, idempotent=idempotent, check=check
        )
    return RequestSpec.with_json(
        "POST", path, payload, headers=ACCEPT, idempotent=idempotent, check=check
    )


class MuxBuilder(Builder[T]):
    """A Mux builder: answers are ``{"data": ...}`` envelopes."""

    def _data(self, response: httpx.Response) -> object:
        return response.json()["data"]

    def _structure(self, response: httpx.Response, cls: type[R]) -> R:
        return converter.structure(self._data(response), cls)


class MuxCreate(MuxBuilder[T]):
    """A Mux create call: setters collect the JSON body's fields."""

    _fields: dict[str, object] = {}  # noqa: RUF012 - replaced, never mutated

    def _set(self, key: str, value: object) -> Self:
        self._fields = {**self._fields, key: value}
        return self


class ListParams(CallParams, total=False):
    """Keywords of a Mux list (its paging setters)."""

    limit: int
    page: int


class MuxList(MuxBuilder[PageT], PageNumberPagination[PageT, ItemT]):
    """A Mux list: ``limit``/``page`` (1-based) query parameters and no totals."""

    _limit: int | None = None
    _page_given = False

    def limit(self, limit: int) -> Self:
        """Return at most ``limit`` items per page (1 to 100; Mux's default is 25)."""
        self._limit = validate.integer(limit, "limit", minimum=1, maximum=MAX_LIMIT)
        return self

    def page(self, page: int) -> Self:
        """Start at page ``page`` (1-based)."""
        self._set_page_number(validate.integer(page, "page", minimum=1))
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


async def find_by_passthrough(
    listing: AsyncIterable[Any], passthrough: str | None, error: AmbiguousResultError
) -> Envelope[Any]:
    """Reconcile a create whose answer was lost: the one listed object with ``passthrough``.

    Mux accepts no idempotency key, but a create that set ``passthrough`` can be found by it.
    Exactly one match is the object the lost answer described. None (it may still be in
    flight) or several (the passthrough is not unique) leave the outcome open: ``error`` is
    raised again, saying what the listing showed.

    Raises:
        AmbiguousResultError: No passthrough was set, or it did not match exactly one object.
    """
    if passthrough is None:
        raise error
    started = time.perf_counter()
    matches = [item async for item in listing if getattr(item, "passthrough", None) == passthrough]
    if len(matches) != 1:
        raise AmbiguousResultError(
            operation=error.operation,
            known=f"{error.known}; {len(matches)} listed with passthrough {passthrough!r}",
            check=error.check,
            attempts=error.attempts,
        ) from error
    status = Status(
        status_code=200,
        headers=httpx.Headers(),
        request_id=None,
        attempts=error.attempts,
        elapsed=time.perf_counter() - started,
    )
    return Envelope(matches[0], status)
