"""Mux's wire conventions: the error answer, request checks, ids and timestamps.

Errors come in Mux's two shapes: ``{"error": {"type", "messages"}}`` and, for 429,
``{"errors": [...]}``. Every request check here raises a 400 ``invalid_parameters``. Every
JSON answer is ``application/json; charset=utf-8``, as Mux's are.
"""

from __future__ import annotations

import secrets
import string
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse

from aiospaces.emulator._http import ErrorAnswer, json_object

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "MAX_TEXT",
    "NOT_FOUND",
    "MuxError",
    "MuxJSONResponse",
    "choice",
    "invalid",
    "json_body",
    "new_id",
    "not_found",
    "now_rfc3339",
    "now_seconds",
    "refuse_unknown",
    "text_param",
]

MAX_TEXT = 255
"""The longest text a request field may hold (``passthrough``, ids, ...)."""
NOT_FOUND = "The requested resource either doesn't exist or you don't have access to it."
"""The message of Mux's 404."""
_ALPHABET = string.ascii_letters + string.digits


def new_id(length: int = 32) -> str:
    """Return an opaque base62 id like Mux's."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now_seconds() -> str:
    """Return the time as Mux's resources carry it: Unix seconds as a string."""
    return str(int(time.time()))


def now_rfc3339() -> str:
    """Return the time as Mux's webhook events carry it (microseconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MuxJSONResponse(JSONResponse):
    """A JSON answer with Mux's content type (``charset=utf-8`` named)."""

    media_type = "application/json; charset=utf-8"


class MuxError(ErrorAnswer):
    """An error answer: ``{"error": {"type", "messages"}}``, or ``{"errors": [...]}`` for 429."""

    def __init__(
        self,
        status: int,
        error_type: str,
        *messages: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.error_type = error_type
        self.messages = list(messages)
        self.headers = headers or {}

    def response(self) -> MuxJSONResponse:
        """Return the error as an HTTP response."""
        if self.status == 429:  # Mux's rate limiter answers in another shape
            body: dict[str, Any] = {"errors": self.messages}
        else:
            body = {"error": {"type": self.error_type, "messages": self.messages}}
        return MuxJSONResponse(body, status_code=self.status, headers=self.headers)


def invalid(*messages: str) -> MuxError:
    """Return a 400 ``invalid_parameters`` error."""
    return MuxError(400, "invalid_parameters", *messages)


def not_found() -> MuxError:
    """Return Mux's 404."""
    return MuxError(404, "not_found", NOT_FOUND)


async def json_body(request: Request) -> dict[str, Any]:
    """Return a request's JSON object body (an empty body is ``{}``), or raise 400."""
    raw = await request.body()
    return json_object(
        raw if raw.strip() else b"{}",
        not_json=invalid("The request body is not valid JSON"),
        not_object=invalid("The request body must be a JSON object"),
    )


def text_param(payload: dict[str, Any], key: str) -> str | None:
    """Return an optional string of at most 255 characters from a request body, or raise 400."""
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise invalid(f"{key} must be a string of at most {MAX_TEXT} characters")
    return value


def choice(payload: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    """Return a request body's ``key`` (``default`` if absent) if allowed, or raise 400."""
    value = payload.get(key, default)
    if value not in allowed:
        raise invalid(f"{key} must be one of {', '.join(allowed)}")
    return str(value)


def refuse_unknown(payload: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    """Raise a 400 naming every key of a request body that is not ``allowed``."""
    extra = sorted(set(payload) - allowed)
    if extra:
        raise invalid(*(f"{key} is not a valid {what} parameter" for key in extra))
