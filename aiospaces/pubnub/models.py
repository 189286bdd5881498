"""Typed results of the PubNub calls: spaces, files, publishing and message history."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - cattrs reads the annotations at run time
from typing import Any, Literal

import attrs

from aiospaces.core.convert import Model, make_converter, wire

__all__ = [
    "FileInfo",
    "FilePage",
    "HistoryMessage",
    "HistoryPage",
    "Page",
    "Published",
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


@attrs.frozen
class Published(Model):
    """The result of a publish or a signal.

    Attributes:
        timetoken: When PubNub stored the message: 17 digits, in units of 100 ns since the
            Unix epoch (``timetoken / 10_000_000`` is a Unix time).
    """

    timetoken: int


@attrs.frozen
class HistoryMessage(Model):
    """A message read back from a channel's history (``fetch_messages``).

    A file message (``message_type`` 4) carries the file's ``file_id`` and ``file_name``; its
    ``message`` is the text sent along with the file. With a cipher key, messages are
    decrypted; one that cannot be is kept as it came, with ``error`` saying why.

    Attributes:
        channel: The channel it was published on.
        timetoken: When it was published (17 digits; see ``Published.timetoken``).
        message: The message (decrypted), or the raw payload when ``error`` is set.
        message_type: 0 for a message, 4 for a file message; None unless asked for with
            ``include_message_type``.
        publisher: Who published it (only with ``include_uuid``).
        meta: The ``meta`` published with it (only with ``include_meta``).
        custom_message_type: Its custom type (only with ``include_custom_message_type``).
        file_id: For a file message: the file's id.
        file_name: For a file message: the file's name.
        error: Why the payload could not be decrypted (or read as a file message), else None.
    """

    channel: str
    timetoken: int
    message: Any
    message_type: int | None = None
    publisher: str | None = None
    meta: Any = None
    custom_message_type: str | None = None
    file_id: str | None = None
    file_name: str | None = None
    error: str | None = None

    @property
    def is_file(self) -> bool:
        """Whether this is a file message that names its file."""
        return self.file_id is not None


@attrs.frozen
class HistoryPage(Model):
    """One page of history: each channel's messages, oldest first.

    Attributes:
        channels: The messages per channel asked for (a channel with none is absent).
    """

    channels: dict[str, list[HistoryMessage]]

    @property
    def messages(self) -> list[HistoryMessage]:
        """Every message of the page, channel by channel, each channel oldest first."""
        return [message for messages in self.channels.values() for message in messages]


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
