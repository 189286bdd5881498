"""Portal accounts and apps (with their keysets).

```python
accounts = await adm.list_accounts()                 # the user's own account first
apps = await adm.list_apps()                         # apps of the user's account, with keys
key_id = apps[0].keys[0].id                          # what the blocks calls take as key_id
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from aiospaces.core.builder import CallParams
from aiospaces.core.request import RequestSpec
from aiospaces.pubnub_admin._base import AdminBuilder, positive_id
from aiospaces.pubnub_admin.models import Account, App, converter

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")

__all__ = ["ListAccounts", "ListAccountsParams", "ListApps", "ListAppsParams"]


class _AsLoggedIn(AdminBuilder[T]):
    """A call whose defaults come from the logged-in user: it logs in before it is built."""

    async def _load(self) -> None:
        await self._client.sessions.ensure()


class ListAccountsParams(CallParams, total=False):
    """Keywords of ``list_accounts`` (its setters)."""

    user_id: int


class ListAccounts(_AsLoggedIn[list[Account]]):
    """``GET /api/accounts?user_id=…``: the accounts a user can see (default: the logged-in one)."""

    _user_id: int | None = None

    def user_id(self, user_id: int) -> Self:
        """List the accounts of this user instead of the logged-in one."""
        self._user_id = positive_id(user_id, "user_id")
        return self

    def _build(self) -> RequestSpec:
        user_id = self._user_id
        if user_id is None:
            user_id = self._client.logged_in.user_id
        query = [("user_id", str(user_id))]
        return RequestSpec(method="GET", path="/api/accounts", query=query)

    async def _parse(self, response: httpx.Response) -> list[Account]:
        accounts = response.json()["result"]["accounts"]
        return converter.structure(accounts, list[Account])


class ListAppsParams(CallParams, total=False):
    """Keywords of ``list_apps`` (its setters)."""

    owner_id: int
    no_keys: bool


class ListApps(_AsLoggedIn[list[App]]):
    """``GET /api/apps?owner_id=…``: an account's apps and keysets (default: the user's own)."""

    _owner_id: int | None = None
    _no_keys = False

    def owner_id(self, account_id: int) -> Self:
        """List the apps of this account instead of the logged-in user's own."""
        self._owner_id = positive_id(account_id, "owner_id")
        return self

    def no_keys(self, no_keys: bool = True) -> Self:
        """Leave the keysets out (``App.keys`` is then empty)."""
        self._no_keys = bool(no_keys)
        return self

    def _build(self) -> RequestSpec:
        owner_id = self._owner_id
        if owner_id is None:
            owner_id = self._client.logged_in.user.account_id
        query = [("owner_id", str(owner_id))]
        if self._no_keys:
            query.append(("no_keys", "1"))
        return RequestSpec(method="GET", path="/api/apps", query=query)

    async def _parse(self, response: httpx.Response) -> list[App]:
        return converter.structure(response.json()["result"], list[App])
