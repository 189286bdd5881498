"""Which endpoint a recorded exchange is, and the time rules of the file endpoints.

[classify][] names an exchange's endpoint and says whether the emulator serves it (App Context
channels, file sharing and storage, and the realtime routes: publish, signal, subscribe
handshake and poll, history, message counts, channel groups, presence heartbeat and leave,
time); the others are counted by kind. [compare_times][] checks what shapes cannot: how a
recorded answer's times relate to each other and to its ``Date``, which the emulator's must
follow with its own clock (an upload form expires a minute after it is handed out and is dated
at its expiry; a download URL is signed at the start of the hour and cached until a minute
before it expires).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from _fidelity_compare import Diff

if TYPE_CHECKING:
    import httpx
    from _fidelity_load import Recorded

__all__ = ["classify", "compare_times", "subscribe_timetoken"]

_OUT_OF_SCOPE = (
    ("v2/objects/*/channels/*/uuids", "objects v2: channel members"),
    ("v2/objects/*/uuids", "objects v2: uuid metadata and memberships"),
    ("v1/objects/*/spaces", "objects v1: spaces"),
    ("v1/objects/*/users", "objects v1: users"),
    ("v3/objects", "objects v3: spaces and users"),
    ("v1/auth", "access manager"),
    ("v2/auth", "access manager"),
    ("v3/pam", "access manager"),
    ("subscribe", "subscribe v1 (legacy)"),
    ("v2/presence", "presence: here now, where now, state"),
    ("v1/channel-registration/sub-key/*/namespace", "channel groups: namespaces (legacy)"),
    ("v2/history", "history v2 (legacy)"),
    ("v1/signal", "signal v1 (legacy)"),
    ("v1/message-actions", "message actions"),
    ("v1/push", "push"),
    ("v2/push", "push"),
    ("publish", "publish signed in the path (Ruby 3.x)"),
)


def _matches(pattern: str, segments: list[str]) -> bool:
    parts = pattern.split("/")
    return len(segments) >= len(parts) and all(
        p in ("*", s) for p, s in zip(parts, segments, strict=False)
    )


def _realtime(method: str, s: list[str], query: str) -> str | None:
    """Name a realtime endpoint the emulator serves (None: not one of them)."""
    n = len(s)
    if method == "GET" and s[0] in ("publish", "signal") and n >= 7 and s[3] == s[5] == "0":
        return "publish: GET" if s[0] == "publish" else "signal"
    if method == "POST" and s[0] == "publish" and n == 6 and s[3] == s[5] == "0":
        return "publish: POST"
    if method == "GET" and s[:2] == ["v2", "subscribe"] and n == 5 and s[4] == "0":
        params = dict(parse_qsl(query, keep_blank_values=True))
        return f"subscribe: {'poll' if subscribe_timetoken(params) else 'handshake'}"
    presence = s[:3] == ["v2", "presence", "sub-key"] and n == 7 and s[4] == "channel"
    if method == "GET" and presence and s[6] in ("heartbeat", "leave"):
        return f"presence: {s[6]}"
    if method == "GET" and s == ["time", "0"]:
        return "time"
    if s[:2] == ["v3", "history"] and n == 6 and s[2] == "sub-key":
        if s[4] == "channel":
            return {"GET": "history: fetch", "DELETE": "history: delete"}.get(method)
        if s[4] == "message-counts" and method == "GET":
            return "history: message counts"
    with_actions = s[:3] == ["v3", "history-with-actions", "sub-key"] and n == 6
    if method == "GET" and with_actions and s[4] == "channel":
        return "history: fetch with actions"
    groups = s[:3] == ["v1", "channel-registration", "sub-key"] and s[4:5] == ["channel-group"]
    if method == "GET" and groups and n in (5, 6, 7):
        if n == 5:
            return "channel groups: list groups"
        if n == 7:
            return "channel groups: delete group" if s[6] == "remove" else None
        names = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
        changes = names & {"add", "remove"}
        return "channel groups: add/remove channels" if changes else "channel groups: list channels"
    return None


def subscribe_timetoken(params: dict[str, str]) -> int:
    """Return a subscribe's ``tt`` (or old Ruby's ``t={"t": ...}``), 0 for a handshake."""
    raw = params.get("tt")
    if raw is None and params.get("t"):
        try:
            raw = str(json.loads(params["t"]).get("t", 0))
        except (ValueError, AttributeError):
            raw = None
    return int(raw) if raw and raw.isdigit() else 0


def classify(method: str, url: str) -> tuple[str, bool]:
    """Return ``(endpoint, served)``: the endpoint's name and whether the emulator serves it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if "amazonaws.com" in host or (host.startswith("files-") and "X-Amz-" in parts.query):
        return ("storage: presigned POST" if method == "POST" else "storage: download"), True
    s = [unquote(p) for p in parts.path.strip("/").split("/")]
    served = {
        ("GET", 4): "objects: list channels",
        ("GET", 5): "objects: get channel",
        ("PATCH", 5): "objects: set channel",
        ("DELETE", 5): "objects: remove channel",
    }
    objects = s[:2] == ["v2", "objects"] and len(s) in (4, 5) and s[3] == "channels"
    if objects and (method, len(s)) in served:
        return served[method, len(s)], True
    if s[:3] == ["v1", "files", "publish-file"] and len(s) == 9 and method == "GET":
        return "files: publish file", True
    if s[:2] == ["v1", "files"] and len(s) >= 6 and s[3] == "channels":
        kind = (method, *s[5:6], len(s))
        if kind == ("POST", "generate-upload-url", 6):
            return "files: generate upload URL", True
        if kind == ("GET", "files", 6):
            return "files: list", True
        if kind == ("GET", "files", 8):
            return "files: get URL (307)", True
        if kind == ("DELETE", "files", 8):
            return "files: delete", True
    if (realtime := _realtime(method, s, parts.query)) is not None:
        return realtime, True
    for pattern, name in _OUT_OF_SCOPE:
        if _matches(pattern, s):
            return name, False
    return "other: /" + "/".join(s[:2]), False


def _epoch(text: str, pattern: str) -> float:
    return datetime.strptime(text, pattern).replace(tzinfo=UTC).timestamp()


def _upload_times(body: Any, answered: float) -> list[str]:
    """Return the rules an upload form's times follow (of those the emulator must)."""
    request = body["file_upload_request"]
    form = {f["key"]: f["value"] for f in request["form_fields"]}
    expires = _epoch(request["expiration_date"], "%Y-%m-%dT%H:%M:%SZ")
    rules = []
    if expires == _epoch(form["X-Amz-Date"], "%Y%m%dT%H%M%SZ"):
        rules.append("X-Amz-Date is the expiration")
    if abs(expires - answered - 60) <= 2:
        rules.append("expires a minute after the answer")
    return rules


def _download_times(location: str, cache_control: str, answered: float) -> list[str]:
    """Return the rules a 307's download URL and ``max-age`` follow (of those it must)."""
    query = dict(parse_qsl(urlsplit(location).query))
    signed = _epoch(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    expires = signed + int(query["X-Amz-Expires"])
    max_age = int(cache_control.split("max-age=")[1].split(",")[0])
    rules = []
    if signed == answered - answered % 3600:
        rules.append("signed at the start of the hour")
    if abs(answered + max_age - (expires - 60)) <= 2:
        rules.append("max-age ends a minute before the URL expires")
    return rules


def compare_times(
    endpoint: str, recorded: Recorded, response: httpx.Response, *, now: float
) -> list[Diff]:
    """Return each time rule the recorded answer follows and the emulator's (at ``now``) not."""
    if "date" not in recorded.resp_headers or response.status_code != recorded.status:
        return []
    answered = parsedate_to_datetime(recorded.resp_headers["date"]).timestamp()
    try:
        if endpoint == "files: generate upload URL" and recorded.status == 200:
            theirs = _upload_times(json_of(recorded.resp_body), answered)
            ours = _upload_times(response.json(), now)
        elif endpoint == "files: get URL (307)" and recorded.status == 307:
            theirs = _download_times(
                recorded.resp_headers["location"], recorded.resp_headers["cache-control"], answered
            )
            ours = _download_times(
                response.headers["location"], response.headers["cache-control"], now
            )
        else:
            return []
    except (KeyError, IndexError, ValueError) as exc:
        return [Diff(f"{endpoint}: times not comparable", repr(exc))]
    return [
        Diff(f"{endpoint}: {rule} (recorded), not the emulator's", "")
        for rule in theirs
        if rule not in ours
    ]


def json_of(body: bytes | None) -> Any:
    """Parse a recorded JSON body."""
    return json.loads(body or b"")
