"""Logging in (``POST /v1/auth/token/``) and asking who a token belongs to (``/v1/whoami/``).

```python
login = await nio.auth.token(username="me@example.com", password="…")
me = nio.with_token(login.token.key)        # same pool, the new token
print(await me.whoami())
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, Unpack

from aiospaces.core import validate
from aiospaces.core.builder import CallParams, prefill
from aiospaces.core.request import RequestSpec
from aiospaces.neuroio._base import NeuroIOBuilder
from aiospaces.neuroio.models import Login, Whoami

if TYPE_CHECKING:
    import httpx

    from aiospaces.neuroio.client import NeuroIO

__all__ = ["LOGIN_PATH", "Auth", "GetWhoami", "LoginToken"]

LOGIN_PATH = "/v1/auth/token/"
"""Where a login goes: the one call that needs no API token."""


class LoginToken(NeuroIOBuilder[Login]):
    """``POST /v1/auth/token/`` with ``{username, password}``: a temporary account token.

    Needs no API token. Wrong credentials raise ``BadRequestError`` (NeuroIO error 602).
    """

    _username: str | None = None
    _password: str | None = None

    def username(self, username: str) -> Self:
        """Set the user to log in as."""
        self._username = username
        return self

    def password(self, password: str) -> Self:
        """Set the password (kept out of reprs and logs)."""
        self._password = password
        return self

    def _build(self) -> RequestSpec:
        body = {
            "username": validate.text(self._username, "username"),
            "password": validate.secret(self._password, "password"),
        }
        # a second login only issues a second temporary token
        return RequestSpec.with_json("POST", LOGIN_PATH, body, idempotent=True)

    async def _parse(self, response: httpx.Response) -> Login:
        return self._json(response, Login)


class GetWhoami(NeuroIOBuilder[Whoami]):
    """``GET /v1/whoami/``: the user and space of the client's token."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path="/v1/whoami/")

    async def _parse(self, response: httpx.Response) -> Whoami:
        return self._json(response, Whoami)


class Auth:
    """``nio.auth``: logging in."""

    def __init__(self, client: NeuroIO) -> None:
        self._client = client

    def token(
        self,
        username: str | None = None,
        password: str | None = None,
        **params: Unpack[CallParams],
    ) -> LoginToken:
        """Return a builder logging in; its result carries a temporary account token."""
        return LoginToken(self._client, prefill(params, username=username, password=password))
