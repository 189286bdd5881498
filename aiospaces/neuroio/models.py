"""Typed results of the NeuroIO IAM calls: spaces, tokens, pages, logins and whoami."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - cattrs reads the annotations at run time
from typing import Generic, TypeVar

import attrs

from aiospaces.core.convert import Model, make_converter

__all__ = ["Login", "Page", "Space", "Token", "User", "Whoami", "converter"]

T = TypeVar("T")


@attrs.frozen
class Space(Model):
    """A NeuroIO space: a named partition of an account's data.

    Every account has an implicit space named ``"default"``, where account tokens act.

    Attributes:
        id: The space id.
        name: The space's name.
    """

    id: int
    name: str


@attrs.frozen(kw_only=True)
class Token(Model):
    """An API token (account, space or manager token; one format for all).

    Attributes:
        id: The token id.
        key: The secret value sent as ``Authorization: Token <key>`` (never in a repr).
        is_active: Whether the token is accepted.
        created: When the token was made.
        expires: When a temporary token stops working (None for permanent tokens).
    """

    id: int | None = None
    key: str = attrs.field(repr=False)
    is_active: bool = True
    created: datetime | None = None
    expires: datetime | None = None

    @property
    def permanent(self) -> bool:
        """Whether the token never expires."""
        return self.expires is None


@attrs.frozen
class User(Model):
    """A NeuroIO user.

    Attributes:
        username: The login name.
    """

    username: str


@attrs.frozen
class Login(Model):
    """The result of logging in: who you are and a fresh temporary token.

    Attributes:
        user: The logged-in user.
        token: A temporary (24 h) account token.
    """

    user: User
    token: Token


@attrs.frozen
class Whoami(Model):
    """Who a token belongs to.

    Attributes:
        username: The account's user (None for a space token, which only knows its space).
        space: The space the token acts in (``"default"`` for account tokens).
    """

    username: str | None = None
    space: Space | None = None


@attrs.frozen
class Page(Model, Generic[T]):
    """One window of a DRF-style list (``limit``/``offset``).

    Attributes:
        results: The items in this window.
        count: How many items match in all, when the server says.
        next: Absolute URL of the next window, if any.
        previous: Absolute URL of the previous window, if any.
    """

    results: list[T]
    count: int | None = None
    next: str | None = None
    previous: str | None = None


converter = make_converter()
"""The NeuroIO wire converter (snake_case keys, as the API sends them)."""
