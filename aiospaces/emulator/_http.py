"""What the vendor emulations share: their context, error answers and the JSON body reader.

Each vendor emulation is built with an ``EmulatorContext`` (the strict flag and the shared
object store) rather than the ``Emulator`` itself, so no vendor module depends on the module
that assembles them. A vendor's error class subclasses ``ErrorAnswer`` and knows its own
response shape; ``answering_errors`` turns one raised from deep inside a handler into the HTTP
answer.

``json_object`` is the one reader of JSON-object bodies (through
[json_value][aiospaces.emulator._parse.json_value], which refuses what no answer could carry);
each vendor passes the errors it answers with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from starlette.responses import JSONResponse

from aiospaces.emulator._parse import json_value

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from aiospaces.emulator.s3.store import Storage

__all__ = ["ControlError", "EmulatorContext", "ErrorAnswer", "answering_errors", "json_object"]


@attrs.define
class EmulatorContext:
    """What every vendor emulation gets from the emulator that hosts it.

    Attributes:
        strict: Accept only seeded keys and accounts, and enforce auth and signatures.
        storage: The S3-style object store every vendor's files live in.
    """

    strict: bool
    storage: Storage


class ErrorAnswer(Exception):
    """An error that knows the HTTP answer it stands for (each vendor has its own shape)."""

    def response(self) -> Response:
        """Return the error as an HTTP response."""
        raise NotImplementedError


class ControlError(ErrorAnswer):
    """An error of the control API: ``{"error": message}`` with a status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        """Return the error as an HTTP response."""
        return JSONResponse({"error": self.message}, status_code=self.status)


def answering_errors(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a route handler so that a raised ``ErrorAnswer`` becomes its ``response()``."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ErrorAnswer as error:
            return error.response()

    return endpoint


def json_object(
    raw: bytes, *, not_json: Exception, not_object: Exception | None = None
) -> dict[str, Any]:
    """Return the JSON object in a request body.

    What an empty body means differs between vendors, so callers substitute it first (e.g.
    ``raw or b"{}"``).

    Args:
        raw: The body.
        not_json: Raised when the body is not JSON.
        not_object: Raised when it is JSON but not an object (default: ``not_json``).

    Raises:
        Exception: ``not_json`` or ``not_object``, each in the vendor's own shape.
    """
    try:
        payload = json_value(raw)
    except ValueError as exc:
        raise not_json from exc
    if not isinstance(payload, dict):
        raise not_json if not_object is None else not_object
    return payload
