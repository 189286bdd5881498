"""What the PubNub builders share: their client's type, paths, and the file-naming setters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar
from urllib.parse import quote

from aiospaces.core import validate
from aiospaces.core.builder import Builder

if TYPE_CHECKING:
    from aiospaces.pubnub.client import PubNub

T = TypeVar("T")


def read_timetoken(value: object) -> int:
    """Return a timetoken from the wire: a string of digits (or a JSON number).

    Raises:
        ValueError: It is neither, or not a plausible timetoken.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**20:
        return value
    raise ValueError("a timetoken is a string of digits")


def timetoken_setting(value: object, name: str) -> int:
    """Return a timetoken given by a caller (an int, or a string of digits) as an int.

    Raises:
        ValidationError: It is neither, or negative.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return validate.integer(value, name, minimum=0, maximum=10**20 - 1)


def url_encode(text: str) -> str:
    """Percent-encode like PubNub's SDKs (``~`` kept, everything else reserved encoded)."""
    return quote(text, safe="~")


class PubNubBuilder(Builder[T]):
    """A PubNub call: knows its client's config and the keyset's paths."""

    _client: PubNub

    def _subscribe_key(self) -> str:
        return quote(self._client.config.subscribe_key, safe="")

    def _channels_path(self) -> str:
        """Return ``/v2/objects/{sub}/channels``: where spaces (App Context channels) live."""
        return f"/v2/objects/{self._subscribe_key()}/channels"

    def _files_path(self, channel: object) -> str:
        """Return ``/v1/files/{sub}/channels/{channel}``: a channel's file sharing root.

        Raises:
            ValidationError: The channel cannot name one path segment.
        """
        segment = validate.path_segment(channel, "channel")
        return f"/v1/files/{self._subscribe_key()}/channels/{segment}"


class ChannelFile(PubNubBuilder[T]):
    """Setters naming a file on a channel."""

    _channel: str | None = None
    _file_name: str | None = None

    def channel(self, channel: str) -> Self:
        """Set the channel the file belongs to."""
        self._channel = channel
        return self

    def file_name(self, file_name: str) -> Self:
        """Set the file name."""
        self._file_name = file_name
        return self

    def _checked_channel(self) -> str:
        return validate.identifier(self._channel, "channel")

    def _checked_file_name(self) -> str:
        return validate.identifier(self._file_name, "file_name")


class StoredFile(ChannelFile[T]):
    """A call about one stored file: its channel, id and name."""

    _file_id: str | None = None

    def file_id(self, file_id: str) -> Self:
        """Set the file id (``SentFile.file_id`` or ``FileInfo.id``)."""
        self._file_id = file_id
        return self

    def _file_path(self) -> str:
        """Return ``.../files/{id}/{name}`` (validating channel, id and name)."""
        channel = self._checked_channel()
        file_id = validate.path_segment(self._file_id, "file_id")
        name = validate.path_segment(self._file_name, "file_name")
        return f"{self._files_path(channel)}/files/{file_id}/{name}"
