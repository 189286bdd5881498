"""The emulator's outer boundary: what is refused before (or instead of) a vendor's route.

- A ``Host`` header that is not an ASCII ``host[:port]``: 400. Starlette builds
  ``request.url`` from it, and a ``[`` or a port that is not a number makes that raise.
- A body larger than [MAX_BODY][aiospaces.emulator.boundary.MAX_BODY] on any route but the
  storage's (which streams uploads and enforces its own limit): 413, from the
  ``Content-Length`` alone when it says so, else as soon as the bytes read pass the limit.
- A path no route matches: 404; a method the path does not take: 405 (with ``Allow``).

Each refusal is answered in the error shape of the vendor whose path prefix the request has,
through [ErrorShapes][aiospaces.emulator.boundary.ErrorShapes]; the emulator builds that table,
since only it knows every vendor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse

from aiospaces.emulator._parse import ascii_int

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY", "Boundary", "ErrorShapes", "RequestRefused", "ShapeFactory"]

MAX_BODY = 1024 * 1024
"""The largest request body a JSON route accepts (bytes)."""


class RequestRefused(Exception):
    """A request refused at the boundary; answered in the shape of the vendor it was for."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


ShapeFactory = Callable[[int, str], "Response"]
"""Makes a vendor's error answer from a status and a message."""


def _plain(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


@attrs.frozen
class ErrorShapes:
    """Which error shape answers a path: the factory of the longest matching prefix.

    Attributes:
        by_prefix: ``(path prefix, factory)`` pairs.
        fallback: The factory for paths under no prefix (``{"error": message}``).
    """

    by_prefix: tuple[tuple[str, ShapeFactory], ...]
    fallback: ShapeFactory = _plain

    def answer(
        self, path: str, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        """Return the error answer for a request to ``path``."""
        matching = [(p, f) for p, f in self.by_prefix if path.startswith(p)]
        factory = max(matching, key=lambda pair: len(pair[0]))[1] if matching else self.fallback
        response = factory(status, message)
        response.headers.update(headers or {})
        return response

    def exception_handlers(self) -> dict[Any, Callable[[Request, Exception], Response]]:
        """Return Starlette exception handlers answering 404, 405 and refusals in shape."""

        def no_route(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)  # noqa: S101 - registered for 404/405 only
            if exc.status_code == 405:
                message = f"Method {request.method} is not allowed on this path."
            else:
                message = "Not found."
            return self.answer(request.scope["path"], exc.status_code, message, exc.headers)

        def refused(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, RequestRefused)  # noqa: S101 - registered for it only
            return self.answer(request.scope["path"], exc.status, exc.message)

        return {404: no_route, 405: no_route, RequestRefused: refused}


def _valid_host(raw: bytes) -> bool:
    try:
        text = raw.decode("ascii")
        parts = urlsplit("//" + text)
        _ = parts.port  # raises ValueError unless absent or a number in range
    except (UnicodeDecodeError, ValueError):
        return False
    return parts.netloc == text


class Boundary:
    """ASGI middleware refusing a bad ``Host`` or an oversized body in the vendor's shape.

    Args:
        app: The app behind the boundary.
        shapes: The vendors' error shapes.
        max_body: The largest body accepted (bytes).
        unlimited: Path prefixes whose routes limit their bodies themselves.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        shapes: ErrorShapes,
        max_body: int = MAX_BODY,
        unlimited: tuple[str, ...] = ("/_storage/",),
    ) -> None:
        self.app = app
        self.shapes = shapes
        self.max_body = max_body
        self.unlimited = unlimited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request, or pass it on with its body counted.

        A client that goes away while its body is being read (a cancelled call) ends the
        request quietly: there is no one left to answer, and it is not a server error.
        """
        try:
            await self._handle(scope, receive, send)
        except ClientDisconnect:
            return

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = dict(scope["headers"])
        if b"host" in headers and not _valid_host(headers[b"host"]):
            response = self.shapes.answer(path, 400, "The Host header is not a host[:port].")
            await response(scope, receive, send)
            return
        if path.startswith(self.unlimited):
            await self.app(scope, receive, send)
            return
        too_large = f"The request body is larger than {self.max_body} bytes."
        declared = ascii_int(headers.get(b"content-length", b"").decode("latin-1"))
        if declared is not None and declared > self.max_body:
            await self.shapes.answer(path, 413, too_large)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise RequestRefused(413, too_large)
            return message

        await self.app(scope, counted, send)
