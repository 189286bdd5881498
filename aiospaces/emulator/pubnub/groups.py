"""PubNub channel groups (``/v1/channel-registration``): what ``channel-group`` subscribes to.

| method | path | does |
|---|---|---|
| GET | ``.../channel-group/{group}?add=a,b`` | add channels to a group (made on first use) |
| GET | ``.../channel-group/{group}?remove=a,b`` | remove channels from it |
| GET | ``.../channel-group/{group}`` | list its channels |
| GET | ``.../channel-group/{group}/remove`` | delete the group |
| GET | ``.../channel-group`` | list the groups |

under ``/v1/channel-registration/sub-key/{sub}``. Changes answer
``{"error": false, "message": "OK", "service": "channel-registry", "status": 200}``; lists
answer ``{"error": false, "payload": {...}, "service": "channel-registry", "status": 200}``,
the list of groups ``{"groups": [...], "namespace": ""}``: JSON sent as
``application/json``, its keys in order, as production answers since 2024 (before, it sent
the same keys as ``text/javascript``). A group holds at most
[MAX_GROUP_CHANNELS][aiospaces.emulator.pubnub.groups.MAX_GROUP_CHANNELS] channels; a
subscriber to a group receives what is published to its channels at the time of publishing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import Route

from aiospaces.emulator._http import answering_errors
from aiospaces.emulator.pubnub.answers import NO_CACHE, RealtimeError, admit

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from aiospaces.emulator.pubnub.state import Keysets
    from aiospaces.emulator.pubnub.stream import Streams

__all__ = ["MAX_GROUP_CHANNELS", "group_routes"]

MAX_GROUP_CHANNELS = 2000
"""The most channels a channel group holds."""
_SERVICE = "channel-registry"


def _answer(payload: Any = None) -> Response:
    body: dict[str, Any] = {"error": False}
    body |= {"message": "OK"} if payload is None else {"payload": payload}
    text = json.dumps(body | {"service": _SERVICE, "status": 200}, separators=(",", ":"))
    return Response(text, media_type="application/json", headers=NO_CACHE)


def _names(raw: str | None) -> list[str]:
    return [name for name in (raw or "").split(",") if name]


def group_routes(keysets: Keysets, streams: Streams) -> list[BaseRoute]:
    """Return the channel-registration routes over the groups of ``streams``."""

    async def one_group(request: Request) -> Response:
        keyset = await admit(keysets, request, groups=[request.path_params["group"]])
        groups = streams.stream(keyset.subscribe_key).groups
        name = request.path_params["group"]
        params = request.query_params
        if "add" not in params and "remove" not in params:
            return _answer({"channels": sorted(groups.get(name, ())), "group": name})
        added, removed = _names(params.get("add")), _names(params.get("remove"))
        if not added and not removed:
            raise RealtimeError(400, "No channels specified", shape="service", service=_SERVICE)
        channels = groups.get(name, set()) | set(added)
        channels.difference_update(removed)
        if len(channels) > MAX_GROUP_CHANNELS:
            message = f"A channel group holds at most {MAX_GROUP_CHANNELS} channels"
            raise RealtimeError(400, message, shape="service", service=_SERVICE)
        if channels:
            groups[name] = channels
        else:
            groups.pop(name, None)
        return _answer()

    async def remove_group(request: Request) -> Response:
        keyset = await admit(keysets, request, groups=[request.path_params["group"]])
        streams.stream(keyset.subscribe_key).groups.pop(request.path_params["group"], None)
        return _answer()

    async def list_groups(request: Request) -> Response:
        keyset = await admit(keysets, request)
        names = sorted(streams.stream(keyset.subscribe_key).groups)
        return _answer({"groups": names, "namespace": ""})

    base = "/v1/channel-registration/sub-key/{sub}/channel-group"
    return [
        Route(base, answering_errors(list_groups), methods=["GET"]),
        Route(base + "/{group}", answering_errors(one_group), methods=["GET"]),
        Route(base + "/{group}/remove", answering_errors(remove_group), methods=["GET"]),
    ]
