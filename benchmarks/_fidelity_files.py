"""The file-sharing side of a replay, for ``fidelity_audit.py``: uploads, downloads, seeds.

A recorded presigned POST is rebuilt with the form the emulator handed out for the same upload
(see ``_fidelity_storage.py``); a recorded download follows the emulator's own 307 location.
Files a recorded list, 307 or delete shows but the cassette never uploaded are seeded first,
with the recorded bytes when a later download kept them, else stand-in bytes of the recorded
size (their ``ETag`` is then not compared).

File ids: the emulator hands out the id production handed out (its ``uuid4`` is pinned while a
``generate-upload-url`` is replayed), so a listed page compares item for item, in order.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from _fidelity_endpoints import classify
from _fidelity_storage import parse_upload, rebuild_upload, xml_error

from aiospaces.emulator.pubnub import files as files_emulation

if TYPE_CHECKING:
    import httpx
    from _fidelity_load import Cassette, Recorded

    from aiospaces.emulator import Emulator

__all__ = ["BASE", "FileReplay", "PinnedIds"]

BASE = "http://emulator.test"
_BEYOND = "ffffffff-ffff-4fff-bfff-ffffffffffff"  # a file id after every other


class PinnedIds:
    """Stands in for the ``uuid`` module of the emulator's file routes: hands out a set id."""

    def __init__(self) -> None:
        self.next: str | None = None

    def uuid4(self) -> uuid.UUID:
        value, self.next = self.next, None
        try:
            return uuid.UUID(value) if value else uuid.uuid4()
        except ValueError:
            return uuid.uuid4()


class FileReplay:
    """What a [Replayer][] does for file sharing and the presigned storage routes."""

    cassette: Cassette
    emulator: Emulator
    values: dict[str, str]
    forms: dict[str, list[dict[str, Any]]]  # object key -> its upload form
    channel_of: dict[str, tuple[str, str]]  # object key -> (sub, channel)
    stand_ins: set[str]  # object keys uploaded with stand-in bytes
    pinned: PinnedIds

    def mapped(self, value: str) -> str:
        raise NotImplementedError

    def pin_upload(self, exchange: Recorded, body: bytes | None, headers: dict[str, str]) -> bytes:
        """Before a ``generate-upload-url``: pin the recorded file id; return the body to send."""
        data = (_json(exchange.resp_body) or {}).get("data") or {}
        self.pinned.next = data.get("id")
        if body is None and "name" in data:  # a recorder that drops request bodies
            headers["content-type"] = "application/json"
            return json.dumps({"name": data["name"]}).encode()
        return body or b""

    def note_upload_form(self, path: str, response: httpx.Response) -> None:
        """After a ``generate-upload-url``: remember the form handed out for the object key."""
        if response.status_code != 200:
            return
        form = response.json()["file_upload_request"]["form_fields"]
        key = next(f["value"] for f in form if f["key"] == "key")
        self.forms[key] = form
        sub, channel = (unquote(p) for p in path.split("/")[3:6:2])
        self.channel_of[key] = (sub, channel)

    async def upload(
        self, client: httpx.AsyncClient, exchange: Recorded, index: int
    ) -> tuple[httpx.Response, str]:
        recorded = parse_upload(exchange.req_headers.get("content-type", ""), exchange.req_body)
        recorded_key = recorded.field("key")
        key = self.mapped(recorded_key) if recorded_key else next(reversed(self.forms), "")
        if key not in self.forms:  # a key recorded with the real subscribe key in it
            tail = "/" + "/".join(key.split("/")[-2:])
            key = next((k for k in self.forms if k.endswith(tail)), key)
        form = self.forms.get(key)
        if form is None:
            raise KeyError(f"no upload form handed out for {key!r}")
        stand_in = None
        if recorded.file_bytes is None:
            error = xml_error(exchange.resp_body) or {}
            size = int(error.get("ProposedSize", 0))  # the size S3 found too large
            stand_in = b"x" * size if size else self.later_download(index)
            stand_in = stand_in or b"a stand-in for bytes not recorded"
            self.stand_ins.add(key)
        content_type, body = rebuild_upload(recorded, form, stand_in or b"")
        upload_url = urlsplit(self.values.get(exchange.url, BASE + "/_storage/")).path
        response = await client.post(
            upload_url, content=body, headers={"content-type": content_type}
        )
        return response, key

    def later_download(self, index: int, tail: str = "") -> bytes | None:
        """Return the bytes of the next recorded download (of a path ending in ``tail``)."""
        for later in self.cassette.exchanges[index + 1 :]:
            is_download = classify(later.method, later.url)[0] == "storage: download"
            path = unquote(urlsplit(later.url).path)
            if is_download and later.status == 200 and path.endswith(tail):
                return later.resp_body
        return None

    async def download(
        self, client: httpx.AsyncClient, exchange: Recorded, locations: dict[str, str]
    ) -> tuple[httpx.Response, str]:
        parts = urlsplit(exchange.url)
        location = locations.get(parts.path)
        segments = [unquote(p) for p in parts.path.strip("/").split("/")]
        key = "/".join(self.mapped(s) for s in segments[-4:])
        if location is None and key in self.channel_of:
            sub, channel = self.channel_of[key]
            file_id, name = segments[-2:]
            redirect = await client.get(
                f"/v1/files/{quote(sub)}/channels/{quote(channel, safe='')}/files/"
                f"{quote(file_id)}/{quote(name, safe='')}"
            )
            location = redirect.headers.get("location")
        if location is None:
            raise KeyError(f"no download URL handed out for {parts.path!r}")
        target = urlsplit(location)
        return await client.get(f"{target.path}?{target.query}"), key

    async def seed_files(
        self,
        client: httpx.AsyncClient,
        endpoint: str,
        segments: list[str],
        answer: dict[str, Any] | None,
        index: int,
    ) -> bool:
        """Upload the files a recorded list, 307 or delete shows; True if any was seeded."""
        data = (answer or {}).get("data")
        seeded = False
        if endpoint == "files: list" and isinstance(data, list):
            for item in data:
                seeded |= await self.seed_file(client, segments[2], segments[4], item)
            # A recorded ``next`` says production held more than the page: so must we.
            beyond = files_emulation.file_key(segments[2], segments[4], _BEYOND, "beyond")
            if answer and answer.get("next"):
                seeded |= await self.seed_file(
                    client, segments[2], segments[4], {"id": _BEYOND, "name": "beyond"}
                )
            else:
                self.emulator.storage.delete(beyond)
        elif endpoint in ("files: get URL (307)", "files: delete"):
            item = {"id": segments[6], "name": segments[7], "size": 1}
            data = self.later_download(index, f"/{segments[6]}/{segments[7]}")
            seeded |= await self.seed_file(client, segments[2], segments[4], item, data)
        return seeded

    async def seed_file(
        self,
        client: httpx.AsyncClient,
        sub: str,
        channel: str,
        item: dict[str, Any],
        data: bytes | None = None,
    ) -> bool:
        file_id, name = self.mapped(str(item["id"])), str(item["name"])
        key = files_emulation.file_key(sub, channel, file_id, name)
        storage = self.emulator.storage
        if storage.get(key) is not None:
            return False
        form = storage.presign_upload(
            key, content_type=files_emulation.upload_content_type(name), base_url=BASE
        )["form_fields"]
        stand_in = b"x" * int(item.get("size") or 0) if data is None else data
        content_type, body = rebuild_upload(parse_upload("", None), form, stand_in)
        await client.post("/_storage/", content=body, headers={"content-type": content_type})
        if data is None:
            self.stand_ins.add(key)
        return True


def _json(body: bytes | None) -> Any:
    try:
        return json.loads(body or b"")
    except ValueError:
        return None
