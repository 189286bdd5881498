"""PubNub Admin emulation state: portal records, blocks, handlers and their checks.

Errors use the portal's shapes: ``{"error"}`` (login, sessions, rights), ``{"message"}``
(blocks and handlers), ``{"message": {"text", "stack"}}`` (409 conflicts) and
``{"error_code": "STOP_BLOCK_EMPTY"}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
from starlette.responses import JSONResponse, Response

from aiospaces.emulator._http import ErrorAnswer, json_object
from aiospaces.emulator._parse import from_payload, is_text, is_texts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from starlette.requests import Request

__all__ = [
    "EVENTS",
    "HANDLER_FIELDS",
    "LOCKED_FIELDS",
    "NO_CHANNELS",
    "AdminError",
    "AppSeed",
    "BlockRecord",
    "Handler",
    "PortalApp",
    "PortalKeyset",
    "PortalUser",
    "UserSeed",
    "apply_fields",
    "bad",
    "check_handler",
    "conflict",
    "ensure_stopped",
    "read_json",
    "same_id",
]

EVENTS = frozenset(
    {
        "js-before-publish",
        "js-after-publish",
        "js-after-presence",
        "js-on-rest",
        "js-before-signal",
        "js-after-signal",
        "js-on-interval",
    }
)
"""Handler events the emulator accepts."""
NO_CHANNELS = frozenset({"js-on-rest", "js-on-interval"})
HANDLER_FIELDS = frozenset(
    {"key_id", "block_id", "name", "event", "channels", "code", "path", "type", "output"}
    | {"log_level"}
)
LOCKED_FIELDS = ("code", "event", "channels", "path")
"""Handler fields that cannot change while the block runs."""


class AdminError(ErrorAnswer):
    """An error answer with the portal's body (``{"error"}``, ``{"message"}``, ...)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body

    def response(self) -> Response:
        """Return the error as an HTTP response."""
        return JSONResponse(self.body, status_code=self.status)


def conflict(text: str, stack: str = "") -> AdminError:
    """Return a 409 ``{"message": {"text", "stack"}}`` error."""
    return AdminError(409, {"message": {"text": text, "stack": stack}})


def bad(text: str) -> AdminError:
    """Return a 400 ``{"message"}`` error."""
    return AdminError(400, {"message": text})


@attrs.frozen(kw_only=True)
class AppSeed:
    """One app of a seeded user: its name and its keysets' names."""

    name: str = attrs.field(validator=is_text())
    keys: list[str] | None = attrs.field(default=None, validator=is_texts)


def _apps(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, list):
        raise TypeError(f"apps must be a list of {{name, keys}} objects, not {value!r:.60}")
    for app in value or ():
        from_payload(AppSeed, app)


@attrs.frozen(kw_only=True)
class UserSeed:
    """What ``POST /_emulator/pubnub_admin/seed`` takes: a user and its apps' keysets."""

    email: str = attrs.field(validator=is_text())
    password: str = attrs.field(validator=is_text(empty=True))
    apps: list[dict[str, Any]] | None = attrs.field(default=None, validator=_apps)


@attrs.define
class PortalUser:
    """A portal user with its own account."""

    id: int
    email: str
    password: str = attrs.field(repr=False)
    account_id: int
    created: int

    def session_wire(self, token: str, now: int, expires: int) -> dict[str, Any]:
        """Return the login answer's ``result`` for a new session ``token`` of this user."""
        user = {
            "id": self.id,
            "email": self.email,
            "created": self.created,
            "account_id": self.account_id,
            "properties": {},
            "login_attempts": 0,
        }
        return {
            "created": now,
            "modified": now,
            "expires": expires,
            "token": token,
            "role": "user",
            "status": 1,
            "storage": {},
            "user": user,
            "user_id": self.id,
            "user_roles": {},
        }

    def account_wire(self) -> dict[str, Any]:
        """Return the user's own account as the portal lists it."""
        return {
            "id": self.account_id,
            "owner_id": self.id,
            "email": self.email,
            "properties": {"company": ""},
            "created": self.created,
            "dates": {},
        }


@attrs.define
class PortalKeyset:
    """A keyset; ``id`` is the blocks API's ``key_id``."""

    id: int
    app_id: int
    name: str
    subscribe_key: str
    publish_key: str
    secret_key: str = attrs.field(repr=False)
    created: int

    def wire(self) -> dict[str, Any]:
        """Return the keyset as the portal lists it."""
        return {
            "id": self.id,
            "app_id": self.app_id,
            "publish_key": self.publish_key,
            "subscribe_key": self.subscribe_key,
            "secret_key": self.secret_key,
            "status": 1,
            "type": 0,
            "created": self.created,
            "modified": self.created,
            "properties": {"name": self.name, "realtime_analytics_channel": f"ra-{self.id}"},
        }


@attrs.define
class PortalApp:
    """An app of an account."""

    id: int
    name: str
    owner_id: int
    created: int
    keys: list[PortalKeyset] = attrs.field(factory=list)

    def wire(self, *, keys: bool = True) -> dict[str, Any]:
        """Return the app as the portal lists it."""
        return {
            "id": self.id,
            "name": self.name,
            "owner_id": self.owner_id,
            "created": self.created,
            "modified": self.created,
            "status": 1,
            "properties": {},
            "keys": [k.wire() for k in self.keys] if keys else [],
        }


@attrs.define
class Handler:
    """An event handler of a block."""

    id: int
    key_id: int
    block_id: int
    name: str
    event: str
    code: str
    channels: str | None = None
    path: str | None = None
    type: str = "js"
    output: str = ""
    log_level: str = "debug"

    def wire(self) -> dict[str, Any]:
        """Return the handler as the portal sends it."""
        return attrs.asdict(self)


@attrs.define
class BlockRecord:
    """A block: its state machine and its handlers."""

    id: int
    key_id: int
    name: str
    description: str
    state: str = "stopped"
    intended_state: str = "stopped"
    changed_at: float = 0.0
    handlers: dict[int, Handler] = attrs.field(factory=dict)

    def settle(self, clock: Callable[[], float], delay: float) -> BlockRecord:
        """Let ``state`` follow ``intended_state`` once ``delay`` seconds passed since the change.

        Args:
            clock: The clock that timed the change (``changed_at``).
            delay: Seconds a state change takes.

        Returns:
            The block itself.
        """
        if self.state != self.intended_state and clock() - self.changed_at >= delay:
            self.state = self.intended_state
        return self

    def wire(self, keyset: PortalKeyset) -> dict[str, Any]:
        """Return the block as the portal sends it."""
        return {
            "id": self.id,
            "key_id": self.key_id,
            "name": self.name,
            "description": self.description,
            "state": self.state,
            "intended_state": self.intended_state,
            "pub_key": keyset.publish_key,
            "sub_key": keyset.subscribe_key,
            "event_handlers": [h.wire() for h in self.handlers.values()],
        }


async def read_json(request: Request, allowed: frozenset[str]) -> dict[str, Any]:
    """Return the JSON object body; 400 if it is not one or has fields not in ``allowed``."""
    payload = json_object(
        await request.body() or b"null",
        not_json=bad("Request body must be JSON."),
        not_object=bad("Request body must be a JSON object."),
    )
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise bad(f"Unknown fields: {', '.join(unknown)}.")
    return payload


def apply_fields(handler: Handler, body: dict[str, Any]) -> None:
    """Copy the handler fields present in ``body`` onto ``handler`` (400 unless strings)."""
    for field in ("name", "event", "code", "channels", "path", "type", "output", "log_level"):
        if field in body:
            value = body[field]
            if value is not None and not isinstance(value, str):
                raise bad(f"Event handler {field} must be a string.")
            setattr(handler, field, value)


def check_handler(handler: Handler, blocks: Iterable[BlockRecord]) -> None:
    """Refuse (400/409) a handler that is incomplete or clashes with another of its keyset."""
    if handler.event not in EVENTS:
        raise bad(f"Unknown event {handler.event!r}; expected one of {sorted(EVENTS)}.")
    if not handler.name or not handler.code:
        raise bad("Event handler name and code must not be empty.")
    if handler.event == "js-on-rest":
        if not handler.path:
            raise bad("A js-on-rest event handler needs a path.")
    elif handler.path:
        raise bad("Only js-on-rest event handlers have a path.")
    if handler.event not in NO_CHANNELS and not handler.channels:
        raise bad(f"A {handler.event} event handler needs channels.")
    for block in blocks:
        if block.key_id != handler.key_id:
            continue
        for other in block.handlers.values():
            if other.id == handler.id:
                continue
            if block.id == handler.block_id and other.name == handler.name:
                raise conflict(f"An event handler named {handler.name!r} already exists.")
            if handler.path and other.path == handler.path:
                raise conflict(f"Path {handler.path!r} is already used by handler {other.id}.")


def same_id(body: dict[str, Any], field: str, expected: int) -> None:
    """Refuse (400) a body whose ``field`` differs from the id in the URL."""
    if field in body and body[field] != expected:
        raise bad(f"{field} {body[field]!r} does not match the URL ({expected}).")


def ensure_stopped(block: BlockRecord, action: str) -> None:
    """Refuse (409) ``action`` on a block that runs or is changing state."""
    if "running" in (block.state, block.intended_state):
        raise conflict(f"Block {block.id} is running: stop it before you {action}.")
