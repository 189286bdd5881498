"""Space broadcasts: create, get, delete, start and stop (``/video/v1/spaces/{id}/broadcasts``).

```python
broadcast = await mux.create_space_broadcast(space.id, live_stream_id=stream.id)
await mux.start_space_broadcast(space.id, broadcast.id)      # the space must be active
await mux.stop_space_broadcast(space.id, broadcast.id)       # completes the live stream
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypedDict, TypeVar

import attrs

from aiospaces.core import validate
from aiospaces.core.builder import CallParams
from aiospaces.core.errors import ValidationError
from aiospaces.core.request import RequestSpec
from aiospaces.mux._base import (
    ACCEPT,
    SPACES,
    MuxBuilder,
    MuxCreate,
    optional_text,
    path_id,
    post,
    text,
)
from aiospaces.mux.models import Broadcast, BroadcastLayout, BroadcastResolution

if TYPE_CHECKING:
    import httpx


T = TypeVar("T")

__all__ = [
    "BroadcastFields",
    "BroadcastRequest",
    "CreateSpaceBroadcast",
    "CreateSpaceBroadcastParams",
    "DeleteSpaceBroadcast",
    "GetSpaceBroadcast",
    "StartSpaceBroadcast",
    "StopSpaceBroadcast",
]


def _layout(value: object) -> BroadcastLayout | None:
    return None if value is None else validate.choice(BroadcastLayout, value, "layout")


def _resolution(value: object) -> BroadcastResolution | None:
    return None if value is None else validate.choice(BroadcastResolution, value, "resolution")


def _live_stream_id(value: object) -> str:
    return validate.identifier(value, "live_stream_id", max_length=255)


class BroadcastFields(TypedDict, total=False):
    """The fields of a new broadcast, as keywords (see ``BroadcastRequest``)."""

    live_stream_id: str
    passthrough: str | None
    layout: BroadcastLayout | str | None
    resolution: BroadcastResolution | str | None
    background: str | None


@attrs.frozen(kw_only=True)
class BroadcastRequest:
    """What a new broadcast should look like (validated when made).

    Attributes:
        live_stream_id: The live stream to send to (required).
        passthrough: Your own data (at most 255 characters).
        layout: ``gallery`` (default), ``active-speaker`` or ``crop``.
        resolution: Output resolution, e.g. ``1280x720`` (default ``1920x1080``).
        background: URL of a background image matching the resolution.

    Raises:
        ValidationError: A field is missing or invalid.
    """

    live_stream_id: str = attrs.field(converter=_live_stream_id)
    passthrough: str | None = attrs.field(
        default=None, validator=lambda _, a, value: optional_text(value, a.name)
    )
    layout: BroadcastLayout | None = attrs.field(default=None, converter=_layout)
    resolution: BroadcastResolution | None = attrs.field(default=None, converter=_resolution)
    background: str | None = attrs.field(
        default=None, validator=lambda _, a, value: optional_text(value, a.name)
    )

    @classmethod
    def of(cls, value: BroadcastRequest | Mapping[str, Any]) -> BroadcastRequest:
        """Return ``value`` as a BroadcastRequest (from a mapping of its fields).

        Raises:
            ValidationError: The value is neither, or a field is invalid.
        """
        if isinstance(value, BroadcastRequest):
            return value
        if not isinstance(value, Mapping):
            raise ValidationError(
                f"a broadcast must be a BroadcastRequest or a dict, not {type(value).__name__}"
            )
        try:
            return cls(**value)
        except TypeError as exc:
            raise ValidationError(f"bad broadcast fields: {exc}") from exc

    def to_wire(self) -> dict[str, Any]:
        """Return the request body's JSON object (only the fields that are set)."""
        return {
            field.name: str(value)
            for field in attrs.fields(BroadcastRequest)
            if (value := getattr(self, field.name)) is not None
        }


class _BroadcastTarget(MuxBuilder[T]):
    """A builder addressing one broadcast of one space."""

    _space_id: str | None = None
    _broadcast_id: str | None = None

    def space_id(self, space_id: str) -> Self:
        """Set the space."""
        self._space_id = space_id
        return self

    def broadcast_id(self, broadcast_id: str) -> Self:
        """Set the broadcast."""
        self._broadcast_id = broadcast_id
        return self

    def _path(self, suffix: str = "") -> str:
        space = path_id(self._space_id, "space_id")
        broadcast = path_id(self._broadcast_id, "broadcast_id")
        return f"{SPACES}/{space}/broadcasts/{broadcast}{suffix}"


class CreateSpaceBroadcastParams(CallParams, total=False):
    """Keywords of ``create_space_broadcast`` besides the space id (its setters)."""

    live_stream_id: str
    passthrough: str
    layout: BroadcastLayout | str
    resolution: BroadcastResolution | str
    background: str


class CreateSpaceBroadcast(MuxCreate[Broadcast]):
    """``POST /video/v1/spaces/{SPACE_ID}/broadcasts``: add a broadcast to a space (201)."""

    _space_id: str | None = None

    def space_id(self, space_id: str) -> Self:
        """Set the space."""
        self._space_id = space_id
        return self

    def live_stream_id(self, live_stream_id: str) -> Self:
        """Set the live stream to send to (required)."""
        return self._set("live_stream_id", live_stream_id)

    def passthrough(self, passthrough: str) -> Self:
        """Set your own data (at most 255 characters)."""
        return self._set("passthrough", text(passthrough, "passthrough"))

    def layout(self, layout: BroadcastLayout | str) -> Self:
        """Set the layout: ``gallery``, ``active-speaker`` or ``crop``."""
        return self._set("layout", validate.choice(BroadcastLayout, layout, "layout"))

    def resolution(self, resolution: BroadcastResolution | str) -> Self:
        """Set the output resolution, e.g. ``1280x720``."""
        value = validate.choice(BroadcastResolution, resolution, "resolution")
        return self._set("resolution", value)

    def background(self, url: str) -> Self:
        """Set the URL of a background image."""
        return self._set("background", text(url, "background"))

    def _build(self) -> RequestSpec:
        path = f"{SPACES}/{path_id(self._space_id, 'space_id')}/broadcasts"
        return post(
            path,
            BroadcastRequest.of(self._fields).to_wire(),
            check="list the space's broadcasts (get_space) and look for the passthrough you set",
        )

    async def _parse(self, response: httpx.Response) -> Broadcast:
        return self._structure(response, Broadcast)


class GetSpaceBroadcast(_BroadcastTarget[Broadcast]):
    """``GET /video/v1/spaces/{SPACE_ID}/broadcasts/{BROADCAST_ID}``."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=self._path(), headers=ACCEPT)

    async def _parse(self, response: httpx.Response) -> Broadcast:
        return self._structure(response, Broadcast)


class DeleteSpaceBroadcast(_BroadcastTarget[None]):
    """``DELETE`` a broadcast (204); only an idle broadcast can be deleted."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._path(), headers=ACCEPT)

    async def _parse(self, response: httpx.Response) -> None:
        return None


class StartSpaceBroadcast(_BroadcastTarget[None]):
    """``POST .../broadcasts/{BROADCAST_ID}/start``; the space must be active."""

    def _build(self) -> RequestSpec:
        return post(self._path("/start"), None, idempotent=True)  # a state change, once

    async def _parse(self, response: httpx.Response) -> None:
        return None


class StopSpaceBroadcast(_BroadcastTarget[None]):
    """``POST .../broadcasts/{BROADCAST_ID}/stop``; Mux then completes the live stream."""

    def _build(self) -> RequestSpec:
        return post(self._path("/stop"), None, idempotent=True)

    async def _parse(self, response: httpx.Response) -> None:
        return None
