"""Typed results of the Mux calls: spaces, broadcasts, live streams, pages and rate limits."""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - cattrs reads the annotations at run time
from typing import TYPE_CHECKING, Any

import attrs

from aiospaces.core.convert import Model, make_converter

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Broadcast",
    "BroadcastLayout",
    "BroadcastResolution",
    "BroadcastStatus",
    "LiveStream",
    "LiveStreamPage",
    "LiveStreamStatus",
    "PlaybackId",
    "RateLimit",
    "Space",
    "SpacePage",
    "SpaceStatus",
    "SpaceType",
    "converter",
]


class SpaceType(enum.StrEnum):
    """The kind of space; ``server`` is the only one (and the default)."""

    SERVER = "server"


class SpaceStatus(enum.StrEnum):
    """A space is ``active`` while participants are connected, else ``idle``."""

    IDLE = "idle"
    ACTIVE = "active"


class BroadcastStatus(enum.StrEnum):
    """Whether a broadcast is sending the space to its live stream."""

    IDLE = "idle"
    ACTIVE = "active"


class BroadcastLayout(enum.StrEnum):
    """How participants are arranged in the broadcast (``gallery`` by default)."""

    GALLERY = "gallery"
    ACTIVE_SPEAKER = "active-speaker"
    CROP = "crop"


class BroadcastResolution(enum.StrEnum):
    """The broadcast's output resolution (``1920x1080`` by default)."""

    R1920X1080 = "1920x1080"
    R1280X720 = "1280x720"
    R1080X1920 = "1080x1920"
    R720X1280 = "720x1280"
    R1080X1080 = "1080x1080"
    R720X720 = "720x720"


class LiveStreamStatus(enum.StrEnum):
    """A live stream's state."""

    IDLE = "idle"
    ACTIVE = "active"
    DISABLED = "disabled"


@attrs.frozen
class Broadcast(Model):
    """A space's broadcast: sends the space's composed video to a live stream.

    Attributes:
        id: The broadcast id.
        live_stream_id: The live stream receiving the broadcast.
        status: ``idle`` or ``active``.
        layout: How participants are arranged.
        resolution: The output resolution.
        passthrough: Your own data (at most 255 characters).
        background: URL of a background image.
    """

    id: str
    live_stream_id: str
    status: BroadcastStatus
    layout: BroadcastLayout = BroadcastLayout.GALLERY
    resolution: BroadcastResolution = BroadcastResolution.R1920X1080
    passthrough: str | None = None
    background: str | None = None


@attrs.frozen
class Space(Model):
    """A Mux real-time video space.

    Attributes:
        id: The space id.
        created_at: When the space was created (Mux sends Unix seconds as a string).
        type: Always ``server``.
        status: ``active`` while participants are connected, else ``idle``.
        passthrough: Your own data (at most 255 characters).
        broadcasts: The space's broadcasts.
        active_session_id: The current session; a new one on every idle → active change.
    """

    id: str
    created_at: datetime
    type: SpaceType
    status: SpaceStatus
    passthrough: str | None = None
    broadcasts: list[Broadcast] = attrs.field(factory=list)
    active_session_id: str | None = None


@attrs.frozen
class PlaybackId(Model):
    """A playback id of a live stream.

    Attributes:
        id: The playback id.
        policy: ``public``, ``signed`` or ``drm``.
    """

    id: str
    policy: str


@attrs.frozen
class LiveStream(Model):
    """A Mux live stream (what a broadcast sends to).

    Attributes:
        id: The live stream id.
        created_at: When it was created.
        status: ``idle``, ``active`` or ``disabled``.
        stream_key: The RTMP/SRT stream key (a secret; not shown in the repr).
        playback_ids: Its playback ids.
        passthrough: Your own data.
        latency_mode: ``low``, ``reduced`` or ``standard``.
        reconnect_window: Seconds Mux waits for an encoder to reconnect.
        max_continuous_duration: Longest continuous stream, in seconds.
        active_asset_id: The asset being recorded while active.
        recent_asset_ids: Assets recorded by earlier sessions.
        test: Whether this is a test live stream.
        audio_only: Whether the stream carries audio only.
        new_asset_settings: Settings of the assets it records.
    """

    id: str
    created_at: datetime
    status: LiveStreamStatus
    stream_key: str = attrs.field(default="", repr=False)
    playback_ids: list[PlaybackId] = attrs.field(factory=list)
    passthrough: str | None = None
    latency_mode: str | None = None
    reconnect_window: float | None = None
    max_continuous_duration: int | None = None
    active_asset_id: str | None = None
    recent_asset_ids: list[str] = attrs.field(factory=list)
    test: bool | None = None
    audio_only: bool | None = None
    new_asset_settings: dict[str, Any] | None = None


@attrs.frozen
class RateLimit(Model):
    """Mux's rate-limit headers (``X-RateLimit-Limit`` / ``X-RateLimit-Remaining``).

    Attributes:
        limit: The size of the bucket, when the server said.
        remaining: Requests left in the bucket, when the server said.
    """

    limit: int | None = None
    remaining: int | None = None

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> RateLimit:
        """Return the rate limit a response's headers announce (fields None when absent)."""
        return cls(
            _int(headers.get("x-ratelimit-limit")), _int(headers.get("x-ratelimit-remaining"))
        )


def _int(raw: str | None) -> int | None:
    try:
        return None if raw is None else int(raw)
    except ValueError:
        return None


@attrs.frozen
class SpacePage(Model):
    """One page of spaces (Mux pages carry no totals: an empty page ends a listing).

    Attributes:
        data: The spaces on this page.
        page: This page's number (1-based).
    """

    data: list[Space]
    page: int = 1


@attrs.frozen
class LiveStreamPage(Model):
    """One page of live streams.

    Attributes:
        data: The live streams on this page.
        page: This page's number (1-based).
    """

    data: list[LiveStream]
    page: int = 1


converter = make_converter()
"""The Mux wire converter (snake_case keys, extra keys tolerated)."""
