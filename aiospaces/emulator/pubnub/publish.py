"""PubNub publish and signal: ``/publish/...`` (GET and POST) and ``/signal/...``.

A publish answers ``[1,"Sent","<timetoken>"]`` and puts the message in its keyset's
[stream][aiospaces.emulator.pubnub.stream], where waiting subscribers see it at once and, unless
``store=0``, history keeps it (for ``ttl`` hours when given). Errors are in the publish shape
``[0,"<message>","<timetoken>"]``:

| what | status | message |
|---|---|---|
| the payload is not JSON | 400 | ``Invalid JSON`` |
| the escaped payload and channel name pass 32 KiB | 413 | ``Message Too Large`` |
| a signal's payload passes 64 bytes | 400 | ``Signal size too large`` |
| an unknown or wrong key | 400 | ``Invalid Key`` |
| ``meta`` is not a JSON object (or null) | 400 | ``Invalid meta parameter`` |
| a bad ``store``, ``ttl`` or ``custom_message_type`` | 400 | ``Invalid <name> parameter`` |

An unknown subscribe key (strict mode) and Access Manager refusals (403) keep Access
Manager's shape. A POST publish is signed with PubNub's legacy v1 signature, every other
request with v2. A POST body may be compressed
(``Content-Encoding: gzip``; zlib framing, as PubNub's SDKs send it, is read too). ``ptto``
(a publisher-chosen timetoken) and ``norep`` are accepted and ignored: timetokens are the
emulator's own, always increasing. ``ortt`` (an origination timetoken ``{"t": ...}``, as the
Ruby SDK sends it) is echoed to subscribers as ``o: {"t": "<digits>"}``.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.routing import Route

from aiospaces.emulator._http import answering_errors
from aiospaces.emulator._parse import ascii_int, json_value
from aiospaces.emulator.boundary import MAX_BODY
from aiospaces.emulator.pubnub.answers import RealtimeError, query_flag, refusal, sent
from aiospaces.emulator.pubnub.state import PubNubError
from aiospaces.emulator.pubnub.stream import MESSAGE, SIGNAL, PublishOptions

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from aiospaces.emulator.pubnub.state import Keyset, Keysets
    from aiospaces.emulator.pubnub.stream import Streams

__all__ = ["MAX_MESSAGE", "MAX_SIGNAL", "publish_options", "publish_routes"]

MAX_MESSAGE = 32 * 1024
"""The most bytes of a message, counted percent-encoded with its channel's name."""
MAX_SIGNAL = 64
"""The most bytes of a signal's JSON payload."""
_CUSTOM_TYPE = re.compile(r"(?!pn[_-])[A-Za-z0-9][A-Za-z0-9_-]{2,49}")


def _invalid(message: str) -> RealtimeError:
    return RealtimeError(400, message, shape="publish")


def publish_options(
    params: Mapping[str, str], fail: Callable[[str], Exception] = _invalid
) -> PublishOptions:
    """Return a publish's options, read from its query.

    Args:
        params: The query parameters: ``uuid``, ``ortt``, ``meta`` (JSON object or ``null``),
            ``store`` (``1``/``0``/``true``/``false``; default stored), ``ttl`` (hours),
            ``custom_message_type`` (3 to 50 letters, digits, ``-`` and ``_``, starting with a
            letter or digit, not ``pn-``/``pn_``), ``seqn``.
        fail: Makes the error raised for a bad value from its message.

    Raises:
        Exception: What ``fail`` makes (a publish-shaped 400 by default).
    """
    try:
        meta = json_value(params.get("meta") or "null")
    except ValueError as exc:
        raise fail("Invalid meta parameter") from exc
    if meta is not None and not isinstance(meta, dict):
        raise fail("Invalid meta parameter")
    store = query_flag(params.get("store"), default=True)
    if store is None:
        raise fail("Invalid store parameter")
    ttl = None
    if params.get("ttl") is not None:
        ttl = ascii_int(params["ttl"])
        if ttl is None:
            raise fail("Invalid ttl parameter")
    custom_type = params.get("custom_message_type")
    if custom_type is not None and not _CUSTOM_TYPE.fullmatch(custom_type):
        raise fail("Invalid custom_message_type parameter")
    return PublishOptions(
        publisher=params.get("uuid"),
        origination=_origination(params.get("ortt")),
        meta=meta,
        store=store,
        ttl=ttl,
        custom_message_type=custom_type,
        sequence=ascii_int(params.get("seqn")),
    )


def _origination(raw: str | None) -> str | None:
    """Return the timetoken of an ``ortt`` (``{"t": 1466...}``), None if there is none."""
    try:
        value = json_value(raw) if raw else None
    except ValueError:
        return None
    stamp = value.get("t") if isinstance(value, dict) else None
    text = str(stamp) if isinstance(stamp, int | str) and not isinstance(stamp, bool) else ""
    return text if ascii_int(text) is not None else None


async def _publisher(keysets: Keysets, request: Request) -> Keyset:
    """Admit a publish: a wrong publish key is ``Invalid Key`` in the publish shape.

    An unknown subscribe key is Access Manager's ``Invalid Subscribe Key`` (400), a refusal
    Access Manager's 403 naming the channel, as recorded from production.
    """
    try:
        return await keysets.admit(
            request,
            publish_key=request.path_params["pub"],
            legacy_signature=request.method == "POST",
        )
    except PubNubError as error:
        if error.message == "Invalid Publish Key":
            raise _invalid("Invalid Key") from error
        raise refusal(error, channels=[request.path_params["channel"]]) from error


async def _body(request: Request) -> str:
    raw = await request.body()
    if request.headers.get("content-encoding", "identity").lower() not in ("identity", ""):
        inflate = zlib.decompressobj(wbits=47)  # gzip or zlib framing, whichever it is
        try:
            raw = inflate.decompress(raw, MAX_BODY + 1)
        except zlib.error as exc:
            raise _invalid("Invalid compressed body") from exc
        if len(raw) > MAX_BODY or inflate.unconsumed_tail:
            raise RealtimeError(413, "Message Too Large", shape="publish")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid("Invalid JSON") from exc


def _payload(text: str) -> Any:
    try:
        return json_value(text)
    except ValueError as exc:
        raise _invalid("Invalid JSON") from exc


def publish_routes(keysets: Keysets, streams: Streams) -> list[BaseRoute]:
    """Return the publish (GET and POST) and signal routes, adding to ``streams``."""

    async def publish(request: Request) -> Response:
        keyset = await _publisher(keysets, request)
        channel = request.path_params["channel"]
        text = await _body(request) if request.method == "POST" else request.path_params["payload"]
        if len(quote(channel, safe="~")) + len(quote(text, safe="~")) > MAX_MESSAGE:
            raise RealtimeError(413, "Message Too Large", shape="publish")
        payload = _payload(text)
        options = publish_options(request.query_params)
        return sent(streams.publish(keyset.subscribe_key, channel, payload, options, MESSAGE))

    async def signal(request: Request) -> Response:
        keyset = await _publisher(keysets, request)
        text = request.path_params["payload"]
        if len(text.encode("utf-8", "surrogatepass")) > MAX_SIGNAL:
            raise _invalid("Signal size too large")
        payload = _payload(text)
        options = publish_options(request.query_params)
        channel = request.path_params["channel"]
        return sent(streams.publish(keyset.subscribe_key, channel, payload, options, SIGNAL))

    base = "/publish/{pub}/{sub}/0/{channel}/0"
    return [
        Route(base + "/{payload:path}", answering_errors(publish), methods=["GET"]),
        Route(base, answering_errors(publish), methods=["POST"]),
        Route(
            "/signal/{pub}/{sub}/0/{channel}/0/{payload:path}",
            answering_errors(signal),
            methods=["GET"],
        ),
    ]
