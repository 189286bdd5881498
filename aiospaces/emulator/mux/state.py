"""Mux emulation state: tokens, options, and environments with their spaces and live streams.

Every state rule of Mux Spaces lives here: a space is deleted only when idle, a broadcast
is deleted only when idle and started only while its space is active, stopping a broadcast
completes its live stream, and a space going idle stops its broadcasts. Each change records
a webhook event.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import attrs

from aiospaces.emulator.mux.wire import (
    MuxError,
    choice,
    invalid,
    new_id,
    not_found,
    now_rfc3339,
    now_seconds,
    refuse_unknown,
    text_param,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "BROADCAST_FIELDS",
    "LAYOUTS",
    "RESOLUTIONS",
    "SPACE_FIELDS",
    "EmuBroadcast",
    "EmuLiveStream",
    "EmuSpace",
    "Environment",
    "MuxOptions",
    "Token",
]

SPACE_FIELDS = frozenset({"type", "passthrough", "broadcasts"})
"""The fields of a ``CreateSpaceRequest``."""
BROADCAST_FIELDS = frozenset(
    {"live_stream_id", "passthrough", "layout", "resolution", "background"}
)
"""The fields of a ``CreateBroadcastRequest``."""
LAYOUTS = ("gallery", "active-speaker", "crop")
"""The layouts a broadcast may have."""
RESOLUTIONS = ("1920x1080", "1280x720", "1080x1920", "720x1280", "1080x1080", "720x720")
"""The resolutions a broadcast may have."""


@attrs.define
class Token:
    """An access token: its secret and the environment it is scoped to."""

    secret: str = attrs.field(repr=False)
    environment: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fits(test: Callable[[Any], bool], wanted: str) -> Any:
    """Return an attrs validator raising ValueError when ``test`` refuses a value."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not test(value):
            raise ValueError(f"{attribute.name} must be {wanted}, not {value!r}")

    return check


@attrs.define(kw_only=True)
class MuxOptions:
    """Knobs of the Mux emulation (set through ``POST /_emulator/mux/config``).

    Attributes:
        rule_status: Status of state-rule violations (Mux documents none; 400 by default).
        max_broadcasts: Broadcasts a space may have (Mux's default is one).
        rate_limit: Requests allowed per ``rate_window`` seconds per environment (None: off).
            When on, every answer carries ``X-RateLimit-Limit``/``X-RateLimit-Remaining``.
        rate_window: The rate limiter's window in seconds.

    Raises:
        ValueError: A value would break the emulation (also when set later).
    """

    rule_status: int = attrs.field(
        default=400,
        validator=_fits(
            lambda v: _is_int(v) and 400 <= v <= 499 and v != 429,
            "an int from 400 to 499 (not 429)",
        ),
    )
    max_broadcasts: int = attrs.field(
        default=1, validator=_fits(lambda v: _is_int(v) and v >= 1, "an int >= 1")
    )
    rate_limit: int | None = attrs.field(
        default=None,
        validator=_fits(lambda v: v is None or (_is_int(v) and v >= 1), "null or an int >= 1"),
    )
    rate_window: float = attrs.field(
        default=1.0,
        validator=_fits(
            lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v > 0,
            "a positive number",
        ),
    )


@attrs.define
class EmuBroadcast:
    """A space broadcast."""

    id: str
    live_stream_id: str
    status: str = "idle"
    layout: str = "gallery"
    resolution: str = "1920x1080"
    passthrough: str | None = None
    background: str | None = None

    def wire(self) -> dict[str, Any]:
        """Return the broadcast as Mux sends it (absent optional fields omitted)."""
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}


@attrs.define
class EmuSpace:
    """A space and who is connected to it."""

    id: str
    created_at: str
    type: str = "server"
    status: str = "idle"
    passthrough: str | None = None
    broadcasts: dict[str, EmuBroadcast] = attrs.field(factory=dict)
    active_session_id: str | None = None
    participants: set[str] = attrs.field(factory=set)

    def wire(self) -> dict[str, Any]:
        """Return the space as Mux sends it."""
        data: dict[str, Any] = {
            "id": self.id,
            "created_at": self.created_at,
            "type": self.type,
            "status": self.status,
        }
        if self.passthrough is not None:
            data["passthrough"] = self.passthrough
        if self.broadcasts:
            data["broadcasts"] = [b.wire() for b in self.broadcasts.values()]
        if self.active_session_id is not None:
            data["active_session_id"] = self.active_session_id
        return data


@attrs.define
class EmuLiveStream:
    """A live stream (only what broadcasts need); ``echo`` holds settings it only answers."""

    id: str
    created_at: str
    stream_key: str = attrs.field(repr=False)
    status: str = "idle"
    playback_ids: list[dict[str, str]] = attrs.field(factory=list)
    passthrough: str | None = None
    latency_mode: str = "standard"
    reconnect_window: float = 60
    max_continuous_duration: int = 43200
    new_asset_settings: dict[str, Any] | None = None
    active_asset_id: str | None = None
    recent_asset_ids: list[str] = attrs.field(factory=list)
    echo: dict[str, Any] = attrs.field(factory=dict)

    def wire(self) -> dict[str, Any]:
        """Return the live stream as Mux sends it (absent and empty lists omitted)."""
        data = attrs.asdict(self)
        data |= data.pop("echo")
        return {k: v for k, v in data.items() if v is not None and v != []}

    def event_data(self) -> dict[str, Any]:
        """Return the live stream as Mux's webhooks carry it (observed in a delivered event).

        ``created_at`` is a number there, and ``connected``/``recording`` are added (true
        while a broadcast sends to the stream).
        """
        active = self.status == "active"
        created = int(self.created_at)
        return self.wire() | {"created_at": created, "connected": active, "recording": active}


@attrs.define
class Environment:
    """One Mux environment (what a token is scoped to)."""

    name: str
    id: str = attrs.field(factory=lambda: new_id(6))
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    spaces: dict[str, EmuSpace] = attrs.field(factory=dict)
    live_streams: dict[str, EmuLiveStream] = attrs.field(factory=dict)
    events: list[dict[str, Any]] = attrs.field(factory=list)
    window_start: float = 0.0
    window_count: int = 0

    # -- events -------------------------------------------------------------------------------

    def emit(self, kind: str, object_type: str, data: dict[str, Any]) -> None:
        """Record a webhook event."""
        self.events.append(
            {
                "type": kind,
                "object": {"type": object_type, "id": data["id"]},
                "id": str(uuid.uuid4()),
                "environment": {"name": self.name, "id": self.id},
                "data": data,
                "created_at": now_rfc3339(),
                "attempts": [],
                "accessor_source": None,
                "accessor": None,
                "request_id": None,
            }
        )

    # -- spaces -------------------------------------------------------------------------------

    def space(self, space_id: str) -> EmuSpace:
        """Return a space or raise 404."""
        found = self.spaces.get(space_id)
        if found is None:
            raise not_found()
        return found

    def create_space(self, payload: dict[str, Any], max_broadcasts: int) -> EmuSpace:
        """Create an idle space (and its broadcasts) from a ``CreateSpaceRequest``."""
        refuse_unknown(payload, SPACE_FIELDS, "space")
        choice(payload, "type", ("server",), "server")
        passthrough = text_param(payload, "passthrough")
        requests = payload.get("broadcasts")
        requests = [] if requests is None else requests
        if not isinstance(requests, list):
            raise invalid("broadcasts must be a list")
        if len(requests) > max_broadcasts:
            raise invalid(f"A space can have at most {max_broadcasts} broadcast(s)")
        broadcasts = [self._new_broadcast(r) for r in requests]
        space = EmuSpace(id=new_id(), created_at=now_seconds(), passthrough=passthrough)
        space.broadcasts = {b.id: b for b in broadcasts}
        self.spaces[space.id] = space
        self.emit("video.space.created", "space", space.wire())
        for broadcast in broadcasts:
            self.emit("video.space.broadcast.created", "broadcast", broadcast.wire())
        return space

    def delete_space(self, space_id: str, rule_status: int) -> None:
        """Delete an idle space and its broadcasts."""
        space = self.space(space_id)
        if space.status != "idle":
            raise MuxError(
                rule_status, "invalid_parameters", "Space cannot be deleted while it is active"
            )
        del self.spaces[space_id]
        for broadcast in space.broadcasts.values():
            self.emit("video.space.broadcast.deleted", "broadcast", broadcast.wire())
        self.emit("video.space.deleted", "space", space.wire())

    def join(self, space_id: str, participant: str) -> EmuSpace:
        """Connect a participant; an idle space becomes active with a new session id."""
        space = self.space(space_id)
        space.participants.add(participant)
        if space.status == "idle":
            space.status = "active"
            space.active_session_id = new_id()
            self.emit("video.space.active", "space", space.wire())
        return space

    def leave(self, space_id: str, participant: str) -> EmuSpace:
        """Disconnect a participant; the last one leaving idles the space and its broadcasts."""
        space = self.space(space_id)
        if participant not in space.participants:
            raise not_found()
        space.participants.discard(participant)
        if not space.participants and space.status == "active":
            for broadcast in space.broadcasts.values():
                if broadcast.status == "active":
                    self._stop(broadcast)
            space.status = "idle"
            space.active_session_id = None
            self.emit("video.space.idle", "space", space.wire())
        return space

    # -- broadcasts -----------------------------------------------------------------------------

    def _new_broadcast(self, payload: Any) -> EmuBroadcast:
        if not isinstance(payload, dict):
            raise invalid("a broadcast must be an object")
        refuse_unknown(payload, BROADCAST_FIELDS, "broadcast")
        live_stream_id = text_param(payload, "live_stream_id")
        if not live_stream_id:
            raise invalid("live_stream_id is required")
        if live_stream_id not in self.live_streams:
            raise invalid(f"Live stream {live_stream_id} does not exist")
        return EmuBroadcast(
            id=new_id(),
            live_stream_id=live_stream_id,
            layout=choice(payload, "layout", LAYOUTS, "gallery"),
            resolution=choice(payload, "resolution", RESOLUTIONS, "1920x1080"),
            passthrough=text_param(payload, "passthrough"),
            background=text_param(payload, "background"),
        )

    def broadcast(self, space_id: str, broadcast_id: str) -> tuple[EmuSpace, EmuBroadcast]:
        """Return a space and one of its broadcasts, or raise 404."""
        space = self.space(space_id)
        found = space.broadcasts.get(broadcast_id)
        if found is None:
            raise not_found()
        return space, found

    def create_broadcast(
        self, space_id: str, payload: dict[str, Any], max_broadcasts: int
    ) -> EmuBroadcast:
        """Add a broadcast to a space (allowed whatever the space's state)."""
        space = self.space(space_id)
        if len(space.broadcasts) >= max_broadcasts:
            raise invalid(f"A space can have at most {max_broadcasts} broadcast(s)")
        broadcast = self._new_broadcast(payload)
        space.broadcasts[broadcast.id] = broadcast
        self.emit("video.space.broadcast.created", "broadcast", broadcast.wire())
        return broadcast

    def delete_broadcast(self, space_id: str, broadcast_id: str, rule_status: int) -> None:
        """Delete an idle broadcast."""
        space, broadcast = self.broadcast(space_id, broadcast_id)
        if broadcast.status != "idle":
            raise MuxError(
                rule_status, "invalid_parameters", "Broadcast cannot be deleted while it is active"
            )
        del space.broadcasts[broadcast_id]
        self.emit("video.space.broadcast.deleted", "broadcast", broadcast.wire())

    def start(self, space_id: str, broadcast_id: str, rule_status: int) -> None:
        """Start a broadcast: the space must be active; its live stream becomes active."""
        space, broadcast = self.broadcast(space_id, broadcast_id)
        if space.status != "active":
            raise MuxError(
                rule_status,
                "invalid_parameters",
                "Broadcast cannot be started while the space is idle; "
                "a participant must be connected",
            )
        if broadcast.status == "active":
            return
        stream = self.live_streams.get(broadcast.live_stream_id)
        if stream is None or stream.status == "disabled":
            raise MuxError(
                rule_status, "invalid_parameters", "The broadcast's live stream is not available"
            )
        broadcast.status = "active"
        stream.status = "active"
        stream.active_asset_id = new_id()
        self.emit("video.live_stream.active", "live_stream", stream.event_data())
        self.emit("video.space.broadcast.active", "broadcast", broadcast.wire())

    def stop(self, space_id: str, broadcast_id: str) -> None:
        """Stop a broadcast (idempotent); Mux completes its live stream."""
        _, broadcast = self.broadcast(space_id, broadcast_id)
        if broadcast.status == "active":
            self._stop(broadcast)

    def _stop(self, broadcast: EmuBroadcast) -> None:
        broadcast.status = "idle"
        self.emit("video.space.broadcast.idle", "broadcast", broadcast.wire())
        if broadcast.live_stream_id in self.live_streams:
            self.complete(broadcast.live_stream_id)

    # -- live streams ---------------------------------------------------------------------------

    def live_stream(self, live_stream_id: str) -> EmuLiveStream:
        """Return a live stream or raise 404."""
        found = self.live_streams.get(live_stream_id)
        if found is None:
            raise not_found()
        return found

    def complete(self, live_stream_id: str) -> None:
        """End an active stream's recording now: the stream goes idle, its asset is kept."""
        stream = self.live_stream(live_stream_id)
        if stream.status != "active":
            return
        stream.status = "idle"
        if stream.active_asset_id:
            stream.recent_asset_ids.append(stream.active_asset_id)
        stream.active_asset_id = None
        self.emit("video.live_stream.idle", "live_stream", stream.event_data())
