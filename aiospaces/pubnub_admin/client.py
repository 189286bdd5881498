"""The PubNub Admin client: portal login, accounts, apps, Functions v1 blocks and handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Unpack

import attrs

from aiospaces.core.client import BaseClient, ErrorInfo
from aiospaces.core.errors import AuthenticationError, PermissionDeniedError, ValidationError
from aiospaces.core.settings import config_or_env
from aiospaces.pubnub_admin.apps import ListAccounts, ListAccountsParams, ListApps, ListAppsParams
from aiospaces.pubnub_admin.auth import LOGIN_PATH, Login, LoginParams, Sessions
from aiospaces.pubnub_admin.blocks import (
    BlockParams,
    CreateBlock,
    CreateBlockParams,
    DeleteBlock,
    GetBlock,
    KeysetParams,
    ListBlocks,
    StartBlock,
    StopBlock,
    UpdateBlock,
    UpdateBlockParams,
)
from aiospaces.pubnub_admin.config import PubNubAdminConfig
from aiospaces.pubnub_admin.event_handlers import (
    CreateEventHandler,
    DeleteEventHandler,
    DeleteEventHandlerParams,
    Deployment,
    EventHandlerParams,
    UpdateEventHandler,
    UpdateEventHandlerParams,
    deploy_event_handler,
)

if TYPE_CHECKING:
    import os

    import httpx

    from aiospaces.core.errors import APIError
    from aiospaces.core.request import CallOptions, RequestSpec
    from aiospaces.core.session import Session
    from aiospaces.pubnub_admin.models import LoginSession

__all__ = ["PubNubAdmin"]


class PubNubAdmin(BaseClient):
    """An asyncio client of the PubNub Admin portal API (v1) and Functions v1 (blocks).

    Make it from a session (``session.pubnub_admin(...)``) to share the connection pool, or
    use it on its own: ``async with aiospaces.PubNubAdmin(email=..., password=...) as adm``.
    Arguments not given are read from ``PUBNUB_ADMIN_EMAIL``, ``PUBNUB_ADMIN_PASSWORD`` and
    ``PUBNUB_ADMIN_URL``.

    The client logs in on its first call, sends the session token as ``X-Session-Token``,
    logs in again shortly before the token expires, and — if the portal still answers 401 or
    403 — logs in once more and retries the call once.

    Args:
        session: The Session whose pool to use (None: a private one).
        config: A ready [PubNubAdminConfig][aiospaces.pubnub_admin.config.PubNubAdminConfig];
            excludes the other settings.
        email: The portal login email; required.
        password: The portal password; required.
        base_url: The portal origin (default ``https://admin.pubnub.com``).
        refresh_margin: Log in again when the session has fewer seconds left (default 300).
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).

    Raises:
        ValidationError: A required setting is missing or invalid.
        TypeError: Both ``config`` and other settings were given.
    """

    vendor: ClassVar[str] = "pubnub_admin"

    def __init__(
        self,
        session: Session | None = None,
        *,
        config: PubNubAdminConfig | None = None,
        email: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        refresh_margin: float | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        settings = {
            "email": email,
            "password": password,
            "base_url": base_url,
            "refresh_margin": refresh_margin,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self.config = config_or_env(config, PubNubAdminConfig, settings)
        super().__init__(
            session,
            base_url=self.config.base_url,
            max_retries=self.config.max_retries,
            timeout=self.config.timeout,
        )
        self.sessions = Sessions(self)

    def __repr__(self) -> str:
        return f"<PubNubAdmin {self.config!r}>"

    @property
    def logged_in(self) -> LoginSession:
        """The current portal session.

        Raises:
            ValidationError: The client has not logged in yet.
        """
        if self.sessions.current is None:
            raise ValidationError("not logged in yet: await adm.login() first")
        return self.sessions.current

    # -- login, accounts, apps ----------------------------------------------------------------

    def login(self, **params: Unpack[LoginParams]) -> Login:
        """Return a builder logging in (``POST /api/me``); the session is cached."""
        return Login(self, params)

    def list_accounts(self, **params: Unpack[ListAccountsParams]) -> ListAccounts:
        """Return a builder listing the user's accounts."""
        return ListAccounts(self, params)

    def list_apps(self, **params: Unpack[ListAppsParams]) -> ListApps:
        """Return a builder listing an account's apps with their keysets."""
        return ListApps(self, params)

    # -- blocks -------------------------------------------------------------------------------

    def list_blocks(self, **params: Unpack[KeysetParams]) -> ListBlocks:
        """Return a builder listing a keyset's blocks."""
        return ListBlocks(self, params)

    def get_block(self, **params: Unpack[BlockParams]) -> GetBlock:
        """Return a builder fetching one block."""
        return GetBlock(self, params)

    def create_block(self, **params: Unpack[CreateBlockParams]) -> CreateBlock:
        """Return a builder creating a block."""
        return CreateBlock(self, params)

    def update_block(self, **params: Unpack[UpdateBlockParams]) -> UpdateBlock:
        """Return a builder renaming or re-describing a block."""
        return UpdateBlock(self, params)

    def delete_block(self, **params: Unpack[BlockParams]) -> DeleteBlock:
        """Return a builder deleting a block."""
        return DeleteBlock(self, params)

    def start_block(self, **params: Unpack[BlockParams]) -> StartBlock:
        """Return a builder starting a block (``.wait()`` waits until it runs)."""
        return StartBlock(self, params)

    def stop_block(self, **params: Unpack[BlockParams]) -> StopBlock:
        """Return a builder stopping a block (``.wait()`` waits until it has stopped)."""
        return StopBlock(self, params)

    # -- event handlers -----------------------------------------------------------------------

    def create_event_handler(self, **params: Unpack[EventHandlerParams]) -> CreateEventHandler:
        """Return a builder creating an event handler."""
        return CreateEventHandler(self, params)

    def update_event_handler(
        self, **params: Unpack[UpdateEventHandlerParams]
    ) -> UpdateEventHandler:
        """Return a builder changing an event handler."""
        return UpdateEventHandler(self, params)

    def delete_event_handler(
        self, **params: Unpack[DeleteEventHandlerParams]
    ) -> DeleteEventHandler:
        """Return a builder deleting an event handler."""
        return DeleteEventHandler(self, params)

    async def deploy_event_handler(
        self,
        *,
        key_id: int,
        block_id: int,
        event: str,
        code: str | None = None,
        code_file: str | os.PathLike[str] | None = None,
        name: str | None = None,
        channels: str | None = None,
        path: str | None = None,
        timeout: float = 60.0,  # noqa: ASYNC109 - a deadline for polling, not for one call
    ) -> Deployment:
        """Create or update a handler, restart its block and wait until it runs.

        See [deploy_event_handler][aiospaces.pubnub_admin.event_handlers.deploy_event_handler].

        Raises:
            ValidationError: Bad arguments.
            BlockStateError: The block did not start (``stack`` has the JavaScript trace).
            BlockTimeoutError: It did not settle within ``timeout``.
            APIError: The portal refused a call.
        """
        return await deploy_event_handler(
            self,
            key_id=key_id,
            block_id=block_id,
            event=event,
            code=code,
            code_file=code_file,
            name=name,
            channels=channels,
            path=path,
            timeout=timeout,
        )

    # -- BaseClient hooks -----------------------------------------------------------------------

    async def _send(
        self, spec: RequestSpec, options: CallOptions, *, read_body: bool
    ) -> tuple[httpx.Response, int]:
        """Send with the session (builders log in first); on 401/403 log in, send once more."""
        if spec.path == LOGIN_PATH:  # the login itself needs no session
            return await super()._send(spec, options, read_body=read_body)
        used = self.sessions.current or await self.sessions.ensure()
        try:
            return await super()._send(spec, options, read_body=read_body)
        except (AuthenticationError, PermissionDeniedError):
            await self.sessions.renew(used)
        return await super()._send(spec, options, read_body=read_body)

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Add the session token as ``X-Session-Token`` (except to the login itself)."""
        current = self.sessions.current
        if spec.path == LOGIN_PATH or current is None:
            return spec
        return attrs.evolve(spec, headers={**spec.headers, "X-Session-Token": current.token})

    def _error_class(self, response: httpx.Response, info: ErrorInfo) -> type[APIError]:
        """Make a refused login an AuthenticationError, whatever its status (400 on the portal)."""
        if response.request.url.path == LOGIN_PATH and response.status_code in (400, 403):
            return AuthenticationError
        return super()._error_class(response, info)

    def _error_info(self, response: httpx.Response, body: Any) -> ErrorInfo:
        """Return the portal's error: ``{"error"}``, ``{"message"}`` or ``{"error_code"}``.

        A ``{"message": {"text", "stack"}}`` body keeps its JavaScript stack in ``details``.
        """
        if isinstance(body, dict):
            message = body.get("message")
            details = None
            if isinstance(message, dict):
                details = {"stack": message["stack"]} if message.get("stack") else None
                message = message.get("text")
            error = body.get("error")
            if not message and isinstance(error, str):
                message = error
            code = body.get("error_code")
            if message or code:
                kind = None if code is None else str(code)
                return ErrorInfo(str(message or code), kind, details)
        return super()._error_info(response, body)
