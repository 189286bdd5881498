"""PubNub Message Persistence: fetch messages, message counts and delete, over stored messages.

| method | path (under ``/v3``) | answers |
|---|---|---|
| GET | ``/history/sub-key/{sub}/channel/{ch1,ch2}`` | ``{..., "channels": {ch: [items]}}`` |
| GET | ``/history-with-actions/sub-key/{sub}/channel/{ch}`` | the same, one channel |
| GET | ``/history/sub-key/{sub}/message-counts/{ch1,ch2}`` | ``{..., "channels": {ch: count}}`` |
| DELETE | ``/history/sub-key/{sub}/channel/{ch}`` | ``{"status", "error", "error_message"}`` |

where ``...`` is ``"status": 200, "error": false, "error_message": ""``.

Fetch returns, per channel, the newest ``max`` stored messages with ``end <= timetoken < start``
(``start`` exclusive, ``end`` inclusive), oldest first, each
``{"message", "timetoken": "<17 digits>"}`` plus ``meta`` (``""`` when none) with
``include_meta=true``, ``message_type`` (``null`` for a message, ``4`` for a file message) with
``include_message_type=true``, ``uuid`` with ``include_uuid=true`` and
``custom_message_type`` (when it has one) with ``include_custom_message_type=true``. ``max``
defaults to and is capped at 100 for one channel, 25 for several or with actions. Channels
without messages are left out; channel keys are percent-encoded unless
``encode_channels=false``. No message actions are kept, so items carry no ``actions``.

Counts are of messages with a timetoken at or after ``timetoken`` (for every channel) or each
of ``channelsTimetoken`` (one per channel, in order); the answer's ``more`` names, per channel,
``{"url": "/v3/history/sub-key/{sub}/message-counts/{ch}?timetoken=...", "is_more": false}``
(as production answers since 2019). Delete removes ``start < timetoken <= end``;
in strict mode it needs a keyset with a secret key (production needs a signed request).
Storage honours ``store=0`` and ``ttl`` (hours) of each publish.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from operator import attrgetter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.routing import Route

from aiospaces.emulator._http import answering_errors
from aiospaces.emulator._parse import ascii_int
from aiospaces.emulator.pubnub.answers import (
    RealtimeError,
    admit,
    javascript,
    path_names,
    query_flag,
)
from aiospaces.emulator.pubnub.stream import MESSAGE

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from aiospaces.emulator.pubnub.state import Keysets
    from aiospaces.emulator.pubnub.stream import Record, Streams

__all__ = ["MAX_MANY", "MAX_ONE", "history_routes"]

MAX_ONE = 100
"""The default and largest ``max`` for one channel."""
MAX_MANY = 25
"""The default and largest ``max`` for several channels, or with actions."""
_timetoken = attrgetter("timetoken")
_INCLUDES = ("meta", "message_type", "uuid", "custom_message_type")
_OK: dict[str, Any] = {"status": 200, "error": False, "error_message": ""}


def _invalid(message: str, status: int = 400) -> RealtimeError:
    return RealtimeError(status, message, shape="history")


def _channels(request: Request) -> list[str]:
    names = list(dict.fromkeys(path_names(request, 6)))  # /v3/history/sub-key/{sub}/.../{names}
    if not names:
        raise _invalid("No channels specified")
    return names


def _timetoken_param(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    value = ascii_int(raw)
    if value is None:
        raise _invalid(f"Invalid {name}")
    return value


def _flag(params: QueryParams, name: str, *, default: bool = False) -> bool:
    value = query_flag(params.get(name), default=default)
    if value is None:
        raise _invalid(f"Invalid {name}")
    return value


def _item(record: Record, include: frozenset[str]) -> dict[str, Any]:
    options = record.options
    item: dict[str, Any] = {"message": record.payload, "timetoken": str(record.timetoken)}
    if "message_type" in include:
        item["message_type"] = None if record.message_type == MESSAGE else record.message_type
    if "uuid" in include and options.publisher is not None:
        item["uuid"] = options.publisher
    if "meta" in include:
        item["meta"] = "" if options.meta is None else options.meta
    if "custom_message_type" in include and options.custom_message_type is not None:
        item["custom_message_type"] = options.custom_message_type
    return item


def _window(records: list[Record], start: int | None, end: int | None) -> tuple[int, int]:
    """Return the index range of ``end <= timetoken < start`` in timetoken-ordered records."""
    low = 0 if end is None else bisect_left(records, end, key=_timetoken)
    high = len(records) if start is None else bisect_left(records, start, key=_timetoken)
    return low, max(low, high)


def history_routes(keysets: Keysets, streams: Streams) -> list[BaseRoute]:
    """Return the fetch, fetch-with-actions, message-count and delete routes over ``streams``."""

    async def fetch(request: Request) -> Response:
        channels = _channels(request)
        keyset = await admit(keysets, request, channels=channels)
        with_actions = request.url.path.startswith("/v3/history-with-actions/")
        if with_actions and len(channels) > 1:
            raise _invalid("Only one channel is allowed with message actions")
        params = request.query_params
        cap = MAX_ONE if len(channels) == 1 and not with_actions else MAX_MANY
        wanted = cap if params.get("max") is None else ascii_int(params["max"])
        if wanted is None:
            raise _invalid("Invalid max")
        count = min(max(wanted, 1), cap)
        start, end = _timetoken_param(params, "start"), _timetoken_param(params, "end")
        encode = _flag(params, "encode_channels", default=True)
        include = frozenset(name for name in _INCLUDES if _flag(params, f"include_{name}"))
        stream = streams.stream(keyset.subscribe_key)
        found: dict[str, list[dict[str, Any]]] = {}
        for channel in channels:
            records = stream.stored(channel)
            low, high = _window(records, start, end)
            page = records[max(low, high - count) : high]
            if page:
                key = quote(channel, safe="") if encode else channel
                found[key] = [_item(record, include) for record in page]
        return javascript(_OK | {"channels": found})

    async def counts(request: Request) -> Response:
        channels = _channels(request)
        keyset = await admit(keysets, request, channels=channels)
        params = request.query_params
        if params.get("timetoken") is not None:
            raw = [params["timetoken"]] * len(channels)
        else:
            raw = (params.get("channelsTimetoken") or "").split(",")
        since = [ascii_int(value) for value in raw]
        if len(since) != len(channels) or any(value is None for value in since):
            raise _invalid("Invalid timetoken or channelsTimetoken: one timetoken per channel")
        stream = streams.stream(keyset.subscribe_key)
        result, more = {}, {}
        base = f"/v3/history/sub-key/{quote(keyset.subscribe_key, safe='')}/message-counts/"
        for channel, after in zip(channels, since, strict=True):
            records = stream.stored(channel)
            result[channel] = len(records) - bisect_left(records, after or 0, key=_timetoken)
            url = f"{base}{quote(channel, safe='')}?timetoken={after}"
            more[channel] = {"url": url, "is_more": False}
        return javascript(_OK | {"channels": result, "more": more})

    async def delete(request: Request) -> Response:
        keyset = await admit(keysets, request, channels=_channels(request))
        if keysets.context.strict and not keyset.secret_key:
            raise _invalid("Delete needs a keyset with a secret key (signed requests)", 403)
        params = request.query_params
        start, end = _timetoken_param(params, "start"), _timetoken_param(params, "end")
        stream = streams.stream(keyset.subscribe_key)
        for channel in _channels(request):
            records = stream.stored(channel)
            low = 0 if start is None else bisect_right(records, start, key=_timetoken)
            high = len(records) if end is None else bisect_right(records, end, key=_timetoken)
            del records[low:high]
        return javascript(_OK)

    history = "/v3/history/sub-key/{sub}"
    return [
        Route(history + "/channel/{channels}", answering_errors(fetch), methods=["GET"]),
        Route(history + "/channel/{channels}", answering_errors(delete), methods=["DELETE"]),
        Route(
            "/v3/history-with-actions/sub-key/{sub}/channel/{channels}",
            answering_errors(fetch),
            methods=["GET"],
        ),
        Route(history + "/message-counts/{channels}", answering_errors(counts), methods=["GET"]),
    ]
