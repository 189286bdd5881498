"""The Tokens API (IAM host): list, create, get, activate/deactivate and delete tokens.

A token manages the tokens of its own scope: an account token those of the account, a space
token those of its space. Temporary tokens live 24 hours; at most 5 permanent tokens exist per
account or space (a 6th is refused with a ``BadRequestError``).

```python
token = await nio.tokens.create(permanent=True)
async for t in nio.tokens.list(permanent=True):
    ...
await nio.tokens.update(token.id, is_active=False)    # form-encoded, as the API expects
await nio.tokens.delete(token.id)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self, TypeVar, Unpack

from aiospaces.core import validate
from aiospaces.core.builder import CallParams, prefill
from aiospaces.core.request import RequestSpec
from aiospaces.neuroio._base import ListBuilder, NeuroIOBuilder, token_ref, wire_bool
from aiospaces.neuroio.models import Token

if TYPE_CHECKING:
    import httpx

    from aiospaces.neuroio.client import NeuroIO

__all__ = [
    "CreateToken",
    "DeleteToken",
    "DeleteTokens",
    "GetToken",
    "ListTokens",
    "Tokens",
    "UpdateToken",
]

_TOKENS = "/v1/tokens/"

T = TypeVar("T")


class CreateToken(NeuroIOBuilder[Token]):
    """``POST /v1/tokens/``: a new token in the caller's scope."""

    _permanent = False

    def permanent(self, permanent: bool = True) -> Self:
        """Make a permanent token (at most 5) instead of a 24-hour one."""
        self._permanent = validate.boolean(permanent, "permanent")
        return self

    def _build(self) -> RequestSpec:
        return RequestSpec.with_json(
            "POST",
            _TOKENS,
            {"permanent": self._permanent},
            check="list the tokens (nio.tokens.list()) and deactivate one you do not use",
        )

    async def _parse(self, response: httpx.Response) -> Token:
        return self._json(response, Token)


class _PermanentFilter:
    """The ``permanent`` query filter of the token list and of the bulk delete."""

    _permanent: bool | None = None

    def permanent(self, permanent: bool | None) -> Self:
        """Only permanent (True) or temporary (False) tokens; None: both."""
        self._permanent = None if permanent is None else validate.boolean(permanent, "permanent")
        return self

    def _filter(self) -> list[tuple[str, str]]:
        return [] if self._permanent is None else [("permanent", wire_bool(self._permanent))]


class ListTokens(_PermanentFilter, ListBuilder[Token]):
    """``GET /v1/tokens/?limit&offset[&permanent]``: a page of tokens; ``async for`` for all."""

    _item: ClassVar[type] = Token

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=_TOKENS, query=[*self._window(), *self._filter()])


class _TokenByRef(NeuroIOBuilder[T]):
    """A call on one token, ``/v1/tokens/{id_or_key}/``."""

    _ref: int | str | None = None

    def token_id_or_key(self, token: int | str) -> Self:
        """Set the token by id (int) or key (str; aiospaces masks a key in logged URLs)."""
        self._ref = token
        return self

    def _path(self) -> str:
        return f"{_TOKENS}{token_ref(self._ref)}/"


class _OneToken(_TokenByRef[Token]):
    async def _parse(self, response: httpx.Response) -> Token:
        return self._json(response, Token)


class GetToken(_OneToken):
    """``GET /v1/tokens/{id_or_key}/``: one token."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=self._path())


class UpdateToken(_OneToken):
    """``PATCH /v1/tokens/{id_or_key}/`` with the form ``is_active=true|false``."""

    _active: bool | None = None

    def is_active(self, active: bool) -> Self:
        """Activate (True) or deactivate (False) the token."""
        self._active = validate.boolean(active, "is_active")
        return self

    def _build(self) -> RequestSpec:
        active = validate.boolean(self._active, "is_active")
        return RequestSpec(
            method="PATCH",
            path=self._path(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=f"is_active={wire_bool(active)}".encode(),
            idempotent=True,  # sets a flag
        )


class DeleteToken(_TokenByRef[None]):
    """``DELETE /v1/tokens/{id_or_key}/``: remove one token."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._path())

    async def _parse(self, response: httpx.Response) -> None:
        return None


class DeleteTokens(_PermanentFilter, NeuroIOBuilder[None]):
    """``DELETE /v1/tokens/[?permanent=]``: remove many tokens of the caller's scope."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=_TOKENS, query=self._filter())

    async def _parse(self, response: httpx.Response) -> None:
        return None


class Tokens:
    """``nio.tokens``: factories of the Tokens builders (keyword arguments pre-fill setters)."""

    def __init__(self, client: NeuroIO) -> None:
        self._client = client

    def create(self, permanent: bool | None = None, **params: Unpack[CallParams]) -> CreateToken:
        """Return a builder making a token (temporary unless ``permanent``)."""
        return CreateToken(self._client, prefill(params, permanent=permanent))

    def list(
        self,
        permanent: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        **params: Unpack[CallParams],
    ) -> ListTokens:
        """Return a builder listing tokens (awaitable for one page, async-iterable for all)."""
        settings = prefill(params, permanent=permanent, limit=limit, offset=offset)
        return ListTokens(self._client, settings)

    def get(
        self, token_id_or_key: int | str | None = None, **params: Unpack[CallParams]
    ) -> GetToken:
        """Return a builder fetching one token by id or key."""
        return GetToken(self._client, prefill(params, token_id_or_key=token_id_or_key))

    def update(
        self,
        token_id_or_key: int | str | None = None,
        is_active: bool | None = None,
        **params: Unpack[CallParams],
    ) -> UpdateToken:
        """Return a builder activating or deactivating one token."""
        settings = prefill(params, token_id_or_key=token_id_or_key, is_active=is_active)
        return UpdateToken(self._client, settings)

    def delete(
        self, token_id_or_key: int | str | None = None, **params: Unpack[CallParams]
    ) -> DeleteToken:
        """Return a builder deleting one token by id or key."""
        return DeleteToken(self._client, prefill(params, token_id_or_key=token_id_or_key))

    def delete_list(
        self, permanent: bool | None = None, **params: Unpack[CallParams]
    ) -> DeleteTokens:
        """Return a builder deleting the scope's tokens (all, or only (non-)permanent ones)."""
        return DeleteTokens(self._client, prefill(params, permanent=permanent))
