"""Spaces: create, list, get and delete (``/video/v1/spaces``), plus the ``mux.spaces`` group.

```python
space = await mux.create_space().passthrough("p").broadcast(live_stream_id=stream.id)
space = await mux.spaces.create(type="server")             # the same, keyword style
async for space in mux.list_spaces(limit=50):              # walks every page
    ...
```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, Unpack

from aiospaces.core import validate
from aiospaces.core.builder import CallParams, Envelope, prefill
from aiospaces.core.errors import AmbiguousResultError, ValidationError
from aiospaces.core.request import RequestSpec
from aiospaces.mux._base import (
    ACCEPT,
    SPACES,
    ListParams,
    MuxBuilder,
    MuxList,
    find_by_passthrough,
    get,
    path_id,
    post,
    text,
)
from aiospaces.mux.broadcasts import (
    BroadcastFields,
    BroadcastRequest,
    CreateSpaceBroadcast,
    CreateSpaceBroadcastParams,
    DeleteSpaceBroadcast,
    GetSpaceBroadcast,
    StartSpaceBroadcast,
    StopSpaceBroadcast,
)
from aiospaces.mux.models import Space, SpacePage, SpaceType, converter

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from aiospaces.mux.client import Mux

T = TypeVar("T")

__all__ = [
    "CreateSpace",
    "CreateSpaceParams",
    "DeleteSpace",
    "GetSpace",
    "ListSpaces",
    "Spaces",
]


class CreateSpaceParams(CallParams, total=False):
    """Keywords of ``create_space`` (its setters)."""

    type: SpaceType | str
    passthrough: str
    broadcast: BroadcastRequest | Mapping[str, Any]
    broadcasts: Iterable[BroadcastRequest | Mapping[str, Any]]


class CreateSpace(MuxBuilder[Space]):
    """``POST /video/v1/spaces`` (201): a new idle space, optionally with broadcasts."""

    _type: SpaceType | None = None
    _passthrough: str | None = None
    _broadcasts: tuple[BroadcastRequest, ...] | None = None

    def type(self, type_: SpaceType | str) -> Self:
        """Set the space type (only ``server`` exists)."""
        self._type = validate.choice(SpaceType, type_, "type")
        return self

    def passthrough(self, passthrough: str) -> Self:
        """Set your own data (at most 255 characters)."""
        self._passthrough = text(passthrough, "passthrough")
        return self

    def broadcast(
        self,
        request: BroadcastRequest | Mapping[str, Any] | None = None,
        /,
        **fields: Unpack[BroadcastFields],
    ) -> Self:
        """Add a broadcast: a [BroadcastRequest][aiospaces.mux.broadcasts.BroadcastRequest],
        a dict, or its fields as keywords (``live_stream_id=...``, ``layout=...``).
        """  # noqa: D205
        if request is not None and fields:
            raise TypeError("pass a BroadcastRequest (or dict) or keyword fields, not both")
        added = BroadcastRequest.of(fields if request is None else request)
        self._broadcasts = (*(self._broadcasts or ()), added)
        return self

    def broadcasts(self, requests: Iterable[BroadcastRequest | Mapping[str, Any]]) -> Self:
        """Replace the broadcasts to create with the space."""
        if not isinstance(requests, Iterable) or isinstance(requests, Mapping | str | bytes):
            raise ValidationError("broadcasts must be a list of BroadcastRequest or dicts")
        self._broadcasts = tuple(BroadcastRequest.of(r) for r in requests)
        return self

    def _build(self) -> RequestSpec:
        payload: dict[str, Any] = {}
        if self._type is not None:
            payload["type"] = str(self._type)
        if self._passthrough is not None:
            payload["passthrough"] = self._passthrough
        if self._broadcasts is not None:
            payload["broadcasts"] = [b.to_wire() for b in self._broadcasts]
        return post(SPACES, payload, check="list the spaces and look for the passthrough you set")

    async def _parse(self, response: httpx.Response) -> Space:
        return self._structure(response, Space)

    async def _reconcile(self, error: AmbiguousResultError) -> Envelope[Space]:
        """Find the space by the passthrough set on it, when there is one."""
        listing = ListSpaces(self._client, {"limit": 100})._quiet()
        return await find_by_passthrough(listing, self._passthrough, error)


class _SpaceTarget(MuxBuilder[T]):
    _space_id: str | None = None

    def space_id(self, space_id: str) -> Self:
        """Set the space."""
        self._space_id = space_id
        return self

    def _path(self) -> str:
        return f"{SPACES}/{path_id(self._space_id, 'space_id')}"


class GetSpace(_SpaceTarget[Space]):
    """``GET /video/v1/spaces/{SPACE_ID}``."""

    def _build(self) -> RequestSpec:
        return get(self._path())

    async def _parse(self, response: httpx.Response) -> Space:
        return self._structure(response, Space)


class DeleteSpace(_SpaceTarget[None]):
    """``DELETE /video/v1/spaces/{SPACE_ID}`` (204); only an idle space can be deleted."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._path(), headers=ACCEPT)

    async def _parse(self, response: httpx.Response) -> None:
        return None


class ListSpaces(MuxList[SpacePage, Space]):
    """``GET /video/v1/spaces``: one page when awaited, every space with ``async for``."""

    def _build(self) -> RequestSpec:
        return get(SPACES, self._paging())

    async def _parse(self, response: httpx.Response) -> SpacePage:
        data = converter.structure(self._data(response), list[Space])
        return SpacePage(data=data, page=self._page_number)

    def _items(self, page: SpacePage) -> Sequence[Space]:
        return page.data


class Spaces:
    """The Spaces calls grouped as ``mux.spaces`` (names as in Mux's Node SDK).

    Every method returns the same builder as the flat ``mux.*_space*`` factories.
    """

    def __init__(self, client: Mux) -> None:
        self._client = client

    def create(self, **params: Unpack[CreateSpaceParams]) -> CreateSpace:
        """Return a builder creating a space."""
        return CreateSpace(self._client, params)

    def list(self, **params: Unpack[ListParams]) -> ListSpaces:
        """Return a builder listing spaces (awaitable for a page, async-iterable for all)."""
        return ListSpaces(self._client, params)

    def get(self, space_id: str | None = None, **params: Unpack[CallParams]) -> GetSpace:
        """Return a builder fetching a space."""
        return GetSpace(self._client, prefill(params, space_id=space_id))

    def delete(self, space_id: str | None = None, **params: Unpack[CallParams]) -> DeleteSpace:
        """Return a builder deleting an idle space."""
        return DeleteSpace(self._client, prefill(params, space_id=space_id))

    def create_broadcast(
        self, space_id: str | None = None, **params: Unpack[CreateSpaceBroadcastParams]
    ) -> CreateSpaceBroadcast:
        """Return a builder adding a broadcast to a space (``live_stream_id`` required)."""
        return CreateSpaceBroadcast(self._client, prefill(params, space_id=space_id))

    def get_broadcast(
        self,
        space_id: str | None = None,
        broadcast_id: str | None = None,
        **params: Unpack[CallParams],
    ) -> GetSpaceBroadcast:
        """Return a builder fetching a broadcast."""
        ids = prefill(params, space_id=space_id, broadcast_id=broadcast_id)
        return GetSpaceBroadcast(self._client, ids)

    def delete_broadcast(
        self,
        space_id: str | None = None,
        broadcast_id: str | None = None,
        **params: Unpack[CallParams],
    ) -> DeleteSpaceBroadcast:
        """Return a builder deleting an idle broadcast."""
        ids = prefill(params, space_id=space_id, broadcast_id=broadcast_id)
        return DeleteSpaceBroadcast(self._client, ids)

    def start_broadcast(
        self,
        space_id: str | None = None,
        broadcast_id: str | None = None,
        **params: Unpack[CallParams],
    ) -> StartSpaceBroadcast:
        """Return a builder starting a broadcast (the space must be active)."""
        ids = prefill(params, space_id=space_id, broadcast_id=broadcast_id)
        return StartSpaceBroadcast(self._client, ids)

    def stop_broadcast(
        self,
        space_id: str | None = None,
        broadcast_id: str | None = None,
        **params: Unpack[CallParams],
    ) -> StopSpaceBroadcast:
        """Return a builder stopping a broadcast (Mux then completes its live stream)."""
        ids = prefill(params, space_id=space_id, broadcast_id=broadcast_id)
        return StopSpaceBroadcast(self._client, ids)
