"""Typed results of the PubNub Spaces calls."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - cattrs reads the annotations at run time
from typing import Any, Literal

import attrs

from aiospaces.core.convert import Model, make_converter, wire

__all__ = [
    "FileInfo",
    "FilePage",
    "Page",
    "PublishedFile",
    "SentFile",
    "Space",
    "SpacePage",
    "converter",
]


@attrs.frozen
class Space(Model):
    """A Space: a PubNub App Context channel.

    Attributes:
        id: The space id (the channel name).
        name: Display name.
        description: Free text.
        custom: Flat custom data (present only when fetched with ``include_custom``).
        status: Free-form status.
        type: Free-form type.
        updated: When the space last changed.
        etag: Version tag; pass it to ``if_matches_etag`` for a safe update.
    """

    id: str
    updated: datetime
    etag: str = attrs.field(metadata=wire("eTag"))
    name: str | None = None
    description: str | None = None
    custom: dict[str, Any] | None = None
    status: str | None = None
    type: str | None = None


@attrs.frozen
class Page(Model):
    """A cursor to another page of a listing; pass it back with ``.page(...)``."""

    cursor: str
    direction: Literal["next", "prev"] = "next"


@attrs.frozen
class SpacePage(Model):
    """One page of spaces.

    Attributes:
        data: The spaces on this page.
        total_count: How many spaces match in all (only with ``include_total_count``).
        next: The following page, if there is one.
        prev: The preceding page, if there is one.
    """

    data: list[Space]
    total_count: int | None = None
    next: Page | None = None
    prev: Page | None = None


@attrs.frozen
class FileInfo(Model):
    """A file stored on a channel.

    Attributes:
        id: The file id PubNub assigned.
        name: The file name.
        size: Stored size in bytes (after encryption, if the file was encrypted).
        created: When the file was uploaded.
    """

    id: str
    name: str
    size: int
    created: datetime


@attrs.frozen
class FilePage(Model):
    """One page of a channel's files (sorted by id).

    Attributes:
        data: The files on this page.
        count: How many files this page holds.
        next: Cursor of the following page (pass it to ``list_files().next(...)``), or None.
    """

    data: list[FileInfo]
    count: int
    next: str | None = None


@attrs.frozen
class SentFile(Model):
    """What `send_file` did: the file was uploaded and announced on the channel.

    Attributes:
        name: The file name.
        file_id: The file id PubNub assigned.
        timestamp: Timetoken of the file message (a 17-digit string).
    """

    name: str
    file_id: str
    timestamp: str


@attrs.frozen
class PublishedFile(Model):
    """The result of publishing a file message.

    Attributes:
        timestamp: Timetoken of the file message (a 17-digit string).
    """

    timestamp: str


converter = make_converter(key_style="camel")
"""The PubNub wire converter (camelCase keys)."""


def _structure_page(value: Any, _: type) -> SpacePage:
    if not isinstance(value, dict):
        raise TypeError("a page of spaces is a JSON object")
    total = value.get("totalCount")
    return SpacePage(
        data=converter.structure(value.get("data") or [], list[Space]),
        total_count=None if total is None else converter.structure(total, int),
        next=_cursor(value, "next"),
        prev=_cursor(value, "prev"),
    )


def _cursor(value: dict[str, Any], direction: Literal["next", "prev"]) -> Page | None:
    cursor = value.get(direction)
    if not cursor:
        return None
    if not isinstance(cursor, str) or not cursor.isascii():
        raise ValueError(f"a page's {direction} cursor is ASCII text")
    return Page(cursor, direction)


converter.register_structure_hook(SpacePage, _structure_page)
