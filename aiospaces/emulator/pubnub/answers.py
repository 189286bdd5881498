"""What PubNub's realtime routes answer with, and how they read the names a request carries.

Realtime answers are JSON sent as ``text/javascript; charset="UTF-8"`` with
``Cache-Control: no-cache``, as production sends them (channel groups answer
``application/json``, see [groups][aiospaces.emulator.pubnub.groups]). Errors come in three
shapes, one per family of routes
([RealtimeError][aiospaces.emulator.pubnub.answers.RealtimeError]):

| shape | routes | body |
|---|---|---|
| ``publish`` | publish, signal | ``[0, "<message>", "<timetoken>"]`` |
| ``history`` | fetch, counts, delete | ``{"status", "error": true, "error_message"}`` |
| ``service`` | subscribe, presence, groups, time | ``{"status", "error", "service", "message"}`` |

Access Manager refusals keep their own shape on every route, as recorded from production
([AccessRefusal][aiospaces.emulator.pubnub.answers.AccessRefusal]):
``{"message": "Forbidden", "payload": {"channels": [...]}, "error": true, "service": "Access
Manager", "status": 403}`` (``"channel-groups"`` for groups; no ``payload`` on a 400 such as
``Invalid Subscribe Key``), sent as ``text/javascript; charset=UTF-8`` with
``Cache-Control: no-cache, no-store, must-revalidate``.

Channel names in a path are a comma-joined list of percent-encoded names (a comma inside a
name is ``%2C``), so they are read from the raw path, not from the decoded one
([path_names][aiospaces.emulator.pubnub.answers.path_names]); ``channel-group`` likewise from
the raw query ([query_names][aiospaces.emulator.pubnub.answers.query_names]).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, unquote_plus

from starlette.responses import Response

from aiospaces.emulator._http import ErrorAnswer
from aiospaces.emulator.pubnub.state import PubNubError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from starlette.requests import Request

    from aiospaces.emulator.pubnub.state import Keyset, Keysets

__all__ = [
    "ACCESS_CACHE_CONTROL",
    "ACCESS_TYPE",
    "BOUNDARY_SHAPES",
    "JAVASCRIPT",
    "NO_CACHE",
    "AccessRefusal",
    "ErrorShape",
    "RealtimeError",
    "admit",
    "javascript",
    "path_names",
    "query_flag",
    "query_names",
    "refusal",
    "sent",
]

JAVASCRIPT = 'text/javascript; charset="UTF-8"'
"""The ``Content-Type`` of every realtime answer."""
NO_CACHE = {"Cache-Control": "no-cache"}
"""The caching header of every realtime answer."""
ACCESS_TYPE = "text/javascript; charset=UTF-8"
"""The ``Content-Type`` of an Access Manager refusal (its charset is not quoted)."""
ACCESS_CACHE_CONTROL = "no-cache, no-store, must-revalidate"
"""The ``Cache-Control`` of an Access Manager refusal."""

ErrorShape = Literal["publish", "history", "service"]
"""Which body an error answers with (see the module's table)."""


def javascript(body: Any, status: int = 200) -> Response:
    """Return ``body`` as compact JSON with PubNub's ``text/javascript`` content type."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status_code=status, media_type=JAVASCRIPT, headers=NO_CACHE)


def sent(timetoken: int) -> Response:
    """Return a publish's answer: ``[1,"Sent","<timetoken>"]``."""
    return javascript([1, "Sent", str(timetoken)])


class RealtimeError(ErrorAnswer):
    """An error answer of a realtime route, in the shape of its family of routes.

    Attributes:
        status: The HTTP status.
        message: What is wrong.
        shape: ``publish``, ``history`` or ``service``.
        service: The ``service`` of a ``service``-shaped body (``Subscribe``, ``Presence``,
            ``channel-registry``, ...).
    """

    def __init__(
        self, status: int, message: str, *, shape: ErrorShape, service: str = "Subscribe"
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.shape = shape
        self.service = service

    def response(self) -> Response:
        """Return the error as an HTTP response."""
        if self.shape == "publish":  # the timetoken of the refusal, as production sends one
            return javascript([0, self.message, str(time.time_ns() // 100)], self.status)
        if self.shape == "history":
            body = {"status": self.status, "error": True, "error_message": self.message}
            return javascript(body, self.status)
        body = {
            "status": self.status,
            "error": True,
            "service": self.service,
            "message": self.message,
        }
        return javascript(body, self.status)


class AccessRefusal(ErrorAnswer):
    """Access Manager's refusal of a realtime request, in the shape production answers it.

    Attributes:
        status: The HTTP status (403, or 400 for an unknown key).
        message: What is wrong (``Forbidden``, ``Invalid Subscribe Key``, ...).
        channels: The channels refused (a 403's ``payload.channels``).
        groups: The channel groups refused (a 403's ``payload["channel-groups"]``).
    """

    def __init__(
        self, status: int, message: str, *, channels: Iterable[str] = (), groups: Iterable[str] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.channels = list(channels)
        self.groups = list(groups)

    def response(self) -> Response:
        """Return the refusal as an HTTP response."""
        body: dict[str, Any] = {"message": self.message}
        payload: dict[str, list[str]] = {}
        if self.channels:
            payload["channels"] = self.channels
        if self.groups:
            payload["channel-groups"] = self.groups
        if payload and self.status == 403:
            body["payload"] = payload
        body |= {"error": True, "service": "Access Manager", "status": self.status}
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        headers = {"Cache-Control": ACCESS_CACHE_CONTROL}
        return Response(text, self.status, headers=headers, media_type=ACCESS_TYPE)


def refusal(
    error: PubNubError, *, channels: Iterable[str] = (), groups: Iterable[str] = ()
) -> ErrorAnswer:
    """Return an Access Manager error of ``Keysets.admit`` as a realtime route answers it."""
    if error.source != "Access Manager":
        return error
    return AccessRefusal(error.status, error.message, channels=channels, groups=groups)


async def admit(
    keysets: Keysets,
    request: Request,
    *,
    channels: Iterable[str] = (),
    groups: Iterable[str] = (),
) -> Keyset:
    """Return the keyset of a realtime request once access is granted (``Keysets.admit``).

    Args:
        keysets: The emulation's keysets.
        request: The request.
        channels: The channels it is for (named in a refusal).
        groups: The channel groups it is for (named in a refusal).

    Raises:
        AccessRefusal: Access Manager refused it.
    """
    try:
        return await keysets.admit(request)
    except PubNubError as error:
        raise refusal(error, channels=channels, groups=groups) from error


def _shape(shape: ErrorShape, service: str = "Subscribe") -> Callable[[int, str], Response]:
    return lambda status, message: RealtimeError(
        status, message, shape=shape, service=service
    ).response()


BOUNDARY_SHAPES: tuple[tuple[str, Callable[[int, str], Response]], ...] = (
    ("/publish/", _shape("publish")),
    ("/signal/", _shape("publish")),
    ("/v2/subscribe/", _shape("service", "Subscribe")),
    ("/v2/presence/", _shape("service", "Presence")),
    ("/v3/history", _shape("history")),
    ("/v1/channel-registration/", _shape("service", "channel-registry")),
    ("/time/", _shape("service", "Time")),
)
"""``(path prefix, error factory)`` of every realtime route, for the emulator's boundary."""


def path_names(request: Request, index: int) -> list[str]:
    """Return the comma-joined, percent-encoded names of raw path segment ``index``.

    ``,`` alone (or an empty segment) is no names; empty names between commas are skipped.
    Without a raw path (a server that sends none) the decoded segment is split instead.
    """
    raw: bytes | None = request.scope.get("raw_path")
    if raw:
        segments = raw.decode("latin-1").split("/")
        if index < len(segments):
            return [unquote(name) for name in segments[index].split(",") if name]
    decoded = request.url.path.split("/")
    return [name for name in decoded[index].split(",") if name] if index < len(decoded) else []


def query_names(request: Request, name: str) -> list[str]:
    """Return the comma-joined names of query parameter ``name`` (each may be encoded)."""
    names: list[str] = []
    for pair in request.scope.get("query_string", b"").decode("latin-1").split("&"):
        key, _, value = pair.partition("=")
        if unquote_plus(key) == name:
            names.extend(unquote_plus(part) for part in value.split(",") if part)
    return names


def query_flag(value: str | None, *, default: bool = False) -> bool | None:
    """Return a boolean query value (``true``/``false``/``1``/``0``), or None if it is neither."""
    if value is None:
        return default
    return {"true": True, "1": True, "false": False, "0": False}.get(value.lower())
