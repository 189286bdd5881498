"""PubNub Admin configuration and login: the session token, cached and renewed.

```python
adm = session.pubnub_admin(email="me@example.com", password="…")
me = await adm.login()          # optional: any call logs in on demand
print(me.user.account_id, me.expires)
```
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Self, cast

import anyio
import attrs

from aiospaces.core.builder import Builder, RequestSpec
from aiospaces.core.errors import (
    AuthenticationError,
    BadRequestError,
    PermissionDeniedError,
    ValidationError,
)
from aiospaces.core.settings import config_from_env
from aiospaces.pubnub_admin.models import LoginSession, converter

if TYPE_CHECKING:
    import httpx

    from aiospaces.core.builder import Envelope
    from aiospaces.pubnub_admin.client import PubNubAdmin

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "LOGIN_PATH", "Login", "PubNubAdminConfig", "Sessions"]

DEFAULT_BASE_URL = "https://admin.pubnub.com"
"""The portal's origin; the API lives under ``/api``."""
LOGIN_PATH = "/api/me"
"""Where ``POST`` logs in."""
ENV_VARS = {
    "email": "PUBNUB_ADMIN_EMAIL",
    "password": "PUBNUB_ADMIN_PASSWORD",
    "base_url": "PUBNUB_ADMIN_URL",
}
"""Environment variables read by `PubNubAdminConfig.from_env`, by setting name."""


def _non_empty(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{attribute.name} must be a non-empty string, not {value!r}")


def _origin(value: str) -> str:
    """Return the portal origin: no trailing slash, no trailing ``/api``."""
    value = value.rstrip("/")
    return value.removesuffix("/api")


@attrs.frozen(kw_only=True)
class PubNubAdminConfig:
    """Everything a PubNub Admin client needs; the password never appears in its repr.

    Attributes:
        email: The portal login email.
        password: The portal password.
        base_url: The portal origin (``https://admin.pubnub.com``; a trailing ``/api`` is
            accepted and dropped).
        refresh_margin: Log in again when the session token has fewer seconds left than this.
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).
    """

    email: str = attrs.field(validator=_non_empty)
    password: str = attrs.field(repr=False, validator=_non_empty)
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=_origin)
    refresh_margin: float = 300.0
    timeout: float | None = None
    max_retries: int | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> PubNubAdminConfig:
        """Return a config from ``PUBNUB_ADMIN_*`` environment variables; explicit arguments win.

        Raises:
            ValidationError: A required setting is missing or invalid.
        """
        return config_from_env(cls, ENV_VARS, overrides, required=("email", "password"))


class Login(Builder[LoginSession]):
    """``POST /api/me``: log in with email and password; returns the session.

    The client logs in by itself before the first call and whenever the token is about to
    expire; call this only to inspect the session or to check credentials early. Bad
    credentials raise [AuthenticationError][aiospaces.core.errors.AuthenticationError]
    whatever status the portal answered with (it says 400).
    """

    _email: str | None = None
    _password: str | None = None

    def email(self, email: str) -> Self:
        """Log in as this email instead of the configured one."""
        self._email = email
        return self

    def password(self, password: str) -> Self:
        """Use this password instead of the configured one."""
        self._password = password
        return self

    def _build(self) -> RequestSpec:
        config = cast("PubNubAdmin", self._client).config
        email = self._email if self._email is not None else config.email
        password = self._password if self._password is not None else config.password
        for name, value in (("email", email), ("password", password)):
            if not isinstance(value, str) or not value:
                raise ValidationError(f"{name} must be a non-empty string")
        body = json.dumps({"email": email, "password": password}, separators=(",", ":"))
        return RequestSpec(
            method="POST",
            path=LOGIN_PATH,
            headers={"Content-Type": "application/json"},
            body=body.encode(),
        )

    async def _parse(self, response: httpx.Response) -> LoginSession:
        return converter.structure(response.json()["result"], LoginSession)

    async def future(self) -> Envelope[LoginSession]:
        """Log in and return the session with the HTTP status.

        Raises:
            ValidationError: Email or password is missing.
            AuthenticationError: The portal refused the credentials.
            APIError: Any other error status.
        """
        try:
            return await self._client._execute(self)
        except (BadRequestError, PermissionDeniedError) as exc:
            raise AuthenticationError(
                exc.message,
                status_code=exc.status_code,
                vendor=exc.vendor,
                error_type=exc.error_type,
                details=exc.details,
                request_id=exc.request_id,
                body=exc.body,
            ) from exc

    async def result(self) -> LoginSession:
        """Log in and return the session.

        Raises:
            ValidationError: Email or password is missing.
            AuthenticationError: The portal refused the credentials.
            APIError: Any other error status.
        """
        return (await self.future()).result


class Sessions:
    """The client's cached login: one login at a time, renewed before it expires."""

    def __init__(self, client: PubNubAdmin) -> None:
        self._client = client
        self._lock = anyio.Lock()
        self.current: LoginSession | None = None
        self.logins = 0

    def fresh(self) -> bool:
        """Return whether the cached session has more than ``refresh_margin`` seconds left."""
        current = self.current
        margin = self._client.config.refresh_margin
        return current is not None and current.expires.timestamp() - margin > time.time()

    async def ensure(self) -> LoginSession:
        """Return a fresh session, logging in when there is none or it is about to expire."""
        if self.fresh():
            return cast("LoginSession", self.current)
        async with self._lock:
            if not self.fresh():
                await self._login()
            return cast("LoginSession", self.current)

    async def renew(self, stale: LoginSession | None) -> LoginSession:
        """Log in again unless another task already replaced the ``stale`` session."""
        async with self._lock:
            if self.current is None or self.current is stale:
                await self._login()
            return cast("LoginSession", self.current)

    async def _login(self) -> None:
        self.current = None
        self.logins += 1
        self.current = await self._client._new(Login, {})
