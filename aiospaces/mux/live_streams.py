"""Live streams, as far as broadcasts need them: create, get, list, delete, complete.

```python
stream = await mux.create_live_stream().playback_policy("public").latency_mode("low")
await mux.live_streams.complete(stream.id)        # PUT .../complete: end the recording now
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
    LIVE_STREAMS,
    ListParams,
    MuxBuilder,
    MuxCreate,
    MuxList,
    find_by_passthrough,
    get,
    path_id,
    post,
    text,
)
from aiospaces.mux.models import LiveStream, LiveStreamPage, LiveStreamStatus, converter

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from aiospaces.mux.client import Mux

__all__ = [
    "LATENCY_MODES",
    "PLAYBACK_POLICIES",
    "CompleteLiveStream",
    "CreateLiveStream",
    "CreateLiveStreamParams",
    "DeleteLiveStream",
    "GetLiveStream",
    "ListLiveStreams",
    "ListLiveStreamsParams",
    "LiveStreams",
]

T = TypeVar("T")

PLAYBACK_POLICIES = ("public", "signed", "drm")
"""Playback policies a live stream's playback ids can have."""
LATENCY_MODES = ("low", "reduced", "standard")
"""Latency modes of a live stream."""


class CreateLiveStreamParams(CallParams, total=False):
    """Keywords of ``create_live_stream`` (its setters)."""

    playback_policy: str | Iterable[str]
    new_asset_settings: Mapping[str, Any]
    passthrough: str
    latency_mode: str
    reconnect_window: float
    max_continuous_duration: int
    test: bool
    audio_only: bool


class CreateLiveStream(MuxCreate[LiveStream]):
    """``POST /video/v1/live-streams`` (201)."""

    def playback_policy(self, *policies: str | Iterable[str]) -> Self:
        """Give the stream playback ids with these policies (``public``, ``signed``, ``drm``)."""
        flat: list[str] = []
        for policy in policies:
            if isinstance(policy, str):
                flat.append(policy)
            elif isinstance(policy, Iterable) and not isinstance(policy, bytes | Mapping):
                flat.extend(policy)
            else:
                raise ValidationError(
                    f"playback_policy takes policies or a list of them, not {type(policy).__name__}"
                )
        for policy in flat:
            validate.one_of(policy, "playback_policy", PLAYBACK_POLICIES)
        return self._set("playback_policy", flat)

    def new_asset_settings(self, settings: Mapping[str, Any]) -> Self:
        """Set the settings of the assets the stream records (``{"playback_policy": [...]}``)."""
        if not isinstance(settings, Mapping):
            raise ValidationError("new_asset_settings must be a dict")
        validate.json_value(dict(settings), "new_asset_settings")
        return self._set("new_asset_settings", dict(settings))

    def passthrough(self, passthrough: str) -> Self:
        """Set your own data (at most 255 characters)."""
        return self._set("passthrough", text(passthrough, "passthrough"))

    def latency_mode(self, mode: str) -> Self:
        """Set ``low``, ``reduced`` or ``standard`` latency."""
        return self._set("latency_mode", validate.one_of(mode, "latency_mode", LATENCY_MODES))

    def reconnect_window(self, seconds: float) -> Self:
        """Set how long Mux waits for the encoder to reconnect (0 to 1800 s)."""
        validate.number(seconds, "reconnect_window", minimum=0, maximum=1800)
        return self._set("reconnect_window", seconds)

    def max_continuous_duration(self, seconds: int) -> Self:
        """Set the longest continuous stream (60 to 43200 s)."""
        validate.integer(seconds, "max_continuous_duration", minimum=60, maximum=43200)
        return self._set("max_continuous_duration", seconds)

    def test(self, test: bool = True) -> Self:
        """Make it a test live stream (free, limited to 5 minutes, watermarked)."""
        return self._set("test", validate.boolean(test, "test"))

    def audio_only(self, audio_only: bool = True) -> Self:
        """Accept audio only."""
        return self._set("audio_only", validate.boolean(audio_only, "audio_only"))

    def _build(self) -> RequestSpec:
        return post(
            LIVE_STREAMS,
            dict(self._fields),
            check="list the live streams and look for the passthrough you set",
        )

    async def _reconcile(self, error: AmbiguousResultError) -> Envelope[LiveStream]:
        """Find the live stream by the passthrough set on it, when there is one."""
        listing = ListLiveStreams(self._client, {"limit": 100})._quiet()
        passthrough = self._fields.get("passthrough")
        return await find_by_passthrough(listing, str(passthrough) if passthrough else None, error)

    async def _parse(self, response: httpx.Response) -> LiveStream:
        return self._structure(response, LiveStream)


class _LiveStreamTarget(MuxBuilder[T]):
    _live_stream_id: str | None = None

    def live_stream_id(self, live_stream_id: str) -> Self:
        """Set the live stream."""
        self._live_stream_id = live_stream_id
        return self

    def _path(self, suffix: str = "") -> str:
        return f"{LIVE_STREAMS}/{path_id(self._live_stream_id, 'live_stream_id')}{suffix}"


class GetLiveStream(_LiveStreamTarget[LiveStream]):
    """``GET /video/v1/live-streams/{LIVE_STREAM_ID}``."""

    def _build(self) -> RequestSpec:
        return get(self._path())

    async def _parse(self, response: httpx.Response) -> LiveStream:
        return self._structure(response, LiveStream)


class DeleteLiveStream(_LiveStreamTarget[None]):
    """``DELETE /video/v1/live-streams/{LIVE_STREAM_ID}`` (204)."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._path(), headers=ACCEPT)

    async def _parse(self, response: httpx.Response) -> None:
        return None


class CompleteLiveStream(_LiveStreamTarget[None]):
    """``PUT .../complete``: end the stream's recording now (what stopping a broadcast does)."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="PUT", path=self._path("/complete"), headers=ACCEPT)

    async def _parse(self, response: httpx.Response) -> None:
        return None


class ListLiveStreamsParams(ListParams, total=False):
    """Keywords of ``list_live_streams`` (its setters)."""

    status: LiveStreamStatus | str
    stream_key: str


class ListLiveStreams(MuxList[LiveStreamPage, LiveStream]):
    """``GET /video/v1/live-streams``: one page when awaited, every stream with ``async for``."""

    _status: LiveStreamStatus | None = None
    _stream_key: str | None = None

    def status(self, status: LiveStreamStatus | str) -> Self:
        """Keep live streams in this state."""
        self._status = validate.choice(LiveStreamStatus, status, "status")
        return self

    def stream_key(self, stream_key: str) -> Self:
        """Keep the live stream with this stream key."""
        self._stream_key = text(stream_key, "stream_key")
        return self

    def _build(self) -> RequestSpec:
        query = self._paging()
        if self._stream_key is not None:
            query.append(("stream_key", self._stream_key))
        if self._status is not None:
            query.append(("status", str(self._status)))
        return get(LIVE_STREAMS, query)

    async def _parse(self, response: httpx.Response) -> LiveStreamPage:
        data = converter.structure(self._data(response), list[LiveStream])
        return LiveStreamPage(data=data, page=self._page_number)

    def _items(self, page: LiveStreamPage) -> Sequence[LiveStream]:
        return page.data


class LiveStreams:
    """The live-stream calls grouped as ``mux.live_streams``."""

    def __init__(self, client: Mux) -> None:
        self._client = client

    def create(self, **params: Unpack[CreateLiveStreamParams]) -> CreateLiveStream:
        """Return a builder creating a live stream."""
        return CreateLiveStream(self._client, params)

    def list(self, **params: Unpack[ListLiveStreamsParams]) -> ListLiveStreams:
        """Return a builder listing live streams (awaitable for a page, async-iterable for all)."""
        return ListLiveStreams(self._client, params)

    def get(self, live_stream_id: str | None = None, **params: Unpack[CallParams]) -> GetLiveStream:
        """Return a builder fetching a live stream."""
        return GetLiveStream(self._client, prefill(params, live_stream_id=live_stream_id))

    def delete(
        self, live_stream_id: str | None = None, **params: Unpack[CallParams]
    ) -> DeleteLiveStream:
        """Return a builder deleting a live stream."""
        return DeleteLiveStream(self._client, prefill(params, live_stream_id=live_stream_id))

    def complete(
        self, live_stream_id: str | None = None, **params: Unpack[CallParams]
    ) -> CompleteLiveStream:
        """Return a builder signalling a live stream complete (``PUT .../complete``)."""
        return CompleteLiveStream(self._client, prefill(params, live_stream_id=live_stream_id))
