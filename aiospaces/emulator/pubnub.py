"""PubNub emulation: keysets, common parameters, signature v2, auth, and App Context channels.

Spaces are App Context channels (``/v2/objects/{sub}/channels``); file sharing lives in
[pubnub_files][aiospaces.emulator.pubnub_files]. Wire facts (shapes, quirks) follow the
recorded production responses: ``custom``/``status``/``type`` only when included, 32-hex
eTags, RFC 3339 ``updated`` without trailing zeros, unpadded base64 offset cursors,
``totalCount`` only with ``count``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, quote

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiospaces.emulator._http import ErrorAnswer, answering_errors
from aiospaces.emulator.filters import FilterError, parse_filter

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from aiospaces.emulator._http import EmulatorContext

__all__ = ["Channel", "Keyset", "PubNubEmulation", "PubNubError", "pam_encode", "sign_v2"]

MAX_LIMIT = 100
WRITABLE_FIELDS = ("name", "description", "status", "type", "custom")
SORT_KEYS = frozenset({"id", "name", "updated", "status", "type"})
SIGNATURE_WINDOW = 60


class PubNubError(ErrorAnswer):
    """An error answer in PubNub's v2 shape: ``{"status", "error": {message, source, details}}``."""

    def __init__(
        self, status: int, message: str, *, source: str = "objects", details: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.source = source
        self.details = details

    def response(self) -> Response:
        """Return the error as an HTTP response."""
        if self.source == "Access Manager":  # PAM-style body, as PubNub's auth layer answers
            body: dict[str, Any] = {
                "error": True,
                "status": self.status,
                "service": "Access Manager",
                "message": self.message,
            }
        else:
            error: dict[str, Any] = {"message": self.message, "source": self.source}
            if self.details:
                error["details"] = self.details
            body = {"status": self.status, "error": error}
        return JSONResponse(body, status_code=self.status)


def _detail(message: str, location: str, location_type: str) -> dict[str, str]:
    return {"message": message, "location": location, "locationType": location_type}


def pam_encode(value: str) -> str:
    """Percent-encode like PubNub's signer: everything but ``A-Za-z0-9_.-`` (``~`` too)."""
    return quote(value, safe="").replace("~", "%7E")


def sign_v2(
    secret_key: str, publish_key: str, method: str, path: str, query: str, body: str
) -> str:
    """Return PubNub's signature v2 over a request (``query`` is already sorted and encoded)."""
    message = f"{method}\n{publish_key}\n{path}\n{query}\n{body}"
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return "v2." + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _now_rfc3339() -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return stamp + "Z"


@attrs.define
class Channel:
    """An App Context channel (a Space)."""

    id: str
    name: str | None = None
    description: str | None = None
    status: str | None = None
    type: str | None = None
    custom: dict[str, Any] | None = None
    updated: str = ""
    etag: str = ""

    def touch(self) -> None:
        """Stamp a new ``updated`` time and eTag."""
        self.updated = _now_rfc3339()
        state = json.dumps(attrs.asdict(self), sort_keys=True).encode()
        self.etag = hashlib.md5(state, usedforsecurity=False).hexdigest()

    def filterable(self) -> dict[str, Any]:
        """Return the fields the filter language sees."""
        return attrs.asdict(self)

    def wire(self, include: frozenset[str]) -> dict[str, Any]:
        """Return the channel as PubNub sends it, with optional fields per ``include``."""
        data: dict[str, Any] = {"id": self.id, "name": self.name, "description": self.description}
        if "type" in include:
            data["type"] = self.type
        if "status" in include:
            data["status"] = self.status
        if "custom" in include:
            data["custom"] = self.custom
        data["updated"] = self.updated
        data["eTag"] = self.etag
        return data


@attrs.define
class Keyset:
    """A PubNub keyset and everything stored under it."""

    subscribe_key: str
    publish_key: str | None = None
    secret_key: str | None = attrs.field(default=None, repr=False)
    auth_keys: frozenset[str] = attrs.field(default=frozenset(), repr=False)
    channels: dict[str, Channel] = attrs.field(factory=dict)
    messages: list[dict[str, Any]] = attrs.field(factory=list)


class PubNubEmulation:
    """The PubNub side of the emulator."""

    name: ClassVar[str] = "pubnub"

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self.keysets: dict[str, Keyset] = {}

    # -- vendor plug-in protocol ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every keyset."""
        self.keysets.clear()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Provision a keyset: ``{"subscribe_key", "publish_key", "secret_key", "auth_keys"}``."""
        sub = payload["subscribe_key"]
        if not isinstance(sub, str) or not sub:
            raise ValueError("subscribe_key must be a non-empty string")
        keyset = Keyset(
            subscribe_key=sub,
            publish_key=payload.get("publish_key"),
            secret_key=payload.get("secret_key"),
            auth_keys=frozenset(payload.get("auth_keys") or ()),
        )
        self.keysets[sub] = keyset
        return {"subscribe_key": sub, "publish_key": keyset.publish_key}

    def snapshot(self) -> dict[str, Any]:
        """Return every keyset's channels and published file messages."""
        return {
            sub: {
                "channels": [c.wire(frozenset(WRITABLE_FIELDS)) for c in ks.channels.values()],
                "messages": ks.messages,
                "files": [
                    attrs.asdict(o) | {"created": o.created.isoformat()}
                    for o in self.context.storage.list(f"{sub}/")
                ],
            }
            for sub, ks in self.keysets.items()
        }

    def settings(self, base_url: str) -> dict[str, Any]:
        """Return ``origin``/``ssl`` for PubNub clients (ours and the official SDK)."""
        origin = base_url.split("://", 1)[1]
        return {"origin": origin, "ssl": base_url.startswith("https")}

    def routes(self) -> list[BaseRoute]:
        """Return the App Context and file routes."""
        from aiospaces.emulator.pubnub_files import file_routes  # noqa: PLC0415 - cycle

        base = "/v2/objects/{sub}/channels"
        return [
            Route(base, self._endpoint(self.list_channels), methods=["GET"]),
            Route(base + "/{channel}", self._endpoint(self.get_channel), methods=["GET"]),
            Route(base + "/{channel}", self._endpoint(self.set_channel), methods=["PATCH"]),
            Route(base + "/{channel}", self._endpoint(self.remove_channel), methods=["DELETE"]),
            *file_routes(self),
        ]

    # -- common request handling ----------------------------------------------------------------

    def _endpoint(self, handler: Any) -> Any:
        return answering_errors(handler)

    def keyset(self, sub: str, *, publish_key: str | None = None) -> Keyset:
        """Return the keyset for ``sub``; sandbox mode provisions unknown keys on first use."""
        keyset = self.keysets.get(sub)
        if keyset is None:
            if self.context.strict:
                raise PubNubError(400, "Invalid Subscribe Key", source="Access Manager")
            keyset = self.keysets[sub] = Keyset(subscribe_key=sub, publish_key=publish_key)
        if publish_key is not None and keyset.publish_key not in (None, publish_key):
            raise PubNubError(400, "Invalid Publish Key", source="Access Manager")
        return keyset

    async def authorize(self, request: Request, keyset: Keyset, *, auth: bool = True) -> bytes:
        """Check ``auth`` and the v2 signature when the keyset demands them; return the body."""
        body = await request.body()
        query = parse_qsl(request.url.query, keep_blank_values=True)
        params = dict(query)
        if auth and keyset.auth_keys and params.get("auth") not in keyset.auth_keys:
            raise PubNubError(403, "Forbidden", source="Access Manager")
        if keyset.secret_key:
            self._verify_signature(request, keyset, query, params, body)
        return body

    def _verify_signature(
        self,
        request: Request,
        keyset: Keyset,
        query: list[tuple[str, str]],
        params: dict[str, str],
        body: bytes,
    ) -> None:
        signature, stamp = params.get("signature"), params.get("timestamp", "")
        if not signature or not stamp.isdigit():
            raise PubNubError(403, "Signature and timestamp are required", source="Access Manager")
        if abs(int(stamp) - time.time()) > SIGNATURE_WINDOW:
            raise PubNubError(403, "Request timestamp expired", source="Access Manager")
        signed = "&".join(
            f"{k}={pam_encode(v)}" for k, v in sorted(query) if k != "signature"
        )  # fmt: skip
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        expected = sign_v2(
            keyset.secret_key or "",
            keyset.publish_key or "",
            request.method,
            raw_path.decode("latin-1"),
            signed,
            body.decode("utf-8", "replace"),
        )
        if not hmac.compare_digest(expected, signature):
            raise PubNubError(403, "Signature does not match", source="Access Manager")

    # -- App Context channels -----------------------------------------------------------------

    async def list_channels(self, request: Request) -> Response:
        """``GET /v2/objects/{sub}/channels``: filter, sort, count, cursors, include."""
        keyset = self.keyset(request.path_params["sub"])
        await self.authorize(request, keyset)
        query = parse_qsl(request.url.query, keep_blank_values=True)
        params = dict(query)
        include = _include(params.get("include", ""))
        limit = _limit(params.get("limit"))
        channels = list(keyset.channels.values())
        if params.get("filter"):
            try:
                predicate = parse_filter(params["filter"])
                channels = [c for c in channels if predicate.matches(c.filterable())]
            except FilterError as exc:
                detail = _detail(exc.message, "filter", "query")
                raise PubNubError(400, "Invalid filter expression.", details=[detail]) from exc
        channels = _sorted(channels, [v for k, v in query if k == "sort"])
        total = len(channels)
        if params.get("start"):
            offset = _cursor(params["start"], "start")
        elif params.get("end"):
            offset = max(0, _cursor(params["end"], "end") - limit)
        else:
            offset = 0
        page = channels[offset : offset + limit]
        body: dict[str, Any] = {"status": 200, "data": [c.wire(include) for c in page]}
        if params.get("count", "").lower() == "true":
            body["totalCount"] = total
        if offset + len(page) < total:
            body["next"] = _encode_cursor(offset + len(page))
        if offset > 0:
            body["prev"] = _encode_cursor(offset)
        return JSONResponse(body)

    async def get_channel(self, request: Request) -> Response:
        """``GET /v2/objects/{sub}/channels/{channel}``."""
        keyset = self.keyset(request.path_params["sub"])
        await self.authorize(request, keyset)
        channel = keyset.channels.get(request.path_params["channel"])
        if channel is None:
            raise PubNubError(404, "Requested object was not found.")
        include = _include(request.query_params.get("include", ""))
        return JSONResponse({"status": 200, "data": channel.wire(include)})

    async def set_channel(self, request: Request) -> Response:
        """``PATCH /v2/objects/{sub}/channels/{channel}``: upsert, honouring ``If-Match``."""
        keyset = self.keyset(request.path_params["sub"])
        body = await self.authorize(request, keyset)
        changes = _channel_body(body)
        channel_id = request.path_params["channel"]
        existing = keyset.channels.get(channel_id)
        if_match = request.headers.get("if-match")
        if if_match is not None and (existing is None or existing.etag != if_match):
            raise PubNubError(412, "Channel to update has been modified after it was read.")
        channel = existing or Channel(id=channel_id)
        for key, value in changes.items():
            setattr(channel, key, value)
        channel.touch()
        keyset.channels[channel_id] = channel
        include = _include(request.query_params.get("include", ""))
        return JSONResponse({"status": 200, "data": channel.wire(include)})

    async def remove_channel(self, request: Request) -> Response:
        """``DELETE /v2/objects/{sub}/channels/{channel}``."""
        keyset = self.keyset(request.path_params["sub"])
        await self.authorize(request, keyset)
        if keyset.channels.pop(request.path_params["channel"], None) is None:
            raise PubNubError(404, "Requested object was not found.")
        return JSONResponse({"status": 200, "data": None})


# -- parameter parsing -----------------------------------------------------------------------


def _include(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _limit(raw: str | None) -> int:
    if raw is None:
        return MAX_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        detail = _detail(f"limit must be an integer from 1 to {MAX_LIMIT}", "limit", "query")
        raise PubNubError(400, "Request contains invalid parameters.", details=[detail])
    return int(raw)


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _cursor(raw: str, name: str) -> int:
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True).decode()
        if decoded.isdigit():
            return int(decoded)
    except (binascii.Error, UnicodeDecodeError):
        pass
    detail = _detail("invalid page cursor", name, "query")
    raise PubNubError(400, "Request contains invalid parameters.", details=[detail])


def _sorted(channels: list[Channel], raw_sorts: list[str]) -> list[Channel]:
    keys: list[tuple[str, bool]] = []
    for raw in raw_sorts:
        for part in filter(None, (p.strip() for p in raw.split(","))):
            name, _, direction = part.partition(":")
            if name not in SORT_KEYS or direction not in ("", "asc", "desc"):
                detail = _detail(f"invalid sort key {part!r}", "sort", "query")
                raise PubNubError(400, "Request contains invalid parameters.", details=[detail])
            keys.append((name, direction == "desc"))
    result = sorted(channels, key=lambda c: c.id)
    for name, descending in reversed(keys):  # stable sorts, least significant key first
        present = [c for c in result if getattr(c, name) is not None]
        absent = [c for c in result if getattr(c, name) is None]
        present.sort(key=lambda c, n=name: getattr(c, n), reverse=descending)  # type: ignore[misc]
        result = present + absent
    return result


def _channel_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"null")
    except ValueError as exc:
        detail = _detail("body is not valid JSON", "body", "body")
        raise PubNubError(400, "Request body is invalid.", details=[detail]) from exc
    if not isinstance(payload, dict):
        detail = _detail("body must be a JSON object", "body", "body")
        raise PubNubError(400, "Request body is invalid.", details=[detail])
    details = [
        _detail(f"unknown field {key!r}", key, "body")
        for key in payload
        if key not in WRITABLE_FIELDS
    ]
    for key in ("name", "description", "status", "type"):
        if key in payload and payload[key] is not None and not isinstance(payload[key], str):
            details.append(_detail(f"{key} must be a string or null", key, "body"))
    custom = payload.get("custom")
    if custom is not None and (
        not isinstance(custom, dict) or any(isinstance(v, dict | list) for v in custom.values())
    ):
        details.append(_detail("custom must be an object of scalar values", "custom", "body"))
    if details:
        raise PubNubError(400, "Request body is invalid.", details=details)
    return {key: payload[key] for key in WRITABLE_FIELDS if key in payload}
