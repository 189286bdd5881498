"""PubNub Admin configuration and login: the session token, cached and renewed.

```python
adm = session.pubnub_admin(email="me@example.com", password="…")
me = await adm.login()          # optional: any call logs in on demand
print(me.user.account_id, me.expires)
```
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Self, cast

import anyio

from aiospaces.core import validate
from aiospaces.core.builder import CallParams
from aiospaces.core.request import RequestSpec
from aiospaces.pubnub_admin._base import AdminBuilder
from aiospaces.pubnub_admin.models import LoginSession, converter

if TYPE_CHECKING:
    import httpx

    from aiospaces.core.builder import Envelope
    from aiospaces.pubnub_admin.client import PubNubAdmin

__all__ = ["LOGIN_PATH", "Login", "LoginParams", "Sessions"]

LOGIN_PATH = "/api/me"
"""Where ``POST`` logs in."""


class LoginParams(CallParams, total=False):
    """Keywords of ``login`` (its setters)."""

    email: str
    password: str


class Login(AdminBuilder[LoginSession]):
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
        config = self._client.config
        email = validate.text(self._email if self._email is not None else config.email, "email")
        password = self._password if self._password is not None else config.password
        body = {"email": email, "password": validate.secret(password, "password")}
        # a second login only opens a second session
        return RequestSpec.with_json("POST", LOGIN_PATH, body, idempotent=True)

    async def _load(self) -> None:
        """Nothing: logging in needs no session."""

    async def _parse(self, response: httpx.Response) -> LoginSession:
        found = converter.structure(response.json()["result"], LoginSession)
        validate.secret(found.token, "the session token", visible_ascii=True)  # a header value
        return found

    async def _run(self) -> Envelope[LoginSession]:
        envelope = await super()._run()
        self._client.sessions.current = envelope.result
        return envelope


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
        self.current = await Login(self._client)
