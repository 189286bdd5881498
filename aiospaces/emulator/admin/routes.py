"""PubNub Admin emulation: portal login, accounts, apps with keysets, Functions v1 blocks.

| method | path | does |
|---|---|---|
| POST | `/api/me` | log in (JSON or form body) → `{"result": {token, expires, user, …}}` |
| GET | `/api/accounts?user_id=` | `{"result": {"accounts": [...]}}` |
| GET | `/api/apps?owner_id=[&no_keys=1]` | `{"result": [app…], "total": n}` |
| GET, POST | `/api/v1/blocks/key/{key_id}/block` | list, create |
| GET, PUT, DELETE | `…/block/{block_id}` | get (an array of one), update, delete |
| POST | `…/block/{block_id}/start`, `…/stop` | set `intended_state`; `state` follows |
| POST | `/api/v1/blocks/key/{key_id}/event_handler` | create a handler |
| PUT, DELETE | `…/event_handler/{id}` | update, delete a handler |

Every call but the login needs a live `X-Session-Token` (else 401 `{"error"}`); a keyset of
another account answers 403. A block's `state` follows its `intended_state` once
[state_delay][aiospaces.emulator.admin.routes.AdminEmulation] seconds have passed on
[clock][aiospaces.emulator.admin.routes.AdminEmulation]. Choices where the portal's behaviour is
not documented: a start fails with 409 `{"message": {"text", "stack"}}` when a handler has no
`export default`; changing the code, event, channels or path of a handler, adding or
deleting handlers, or deleting the block while it runs (or is changing state) answers 409 —
as the official Python client assumes, stop the block, save, start it again.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiospaces.emulator._http import answering_errors, json_object
from aiospaces.emulator._parse import from_payload
from aiospaces.emulator.admin.state import (
    HANDLER_FIELDS,
    LOCKED_FIELDS,
    AdminError,
    BlockRecord,
    Handler,
    PortalApp,
    PortalKeyset,
    PortalUser,
    UserSeed,
    apply_fields,
    bad,
    check_handler,
    conflict,
    ensure_stopped,
    read_json,
    same_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from aiospaces.emulator._http import EmulatorContext

__all__ = ["SESSION_LIFETIME", "STATE_DELAY", "AdminEmulation"]

SESSION_LIFETIME = 30 * 24 * 3600
"""Seconds a session token lives (the portal's example: 30 days)."""
STATE_DELAY = 0.05
"""Default seconds before a block's ``state`` follows its ``intended_state``."""


class AdminEmulation:
    """The PubNub Admin (portal + Functions v1) side of the emulator.

    Attributes:
        state_delay: Seconds after a start or stop before ``state`` follows
            ``intended_state`` (0: at once).
        session_lifetime: Seconds a session token lives.
        clock: Monotonic clock timing the state changes (tests may swap in a fake one).
    """

    name: ClassVar[str] = "pubnub_admin"
    persistent: ClassVar[tuple[str, ...]] = (
        "_ids",
        "users",
        "apps",
        "keysets",
        "blocks",
        "sessions",
    )
    """What a state file keeps (see [state_file][aiospaces.emulator.state_file])."""

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self.state_delay = STATE_DELAY
        self.session_lifetime = SESSION_LIFETIME
        self.clock: Callable[[], float] = time.monotonic
        self.reset()

    # -- vendor plug-in protocol ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every user, app, keyset, block and session."""
        self._ids = itertools.count(1001)
        self.users: dict[str, PortalUser] = {}
        self.apps: dict[int, PortalApp] = {}
        self.keysets: dict[int, PortalKeyset] = {}
        self.blocks: dict[int, BlockRecord] = {}
        self.sessions: dict[str, tuple[PortalUser, int]] = {}  # token -> (user, expires)

    def restored(self) -> None:
        """Settle the blocks loaded from a state file (their change times were another clock's)."""
        for block in self.blocks.values():
            block.state = block.intended_state

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Provision a user: ``{"email", "password", "apps": [{"name", "keys": [names]}]}``.

        Without ``apps`` the account gets one app with one keyset, as a sandbox login does.
        """
        spec = from_payload(UserSeed, payload)
        apps = spec.apps or [{"name": "My First App", "keys": ["Default Keyset"]}]
        user = self._provision(spec.email, spec.password, apps)
        return {"email": user.email, "user_id": user.id, "account_id": user.account_id} | {
            "apps": [a.wire() for a in self.apps.values() if a.owner_id == user.account_id]
        }

    def snapshot(self) -> dict[str, Any]:
        """Return every account's apps and keysets and every block (no passwords, no tokens)."""
        return {
            "users": [
                {"email": u.email, "user_id": u.id, "account_id": u.account_id}
                for u in self.users.values()
            ],
            "apps": [a.wire() for a in self.apps.values()],
            "blocks": [self._wire(b) for b in self.blocks.values()],
        }

    def settings(self, base_url: str) -> dict[str, Any]:
        """Return ``base_url`` and credentials (the first seeded user's, or sandbox ones)."""
        user = next(iter(self.users.values()), None)
        if user is None:
            return {"base_url": base_url, "email": "sandbox@example.com", "password": "sandbox"}
        return {"base_url": base_url, "email": user.email, "password": user.password}

    def expire_sessions(self) -> None:
        """Make every issued session token expired (clients must log in again)."""
        self.sessions = {token: (user, 0) for token, (user, _) in self.sessions.items()}

    def routes(self) -> list[BaseRoute]:
        """Return the portal and blocks routes."""
        key = "/api/v1/blocks/key/{key_id:int64}"
        block = key + "/block/{block_id:int64}"
        handler = key + "/event_handler/{handler_id:int64}"
        ep = answering_errors
        return [
            Route("/api/me", ep(self.login), methods=["POST"]),
            Route("/api/accounts", ep(self.accounts), methods=["GET"]),
            Route("/api/apps", ep(self.list_apps), methods=["GET"]),
            Route(key + "/block", ep(self.list_blocks), methods=["GET"]),
            Route(key + "/block", ep(self.create_block), methods=["POST"]),
            Route(block, ep(self.get_block), methods=["GET"]),
            Route(block, ep(self.update_block), methods=["PUT"]),
            Route(block, ep(self.delete_block), methods=["DELETE"]),
            Route(block + "/start", ep(self.start_block), methods=["POST"]),
            Route(block + "/stop", ep(self.stop_block), methods=["POST"]),
            Route(key + "/event_handler", ep(self.create_handler), methods=["POST"]),
            Route(handler, ep(self.update_handler), methods=["PUT"]),
            Route(handler, ep(self.delete_handler), methods=["DELETE"]),
        ]

    # -- plumbing -------------------------------------------------------------------------------

    def _provision(self, email: str, password: str, apps: list[dict[str, Any]]) -> PortalUser:
        now = int(time.time())
        user_id, account_id = next(self._ids), next(self._ids)
        user = PortalUser(user_id, email, password, account_id, now)
        self.users[email.lower()] = user
        for spec in apps:
            app = PortalApp(next(self._ids), str(spec["name"]), account_id, now)
            self.apps[app.id] = app
            for name in spec.get("keys") or ["Default Keyset"]:
                keyset = PortalKeyset(
                    id=next(self._ids),
                    app_id=app.id,
                    name=str(name),
                    subscribe_key=f"sub-c-{uuid.uuid4()}",
                    publish_key=f"pub-c-{uuid.uuid4()}",
                    secret_key=f"sec-c-{secrets.token_urlsafe(24)}",
                    created=now,
                )
                app.keys.append(keyset)
                self.keysets[keyset.id] = keyset
        return user

    def _user(self, request: Request) -> PortalUser:
        token = request.headers.get("x-session-token", "")
        user, expires = self.sessions.get(token, (None, 0))
        if user is None or expires <= time.time():
            raise AdminError(401, {"error": "Invalid or expired session token."})
        return user

    def _keyset(self, request: Request) -> PortalKeyset:
        user = self._user(request)
        keyset = self.keysets.get(request.path_params["key_id"])
        if keyset is None:
            raise AdminError(404, {"message": "Key not found."})
        if self.apps[keyset.app_id].owner_id != user.account_id:
            raise AdminError(403, {"error": "Insufficient rights to access this key."})
        return keyset

    def _block(self, request: Request) -> tuple[PortalKeyset, BlockRecord]:
        keyset = self._keyset(request)
        block = self.blocks.get(request.path_params["block_id"])
        if block is None or block.key_id != keyset.id:
            raise AdminError(404, {"message": "Block not found."})
        return keyset, self._settle(block)

    def _settle(self, block: BlockRecord) -> BlockRecord:
        return block.settle(self.clock, self.state_delay)

    def _wire(self, block: BlockRecord) -> dict[str, Any]:
        return self._settle(block).wire(self.keysets[block.key_id])

    # -- portal ---------------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        """``POST /api/me``: JSON or form ``email``/``password``; sandbox provisions users."""
        raw = await request.body()
        required = AdminError(400, {"error": "Email and password are required."})
        if request.headers.get("content-type", "").startswith("application/x-www-form"):
            fields: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8", "replace")))
        else:
            fields = json_object(raw or b"null", not_json=required)
        email, password = fields.get("email"), fields.get("password")
        if not isinstance(email, str) or not email or not isinstance(password, str):
            raise required
        user = self.users.get(email.lower())
        if user is None and not self.context.strict:
            user = self._provision(email, password, [{"name": "My First App"}])
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            raise AdminError(400, {"error": "Invalid email or password."})
        token = secrets.token_hex(20)
        now = int(time.time())
        expires = now + self.session_lifetime
        self.sessions[token] = (user, expires)
        return JSONResponse({"result": user.session_wire(token, now, expires)})

    async def accounts(self, request: Request) -> Response:
        """``GET /api/accounts?user_id=``: the user's own account."""
        user = self._user(request)
        if request.query_params.get("user_id") != str(user.id):
            raise AdminError(403, {"error": "Insufficient rights to list these accounts."})
        return JSONResponse({"result": {"accounts": [user.account_wire()]}})

    async def list_apps(self, request: Request) -> Response:
        """``GET /api/apps?owner_id=[&no_keys=1]``: the account's apps with keysets."""
        user = self._user(request)
        if request.query_params.get("owner_id") != str(user.account_id):
            raise AdminError(403, {"error": "Insufficient rights to list these apps."})
        keys = request.query_params.get("no_keys") not in ("1", "true")
        apps = [a.wire(keys=keys) for a in self.apps.values() if a.owner_id == user.account_id]
        return JSONResponse({"result": apps, "total": len(apps)})

    # -- blocks ---------------------------------------------------------------------------------

    async def list_blocks(self, request: Request) -> Response:
        """``GET …/block``: every block of the keyset."""
        keyset = self._keyset(request)
        blocks = [self._wire(b) for b in self.blocks.values() if b.key_id == keyset.id]
        return JSONResponse({"payload": blocks})

    async def get_block(self, request: Request) -> Response:
        """``GET …/block/{id}``: an array of one block."""
        _, block = self._block(request)
        return JSONResponse({"payload": [self._wire(block)]})

    async def create_block(self, request: Request) -> Response:
        """``POST …/block``: ``{key_id, name, description}`` → the new, stopped block."""
        keyset = self._keyset(request)
        body = await read_json(request, frozenset({"key_id", "name", "description"}))
        same_id(body, "key_id", keyset.id)
        name, description = body.get("name"), body.get("description", "")
        if not isinstance(name, str) or not name:
            raise bad("Block name is required.")
        if not isinstance(description, str):
            raise bad("Block description must be a string.")
        block = BlockRecord(next(self._ids), keyset.id, name, description)
        self.blocks[block.id] = block
        return JSONResponse({"payload": self._wire(block)})

    async def update_block(self, request: Request) -> Response:
        """``PUT …/block/{id}``: change the name or description."""
        keyset, block = self._block(request)
        allowed = frozenset({"key_id", "block_id", "id", "name", "description"})
        body = await read_json(request, allowed)
        same_id(body, "key_id", keyset.id)
        same_id(body, "block_id", block.id)
        same_id(body, "id", block.id)
        for field in ("name", "description"):
            if field in body:
                if not isinstance(body[field], str) or (field == "name" and not body[field]):
                    raise bad(f"Block {field} must be a {'non-empty ' * (field == 'name')}string.")
                setattr(block, field, body[field])
        return JSONResponse({"payload": self._wire(block)})

    async def delete_block(self, request: Request) -> Response:
        """``DELETE …/block/{id}``: only a stopped block."""
        _, block = self._block(request)
        ensure_stopped(block, "delete it")
        del self.blocks[block.id]
        return JSONResponse({"payload": {"id": block.id}})

    async def start_block(self, request: Request) -> Response:
        """``POST …/start``: every handler must compile (have an ``export default``)."""
        _, block = self._block(request)
        if not block.handlers:
            raise bad(f"Block {block.id} has no event handlers to start.")
        if block.intended_state == "stopped" and block.state == "running":
            raise conflict(f"Block {block.id} is stopping; start it once it has stopped.")
        for handler in block.handlers.values():
            if "export default" not in handler.code:
                raise conflict(
                    f"Block {block.id} failed to start: event handler {handler.name!r} has no "
                    "default export.",
                    f"SyntaxError: the module has no default export\n"
                    f"    at {handler.name} (block {block.id}, handler {handler.id}:1:1)",
                )
        return JSONResponse({"payload": self._wire(self._change(block, "running"))})

    async def stop_block(self, request: Request) -> Response:
        """``POST …/stop``: a block without handlers answers 400 ``STOP_BLOCK_EMPTY``."""
        _, block = self._block(request)
        if not block.handlers:
            message = f"Block {block.id} has no event handlers to stop."
            raise AdminError(400, {"error_code": "STOP_BLOCK_EMPTY", "message": message})
        if block.intended_state == "running" and block.state == "stopped":
            raise conflict(f"Block {block.id} is starting; stop it once it runs.")
        return JSONResponse({"payload": self._wire(self._change(block, "stopped"))})

    def _change(self, block: BlockRecord, intended: str) -> BlockRecord:
        if block.intended_state != intended:
            block.intended_state = intended
            block.changed_at = self.clock()
        return self._settle(block)

    # -- event handlers -------------------------------------------------------------------------

    async def create_handler(self, request: Request) -> Response:
        """``POST …/event_handler``: add a handler to a stopped block."""
        keyset = self._keyset(request)
        body = await read_json(request, HANDLER_FIELDS)
        same_id(body, "key_id", keyset.id)
        block_id = body.get("block_id")
        block = self.blocks.get(block_id) if isinstance(block_id, int) else None
        if block is None or block.key_id != keyset.id:
            raise AdminError(404, {"message": "Block not found."})
        ensure_stopped(self._settle(block), "add event handlers")
        for field in ("name", "event", "code"):
            if not isinstance(body.get(field), str) or not body[field]:
                raise bad(f"Event handler {field} is required.")
        handler = Handler(
            id=next(self._ids),
            key_id=keyset.id,
            block_id=block.id,
            name=body["name"],
            event=body["event"],
            code=body["code"],
            output=f"{body['name']}-debug-console",
        )
        apply_fields(handler, body)
        check_handler(handler, self.blocks.values())
        block.handlers[handler.id] = handler
        return JSONResponse({"payload": handler.wire()})

    async def update_handler(self, request: Request) -> Response:
        """``PUT …/event_handler/{id}``: code, event, channels and path only while stopped."""
        keyset = self._keyset(request)
        block, handler = self._handler(request, keyset)
        body = await read_json(request, HANDLER_FIELDS | {"id"})
        same_id(body, "key_id", keyset.id)
        same_id(body, "block_id", block.id)
        same_id(body, "id", handler.id)
        changed = [f for f in LOCKED_FIELDS if f in body and body[f] != getattr(handler, f)]
        if changed:
            ensure_stopped(self._settle(block), f"change its handlers' {', '.join(changed)}")
        updated = attrs.evolve(handler)
        apply_fields(updated, body)
        check_handler(updated, self.blocks.values())
        block.handlers[handler.id] = updated
        return JSONResponse({"payload": updated.wire()})

    async def delete_handler(self, request: Request) -> Response:
        """``DELETE …/event_handler/{id}``: only from a stopped block."""
        keyset = self._keyset(request)
        block, handler = self._handler(request, keyset)
        ensure_stopped(self._settle(block), "delete its event handlers")
        del block.handlers[handler.id]
        return JSONResponse({"payload": {"id": handler.id}})

    def _handler(self, request: Request, keyset: PortalKeyset) -> tuple[BlockRecord, Handler]:
        handler_id = request.path_params["handler_id"]
        for block in self.blocks.values():
            if block.key_id == keyset.id and handler_id in block.handlers:
                return block, block.handlers[handler_id]
        raise AdminError(404, {"message": "Event handler not found."})
