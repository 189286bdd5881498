"""PubNub's subscribe long-poll, presence heartbeat/leave and time, and every realtime route.

``GET /v2/subscribe/{sub}/{channels}/0`` follows the protocol:

- the handshake (``tt=0`` or no ``tt``) answers at once ``{"t":{"t":"<now>","r":42},"m":[]}``;
- a later poll (``tt=<t.t>``) answers as soon as a message newer than ``tt`` is on one of its
  channels (names, ``a.*`` wildcards, or the channels of its ``channel-group`` groups), with
  up to 100 messages and ``t.t`` the last one's timetoken; with nothing to deliver it answers
  ``m: []`` with ``t.t`` the poll's own ``tt`` (as production does) after the emulator's
  ``subscribe_timeout`` (280 s by default, as production; clients wait 310 s);
- old Ruby SDKs (4.x) send their cursor as ``t={"t":"<tt>","r":<tr>}`` instead of ``tt`` and
  ``tr``: it is read the same way;
- a ``tt`` newer than any timetoken the emulator handed out is taken as "now";
- a subscribe to no channel and no group (``,`` in the path) is answered like any other (it
  receives nothing), as production answered one;
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
from aiospaces.emulator._parse import ascii_int, json_value
from aiospaces.emulator.pubnub.answers import (
    RealtimeError,
    admit,
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
    from collections.abc import Callable, Mapping

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from aiospaces.emulator.pubnub.state import Keysets
    from aiospaces.emulator.pubnub.stream import Record, Stream, Streams

__all__ = ["realtime_routes", "subscribe_routes"]


def _invalid(message: str, service: str = "Subscribe") -> RealtimeError:
    return RealtimeError(400, message, shape="service", service=service)


def _cursor(params: Mapping[str, str]) -> tuple[int | None, str | None]:
    """Return a poll's ``tt`` (None: not digits) and ``tr``, from ``tt``/``tr`` or old ``t``."""
    if "tt" not in params and params.get("t"):
        try:
            cursor = json_value(params["t"])
        except ValueError:
            return None, None
        if not isinstance(cursor, dict):
            return None, None
        region = cursor.get("r")
        return ascii_int(str(cursor.get("t", 0))), None if region is None else str(region)
    return ascii_int(params.get("tt", "0")), params.get("tr")


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
        channels = path_names(request, 4)
        groups = query_names(request, "channel-group")
        keyset = await admit(keysets, request, channels=channels, groups=groups)
        params = request.query_params
        tt, tr = _cursor(params)
        if tt is None:
            raise _invalid("Invalid timetoken")
        if tr is not None and ascii_int(tr) is None:
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
        after = min(tt, now)
        held = await _held(request, stream, after, subscription, accept, hold)
        deliveries, resume = held or ([], after)
        return _envelope(sub, resume, deliveries)

    async def heartbeat(request: Request) -> Response:
        channels, groups = path_names(request, 6), query_names(request, "channel-group")
        await admit(keysets, request, channels=channels, groups=groups)
        beat = request.query_params.get("heartbeat")
        if beat and ascii_int(beat) is None:  # empty, as old Ruby SDKs send it, is fine
            raise _invalid("Invalid heartbeat", "Presence")
        return javascript({"status": 200, "message": "OK", "service": "Presence"})

    async def leave(request: Request) -> Response:
        channels, groups = path_names(request, 6), query_names(request, "channel-group")
        await admit(keysets, request, channels=channels, groups=groups)
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
