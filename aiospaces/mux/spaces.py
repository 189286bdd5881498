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
from typing import TYPE_CHECKING, Any, Self, TypeVar

from aiospaces.core.builder import RequestSpec
from aiospaces.core.errors import ValidationError
from aiospaces.mux._common import (
    ACCEPT,
    SPACES,
    MuxBuilder,
    MuxList,
    choice,
    path_id,
    post,
    text,
)
from aiospaces.mux.broadcasts import (
    BroadcastRequest,
    CreateSpaceBroadcast,
    DeleteSpaceBroadcast,
    GetSpaceBroadcast,
    StartSpaceBroadcast,
    StopSpaceBroadcast,
)
from aiospaces.mux.models import Space, SpacePage, SpaceType, converter

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from aiospaces.core.client import BaseClient
    from aiospaces.mux.client import Mux

T = TypeVar("T")

__all__ = ["CreateSpace", "DeleteSpace", "GetSpace", "ListSpaces", "Spaces"]


class CreateSpace(MuxBuilder[Space]):
    """``POST /video/v1/spaces`` (201): a new idle space, optionally with broadcasts."""

    def __init__(self, client: BaseClient, **kwargs: Any) -> None:
        self._type: SpaceType | None = None
        self._passthrough: str | None = None
        self._broadcasts: list[BroadcastRequest] | None = None
        super().__init__(client, **kwargs)

    def type(self, type_: SpaceType | str) -> Self:
        """Set the space type (only ``server`` exists)."""
        self._type = choice(SpaceType, type_, "type")
        return self

    def passthrough(self, passthrough: str) -> Self:
        """Set your own data (at most 255 characters)."""
        self._passthrough = text(passthrough, "passthrough")
        return self

    def broadcast(
        self, request: BroadcastRequest | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> Self:
        """Add a broadcast: a [BroadcastRequest][aiospaces.mux.broadcasts.BroadcastRequest],
        a dict, or its fields as keywords (``live_stream_id=...``, ``layout=...``).
        """  # noqa: D205
        if request is not None and fields:
            raise TypeError("pass a BroadcastRequest (or dict) or keyword fields, not both")
        added = BroadcastRequest.of(fields if request is None else request)
        self._broadcasts = [*(self._broadcasts or ()), added]
        return self

    def broadcasts(self, requests: Iterable[BroadcastRequest | Mapping[str, Any]]) -> Self:
        """Replace the broadcasts to create with the space."""
        if isinstance(requests, Mapping | str | bytes):
            raise ValidationError("broadcasts must be a list of BroadcastRequest or dicts")
        self._broadcasts = [BroadcastRequest.of(r) for r in requests]
        return self

    def _build(self) -> RequestSpec:
        payload: dict[str, Any] = {}
        if self._type is not None:
            payload["type"] = str(self._type)
        if self._passthrough is not None:
            payload["passthrough"] = self._passthrough
        if self._broadcasts is not None:
            payload["broadcasts"] = [b.to_wire() for b in self._broadcasts]
        return post(SPACES, payload)

    async def _parse(self, response: httpx.Response) -> Space:
        return self._structure(response, Space)


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
        return RequestSpec(method="GET", path=self._path(), headers=ACCEPT)

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
        return RequestSpec(method="GET", path=SPACES, query=self._paging(), headers=ACCEPT)

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

    def create(self, **kwargs: Any) -> CreateSpace:
        """Return a builder creating a space."""
        return self._client.create_space(**kwargs)

    def list(self, **kwargs: Any) -> ListSpaces:
        """Return a builder listing spaces (awaitable for a page, async-iterable for all)."""
        return self._client.list_spaces(**kwargs)

    def get(self, space_id: str | None = None, **kwargs: Any) -> GetSpace:
        """Return a builder fetching a space."""
        return self._client.get_space(space_id, **kwargs)

    def delete(self, space_id: str | None = None, **kwargs: Any) -> DeleteSpace:
        """Return a builder deleting an idle space."""
        return self._client.delete_space(space_id, **kwargs)

    def create_broadcast(self, space_id: str | None = None, **kwargs: Any) -> CreateSpaceBroadcast:
        """Return a builder adding a broadcast to a space."""
        return self._client.create_space_broadcast(space_id, **kwargs)

    def get_broadcast(
        self, space_id: str | None = None, broadcast_id: str | None = None, **kwargs: Any
    ) -> GetSpaceBroadcast:
        """Return a builder fetching a broadcast."""
        return self._client.get_space_broadcast(space_id, broadcast_id, **kwargs)

    def delete_broadcast(
        self, space_id: str | None = None, broadcast_id: str | None = None, **kwargs: Any
    ) -> DeleteSpaceBroadcast:
        """Return a builder deleting an idle broadcast."""
        return self._client.delete_space_broadcast(space_id, broadcast_id, **kwargs)

    def start_broadcast(
        self, space_id: str | None = None, broadcast_id: str | None = None, **kwargs: Any
    ) -> StartSpaceBroadcast:
        """Return a builder starting a broadcast (the space must be active)."""
        return self._client.start_space_broadcast(space_id, broadcast_id, **kwargs)

    def stop_broadcast(
        self, space_id: str | None = None, broadcast_id: str | None = None, **kwargs: Any
    ) -> StopSpaceBroadcast:
        """Return a builder stopping a broadcast."""
        return self._client.stop_space_broadcast(space_id, broadcast_id, **kwargs)
