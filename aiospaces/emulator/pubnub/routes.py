"""PubNub emulation routes: the vendor plug-in and App Context channels with their parameters.

Spaces are App Context channels (``/v2/objects/{sub}/channels``); keysets, channels and access
checks live in [state][aiospaces.emulator.pubnub.state], file sharing in
[files][aiospaces.emulator.pubnub.files]. Wire facts (shapes, quirks) follow the
recorded production responses: ``custom``/``status``/``type`` only when included, 32-hex
eTags, RFC 3339 ``updated`` without trailing zeros, unpadded base64 offset cursors,
``totalCount`` only with ``count`` (``true`` in any case, or ``1``), ``next`` on every page
that has items (also the last one: the walk ends on the empty page after it), and a ``DELETE``
that answers 200 whether or not the channel existed.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiospaces.emulator._http import answering_errors, json_object
from aiospaces.emulator._parse import ascii_int, from_payload
from aiospaces.emulator.pubnub.files import UPLOAD_EXPIRES, file_routes
from aiospaces.emulator.pubnub.filter_syntax import FilterError
from aiospaces.emulator.pubnub.filters import parse_filter
from aiospaces.emulator.pubnub.kept import KeptPubNub
from aiospaces.emulator.pubnub.realtime import realtime_routes
from aiospaces.emulator.pubnub.state import (
    MAX_LIMIT,
    WRITABLE_FIELDS,
    Channel,
    Keyset,
    Keysets,
    KeysetSeed,
    PubNubError,
)
from aiospaces.emulator.pubnub.stream import (
    OBJECTS,
    SUBSCRIBE_TIMEOUT,
    PublishOptions,
    Streams,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from aiospaces.emulator._http import EmulatorContext

__all__ = ["COUNT_TRUE", "SORT_KEYS", "PubNubEmulation", "collation_key"]

SORT_KEYS = frozenset({"id", "name", "updated", "status", "type"})
"""The channel fields a list may be sorted by."""
COUNT_TRUE = frozenset({"true", "1"})
"""The ``count`` values that ask for ``totalCount`` (the SDKs send ``True``, ``true`` or ``1``)."""


class PubNubEmulation(KeptPubNub):
    """The PubNub side of the emulator.

    Args:
        context: The emulator's strict flag and object store.
        subscribe_timeout: Seconds a subscribe long-poll is held with nothing to deliver.
        upload_expires: Seconds a presigned upload form stays valid.

    Attributes:
        keysets: The keysets and their access checks.
        streams: Every keyset's message stream (publish, subscribe, history, groups).
    """

    name: ClassVar[str] = "pubnub"
    persistent: ClassVar[tuple[str, ...]] = ("keyset_keys", "streams.by_key", "streams.clock.last")
    """What a state file keeps (see [state_file][aiospaces.emulator.state_file])."""
    persistent_by_key: ClassVar[tuple[str, ...]] = ("stored_channels", "stored_records")
    """Kept one row per entry (see [kept][aiospaces.emulator.pubnub.kept])."""
    writing_reads: ClassVar[tuple[str, ...]] = (
        *("/publish/*", "/signal/*", "/v1/files/publish-file/*"),
        "/v1/channel-registration/*",
    )
    """Paths of the ``GET`` requests that change state (the state file commits after them)."""

    def __init__(
        self,
        context: EmulatorContext,
        *,
        subscribe_timeout: float = SUBSCRIBE_TIMEOUT,
        upload_expires: float = UPLOAD_EXPIRES,
    ) -> None:
        self.context = context
        self.upload_expires = upload_expires
        self.keysets = Keysets(context)
        self.streams = Streams(subscribe_timeout=subscribe_timeout)

    # -- vendor plug-in protocol ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every keyset and its messages (waiting long-polls answer at once)."""
        self.keysets.by_key.clear()
        self.streams.clear()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Provision a keyset: ``{"subscribe_key", "publish_key", "secret_key", "auth_keys"}``."""
        spec = from_payload(KeysetSeed, payload)
        keyset = Keyset(
            subscribe_key=spec.subscribe_key,
            publish_key=spec.publish_key,
            secret_key=spec.secret_key,
            auth_keys=frozenset(spec.auth_keys or ()),
        )
        self.keysets.by_key[spec.subscribe_key] = keyset
        return {"subscribe_key": spec.subscribe_key, "publish_key": keyset.publish_key}

    def snapshot(self) -> dict[str, Any]:
        """Return every keyset's channels, newest messages (at most 1,000) and files."""
        return {
            sub: {
                "channels": [c.wire(frozenset(WRITABLE_FIELDS)) for c in ks.channels.values()],
                "messages": self.streams.snapshot(sub),
                "files": [
                    attrs.asdict(o) | {"created": o.created.isoformat()}
                    for o in self.context.storage.list(f"{sub}/")
                ],
            }
            for sub, ks in self.keysets.by_key.items()
        }

    def settings(self, base_url: str) -> dict[str, Any]:
        """Return ``origin``/``ssl`` for PubNub clients (ours and the official SDK)."""
        origin = base_url.split("://", 1)[1]
        return {"origin": origin, "ssl": base_url.startswith("https")}

    def routes(self) -> list[BaseRoute]:
        """Return the App Context, file and realtime routes."""
        base = "/v2/objects/{sub}/channels"
        return [
            Route(base, answering_errors(self.list_channels), methods=["GET"]),
            Route(base + "/{channel}", answering_errors(self.get_channel), methods=["GET"]),
            Route(base + "/{channel}", answering_errors(self.set_channel), methods=["PATCH"]),
            Route(base + "/{channel}", answering_errors(self.remove_channel), methods=["DELETE"]),
            *file_routes(self.keysets, self.context.storage, self.streams, self.upload_expires),
            *realtime_routes(self.keysets, self.streams),
        ]

    # -- App Context channels -----------------------------------------------------------------

    async def list_channels(self, request: Request) -> Response:
        """``GET /v2/objects/{sub}/channels``: filter, sort, count, cursors, include."""
        keyset = await self.keysets.admit(request)
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
        if params.get("count", "").lower() in COUNT_TRUE:
            body["totalCount"] = total
        if page:  # production links every non-empty page, the last one too
            body["next"] = _encode_cursor(offset + len(page))
        if offset > 0:
            body["prev"] = _encode_cursor(offset)
        return JSONResponse(body)

    async def get_channel(self, request: Request) -> Response:
        """``GET /v2/objects/{sub}/channels/{channel}``."""
        keyset = await self.keysets.admit(request)
        channel = keyset.channels.get(request.path_params["channel"])
        if channel is None:
            raise PubNubError(404, "Requested object was not found.")
        include = _include(request.query_params.get("include", ""))
        return JSONResponse({"status": 200, "data": channel.wire(include)})

    async def set_channel(self, request: Request) -> Response:
        """``PATCH /v2/objects/{sub}/channels/{channel}``: upsert, honouring ``If-Match``."""
        keyset = await self.keysets.admit(request)
        changes = _channel_body(await request.body())
        channel_id = request.path_params["channel"]
        existing = keyset.channels.get(channel_id)
        if_match = request.headers.get("if-match")
        if if_match is not None and (existing is None or existing.etag != if_match):
            raise PubNubError(412, "Channel to update has been modified after it was read.")
        channel = existing or Channel(id=channel_id)
        changed = existing is None or any(getattr(channel, k) != v for k, v in changes.items())
        if changed:  # a PATCH that changes nothing keeps the eTag and ``updated``, as recorded
            channel = attrs.evolve(
                channel, **changes
            )  # replaced: a state file keeps it by identity
            channel.touch()
        keyset.channels[channel_id] = channel
        self._announce(keyset, "set", channel.wire(frozenset(WRITABLE_FIELDS)))
        include = _include(request.query_params.get("include", ""))
        return JSONResponse({"status": 200, "data": channel.wire(include)})

    async def remove_channel(self, request: Request) -> Response:
        """``DELETE /v2/objects/{sub}/channels/{channel}``: 200 even if there was none.

        Production answers a missing (or already deleted) channel exactly like a deleted one.
        """
        keyset = await self.keysets.admit(request)
        channel_id = request.path_params["channel"]
        if keyset.channels.pop(channel_id, None) is not None:  # no event when nothing was there
            self._announce(keyset, "delete", {"id": channel_id})
        return JSONResponse({"status": 200, "data": None})

    def _announce(self, keyset: Keyset, event: str, data: dict[str, Any]) -> None:
        """Send an App Context event (``e: 2``) to subscribers of the channel; not stored."""
        payload = {"source": "objects", "version": "2.0", "event": event, "type": "channel"}
        options = PublishOptions(store=False)
        sub = keyset.subscribe_key
        self.streams.publish(sub, data["id"], payload | {"data": data}, options, OBJECTS)


# -- parameter parsing -----------------------------------------------------------------------


def _detail(message: str, location: str, location_type: str) -> dict[str, str]:
    return {"message": message, "location": location, "locationType": location_type}


def _include(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _limit(raw: str | None) -> int:
    if raw is None:
        return MAX_LIMIT
    limit = ascii_int(raw)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        detail = _detail(f"limit must be an integer from 1 to {MAX_LIMIT}", "limit", "query")
        raise PubNubError(400, "Request contains invalid parameters.", details=[detail])
    return limit


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _cursor(raw: str, name: str) -> int:
    try:  # a non-ASCII cursor is a ValueError, a bad alphabet a binascii.Error (also one)
        offset = ascii_int(base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True).decode())
    except ValueError:
        offset = None
    if offset is not None:
        return offset
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
    result = sorted(channels, key=lambda c: collation_key(c.id))
    for name, descending in reversed(keys):  # stable sorts, least significant key first
        present = [c for c in result if getattr(c, name) is not None]
        absent = [c for c in result if getattr(c, name) is None]
        if name == "updated":  # a time: RFC 3339 text with trimmed zeros sorts wrongly as text
            present.sort(key=lambda c: datetime.fromisoformat(c.updated), reverse=descending)
        else:
            present.sort(key=lambda c, n=name: collation_key(getattr(c, n)), reverse=descending)  # type: ignore[misc]
        result = present + absent
    return result


def collation_key(text: str) -> tuple[str, str]:
    """Return the key production sorts text by: letters and digits first, case-insensitively.

    Punctuation and spaces only break ties, as in a locale collation: production lists
    ``somechannel``, ``somechannelid``, ``somechannel_with_custom`` in that order when sorting
    by ``id`` (recorded), where code points would put ``_`` before ``i``.
    """
    return "".join(ch for ch in text.casefold() if ch.isalnum()), text


def _invalid_body(details: list[dict[str, str]]) -> PubNubError:
    return PubNubError(400, "Request body is invalid.", details=details)


def _channel_body(body: bytes) -> dict[str, Any]:
    payload = json_object(
        body or b"null",
        not_json=_invalid_body([_detail("body is not valid JSON", "body", "body")]),
        not_object=_invalid_body([_detail("body must be a JSON object", "body", "body")]),
    )
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
        raise _invalid_body(details)
    return {key: payload[key] for key in WRITABLE_FIELDS if key in payload}
