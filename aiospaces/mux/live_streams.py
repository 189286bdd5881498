"""Live streams, as far as broadcasts need them: create, get, list, delete, complete.

```python
stream = await mux.create_live_stream().playback_policy("public").latency_mode("low")
await mux.live_streams.complete(stream.id)        # PUT .../complete: end the recording now
```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from aiospaces.core.builder import RequestSpec
from aiospaces.core.errors import ValidationError
from aiospaces.mux._common import (
    ACCEPT,
    LIVE_STREAMS,
    MuxBuilder,
    MuxCreate,
    MuxList,
    choice,
    path_id,
    positive,
    post,
    text,
)
from aiospaces.mux.models import LiveStream, LiveStreamPage, LiveStreamStatus, converter

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from aiospaces.mux.client import Mux

__all__ = [
    "CompleteLiveStream",
    "CreateLiveStream",
    "DeleteLiveStream",
    "GetLiveStream",
    "ListLiveStreams",
    "LiveStreams",
]

T = TypeVar("T")

PLAYBACK_POLICIES = ("public", "signed", "drm")
LATENCY_MODES = ("low", "reduced", "standard")


class CreateLiveStream(MuxCreate[LiveStream]):
    """``POST /video/v1/live-streams`` (201)."""

    def playback_policy(self, *policies: str | Iterable[str]) -> Self:
        """Give the stream playback ids with these policies (``public``, ``signed``, ``drm``)."""
        flat: list[str] = []
        for policy in policies:
            flat.extend([policy] if isinstance(policy, str) else policy)
        for policy in flat:
            if policy not in PLAYBACK_POLICIES:
                raise ValidationError(
                    f"playback_policy must be one of {', '.join(PLAYBACK_POLICIES)}, not {policy!r}"
                )
        return self._set("playback_policy", flat)

    def new_asset_settings(self, settings: Mapping[str, Any]) -> Self:
        """Set the settings of the assets the stream records (``{"playback_policy": [...]}``)."""
        if not isinstance(settings, Mapping):
            raise ValidationError("new_asset_settings must be a dict")
        return self._set("new_asset_settings", dict(settings))

    def passthrough(self, passthrough: str) -> Self:
        """Set your own data (at most 255 characters)."""
        return self._set("passthrough", text(passthrough, "passthrough"))

    def latency_mode(self, mode: str) -> Self:
        """Set ``low``, ``reduced`` or ``standard`` latency."""
        if mode not in LATENCY_MODES:
            raise ValidationError(
                f"latency_mode must be one of {', '.join(LATENCY_MODES)}, not {mode!r}"
            )
        return self._set("latency_mode", mode)

    def reconnect_window(self, seconds: float) -> Self:
        """Set how long Mux waits for the encoder to reconnect (0 to 1800 s)."""
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise ValidationError(f"reconnect_window must be a number, not {seconds!r}")
        if not 0 <= seconds <= 1800:
            raise ValidationError(f"reconnect_window must be 0 to 1800 s, not {seconds!r}")
        return self._set("reconnect_window", seconds)

    def max_continuous_duration(self, seconds: int) -> Self:
        """Set the longest continuous stream (60 to 43200 s)."""
        positive(seconds, "max_continuous_duration", 43200)
        if seconds < 60:
            raise ValidationError("max_continuous_duration must be at least 60 s")
        return self._set("max_continuous_duration", seconds)

    def test(self, test: bool = True) -> Self:
        """Make it a test live stream (free, limited to 5 minutes, watermarked)."""
        return self._set("test", bool(test))

    def audio_only(self, audio_only: bool = True) -> Self:
        """Accept audio only."""
        return self._set("audio_only", bool(audio_only))

    def _build(self) -> RequestSpec:
        return post(LIVE_STREAMS, dict(self._fields))

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
        return RequestSpec(method="GET", path=self._path(), headers=ACCEPT)

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


class ListLiveStreams(MuxList[LiveStreamPage, LiveStream]):
    """``GET /video/v1/live-streams``: one page when awaited, every stream with ``async for``."""

    _status: LiveStreamStatus | None = None
    _stream_key: str | None = None

    def status(self, status: LiveStreamStatus | str) -> Self:
        """Keep live streams in this state."""
        self._status = choice(LiveStreamStatus, status, "status")
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
        return RequestSpec(method="GET", path=LIVE_STREAMS, query=query, headers=ACCEPT)

    async def _parse(self, response: httpx.Response) -> LiveStreamPage:
        data = converter.structure(self._data(response), list[LiveStream])
        return LiveStreamPage(data=data, page=self._page_number)

    def _items(self, page: LiveStreamPage) -> Sequence[LiveStream]:
        return page.data


class LiveStreams:
    """The live-stream calls grouped as ``mux.live_streams``."""

    def __init__(self, client: Mux) -> None:
        self._client = client

    def create(self, **kwargs: Any) -> CreateLiveStream:
        """Return a builder creating a live stream."""
        return self._client.create_live_stream(**kwargs)

    def list(self, **kwargs: Any) -> ListLiveStreams:
        """Return a builder listing live streams."""
        return self._client.list_live_streams(**kwargs)

    def get(self, live_stream_id: str | None = None, **kwargs: Any) -> GetLiveStream:
        """Return a builder fetching a live stream."""
        return self._client.get_live_stream(live_stream_id, **kwargs)

    def delete(self, live_stream_id: str | None = None, **kwargs: Any) -> DeleteLiveStream:
        """Return a builder deleting a live stream."""
        return self._client.delete_live_stream(live_stream_id, **kwargs)

    def complete(self, live_stream_id: str | None = None, **kwargs: Any) -> CompleteLiveStream:
        """Return a builder signalling that a live stream is complete."""
        return self._client.complete_live_stream(live_stream_id, **kwargs)
