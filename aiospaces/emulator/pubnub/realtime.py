"""PubNub's subscribe long-poll, presence heartbeat/leave and time, and every realtime route.

``GET /v2/subscribe/{sub}/{channels}/0`` follows the protocol:

- the handshake (``tt=0`` or no ``tt``) answers at once ``{"t":{"t":"<now>","r":42},"m":[]}``;
- a later poll (``tt=<t.t>``) answers as soon as a message newer than ``tt`` is on one of its
  channels (names, ``a.*`` wildcards, or the channels of its ``channel-group`` groups), with
  up to 100 messages and ``t.t`` the last one's timetoken; with nothing to deliver it answers
  ``m: []`` and the current timetoken after the emulator's ``subscribe_timeout`` (280 s by
  default, as production; clients wait 310 s);
- a ``tt`` newer than any timetoken the emulator handed out is taken as "now";
- ``filter-expr`` is applied to every message
  ([message_filter][aiospaces.emulator.pubnub.message_filter]; a 400 for what it cannot read).
  With a secret key it is signed like any parameter (its decoded value, encoded once); the
  official SDK's legacy manager signs it encoded twice and is refused (production unverified);
- ``tt`` and ``tr`` must be digits (else 400); ``heartbeat``, ``state``, ``ee``, ``pnsdk``,
  ``uuid`` and unknown parameters are accepted and ignored.

Messages (``e`` absent), signals (``e: 1``), file messages (``e: 4``) and App Context events
(``e: 2``, when a channel's metadata is set or deleted) are delivered. A poll whose client
goes away stops waiting at once (its disconnect is watched), and a cancelled poll leaves no
waiter behind. Presence is not emulated beyond answering heartbeat and leave: no ``-pnpres``
events are sent.

[realtime_routes][aiospaces.emulator.pubnub.realtime.realtime_routes] gathers these routes
with publish and signal ([publish][aiospaces.emulator.pubnub.publish]), history
([history][aiospaces.emulator.pubnub.history]) and channel groups
([groups][aiospaces.emulator.pubnub.groups]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from starlette.routing import Route

from aiospaces.emulator._http import answering_errors
from aiospaces.emulator._parse import ascii_int
from aiospaces.emulator.pubnub.answers import (
    RealtimeError,
    javascript,
    path_names,
    query_names,
)
from aiospaces.emulator.pubnub.filter_syntax import FilterError
from aiospaces.emulator.pubnub.groups import group_routes
from aiospaces.emulator.pubnub.history import history_routes
from aiospaces.emulator.pubnub.message_filter import parse_message_filter
from aiospaces.emulator.pubnub.publish import publish_routes
from aiospaces.emulator.pubnub.stream import REGION, Delivery, Subscription

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from aiospaces.emulator.pubnub.state import Keysets
    from aiospaces.emulator.pubnub.stream import Record, Stream, Streams

__all__ = ["realtime_routes", "subscribe_routes"]


def _invalid(message: str, service: str = "Subscribe") -> RealtimeError:
    return RealtimeError(400, message, shape="service", service=service)


def _envelope(subscribe_key: str, timetoken: int, deliveries: list[Delivery]) -> Response:
    items = [record.item(subscribe_key, via) for record, via in deliveries]
    return javascript({"t": {"t": str(timetoken), "r": REGION}, "m": items})


async def _held(
    request: Request,
    stream: Stream,
    after: int,
    subscription: Subscription,
    accept: Callable[[Record], bool] | None,
    hold: float,
) -> tuple[list[Delivery], int] | None:
    """Wait on the stream until it delivers, times out, or the client goes away (None)."""
    result: tuple[list[Delivery], int] | None = None
    async with anyio.create_task_group() as group:

        async def until_disconnected() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        group.start_soon(until_disconnected)
        result = await stream.wait(after, subscription, accept, hold)
        group.cancel_scope.cancel()
    return result


def subscribe_routes(keysets: Keysets, streams: Streams) -> list[BaseRoute]:
    """Return the subscribe, heartbeat, leave and time routes over ``streams``."""

    async def subscribe(request: Request) -> Response:
        keyset = await keysets.admit(request)
        channels = path_names(request, 4)
        groups = query_names(request, "channel-group")
        if not channels and not groups:
            raise _invalid("No valid channels or channel groups specified")
        params = request.query_params
        tt = ascii_int(params.get("tt", "0"))
        if tt is None:
            raise _invalid("Invalid timetoken")
        if "tr" in params and ascii_int(params["tr"]) is None:
            raise _invalid("Invalid region")
        accept = None
        if params.get("filter-expr"):
            try:
                accept = parse_message_filter(params["filter-expr"])
            except FilterError as exc:
                raise _invalid(f"Invalid filter expression: {exc.message}") from exc
        sub = keyset.subscribe_key
        now = streams.clock.now()
        if tt == 0:  # the handshake: where to start from, at once
            return _envelope(sub, now, [])
        subscription = Subscription(frozenset(channels), tuple(groups))
        stream = streams.stream(sub)
        hold = streams.subscribe_timeout
        held = await _held(request, stream, min(tt, now), subscription, accept, hold)
        deliveries, resume = held or ([], streams.clock.now())
        return _envelope(sub, resume, deliveries)

    async def heartbeat(request: Request) -> Response:
        await keysets.admit(request)
        beat = request.query_params.get("heartbeat")
        if beat is not None and ascii_int(beat) is None:
            raise _invalid("Invalid heartbeat", "Presence")
        return javascript({"status": 200, "message": "OK", "service": "Presence"})

    async def leave(request: Request) -> Response:
        await keysets.admit(request)
        body: dict[str, Any] = {"status": 200, "message": "OK", "action": "leave"}
        return javascript(body | {"service": "Presence"})

    async def now(request: Request) -> Response:
        return javascript([streams.clock.now()])

    presence = "/v2/presence/sub-key/{sub}/channel/{channels}"
    return [
        Route("/v2/subscribe/{sub}/{channels}/0", answering_errors(subscribe), methods=["GET"]),
        Route(presence + "/heartbeat", answering_errors(heartbeat), methods=["GET"]),
        Route(presence + "/leave", answering_errors(leave), methods=["GET"]),
        Route("/time/0", answering_errors(now), methods=["GET"]),
    ]


def realtime_routes(keysets: Keysets, streams: Streams) -> list[BaseRoute]:
    """Return every realtime route: publish, signal, subscribe, presence, time, history, groups."""
    return [
        *publish_routes(keysets, streams),
        *subscribe_routes(keysets, streams),
        *history_routes(keysets, streams),
        *group_routes(keysets, streams),
    ]
