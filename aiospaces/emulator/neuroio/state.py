"""NeuroIO emulation state and wire helpers: records, the error answer, request parsing, pages.

Records: accounts (each with its implicit ``"default"`` space), spaces and tokens (account
tokens have no space; space tokens are scoped to theirs). Errors are
``{"error_codes": [int], "message": str, "fields": [...]}``; lists are DRF
``LimitOffsetPagination`` pages with absolute ``next``/``previous`` links.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import attrs
from starlette.responses import JSONResponse, Response

from aiospaces.emulator._http import ErrorAnswer, json_object
from aiospaces.emulator._parse import ascii_int, is_text, is_texts

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_SPACE",
    "ERROR_CODES",
    "MAX_LIMIT",
    "MAX_NAME_LENGTH",
    "MAX_PERMANENT_TOKENS",
    "TEMPORARY_TTL",
    "Account",
    "AccountSeed",
    "Caller",
    "NeuroIOError",
    "SpaceRecord",
    "TokenRecord",
    "field_error",
    "invalid",
    "page",
    "parse_bool",
    "parse_flag",
    "parse_name",
    "parse_permanent",
    "permanent_limit",
    "read_body",
]

DEFAULT_SPACE = "default"
"""Name of the space every account has and account tokens act in."""
MAX_PERMANENT_TOKENS = 5
"""Permanent tokens allowed per account and per space."""
TEMPORARY_TTL = timedelta(hours=24)
"""How long a temporary token lives."""
DEFAULT_LIMIT = 20
"""Page size of a list without ``limit``."""
MAX_LIMIT = 100
"""Largest page a list answers (a larger ``limit`` is capped)."""
MAX_NAME_LENGTH = 255
"""The longest space name."""

ERROR_CODES = {
    "validation": 600,
    "authentication": 601,
    "credentials": 602,
    "permission": 603,
    "not_found": 604,
    "permanent_limit": 605,
}
"""Error codes the emulator sends; only 602 (wrong username or password) is documented."""


class NeuroIOError(ErrorAnswer):
    """An error answer: ``{"error_codes", "message", "fields"}`` with an HTTP status."""

    def __init__(
        self, status: int, kind: str, message: str, fields: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.fields = fields or []

    def response(self) -> Response:
        """Return the error as an HTTP response."""
        body = {"error_codes": [ERROR_CODES[self.kind]], "message": self.message}
        headers = {"WWW-Authenticate": "Token"} if self.status == 401 else None
        return JSONResponse({**body, "fields": self.fields}, self.status, headers=headers)


def field_error(field: str, message: str, kind: str = "validation") -> dict[str, Any]:
    """Return one ``fields`` entry of an error answer."""
    return {"name": field, "message": message, "error_code": ERROR_CODES[kind]}


def invalid(field: str, message: str) -> NeuroIOError:
    """Return a 400 ``Validation error.`` naming one bad field."""
    return NeuroIOError(400, "validation", "Validation error.", [field_error(field, message)])


def permanent_limit(where: str) -> NeuroIOError:
    """Return the 400 for one permanent token too many in an ``account`` or a ``space``."""
    return NeuroIOError(
        400,
        "permanent_limit",
        f"At most {MAX_PERMANENT_TOKENS} permanent tokens are allowed per {where}.",
        [field_error("permanent", "Permanent tokens limit reached.", "permanent_limit")],
    )


@attrs.frozen(kw_only=True)
class AccountSeed:
    """What ``POST /_emulator/neuroio/seed`` takes: an account, its tokens and spaces."""

    username: str = attrs.field(validator=is_text())
    password: str | None = attrs.field(default=None, validator=is_text(empty=True, optional=True))
    tokens: list[str] | None = attrs.field(default=None, validator=is_texts)
    spaces: list[str] | None = attrs.field(default=None, validator=is_texts)


@attrs.define
class Account:
    """A user with a password and a default space."""

    username: str
    password: str | None = attrs.field(default=None, repr=False)
    default_space: int = 0


@attrs.define
class SpaceRecord:
    """A stored space."""

    id: int
    name: str
    owner: str

    def wire(self) -> dict[str, Any]:
        """Return the space as the API sends it."""
        return {"id": self.id, "name": self.name}


@attrs.define
class TokenRecord:
    """A stored token: an account token (``space`` None) or a space token."""

    id: int
    key: str = attrs.field(repr=False)
    owner: str
    space: int | None
    permanent: bool
    created: datetime
    expires: datetime | None
    is_active: bool = True

    def wire(self) -> dict[str, Any]:
        """Return the token as the API sends it."""
        return {
            "id": self.id,
            "key": self.key,
            "is_active": self.is_active,
            "created": self.created.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
        }


@attrs.frozen
class Caller:
    """Who is calling: the account and the token it presented."""

    account: Account
    token: TokenRecord

    def sees_space(self, space: SpaceRecord) -> bool:
        """Return whether the token may see ``space`` (a space token: only its own)."""
        if self.token.space is not None:
            return space.id == self.token.space
        return space.owner == self.account.username

    def manages(self, token: TokenRecord) -> bool:
        """Return whether the caller may manage ``token`` (same account and same scope)."""
        return token.owner == self.account.username and token.space == self.token.space


# -- request parsing --------------------------------------------------------------------------


async def read_body(request: Request) -> dict[str, Any]:
    """Return the request's JSON object or form fields (``{}`` for an empty body)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return json_object(
        raw,
        not_json=NeuroIOError(400, "validation", "JSON parse error."),
        not_object=NeuroIOError(400, "validation", "Expected a JSON object."),
    )


def parse_flag(raw: str | None) -> bool | None:
    """Parse a DRF boolean (``true``/``false``, ``1``/``0``, any case); None if absent/invalid."""
    if raw is None:
        return None
    return {"true": True, "1": True, "false": False, "0": False}.get(raw.lower())


def parse_bool(body: dict[str, Any], field: str, default: bool) -> bool:
    """Return the body's boolean ``field`` (JSON bool or DRF text), else a validation error."""
    value = body.get(field, default)
    parsed = value if isinstance(value, bool) else parse_flag(str(value))
    if parsed is None:
        raise invalid(field, "Must be a valid boolean.")
    return parsed


def parse_permanent(body: dict[str, Any]) -> bool:
    """Return the body's ``permanent`` flag (default False), else a validation error."""
    return parse_bool(body, "permanent", default=False)


def parse_name(body: dict[str, Any], *, required: bool) -> str | None:
    """Return the body's space ``name`` (None if absent and not required), checked."""
    if "name" not in body:
        if required:
            raise invalid("name", "This field is required.")
        return None
    name = body["name"]
    if not isinstance(name, str) or not name.strip():
        raise invalid("name", "This field may not be blank.")
    if len(name) > MAX_NAME_LENGTH:
        raise invalid("name", f"Ensure this field has no more than {MAX_NAME_LENGTH} characters.")
    return name


def _int_param(raw: str | None, default: int, cap: int | None = None) -> int:
    """DRF's ``_positive_int``: a bad or missing value falls back to the default."""
    value = ascii_int(raw)
    if value is None:
        return default
    return min(value, cap) if cap is not None else value


def page(request: Request, items: list[dict[str, Any]]) -> Response:
    """Return a DRF ``LimitOffsetPagination`` page with absolute next/previous links."""
    limit = _int_param(request.query_params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT) or DEFAULT_LIMIT
    offset = _int_param(request.query_params.get("offset"), 0)
    count = len(items)
    url = request.url
    following = (
        str(url.include_query_params(limit=limit, offset=offset + limit))
        if offset + limit < count
        else None
    )
    if offset <= 0:
        previous = None
    elif offset - limit <= 0:
        previous = str(url.include_query_params(limit=limit).remove_query_params("offset"))
    else:
        previous = str(url.include_query_params(limit=limit, offset=offset - limit))
    return JSONResponse(
        {
            "count": count,
            "next": following,
            "previous": previous,
            "results": items[offset : offset + limit],
        }
    )
