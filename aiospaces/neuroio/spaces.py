"""The Spaces API (IAM host): create, list, get, rename, delete, space tokens, full list.

```python
space = await nio.spaces.create(name="Lobby")
page = await nio.spaces.list(q="lob", limit=50)       # one page (Page[Space])
async for space in nio.spaces.list():                  # every space, page by page
    ...
await nio.spaces.update(space.id, name="Hall")         # PATCH (replace() sends PUT)
token = await nio.spaces.token(space.id, permanent=True)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self, TypeVar, Unpack

from aiospaces.core import validate
from aiospaces.core.builder import CallParams, prefill
from aiospaces.core.errors import ValidationError
from aiospaces.core.request import RequestSpec
from aiospaces.neuroio._base import ListBuilder, NeuroIOBuilder, object_id
from aiospaces.neuroio.models import Space, Token, converter

if TYPE_CHECKING:
    import httpx

    from aiospaces.neuroio.client import NeuroIO

__all__ = [
    "MAX_NAME_LENGTH",
    "AllSpaces",
    "CreateSpace",
    "DeleteSpace",
    "GetSpace",
    "ListSpaces",
    "ReplaceSpace",
    "SpaceToken",
    "Spaces",
    "UpdateSpace",
]

MAX_NAME_LENGTH = 255
"""Longest space name the client accepts (characters)."""

_SPACES = "/v1/spaces/"
_HOW_TO_CHECK_A_NEW_ONE = "list the space's tokens and deactivate one you do not use"

T = TypeVar("T")


def _name(value: object) -> str:
    name = validate.text(value, "name", max_length=MAX_NAME_LENGTH)
    if not name.strip():
        raise ValidationError("name is required and must be a non-empty string, not blank")
    return name


class _SpaceById(NeuroIOBuilder[T]):
    """A call on one space, ``/v1/spaces/{id}/``."""

    _id: int | None = None

    def id(self, space_id: int) -> Self:
        """Set the space's id."""
        self._id = space_id
        return self

    def _path(self) -> str:
        return f"{_SPACES}{object_id(self._id, 'id')}/"


class _OneSpace(_SpaceById[Space]):
    async def _parse(self, response: httpx.Response) -> Space:
        return self._json(response, Space)


class CreateSpace(NeuroIOBuilder[Space]):
    """``POST /v1/spaces/``: make a space (201 with the space)."""

    _name: str | None = None

    def name(self, name: str) -> Self:
        """Set the space's name."""
        self._name = name
        return self

    def _build(self) -> RequestSpec:
        return RequestSpec.with_json(
            "POST",
            _SPACES,
            {"name": _name(self._name)},
            check="list the spaces (nio.spaces.list()) and look for the name you set",
        )

    async def _parse(self, response: httpx.Response) -> Space:
        return self._json(response, Space)


class GetSpace(_OneSpace):
    """``GET /v1/spaces/{id}/``: one space (``NotFoundError`` if there is none)."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=self._path())


class UpdateSpace(_OneSpace):
    """``PATCH /v1/spaces/{id}/``: rename a space."""

    _method: ClassVar[str] = "PATCH"
    _name: str | None = None

    def name(self, name: str) -> Self:
        """Set the new name."""
        self._name = name
        return self

    def _build(self) -> RequestSpec:
        return RequestSpec.with_json(  # a rename: the same name twice is the same name
            self._method, self._path(), {"name": _name(self._name)}, idempotent=True
        )


class ReplaceSpace(UpdateSpace):
    """``PUT /v1/spaces/{id}/``: the same rename, as neuroio-js sends it."""

    _method: ClassVar[str] = "PUT"


class DeleteSpace(_SpaceById[None]):
    """``DELETE /v1/spaces/{id}/``: remove a space (any 2xx is success)."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._path())

    async def _parse(self, response: httpx.Response) -> None:
        return None


class SpaceToken(_SpaceById[Token]):
    """``POST /v1/spaces/{id}/tokens/``: a token restricted to one space."""

    _permanent = False

    def permanent(self, permanent: bool = True) -> Self:
        """Make a permanent token (at most 5 per space) instead of a 24-hour one."""
        self._permanent = validate.boolean(permanent, "permanent")
        return self

    def _build(self) -> RequestSpec:
        path = f"{self._path()}tokens/"
        return RequestSpec.with_json(
            "POST", path, {"permanent": self._permanent}, check=_HOW_TO_CHECK_A_NEW_ONE
        )

    async def _parse(self, response: httpx.Response) -> Token:
        return self._json(response, Token)


class ListSpaces(ListBuilder[Space]):
    """``GET /v1/spaces/?q&limit&offset``: a page of spaces; ``async for`` walks them all."""

    _item: ClassVar[type] = Space
    _q: str | None = None

    def q(self, query: str | None) -> Self:
        """Keep spaces whose name contains ``query`` (None or ``""``: no filter)."""
        self._q = validate.optional_text(query, "q") or None
        return self

    def _build(self) -> RequestSpec:
        query = [("q", self._q)] if self._q else []
        return RequestSpec(method="GET", path=_SPACES, query=[*query, *self._window()])


class AllSpaces(NeuroIOBuilder[list[Space]]):
    """``GET /v1/lists/spaces/``: every space at once, unpaginated."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path="/v1/lists/spaces/")

    async def _parse(self, response: httpx.Response) -> list[Space]:
        body = response.json()
        if isinstance(body, dict):  # tolerate a paginated shape
            body = body.get("results") or []
        return converter.structure(body, list[Space])


class Spaces:
    """``nio.spaces``: factories of the Spaces builders (keyword arguments pre-fill setters)."""

    def __init__(self, client: NeuroIO) -> None:
        self._client = client

    def create(self, name: str | None = None, **params: Unpack[CallParams]) -> CreateSpace:
        """Return a builder creating a space named ``name``."""
        return CreateSpace(self._client, prefill(params, name=name))

    def list(
        self,
        q: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        **params: Unpack[CallParams],
    ) -> ListSpaces:
        """Return a builder listing spaces (awaitable for one page, async-iterable for all)."""
        return ListSpaces(self._client, prefill(params, q=q, limit=limit, offset=offset))

    def get(self, id: int | None = None, **params: Unpack[CallParams]) -> GetSpace:  # noqa: A002
        """Return a builder fetching the space ``id``."""
        return GetSpace(self._client, prefill(params, id=id))

    def update(
        self,
        id: int | None = None,  # noqa: A002 - the API's name
        name: str | None = None,
        **params: Unpack[CallParams],
    ) -> UpdateSpace:
        """Return a builder renaming the space ``id`` (``PATCH``)."""
        return UpdateSpace(self._client, prefill(params, id=id, name=name))

    def replace(
        self,
        id: int | None = None,  # noqa: A002 - the API's name
        name: str | None = None,
        **params: Unpack[CallParams],
    ) -> ReplaceSpace:
        """Return a builder renaming the space ``id`` with ``PUT`` (as neuroio-js does)."""
        return ReplaceSpace(self._client, prefill(params, id=id, name=name))

    def delete(self, id: int | None = None, **params: Unpack[CallParams]) -> DeleteSpace:  # noqa: A002
        """Return a builder deleting the space ``id``."""
        return DeleteSpace(self._client, prefill(params, id=id))

    def token(
        self,
        id: int | None = None,  # noqa: A002 - the API's name
        permanent: bool | None = None,
        **params: Unpack[CallParams],
    ) -> SpaceToken:
        """Return a builder making a token scoped to the space ``id``."""
        return SpaceToken(self._client, prefill(params, id=id, permanent=permanent))
