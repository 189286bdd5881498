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

from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from aiospaces.core.builder import RequestSpec
from aiospaces.core.errors import ValidationError
from aiospaces.neuroio._base import (
    ListBuilder,
    NeuroIOBuilder,
    check_bool,
    json_spec,
    object_id,
)
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

SPACES = "/v1/spaces/"

T = TypeVar("T")


def _name(value: str | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"name is required and must be a non-empty string, not {value!r}")
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationError(f"name is longer than {MAX_NAME_LENGTH} characters")
    return value


class _SpaceById(NeuroIOBuilder[T]):
    """A call on one space, ``/v1/spaces/{id}/``."""

    _id: int | None = None

    def id(self, space_id: int) -> Self:
        """Set the space's id."""
        self._id = space_id
        return self

    def _path(self) -> str:
        return f"{SPACES}{object_id(self._id, 'id')}/"


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

    def _request(self) -> RequestSpec:
        return json_spec("POST", SPACES, {"name": _name(self._name)})

    async def _parse(self, response: httpx.Response) -> Space:
        return self._json(response, Space)


class GetSpace(_OneSpace):
    """``GET /v1/spaces/{id}/``: one space (``NotFoundError`` if there is none)."""

    def _request(self) -> RequestSpec:
        return RequestSpec(method="GET", path=self._path())


class UpdateSpace(_OneSpace):
    """``PATCH /v1/spaces/{id}/``: rename a space."""

    _method: ClassVar[str] = "PATCH"
    _name: str | None = None

    def name(self, name: str) -> Self:
        """Set the new name."""
        self._name = name
        return self

    def _request(self) -> RequestSpec:
        return json_spec(self._method, self._path(), {"name": _name(self._name)})


class ReplaceSpace(UpdateSpace):
    """``PUT /v1/spaces/{id}/``: the same rename, as neuroio-js sends it."""

    _method: ClassVar[str] = "PUT"


class DeleteSpace(_SpaceById[None]):
    """``DELETE /v1/spaces/{id}/``: remove a space (any 2xx is success)."""

    def _request(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._path())

    async def _parse(self, response: httpx.Response) -> None:
        return None


class SpaceToken(_SpaceById[Token]):
    """``POST /v1/spaces/{id}/tokens/``: a token restricted to one space."""

    _permanent = False

    def permanent(self, permanent: bool = True) -> Self:
        """Make a permanent token (at most 5 per space) instead of a 24-hour one."""
        self._permanent = check_bool(permanent, "permanent")
        return self

    def _request(self) -> RequestSpec:
        return json_spec("POST", f"{self._path()}tokens/", {"permanent": self._permanent})

    async def _parse(self, response: httpx.Response) -> Token:
        return self._json(response, Token)


class ListSpaces(ListBuilder[Space]):
    """``GET /v1/spaces/?q&limit&offset``: a page of spaces; ``async for`` walks them all."""

    _item: ClassVar[type] = Space
    _q: str | None = None

    def q(self, query: str | None) -> Self:
        """Keep spaces whose name contains ``query`` (None or ``""``: no filter)."""
        if query is not None and not isinstance(query, str):
            raise ValidationError(f"q must be a string or None, not {query!r}")
        self._q = query or None
        return self

    def _request(self) -> RequestSpec:
        query = [("q", self._q)] if self._q else []
        return RequestSpec(method="GET", path=SPACES, query=[*query, *self._window()])


class AllSpaces(NeuroIOBuilder[list[Space]]):
    """``GET /v1/lists/spaces/``: every space at once, unpaginated."""

    def _request(self) -> RequestSpec:
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

    def create(self, name: str | None = None, **kwargs: Any) -> CreateSpace:
        """Return a builder creating a space named ``name``."""
        return self._client._new(CreateSpace, kwargs, name=name)

    def list(
        self,
        q: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        **kwargs: Any,
    ) -> ListSpaces:
        """Return a builder listing spaces (awaitable for one page, async-iterable for all)."""
        return self._client._new(ListSpaces, kwargs, q=q, limit=limit, offset=offset)

    def get(self, id: int | None = None, **kwargs: Any) -> GetSpace:  # noqa: A002 - API name
        """Return a builder fetching the space ``id``."""
        return self._client._new(GetSpace, kwargs, id=id)

    def update(
        self,
        id: int | None = None,  # noqa: A002 - the API's name
        name: str | None = None,
        **kwargs: Any,
    ) -> UpdateSpace:
        """Return a builder renaming the space ``id`` (``PATCH``)."""
        return self._client._new(UpdateSpace, kwargs, id=id, name=name)

    def replace(
        self,
        id: int | None = None,  # noqa: A002 - the API's name
        name: str | None = None,
        **kwargs: Any,
    ) -> ReplaceSpace:
        """Return a builder renaming the space ``id`` with ``PUT`` (as neuroio-js does)."""
        return self._client._new(ReplaceSpace, kwargs, id=id, name=name)

    def delete(self, id: int | None = None, **kwargs: Any) -> DeleteSpace:  # noqa: A002
        """Return a builder deleting the space ``id``."""
        return self._client._new(DeleteSpace, kwargs, id=id)

    def token(
        self,
        id: int | None = None,  # noqa: A002 - the API's name
        permanent: bool | None = None,
        **kwargs: Any,
    ) -> SpaceToken:
        """Return a builder making a token scoped to the space ``id``."""
        return self._client._new(SpaceToken, kwargs, id=id, permanent=permanent)
