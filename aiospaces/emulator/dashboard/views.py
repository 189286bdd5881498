"""What each dashboard page shows, built from the vendors' snapshots (plain data, no HTML).

Secrets never reach a page: a Mux live stream's ``stream_key`` and an Admin keyset's
``secret_key`` are masked here, and the NeuroIO snapshot carries no token keys at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiospaces.emulator.request_log import RequestRecord
    from aiospaces.emulator.s3.store import Storage

__all__ = [
    "FILES_PER_PAGE",
    "MASK",
    "FileRow",
    "admin_view",
    "file_rows",
    "mask",
    "mux_view",
    "overview",
    "pubnub_view",
    "request_row",
    "with_links",
]

MASK = "••••••"
"""What a secret is shown as."""

FILES_PER_PAGE = 200
"""How many files one page of the files view lists."""

_MESSAGES_SHOWN = 50
_MESSAGE_TYPES = {0: "message", 1: "signal", 2: "app context", 4: "file"}


def mask(secret: str | None) -> str:
    """Return a secret as the dashboard shows it: its last 4 characters at most."""
    if not secret:
        return ""
    return MASK + secret[-4:] if len(secret) >= 16 else MASK


def overview(snapshots: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return, per vendor, a title, a link and a few counts."""
    pubnub = snapshots.get("pubnub", {})
    mux = snapshots.get("mux", {})
    neuroio = snapshots.get("neuroio", {})
    admin = snapshots.get("pubnub_admin", {})
    return [
        {
            "name": "PubNub",
            "page": "pubnub",
            "counts": {
                "keysets": len(pubnub),
                "channels": sum(len(k["channels"]) for k in pubnub.values()),
                "files": sum(len(k["files"]) for k in pubnub.values()),
                "messages": sum(len(k["messages"]) for k in pubnub.values()),
            },
        },
        {
            "name": "Mux",
            "page": "mux",
            "counts": {
                "environments": len(mux),
                "spaces": sum(len(e["spaces"]) for e in mux.values()),
                "live streams": sum(len(e["live_streams"]) for e in mux.values()),
            },
        },
        {
            "name": "NeuroIO",
            "page": "neuroio",
            "counts": {
                "accounts": len(neuroio),
                "spaces": sum(len(a["spaces"]) for a in neuroio.values()),
                "tokens": sum(len(a["tokens"]) for a in neuroio.values()),
            },
        },
        {
            "name": "PubNub Admin",
            "page": "admin",
            "counts": {
                "accounts": len(admin.get("users", [])),
                "apps": len(admin.get("apps", [])),
                "blocks": len(admin.get("blocks", [])),
            },
        },
    ]


def _timetoken_time(timetoken: str) -> str:
    try:
        moment = datetime.fromtimestamp(int(timetoken) / 10**7, UTC)
    except (ValueError, OverflowError):
        return ""
    return moment.strftime("%H:%M:%S.%f")[:-3]


def pubnub_view(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return each keyset's channels, file count and newest messages (newest first)."""
    keysets = []
    for sub, keyset in sorted(snapshot.items()):
        messages = [
            {
                "time": _timetoken_time(m["timetoken"]),
                "timetoken": m["timetoken"],
                "channel": m["channel"],
                "type": _MESSAGE_TYPES.get(m["message_type"], str(m["message_type"])),
                "publisher": m["publisher"] or "",
                "message": m["message"],
            }
            for m in reversed(keyset["messages"][-_MESSAGES_SHOWN:])
        ]
        keysets.append(
            {
                "sub": sub,
                "channels": keyset["channels"],
                "files": len(keyset["files"]),
                "messages": messages,
                "message_count": len(keyset["messages"]),
            }
        )
    return keysets


@attrs.frozen
class FileRow:
    """One stored file as the files page lists it.

    Attributes:
        keyset: The subscribe key it belongs to.
        channel: The channel it was sent to, from its file message among the keyset's newest
            messages ("" when none of them announced it).
        file_id: Its id.
        name: Its file name.
        size: Its size in bytes.
        content_type: Its media type.
        created: When it was stored (UTC, ISO 8601 to the second).
        key: Its storage key.
        download: A presigned download URL (see
            [with_links][aiospaces.emulator.dashboard.views.with_links]; "" until then).
    """

    keyset: str
    channel: str
    file_id: str
    name: str
    size: int
    content_type: str
    created: str
    key: str
    download: str = ""


def file_rows(snapshot: Mapping[str, Any], keyset: str | None = None) -> list[FileRow]:
    """Return every PubNub file (of one keyset, if given), newest first."""
    rows: list[tuple[str, FileRow]] = []  # (when stored, to the microsecond; the row)
    for sub, data in snapshot.items():
        if keyset is not None and sub != keyset:
            continue
        by_id = {
            m["message"]["file"].get("id"): m["channel"]
            for m in data["messages"]
            if m["message_type"] == 4
            and isinstance(m["message"], dict)
            and isinstance(m["message"].get("file"), dict)
        }
        for stored in data["files"]:
            key: str = stored["key"]
            parts = key.split("/", 3)
            file_id = parts[2] if len(parts) > 2 else ""
            rows.append(
                (
                    stored["created"],
                    FileRow(
                        keyset=sub,
                        channel=by_id.get(file_id, ""),
                        file_id=file_id,
                        name=parts[3] if len(parts) > 3 else key,
                        size=stored["size"],
                        content_type=stored["content_type"],
                        created=stored["created"][:19].replace("T", " "),
                        key=key,
                    ),
                )
            )
    rows.sort(key=lambda pair: (pair[0], pair[1].name), reverse=True)
    return [row for _, row in rows]


def with_links(rows: list[FileRow], storage: Storage, base_url: str) -> list[FileRow]:
    """Return the rows with presigned download URLs on ``base_url`` (the page's own origin)."""
    return [
        attrs.evolve(row, download=storage.presign_download(row.key, base_url=base_url))
        for row in rows
    ]


def mux_view(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return each environment's spaces and live streams, stream keys masked."""
    return [
        {
            "name": name,
            "spaces": env["spaces"],
            "live_streams": [
                ls | {"stream_key": mask(ls.get("stream_key"))} for ls in env["live_streams"]
            ],
            "events": env["events"],
        }
        for name, env in sorted(snapshot.items())
    ]


def admin_view(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Admin accounts, apps (secret keys masked) and blocks."""
    apps = [
        app | {"keys": [key | {"secret_key": mask(key.get("secret_key"))} for key in app["keys"]]}
        for app in snapshot.get("apps", [])
    ]
    return {"users": snapshot.get("users", []), "apps": apps, "blocks": snapshot.get("blocks", [])}


def request_row(record: RequestRecord) -> dict[str, Any]:
    """Return a logged request as a table row shows it (also sent as a server-sent event)."""
    return {
        "id": record.id,
        "time": datetime.fromtimestamp(record.time, UTC).strftime("%H:%M:%S.%f")[:-3],
        "method": record.method,
        "url": record.url,
        "vendor": record.vendor or "—",
        "status": "—" if record.status is None else str(record.status),
        "duration": f"{record.duration * 1000:.1f} ms",
        "bytes_in": record.bytes_in,
        "bytes_out": record.bytes_out,
        "fault": record.fault or "",
        "outcome": record.outcome,
    }
