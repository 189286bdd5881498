"""Mux emulation state: environments holding spaces, broadcasts, live streams and events.

Every state rule of Mux Spaces lives here: a space is deleted only when idle, a broadcast
is deleted only when idle and started only while its space is active, stopping a broadcast
completes its live stream, and a space going idle stops its broadcasts. Each change records
a webhook event.
"""

from __future__ import annotations

import json
import secrets
import string
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs
from starlette.responses import JSONResponse

from aiospaces.emulator._http import ErrorAnswer

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "BROADCAST_FIELDS",
    "SPACE_FIELDS",
    "EmuBroadcast",
    "EmuLiveStream",
    "EmuSpace",
    "Environment",
    "MuxError",
    "invalid",
    "json_object",
    "new_id",
    "not_found",
    "now_rfc3339",
    "now_seconds",
    "refuse_unknown",
    "text_param",
]

SPACE_FIELDS = frozenset({"type", "passthrough", "broadcasts"})
BROADCAST_FIELDS = frozenset(
    {"live_stream_id", "passthrough", "layout", "resolution", "background"}
)
LAYOUTS = ("gallery", "active-speaker", "crop")
RESOLUTIONS = ("1920x1080", "1280x720", "1080x1920", "720x1280", "1080x1080", "720x720")
MAX_TEXT = 255
_ALPHABET = string.ascii_letters + string.digits
NOT_FOUND = "The requested resource either doesn't exist or you don't have access to it."


def new_id(length: int = 32) -> str:
    """Return an opaque base62 id like Mux's."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now_seconds() -> str:
    """Return the time as Mux's resources carry it: Unix seconds as a string."""
    return str(int(time.time()))


def now_rfc3339() -> str:
    """Return the time as Mux's webhook events carry it (microseconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MuxError(ErrorAnswer):
    """An error answer: ``{"error": {"type", "messages"}}``, or ``{"errors": [...]}`` for 429."""

    def __init__(
        self,
        status: int,
        error_type: str,
        *messages: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.error_type = error_type
        self.messages = list(messages)
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        """Return the error as an HTTP response."""
        if self.status == 429:  # Mux's rate limiter answers in another shape
            body: dict[str, Any] = {"errors": self.messages}
        else:
            body = {"error": {"type": self.error_type, "messages": self.messages}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


async def json_object(request: Request) -> dict[str, Any]:
    """Return a request's JSON object body (an empty body is ``{}``), or raise 400."""
    raw = await request.body()
    try:
        payload = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise invalid("The request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise invalid("The request body must be a JSON object")
    return payload


def invalid(*messages: str) -> MuxError:
    """Return a 400 ``invalid_parameters`` error."""
    return MuxError(400, "invalid_parameters", *messages)


def not_found() -> MuxError:
    """Return Mux's 404."""
    return MuxError(404, "not_found", NOT_FOUND)


def text_param(payload: dict[str, Any], key: str) -> str | None:
    """Return an optional string of at most 255 characters from a request body, or raise 400."""
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise invalid(f"{key} must be a string of at most {MAX_TEXT} characters")
    return value


def _choice(payload: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = payload.get(key, default)
    if value not in allowed:
        raise invalid(f"{key} must be one of {', '.join(allowed)}")
    return str(value)


def refuse_unknown(payload: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    """Raise a 400 naming every key of a request body that is not ``allowed``."""
    extra = sorted(set(payload) - allowed)
    if extra:
        raise invalid(*(f"{key} is not a valid {what} parameter" for key in extra))


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
    """A live stream (only what broadcasts need)."""

    id: str
    created_at: str
    stream_key: str = attrs.field(repr=False)
    status: str = "idle"
    playback_ids: list[dict[str, str]] = attrs.field(factory=list)
    passthrough: str | None = None
    latency_mode: str = "standard"
    reconnect_window: float = 60.0
    max_continuous_duration: int = 43200
    new_asset_settings: dict[str, Any] | None = None
    test: bool | None = None
    audio_only: bool | None = None
    active_asset_id: str | None = None
    recent_asset_ids: list[str] = attrs.field(factory=list)

    def wire(self) -> dict[str, Any]:
        """Return the live stream as Mux sends it."""
        data = {k: v for k, v in attrs.asdict(self).items() if v is not None}
        if not self.recent_asset_ids:
            del data["recent_asset_ids"]
        return data


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
        _choice(payload, "type", ("server",), "server")
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
            layout=_choice(payload, "layout", LAYOUTS, "gallery"),
            resolution=_choice(payload, "resolution", RESOLUTIONS, "1920x1080"),
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
        self.emit("video.live_stream.active", "live_stream", stream.wire())
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
        self.emit("video.live_stream.idle", "live_stream", stream.wire())
