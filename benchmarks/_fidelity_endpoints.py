"""Which endpoint a recorded exchange is, and the time rules of the file endpoints.

[classify][] names an exchange's endpoint and says whether the emulator serves it; the others
are counted by kind. [compare_times][] checks what shapes cannot: how a recorded answer's
times relate to each other and to its ``Date``, which the emulator's must follow with its own
clock (an upload form expires a minute after it is handed out and is dated at its expiry; a
download URL is signed at the start of the hour and cached until a minute before it expires).
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

__all__ = ["classify", "compare_times"]

_OUT_OF_SCOPE = (
    ("v2/objects/*/channels/*/uuids", "objects v2: channel members"),
    ("v2/objects/*/uuids", "objects v2: uuid metadata and memberships"),
    ("v1/objects/*/spaces", "objects v1: spaces"),
    ("v1/objects/*/users", "objects v1: users"),
    ("v3/objects", "objects v3: spaces and users"),
    ("v1/auth", "access manager"),
    ("v2/auth", "access manager"),
    ("v3/pam", "access manager"),
    ("publish", "publish"),
    ("signal", "signal"),
    ("subscribe", "subscribe"),
    ("v2/subscribe", "subscribe"),
    ("v2/presence", "presence"),
    ("v1/channel-registration", "channel groups"),
    ("v2/history", "history"),
    ("v3/history", "history"),
    ("v3/history-with-actions", "history"),
    ("v1/message-actions", "message actions"),
    ("v1/push", "push"),
    ("v2/push", "push"),
    ("time", "time"),
)


def _matches(pattern: str, segments: list[str]) -> bool:
    parts = pattern.split("/")
    return len(segments) >= len(parts) and all(
        p in ("*", s) for p, s in zip(parts, segments, strict=False)
    )


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
