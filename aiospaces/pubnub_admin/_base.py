"""What the PubNub Admin builders share: positive ids, ``payload`` answers, keyset paths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from aiospaces.core import validate
from aiospaces.core.builder import Builder

if TYPE_CHECKING:
    import httpx

    from aiospaces.pubnub_admin.client import PubNubAdmin

T = TypeVar("T")


MAX_ID = 2**63 - 1
"""Largest portal id (a signed 64-bit integer)."""


def positive_id(value: object, name: str) -> int:
    """Return a portal id (an int from 1 to 2**63 - 1), else raise a ValidationError naming it."""
    return validate.integer(value, name, minimum=1, maximum=MAX_ID)


def payload(response: httpx.Response) -> object:
    """Return the ``payload`` of a Functions answer (``{"payload": ...}``)."""
    return response.json().get("payload")


class AdminBuilder(Builder[T]):
    """A PubNub Admin call: validated, then sent with a live portal session."""

    _client: PubNubAdmin

    async def _load(self) -> None:
        """Read what the call needs, validate it, then log in if needed (in that order)."""
        await self._read()
        self._build()  # bad input fails before any I/O, the login included
        await self._client.sessions.ensure()

    async def _read(self) -> None:
        """Read what the request needs from disk (a handler's code file); default: nothing."""


class KeysetBuilder(AdminBuilder[T]):
    """A keyset-scoped call (``/api/v1/blocks/key/{key_id}``)."""

    _key_id: int | None = None

    def key_id(self, key_id: int) -> Self:
        """Set the keyset (its ``id`` in the portal, not the subscribe key)."""
        self._key_id = key_id
        return self

    def _key_path(self) -> str:
        return f"/api/v1/blocks/key/{positive_id(self._key_id, 'key_id')}"
