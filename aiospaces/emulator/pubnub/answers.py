"""What PubNub's realtime routes answer with, and how they read the names a request carries.

Realtime answers are JSON sent as ``text/javascript; charset="UTF-8"``, as production sends
them. Errors come in three shapes, one per family of routes
([RealtimeError][aiospaces.emulator.pubnub.answers.RealtimeError]):

| shape | routes | body |
|---|---|---|
| ``publish`` | publish, signal | ``[0, "<message>", "<timetoken>"]`` |
| ``history`` | fetch, counts, delete | ``{"status", "error": true, "error_message"}`` |
| ``service`` | subscribe, presence, groups, time | ``{"status", "error", "service", "message"}`` |

Access Manager refusals keep their own shape (from ``Keysets.admit``) on every route.

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

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request

__all__ = [
    "BOUNDARY_SHAPES",
    "JAVASCRIPT",
    "ErrorShape",
    "RealtimeError",
    "javascript",
    "path_names",
    "query_flag",
    "query_names",
    "sent",
]

JAVASCRIPT = 'text/javascript; charset="UTF-8"'
"""The ``Content-Type`` of every realtime answer."""

ErrorShape = Literal["publish", "history", "service"]
"""Which body an error answers with (see the module's table)."""


def javascript(body: Any, status: int = 200) -> Response:
    """Return ``body`` as compact JSON with PubNub's ``text/javascript`` content type."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status_code=status, media_type=JAVASCRIPT)


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
