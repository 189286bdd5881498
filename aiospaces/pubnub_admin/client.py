"""The PubNub Admin client: portal login, accounts, apps, Functions v1 blocks and handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import attrs

from aiospaces.core.client import BaseClient
from aiospaces.core.errors import AuthenticationError, PermissionDeniedError, ValidationError
from aiospaces.pubnub_admin.apps import ListAccounts, ListApps
from aiospaces.pubnub_admin.auth import LOGIN_PATH, Login, PubNubAdminConfig, Sessions
from aiospaces.pubnub_admin.blocks import (
    AdminBuilder,
    CreateBlock,
    DeleteBlock,
    GetBlock,
    ListBlocks,
    StartBlock,
    StopBlock,
    UpdateBlock,
)
from aiospaces.pubnub_admin.event_handlers import (
    CreateEventHandler,
    DeleteEventHandler,
    Deployment,
    UpdateEventHandler,
    deploy_event_handler,
)

if TYPE_CHECKING:
    import os

    import httpx

    from aiospaces.core.builder import Builder, Envelope, RequestSpec
    from aiospaces.core.client import ErrorInfo
    from aiospaces.core.session import Session
    from aiospaces.pubnub_admin.models import LoginSession

__all__ = ["PubNubAdmin"]

T = TypeVar("T")
B = TypeVar("B", bound="Builder[Any]")


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
        config: A ready [PubNubAdminConfig][aiospaces.pubnub_admin.auth.PubNubAdminConfig];
            excludes the keyword settings.
        **settings: Fields of ``PubNubAdminConfig`` (``email``, ``password``, ``base_url``, ...).

    Raises:
        ValidationError: A required setting is missing or invalid.
    """

    vendor: ClassVar[str] = "pubnub_admin"

    def __init__(
        self,
        session: Session | None = None,
        *,
        config: PubNubAdminConfig | None = None,
        **settings: Any,
    ) -> None:
        if config is not None and settings:
            raise TypeError("pass either config= or keyword settings, not both")
        self.config = config or PubNubAdminConfig.from_env(**settings)
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

    def login(self, **kwargs: Any) -> Login:
        """Return a builder logging in (``POST /api/me``); the session is cached."""
        return self._new(_CachingLogin, kwargs)

    def list_accounts(self, **kwargs: Any) -> ListAccounts:
        """Return a builder listing the user's accounts."""
        return self._new(ListAccounts, kwargs)

    def list_apps(self, **kwargs: Any) -> ListApps:
        """Return a builder listing an account's apps with their keysets."""
        return self._new(ListApps, kwargs)

    # -- blocks -------------------------------------------------------------------------------

    def list_blocks(self, **kwargs: Any) -> ListBlocks:
        """Return a builder listing a keyset's blocks."""
        return self._new(ListBlocks, kwargs)

    def get_block(self, **kwargs: Any) -> GetBlock:
        """Return a builder fetching one block."""
        return self._new(GetBlock, kwargs)

    def create_block(self, **kwargs: Any) -> CreateBlock:
        """Return a builder creating a block."""
        return self._new(CreateBlock, kwargs)

    def update_block(self, **kwargs: Any) -> UpdateBlock:
        """Return a builder renaming or re-describing a block."""
        return self._new(UpdateBlock, kwargs)

    def delete_block(self, **kwargs: Any) -> DeleteBlock:
        """Return a builder deleting a block."""
        return self._new(DeleteBlock, kwargs)

    def start_block(self, **kwargs: Any) -> StartBlock:
        """Return a builder starting a block (``.wait()`` waits until it runs)."""
        return self._new(StartBlock, kwargs)

    def stop_block(self, **kwargs: Any) -> StopBlock:
        """Return a builder stopping a block (``.wait()`` waits until it has stopped)."""
        return self._new(StopBlock, kwargs)

    # -- event handlers -----------------------------------------------------------------------

    def create_event_handler(self, **kwargs: Any) -> CreateEventHandler:
        """Return a builder creating an event handler."""
        return self._new(CreateEventHandler, kwargs)

    def update_event_handler(self, **kwargs: Any) -> UpdateEventHandler:
        """Return a builder changing an event handler."""
        return self._new(UpdateEventHandler, kwargs)

    def delete_event_handler(self, **kwargs: Any) -> DeleteEventHandler:
        """Return a builder deleting an event handler."""
        return self._new(DeleteEventHandler, kwargs)

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

    async def _execute(self, builder: Builder[T]) -> Envelope[T]:
        """Log in when needed, send, and on 401/403 log in again and retry exactly once."""
        if isinstance(builder, Login):  # the login itself needs no session
            return cast("Envelope[T]", await super()._execute(builder))
        if isinstance(builder, AdminBuilder):
            await builder._load()
            builder._build()  # validate before any I/O, the login included
        used = await self.sessions.ensure()
        try:
            return await super()._execute(builder)
        except (AuthenticationError, PermissionDeniedError):
            await self.sessions.renew(used)
        return await super()._execute(builder)

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Add the session token as ``X-Session-Token`` (except to the login itself)."""
        current = self.sessions.current
        if spec.path == LOGIN_PATH or current is None:
            return spec
        return attrs.evolve(spec, headers={**spec.headers, "X-Session-Token": current.token})

    def _error_info(self, response: httpx.Response, body: Any) -> ErrorInfo:
        """Return the portal's error: ``{"error"}``, ``{"message"}`` or ``{"error_code"}``.

        A ``{"message": {"text", "stack"}}`` body keeps its JavaScript stack in ``details``.
        """
        info = super()._error_info(response, body)
        message = body.get("message") if isinstance(body, dict) else None
        if isinstance(message, dict) and message.get("stack"):
            return attrs.evolve(info, details={"stack": message["stack"]})
        return info


class _CachingLogin(Login):
    """The public login: what it returns becomes the client's session."""

    async def future(self) -> Envelope[LoginSession]:
        envelope = await super().future()
        client = self._client
        if isinstance(client, PubNubAdmin):
            client.sessions.current = envelope.result
        return envelope
