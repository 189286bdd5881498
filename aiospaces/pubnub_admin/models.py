"""Typed results of the PubNub Admin calls: login sessions, accounts, apps, blocks, handlers."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - cattrs reads the annotations at run time
from typing import Any

import attrs

from aiospaces.core.convert import Model, make_converter

__all__ = [
    "Account",
    "App",
    "Block",
    "EventHandler",
    "Keyset",
    "LoginSession",
    "User",
    "converter",
]


@attrs.frozen
class User(Model):
    """The portal user who logged in.

    Attributes:
        id: The user id.
        email: The login email.
        account_id: The user's own account (the ``owner_id`` of its apps).
        created: When the user was created.
        properties: Free-form profile data (first and last name, phone, ...).
    """

    id: int
    email: str
    account_id: int
    created: datetime | None = None
    properties: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class LoginSession(Model):
    """A portal session: the token sent as ``X-Session-Token`` and when it expires.

    Attributes:
        token: The session token (never shown in a repr).
        user_id: The user the session belongs to.
        expires: When the token stops working.
        created: When the session was created.
        user: The user's details.
        role: The user's role (``"user"``).
    """

    token: str = attrs.field(repr=False)
    user_id: int
    expires: datetime
    user: User
    created: datetime | None = None
    role: str | None = None


@attrs.frozen
class Account(Model):
    """A portal account (the first one listed is the user's own).

    Attributes:
        id: The account id (``owner_id`` of its apps).
        owner_id: The user who owns the account.
        email: The account's email.
        created: When the account was created.
        properties: Free-form account data (company, ...).
    """

    id: int
    owner_id: int | None = None
    email: str | None = None
    created: datetime | None = None
    properties: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Keyset(Model):
    """A keyset of an app; its ``id`` is the ``key_id`` of the Functions (blocks) calls.

    Attributes:
        id: The keyset id (``key_id``).
        app_id: The app it belongs to.
        subscribe_key: The ``sub-c-…`` key.
        publish_key: The ``pub-c-…`` key.
        secret_key: The ``sec-c-…`` key (never shown in a repr).
        type: ``0`` testing, ``1`` production.
        status: Portal status flag.
        created: When the keyset was created.
        modified: When it last changed.
        properties: Name and feature flags (history, presence, ...).
    """

    id: int
    app_id: int
    subscribe_key: str
    publish_key: str | None = None
    secret_key: str | None = attrs.field(default=None, repr=False)
    type: int | None = None
    status: int | None = None
    created: datetime | None = None
    modified: datetime | None = None
    properties: dict[str, Any] = attrs.field(factory=dict)

    @property
    def name(self) -> str | None:
        """The keyset's display name (``properties.name``)."""
        name = self.properties.get("name")
        return name if isinstance(name, str) else None


@attrs.frozen
class App(Model):
    """A portal app with its keysets.

    Attributes:
        id: The app id.
        name: Display name.
        owner_id: The account that owns it.
        keys: Its keysets (empty when listed with ``no_keys``).
        status: Portal status flag.
        created: When the app was created.
        modified: When it last changed.
        properties: Free-form app data.
    """

    id: int
    name: str
    owner_id: int
    keys: list[Keyset] = attrs.field(factory=list)
    status: int | None = None
    created: datetime | None = None
    modified: datetime | None = None
    properties: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class EventHandler(Model):
    """An event handler (a Function) of a block.

    Attributes:
        id: The handler id.
        key_id: The keyset id.
        block_id: The block it belongs to.
        name: Display name.
        event: What triggers it (``js-before-publish``, ``js-on-rest``, ...).
        channels: Channel pattern it listens on (wildcards like ``chat.*``).
        code: The JavaScript source.
        path: URL path of a ``js-on-rest`` handler.
        type: Code type (``"js"``).
        output: Debug console channel.
        log_level: Log level (``"debug"``).
    """

    id: int
    key_id: int
    block_id: int
    name: str
    event: str
    channels: str | None = None
    code: str | None = None
    path: str | None = None
    type: str | None = None
    output: str | None = None
    log_level: str | None = None


@attrs.frozen
class Block(Model):
    """A block (a Functions v1 module) of a keyset.

    Attributes:
        id: The block id.
        key_id: The keyset id.
        name: Display name.
        description: Free text.
        state: What the block is doing now: ``"running"`` or ``"stopped"``.
        intended_state: What it was last asked to do; ``state`` follows it asynchronously.
        event_handlers: Its event handlers.
    """

    id: int
    key_id: int
    name: str
    description: str | None = None
    state: str | None = None
    intended_state: str | None = None
    event_handlers: list[EventHandler] = attrs.field(factory=list)

    @property
    def settled(self) -> bool:
        """Whether ``state`` has caught up with ``intended_state``."""
        return self.state == self.intended_state


converter = make_converter()
"""The PubNub Admin wire converter (snake_case keys, unix-second timestamps)."""
