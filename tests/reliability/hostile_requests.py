"""A hostile-request sweep of every emulator route, in sandbox or strict mode.

[ROUTES][] lists every route of every vendor (PubNub objects and files, the ``/_storage`` side,
Mux, NeuroIO, PubNub Admin) and of the control API, as data: a path template with ``<name>``
placeholders, the query parameters the route reads and a valid JSON body. The ``HOSTILE_*``
tables hold what is substituted: odd path segments, odd query values, bodies that are not
JSON (lone surrogates, ``NaN``, ``1e999``, 100k-deep nesting, ...), odd headers and
credentials, unknown methods, a body too large. [hostile_requests][] crosses the two;
[sweep][] sends them all through any ``httpx.AsyncClient`` (in-process or on a socket) and
then checks that nothing stored breaks a later answer:

```python
result = await sweep(client, emulator, strict=False)
assert not (result.server_errors or result.dropped or result.poisoned)
```
"""

from __future__ import annotations

import base64
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import quote

import attrs
import httpx

from tests.reliability.hostile_support import (
    Context,
    error_shape,
    fill,
    placeholders,
    poison_checks,
    prepare,
    url,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiospaces.emulator import Emulator

__all__ = ["ROUTES", "HostileRequest", "Route", "SweepResult", "hostile_requests", "sweep"]

log = logging.getLogger(__name__)


_ALL_KINDS = frozenset({"path", "query", "body", "headers", "method", "auth"})


@attrs.frozen
class Route:
    """One route: ``vendor`` picks its credentials and error shape; ``<name>`` are filled in.

    Attributes:
        vendor: ``pubnub``, ``storage``, ``mux``, ``neuroio``, ``admin`` or ``control``.
        method: The method the route takes.
        path: The path template; ``<name>`` is filled in from the set-up's ids.
        query: The query parameters the route reads.
        body: A valid JSON body (a template too), if the route reads one.
        kinds: Which kinds of hostile variants the route gets.
        refused: Bodies that carry wrong credentials (a login's): never a 2xx in strict mode.
    """

    vendor: str
    method: str
    path: str
    query: tuple[str, ...] = ()
    body: str | None = None
    kinds: frozenset[str] = _ALL_KINDS
    refused: tuple[str, ...] = ()


_PN = "/v2/objects/<sub>/channels"
_FILES = "/v1/files/<sub>/channels/<channel>"
_PUBLISH = "/publish/<pub>/<sub>/0/<channel>/0"
_HISTORY = "/v3/history/sub-key/<sub>"
_FETCH = ("max", "start", "end", "include_meta", "include_message_type", "include_uuid",
          "include_custom_message_type", "encode_channels")  # fmt: skip
_OPTIONS = ("meta", "store", "ttl", "custom_message_type", "seqn", "norep", "uuid")
_GROUPS = "/v1/channel-registration/sub-key/<sub>/channel-group"
_PRESENCE = "/v2/presence/sub-key/<sub>/channel/<channel>"
_MUX = "/video/v1"
_BC = _MUX + "/spaces/<space>/broadcasts/<broadcast>"
_NIO_SPACE = "/v1/spaces/<nio_space>/"
_KEY = "/api/v1/blocks/key/<key>"
_NO_AUTH = _ALL_KINDS - {"auth"}
_BODIES = {
    "channel": '{"name": "n", "description": "d", "status": "s", "type": "t", "custom": {"k": 1}}',
    "stream": '{"playback_policy": ["public"], "passthrough": "p", "reconnect_window": 30,'
    ' "max_continuous_duration": 600, "new_asset_settings": {"a": 1}, "test": true}',
    "webhooks": '{"url": "http://127.0.0.1:9/hook", "secret": "s", "environment": "env-hostile"}',
    "nio_login": '{"username": "nio-hostile", "password": "pw"}',
    "admin_login": '{"email": "admin@hostile.example", "password": "pw"}',
    "handler": '{"key_id": <key>, "block_id": <block>, "name": "h2", "event": "js-on-rest",'
    ' "path": "p2", "code": "export default (request, response) => response.send();"}',
    "fault": '{"method": "*", "path": "/nowhere/*", "status": 503, "headers": {"Retry-After": "1"},'
    ' "delay": 0, "times": 1, "probability": 0.5, "body": {"error": "busy"}}',
    "pubnub": '{"subscribe_key": "sub-seeded", "publish_key": "pub-seeded", "secret_key": "sec",'
    ' "auth_keys": ["a"]}',
    "mux": '{"token_id": "tok-seeded", "token_secret": "s", "environment": "env-seeded",'
    ' "webhook_secret": "w"}',
    "neuroio": '{"username": "seeded", "password": "pw", "tokens": ["nio-seeded"],'
    ' "spaces": ["s"]}',
    "admin": '{"email": "seeded@example.com", "password": "pw",'
    ' "apps": [{"name": "a", "keys": ["k"]}]}',
}
_REFUSED = {
    "nio_login": (
        '{"username": "nio-hostile", "password": "wrong"}',
        '{"username": "nio-unknown", "password": "pw"}',
    ),
    "admin_login": (
        '{"email": "admin@hostile.example", "password": "wrong"}',
        '{"email": "unknown@hostile.example", "password": "pw"}',
    ),
}

# fmt: off
ROUTES: tuple[Route, ...] = (
    Route("pubnub", "GET", _PN, ("limit", "start", "end", "sort", "filter", "include", "count")),
    Route("pubnub", "GET", _PN + "/<channel>", ("include",)),
    Route("pubnub", "PATCH", _PN + "/<channel>", ("include",), _BODIES["channel"]),
    Route("pubnub", "POST", _FILES + "/generate-upload-url", (), '{"name": "hostile.txt"}'),
    Route("pubnub", "GET", "/v1/files/publish-file/<pub>/<sub>/0/<channel>/0/<message>",
          ("meta", "store", "ttl")),
    Route("pubnub", "GET", _FILES + "/files", ("limit", "next")),
    Route("pubnub", "GET", _FILES + "/files/<file_id>/<file_name>"),
    Route("pubnub", "GET", _PUBLISH + "/<message>", _OPTIONS),
    Route("pubnub", "POST", _PUBLISH, _OPTIONS, '{"text": "hi", "n": 1}'),
    Route("pubnub", "GET", "/signal/<pub>/<sub>/0/<channel>/0/<signal>", ("custom_message_type",)),
    Route("pubnub", "GET", "/v2/subscribe/<sub>/<channel>/0",
          ("tt", "tr", "channel-group", "filter-expr", "heartbeat", "state")),
    Route("pubnub", "GET", _PRESENCE + "/heartbeat", ("heartbeat",)),
    Route("pubnub", "GET", _PRESENCE + "/leave"),
    Route("pubnub", "GET", "/time/0", kinds=_NO_AUTH),
    Route("pubnub", "GET", _HISTORY + "/channel/<channel>", _FETCH),
    Route("pubnub", "GET", "/v3/history-with-actions/sub-key/<sub>/channel/<channel>", _FETCH),
    Route("pubnub", "GET", _HISTORY + "/message-counts/<channel>",
          ("timetoken", "channelsTimetoken")),
    Route("pubnub", "GET", _GROUPS),
    Route("pubnub", "GET", _GROUPS + "/<group>", ("add", "remove")),
    Route("storage", "GET", "/_storage/<storage_key>", ("X-Amz-Expires", "X-Amz-Date")),
    Route("storage", "POST", "/_storage/", kinds=frozenset({"method", "headers"})),
    Route("mux", "GET", _MUX + "/spaces", ("limit", "page")),
    Route("mux", "POST", _MUX + "/spaces", (), '{"type": "server", "passthrough": "p"}'),
    Route("mux", "GET", _MUX + "/spaces/<space>"),
    Route("mux", "POST", _MUX + "/spaces/<space>/broadcasts", (), '{"live_stream_id": "<stream>"}'),
    Route("mux", "GET", _BC),
    Route("mux", "POST", _BC + "/start"),
    Route("mux", "POST", _BC + "/stop"),
    Route("mux", "GET", _MUX + "/live-streams", ("limit", "page", "status", "stream_key")),
    Route("mux", "POST", _MUX + "/live-streams", (), _BODIES["stream"]),
    Route("mux", "GET", _MUX + "/live-streams/<stream>"),
    Route("mux", "PUT", _MUX + "/live-streams/<stream>/complete"),
    Route("control", "POST", "/_emulator/mux/spaces/<space>/participants", (),
          '{"participant_id": "p2"}'),
    Route("control", "GET", "/_emulator/mux/webhooks", ("environment",)),
    Route("control", "POST", "/_emulator/mux/webhooks/send", (), _BODIES["webhooks"]),
    Route("control", "GET", "/_emulator/mux/config"),
    Route("control", "POST", "/_emulator/mux/config", (), '{"rule_status": 409}'),
    Route("neuroio", "POST", "/v1/auth/token/", (), _BODIES["nio_login"], _NO_AUTH,
          _REFUSED["nio_login"]),
    Route("neuroio", "GET", "/v1/whoami/"),
    Route("neuroio", "GET", "/v1/tokens/", ("limit", "offset", "permanent")),
    Route("neuroio", "POST", "/v1/tokens/", (), '{"permanent": false}'),
    Route("neuroio", "GET", "/v1/tokens/<token>/"),
    Route("neuroio", "PATCH", "/v1/tokens/<token>/", (), '{"is_active": true}'),
    Route("neuroio", "GET", "/v1/spaces/", ("q", "limit", "offset")),
    Route("neuroio", "POST", "/v1/spaces/", (), '{"name": "n"}'),
    Route("neuroio", "GET", _NIO_SPACE),
    Route("neuroio", "PATCH", _NIO_SPACE, (), '{"name": "n2"}'),
    Route("neuroio", "PUT", _NIO_SPACE, (), '{"name": "n3"}'),
    Route("neuroio", "POST", _NIO_SPACE + "tokens/", (), '{"permanent": true}'),
    Route("neuroio", "GET", "/v1/lists/spaces/"),
    Route("admin", "POST", "/api/me", (), _BODIES["admin_login"], _NO_AUTH,
          _REFUSED["admin_login"]),
    Route("admin", "GET", "/api/accounts", ("user_id",)),
    Route("admin", "GET", "/api/apps", ("owner_id", "no_keys")),
    Route("admin", "GET", _KEY + "/block"),
    Route("admin", "POST", _KEY + "/block", (), '{"key_id": <key>, "name": "b"}'),
    Route("admin", "GET", _KEY + "/block/<block>"),
    Route("admin", "PUT", _KEY + "/block/<block>", (), '{"key_id": <key>, "name": "b2"}'),
    Route("admin", "POST", _KEY + "/block/<block>/start"),
    Route("admin", "POST", _KEY + "/block/<block>/stop"),
    Route("admin", "POST", _KEY + "/event_handler", (), _BODIES["handler"]),
    Route("admin", "PUT", _KEY + "/event_handler/<handler>", (), '{"log_level": "info"}'),
    Route("control", "GET", "/_emulator/state"),
    Route("control", "POST", "/_emulator/reset", kinds=frozenset({"method"})),
    Route("control", "GET", "/_emulator/faults"),
    Route("control", "GET", "/_emulator/requests",
          ("vendor", "status", "path", "method", "since", "limit")),
    Route("control", "POST", "/_emulator/faults", (), _BODIES["fault"]),
    Route("control", "POST", "/_emulator/faults/seed", (), '{"seed": 7}'),
    Route("control", "POST", "/_emulator/<vendor>/seed", (), '{"subscribe_key": "sub-seeded"}'),
    Route("control", "POST", "/_emulator/pubnub/seed", (), _BODIES["pubnub"]),
    Route("control", "POST", "/_emulator/mux/seed", (), _BODIES["mux"]),
    Route("control", "POST", "/_emulator/neuroio/seed", (), _BODIES["neuroio"]),
    Route("control", "POST", "/_emulator/pubnub_admin/seed", (), _BODIES["admin"]),
    # deletions last, so the routes above still find what they name
    Route("pubnub", "DELETE", _FILES + "/files/<file_id>/<file_name>"),
    Route("pubnub", "DELETE", _PN + "/<channel>"),
    Route("pubnub", "GET", _GROUPS + "/<group>/remove"),
    Route("pubnub", "DELETE", _HISTORY + "/channel/<channel>", ("start", "end")),
    Route("control", "DELETE", "/_emulator/mux/spaces/<space>/participants/<participant>"),
    Route("mux", "DELETE", _BC),
    Route("mux", "DELETE", _MUX + "/spaces/<space>"),
    Route("mux", "DELETE", _MUX + "/live-streams/<stream>"),
    Route("neuroio", "DELETE", "/v1/tokens/<token>/"),
    Route("neuroio", "DELETE", "/v1/tokens/", ("permanent",)),
    Route("neuroio", "DELETE", _NIO_SPACE),
    Route("admin", "DELETE", _KEY + "/event_handler/<handler>"),
    Route("admin", "DELETE", _KEY + "/block/<block>"),
    Route("control", "DELETE", "/_emulator/faults", kinds=frozenset({"method"})),
)
# fmt: on
"""Every route of the emulator; ``/_emulator/reset`` and ``DELETE /_emulator/faults`` only get
methods they do not take (the sweep's own checks run with whatever rules it left)."""

HOSTILE_SEGMENTS = (
    "%00", "%2E", "%2E%2E", "a%2Fb", "%5C", "%C2%B2", "%D9%A3", "%FF", "%ED%A0%80",
    "%F0%9F%92%A5", "-1", "9" * 30, "a" * 4096, "%25", "%20", "%22%27%3C%3E%7B%7D",
)  # fmt: skip
"""Path segments put in place of an id (already percent-encoded)."""

HOSTILE_QUERY_VALUES = (
    "", "%C2%B2", "%D9%A3", "-1", "0", "1e3", "+5", "%205", "5_0", "9" * 30, "9" * 5000,
    "%00", "%FF", "%ED%A0%80", "a" * 4096,
)  # fmt: skip
"""Values given to each query parameter a route reads (already percent-encoded)."""

HOSTILE_QUERIES = ("%FF=%FF", "=&=&&", "%00=%00", "include=a&include=b&limit=1&limit=2")
"""Whole query strings added to every route."""

HOSTILE_VALUES = (
    '"\\ud800"', '"a\\udfffb"', "NaN", "-Infinity", "1e999", "-1e999", "[" * 70 + "]" * 70,
    "9" * 4000, "null", "true", "-1", "5", '""', "{}", "[]", '[1, {}]', '{"a": "b"}', '"\\u0000"',
    '"' + "x" * 10_000 + '"',
)  # fmt: skip
"""JSON texts put in place of each field of a route's valid body."""

EXTRA_FIELD_VALUES: dict[str, tuple[str, ...]] = {
    "url": ('"http://[::1"', '"http://\\u0000/"', '"ftp://x/"', '"http://%zz/"', '"http:///x"'),
    "headers": ('{"X-A": "a\\r\\nb"}', '{"Content-Length": "5"}', '{"X": 5}', '{"\\u00ff": "v"}'),
    "status": ("99", "600", '"500"', "500.5"),
    "delay": ("3601", "1e308", '"1"'),
    "times": ("1.5", '"1"'),
    "probability": ("2", "-0.1", '"0.5"'),
    "method": ('"G T"', '"\\u00e9"'),
    "seed": ("1.5", '"7"'),
    "auth_keys": ('"abc"', "[1, {}]"),
    "apps": ('"x"', '[{"name": "a", "keys": "abc"}]', '[{"name": {"x": 1}}]', "[5]"),
}
"""More values for body fields whose type or range is easy to get wrong (faults, seeds)."""

EXTRA_SEGMENTS = {
    name: tuple(quote(value, safe="") for value in HOSTILE_VALUES) for name in ("message", "signal")
}
"""More path segments for placeholders that carry JSON (publish-file's file message, a
publish's or a signal's payload)."""

HOSTILE_BODIES = (
    b"", b"null", b"[]", b'"text"', b"0", b"{", b"{}}", b"\xff\xfe", b"\x00", b"\xef\xbb\xbf{}",
    b'{"a": NaN}', b"Infinity", b'{"a": 1e999}', b'{"\\ud800": 1}', b'{"a": "\xed\xa0\x80"}',
    b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000, b'{"a": ' * 65 + b"1" + b"}" * 65,
    b"9" * 5000, b'{"a": 1, "a": 2}', b"a=%FF&b=%ED%A0%80",
)  # fmt: skip
"""Whole bodies sent to every route that reads one."""

EXTRA_QUERY_VALUES: dict[str, tuple[str, ...]] = {
    "filter": tuple(
        quote(text, safe="")
        for text in (
            "(" * 3000 + "name == 'a'" + ")" * 3000,
            "!" * 3000 + "name == 'a'",
            "name == 1e999",
            "name == " + "9" * 5000,
            "name LIKE '" + "*" * 2000 + "'",
            "name == '\\ud800'",
            "custom.k > 1 && updated > '\xff'",
        )
    ),
    "meta": tuple(quote(value, safe="") for value in HOSTILE_VALUES),
    "state": tuple(quote(value, safe="") for value in HOSTILE_VALUES),
    "start": ("%C2%B2", base64.b64encode(b"9" * 5000).decode(), "AA", "%FF"),
    "sort": ("name:%FF", "updated:desc,id:asc," * 200),
}
EXTRA_QUERY_VALUES["filter-expr"] = EXTRA_QUERY_VALUES["filter"] + tuple(
    quote(text, safe="")
    for text in (
        "meta.a LIKE '" + "*a" * 2000 + "*b'",
        "!" * 3000 + "uuid == 'a'",
        "meta" + ".a" * 5000 + " == 1",
        "data.x CONTAINS '\\ud800'",
    )
)
"""More values for query parameters that carry expressions, JSON or cursors."""

HOSTILE_HEADERS: tuple[dict[str, bytes], ...] = (
    {"Content-Type": b"text/plain"},
    {"Content-Type": b"application/x-www-form-urlencoded"},
    {"Content-Type": b"multipart/form-data"},
    {"Content-Type": b"multipart/form-data; boundary=x"},
    {"Content-Type": b"application/json; charset=utf-16"},
    {"Content-Type": b"\xff\xfe"},
    {"Host": b"["},
    {"Host": b"emu:port"},
    {"Host": b"\xff"},
    {"If-Match": b"\xff"},
    {"Accept": b"\xff", "Accept-Encoding": b"\xff"},
    {"X-Odd": b"x" * 8000},
)
"""Headers added to a valid request of every route."""

ODD_CREDENTIALS: dict[str, tuple[tuple[str, str, bytes], ...]] = {
    "pubnub": (("query", "auth", b"%FF"), ("query", "auth", b"%ED%A0%80"), ("query", "auth", b"")),
    "storage": (("query", "X-Amz-Signature", b"%FF"), ("query", "X-Amz-Signature", b"0" * 64)),
    "mux": (
        ("header", "Authorization", b"Basic \xff\xfe"),
        ("header", "Authorization", b"Basic"),
        ("header", "Authorization", b"Basic !!!"),
        ("header", "Authorization", b"Basic " + base64.b64encode(b"\xff:\xfe")),
        ("header", "Authorization", b"Basic " + base64.b64encode(b"tok-hostile:wrong")),
        ("header", "Authorization", b"Bearer x"),
    ),
    "neuroio": (
        ("header", "Authorization", b"Token \xff"),
        ("header", "Authorization", b"Token"),
        ("header", "Authorization", b"Token " + b"k" * 4096),
        ("header", "Authorization", b"Bearer nio-token-hostile"),
    ),
    "admin": (
        ("header", "X-Session-Token", b"\xff"),
        ("header", "X-Session-Token", b""),
        ("header", "X-Session-Token", b"x" * 4096),
    ),
}
"""Credentials that must never pass in strict mode (besides none and unknown ones)."""

METHODS = ("FOO", "PROPFIND", "OPTIONS", "TRACE", "GET", "POST", "PUT", "PATCH", "DELETE")
"""Methods tried on every path (those the path does not take must get a 4xx)."""

TOO_LARGE = b'{"name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
"""A body larger than any JSON route accepts."""


@attrs.frozen
class HostileRequest:
    """One request of the sweep; ``authenticated`` is False for missing or odd credentials."""

    vendor: str
    method: str
    url: str
    headers: tuple[tuple[str, bytes], ...] = ()
    body: bytes | None = None
    authenticated: bool = True


@attrs.frozen
class SweepResult:
    """What a sweep found; a sound emulator has every list empty.

    Attributes:
        requests: How many hostile requests were sent.
        server_errors: ``(method, path, status)`` of every answer >= 500.
        dropped: ``(method, path, error)`` of every request without an answer.
        wrong_shape: ``(method, path, status)`` of 4xx answers not in the vendor's error shape.
        poisoned: Checks that failed after the sweep (a list or the state answering >= 500 or
            with something that is not strict JSON).
        unauthenticated_through: ``(method, path, status)`` of requests without valid
            credentials that got a 2xx (strict mode only).
    """

    requests: int
    server_errors: list[tuple[str, str, int]]
    dropped: list[tuple[str, str, str]]
    wrong_shape: list[tuple[str, str, int]]
    poisoned: list[str]
    unauthenticated_through: list[tuple[str, str, int]]


def _with_field(body: str, field: str, value: str) -> bytes:
    pairs = json.loads(body).items()
    parts = [f"{json.dumps(k)}: {value if k == field else json.dumps(v)}" for k, v in pairs]
    return ("{" + ", ".join(parts) + "}").encode()


def hostile_requests(context: Context) -> Iterator[HostileRequest]:
    """Yield every hostile request of [ROUTES][] filled in with ``context``'s ids."""
    taken: dict[str, set[str]] = {}
    for route in ROUTES:
        taken.setdefault(route.path, set()).add(route.method)
    tried: set[str] = set()
    for route in ROUTES:
        yield from _route_requests(route, context, taken[route.path], route.path not in tried)
        tried.add(route.path)


def _route_requests(
    route: Route, context: Context, taken: set[str], first_of_path: bool
) -> Iterator[HostileRequest]:
    creds, creds_headers = context.credentials(route.vendor)
    path = fill(route.path, context)
    body = None if route.body is None else fill(route.body, context).encode()
    kinds = route.kinds

    def make(
        target: str,
        *,
        method: str = route.method,
        headers: dict[str, bytes] | None = None,
        content: bytes | None = body,
        auth: bool = True,
    ) -> HostileRequest:
        sent = {**(creds_headers if auth else {}), **(headers or {})}
        return HostileRequest(route.vendor, method, target, tuple(sent.items()), content, auth)

    if "path" in kinds:
        for name in placeholders(route.path):
            for segment in (*HOSTILE_SEGMENTS, *EXTRA_SEGMENTS.get(name, ())):
                yield make(url(fill(route.path.replace(f"<{name}>", segment), context), creds))
    if "query" in kinds:
        for param in route.query:
            for value in (*HOSTILE_QUERY_VALUES, *EXTRA_QUERY_VALUES.get(param, ())):
                yield make(url(path, _replace_param(creds, param, value)))
        for query in HOSTILE_QUERIES:
            yield make(url(path, creds, query))
    if "body" in kinds and route.body is not None:
        filled = fill(route.body, context)
        for raw in (*HOSTILE_BODIES, TOO_LARGE):
            yield make(url(path, creds), content=raw)
        for field in json.loads(filled):
            for value in (*HOSTILE_VALUES, *EXTRA_FIELD_VALUES.get(field, ())):
                yield make(url(path, creds), content=_with_field(filled, field, value))
    if "headers" in kinds:
        for headers in HOSTILE_HEADERS:
            yield make(url(path, creds), headers=headers)
        if route.path == "/_storage/":
            for content_type, raw in context.uploads:
                yield make(path, headers={"Content-Type": content_type}, content=raw)
    if "method" in kinds and first_of_path:
        for method in METHODS:
            if method not in taken:
                yield make(url(path, creds), method=method)
    if "auth" in kinds and route.vendor != "control":
        yield make(path, auth=False)
        wrong_query, wrong_headers = context.wrong[route.vendor]
        yield make(url(path, wrong_query), headers=wrong_headers, auth=False)
        for where, name, odd in ODD_CREDENTIALS.get(route.vendor, ()):
            if where == "query":
                yield make(url(path, _replace_param(creds, name, odd.decode())), auth=False)
            else:
                yield make(path, headers={name: odd}, auth=False)
    for refused in route.refused:
        yield make(path, content=refused.encode(), auth=False)


def _replace_param(query: str, name: str, value: str) -> str:
    kept = [p for p in query.split("&") if p and p.split("=", 1)[0] != name]
    return "&".join([*kept, f"{name}={value}"])


def _short(text: str) -> str:
    return text if len(text) <= 160 else text[:157] + "..."


async def sweep(client: httpx.AsyncClient, emulator: Emulator, *, strict: bool) -> SweepResult:
    """Send every hostile request to the emulator behind ``client``, then check its state.

    Args:
        client: Talks to the emulator (``base_url`` set; any transport, in-process or a socket).
        emulator: The emulator behind ``client`` (its mode must be ``strict``).
        strict: Whether the emulator runs in strict mode; requests without valid credentials
            are then checked never to get a 2xx.

    Returns:
        What went wrong; every list is empty for a sound emulator.
    """
    if emulator.strict != strict:
        raise ValueError(f"the emulator's strict mode is {emulator.strict}, not {strict}")
    context = await prepare(client)
    server_errors: list[tuple[str, str, int]] = []
    dropped: list[tuple[str, str, str]] = []
    wrong_shape: list[tuple[str, str, int]] = []
    through: list[tuple[str, str, int]] = []
    count = 0
    for hostile in hostile_requests(context):
        count += 1
        request = client.build_request(
            hostile.method,
            hostile.url,
            headers=[(name.encode(), value) for name, value in hostile.headers],
            content=hostile.body,
        )
        where = (hostile.method, _short(hostile.url))
        try:
            response = await client.send(request)
        except httpx.TransportError as exc:
            dropped.append((*where, type(exc).__name__))
            continue
        except Exception:  # an in-process app's own error, re-raised by ASGITransport
            log.warning("%s %s raised", *where, exc_info=True)
            server_errors.append((*where, 500))
            continue
        if response.status_code >= 500:
            log.warning("%s %s answered %d: %s", *where, response.status_code, response.text[:300])
            server_errors.append((*where, response.status_code))
        elif response.status_code >= 400 and not error_shape(hostile.vendor, response):
            wrong_shape.append((*where, response.status_code))
        if strict and not hostile.authenticated and 200 <= response.status_code < 300:
            through.append((*where, response.status_code))
    poisoned = await poison_checks(client, context)
    return SweepResult(count, server_errors, dropped, wrong_shape, poisoned, through)
