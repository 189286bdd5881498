"""Replaying one recorded cassette against a fresh in-process emulator, for ``fidelity_audit.py``.

Each exchange the emulator serves is sent in the recorded order, with the recording's own
values (subscribe keys, eTags in ``If-Match``, cursors, file ids in URLs and messages, upload
and download URLs) replaced by those the emulator handed out earlier in the same cassette; each
answer is then compared ([compare_json][], [compare_headers][]) with the recorded one.

State that production had before the recording began is seeded first, through the emulator's
own routes: a channel a recorded list or get shows but the cassette never created, a file a
recorded list shows but the cassette never uploaded. Those exchanges are marked ``seeded``.

File ids: the emulator hands out the id production handed out (its ``uuid4`` is pinned while a
``generate-upload-url`` is replayed), so a listed page compares item for item, in order.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from unittest.mock import patch
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import httpx
from _fidelity_compare import Diff, compare_headers, compare_json
from _fidelity_endpoints import classify, compare_times
from _fidelity_storage import parse_upload, rebuild_upload, xml_error

from aiospaces.emulator import Emulator
from aiospaces.emulator.pubnub import files as files_emulation

if TYPE_CHECKING:
    from _fidelity_load import Cassette, Recorded

__all__ = ["Outcome", "Replayer"]

BASE = "http://emulator.test"
_BEYOND = "ffffffff-ffff-4fff-bfff-ffffffffffff"  # a file id after every other
_PLACEHOLDER = re.compile(r"\{(PN_KEY_[A-Z_]+)\}")


class _PinnedIds:
    """Stands in for the ``uuid`` module of the emulator's file routes: hands out a set id."""

    def __init__(self) -> None:
        self.next: str | None = None

    def uuid4(self) -> uuid.UUID:
        value, self.next = self.next, None
        try:
            return uuid.UUID(value) if value else uuid.uuid4()
        except ValueError:
            return uuid.uuid4()


@dataclass
class Outcome:
    """What replaying one recorded exchange showed."""

    endpoint: str
    served: bool
    label: str
    fingerprint: str
    diffs: list[Diff] = field(default_factory=list)
    seeded: bool = False


def _untouched(data: dict[str, Any], date: str | None, slack: float = 5.0) -> bool:
    """Whether a recorded channel's ``updated`` is older than the answer's ``Date``."""
    try:
        answered = parsedate_to_datetime(date or "")
        updated = datetime.fromisoformat(str(data.get("updated")).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return False
    return (answered - updated).total_seconds() > slack


def _json(body: bytes | None) -> Any:
    try:
        return json.loads(body or b"")
    except ValueError:
        return None


class Replayer:
    """Replays one cassette against its own fresh [Emulator][] (sandbox mode)."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self.emulator = Emulator()
        self.values: dict[str, str] = {}  # recorded value -> the emulator's
        self.forms: dict[str, list[dict[str, Any]]] = {}  # object key -> its upload form
        self.channel_of: dict[str, tuple[str, str]] = {}  # object key -> (sub, channel)
        self.locations: dict[str, str] = {}  # recorded download path -> emulator URL
        self.stand_ins: set[str] = set()  # object keys uploaded with stand-in bytes
        self.pinned = _PinnedIds()
        self.seen: dict[tuple[str, str, str], str] = {}  # (id, key, recorded) -> emulator's

    # -- values ----------------------------------------------------------------------------

    def mapped(self, value: str) -> str:
        """Return the emulator's value for a recorded one (placeholder keys made plain)."""
        value = self.values.get(value, value)
        return _PLACEHOLDER.sub(lambda m: m.group(1).lower().replace("_", "-"), value)

    def learn(self, recorded: str, actual: str) -> None:
        """Remember that the emulator said ``actual`` where production said ``recorded``."""
        if recorded and isinstance(actual, str) and recorded != actual:
            self.values[recorded] = actual

    def _mapped_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mapped(value)
        if isinstance(value, list):
            return [self._mapped_json(v) for v in value]
        if isinstance(value, dict):
            return {k: self._mapped_json(v) for k, v in value.items()}
        return value

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> list[Outcome]:
        """Replay every exchange in order; return one outcome per exchange."""
        outcomes = []
        transport = self.emulator.transport()
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            with patch.object(files_emulation, "uuid", self.pinned):
                for index, exchange in enumerate(self.cassette.exchanges):
                    endpoint, served = classify(exchange.method, exchange.url)
                    outcome = Outcome(endpoint, served, self.cassette.label, exchange.fingerprint())
                    if served:
                        try:
                            await self._replay(client, outcome, exchange, index)
                        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
                            outcome.diffs.append(Diff(f"{endpoint}: not replayable", repr(exc)))
                    outcomes.append(outcome)
        return outcomes

    async def _replay(
        self, client: httpx.AsyncClient, outcome: Outcome, exchange: Recorded, index: int
    ) -> None:
        if outcome.endpoint == "storage: presigned POST":
            response, key = await self._upload(client, exchange, index)
        elif outcome.endpoint == "storage: download":
            response, key = await self._download(client, exchange)
        else:
            outcome.seeded = await self._seed(client, outcome.endpoint, exchange, index)
            response, key = await self._pubnub(client, outcome.endpoint, exchange), None
        outcome.diffs.extend(self._compare(outcome.endpoint, exchange, response, key))

    # -- requests --------------------------------------------------------------------------

    def _request_parts(self, exchange: Recorded, endpoint: str) -> tuple[str, str]:
        parts = urlsplit(exchange.url)
        segments = [unquote(p) for p in parts.path.split("/")]
        if endpoint == "files: publish file":
            message = self._mapped_json(json.loads(segments[-1]))
            segments[-1] = json.dumps(message)
        path = "/".join(quote(self.mapped(s), safe="") for s in segments)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode([(k, self.mapped(v)) for k, v in pairs], quote_via=quote)
        return path, query

    async def _pubnub(
        self, client: httpx.AsyncClient, endpoint: str, exchange: Recorded
    ) -> httpx.Response:
        path, query = self._request_parts(exchange, endpoint)
        headers = {}
        for name in ("content-type", "if-match"):
            if name in exchange.req_headers:
                headers[name] = self.mapped(exchange.req_headers[name])
        body = exchange.req_body
        if body is not None and (payload := _json(body)) is not None:
            body = json.dumps(self._mapped_json(payload)).encode()
        if endpoint == "files: generate upload URL":
            data = (_json(exchange.resp_body) or {}).get("data") or {}
            self.pinned.next = data.get("id")
            if body is None and "name" in data:  # a recorder that drops request bodies
                body = json.dumps({"name": data["name"]}).encode()
                headers["content-type"] = "application/json"
        response = await client.request(
            exchange.method, f"{path}?{query}" if query else path, headers=headers, content=body
        )
        if endpoint == "files: generate upload URL" and response.status_code == 200:
            answer = response.json()
            form = answer["file_upload_request"]["form_fields"]
            key = next(f["value"] for f in form if f["key"] == "key")
            self.forms[key] = form
            sub, channel = (unquote(p) for p in path.split("/")[3:6:2])
            self.channel_of[key] = (sub, channel)
        return response

    async def _upload(
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
            stand_in = b"x" * size if size else self._later_download(index)
            stand_in = stand_in or b"a stand-in for bytes not recorded"
            self.stand_ins.add(key)
        content_type, body = rebuild_upload(recorded, form, stand_in or b"")
        upload_url = urlsplit(self.values.get(exchange.url, BASE + "/_storage/")).path
        response = await client.post(
            upload_url, content=body, headers={"content-type": content_type}
        )
        return response, key

    def _later_download(self, index: int, tail: str = "") -> bytes | None:
        """Return the bytes of the next recorded download (of a path ending in ``tail``)."""
        for later in self.cassette.exchanges[index + 1 :]:
            is_download = classify(later.method, later.url)[0] == "storage: download"
            path = unquote(urlsplit(later.url).path)
            if is_download and later.status == 200 and path.endswith(tail):
                return later.resp_body
        return None

    async def _download(
        self, client: httpx.AsyncClient, exchange: Recorded
    ) -> tuple[httpx.Response, str]:
        parts = urlsplit(exchange.url)
        location = self.locations.get(parts.path)
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

    # -- seeding ---------------------------------------------------------------------------

    async def _seed(
        self, client: httpx.AsyncClient, endpoint: str, exchange: Recorded, index: int
    ) -> bool:
        """Create what the recorded answer shows but the cassette never made; True if any."""
        answer = _json(exchange.resp_body)
        if exchange.status not in (200, 307) or not isinstance(answer, dict | None):
            return False
        path, _ = self._request_parts(exchange, endpoint)
        segments = [unquote(p) for p in path.strip("/").split("/")]
        data = (answer or {}).get("data")
        seeded = False
        if endpoint in ("objects: list channels", "objects: get channel"):
            items = data if isinstance(data, list) else [data]
            for item in items:
                if isinstance(item, dict) and "id" in item:
                    seeded |= await self._seed_channel(client, segments[2], item, item)
        elif endpoint == "objects: set channel" and isinstance(data, dict) and "id" in data:
            if _untouched(data, exchange.resp_headers.get("date")):
                # production kept an older ``updated``: the channel was there, as the PATCH
                # leaves it (the recording must then show its eTag and ``updated`` unchanged)
                sent = _json(exchange.req_body)
                fields = data | (sent if isinstance(sent, dict) else {})
                seeded |= await self._seed_channel(client, segments[2], fields, data)
        elif endpoint == "files: list" and isinstance(data, list):
            for item in data:
                seeded |= await self._seed_file(client, segments[2], segments[4], item)
            # A recorded ``next`` says production held more than the page: so must we.
            beyond = files_emulation.file_key(segments[2], segments[4], _BEYOND, "beyond")
            if answer and answer.get("next"):
                seeded |= await self._seed_file(
                    client, segments[2], segments[4], {"id": _BEYOND, "name": "beyond"}
                )
            else:
                self.emulator.storage.delete(beyond)
        elif endpoint in ("files: get URL (307)", "files: delete"):
            item = {"id": segments[6], "name": segments[7], "size": 1}
            data = self._later_download(index, f"/{segments[6]}/{segments[7]}")
            seeded |= await self._seed_file(client, segments[2], segments[4], item, data)
        return seeded

    async def _seed_channel(
        self,
        client: httpx.AsyncClient,
        sub: str,
        item: dict[str, Any],
        recorded: dict[str, Any],
    ) -> bool:
        """Create the channel ``item`` describes, unless it exists; True if it was created.

        The emulator's eTag and ``updated`` stand for the ``recorded`` ones from then on.
        """
        channel_id = self.mapped(str(item["id"]))
        base = f"/v2/objects/{quote(sub)}/channels/{quote(channel_id, safe='')}"
        if (await client.get(base)).status_code != 404:
            return False
        writable = ("name", "description", "status", "type", "custom")
        fields = {k: item[k] for k in writable if item.get(k) is not None}
        created = (await client.patch(base, json=fields)).json()["data"]
        for key in ("eTag", "updated"):
            if isinstance(recorded.get(key), str):
                self.seen[channel_id, key, recorded[key]] = created[key]
        return True

    async def _seed_file(
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

    # -- comparing -------------------------------------------------------------------------

    def _compare(
        self, endpoint: str, exchange: Recorded, response: httpx.Response, key: str | None
    ) -> list[Diff]:
        diffs = []
        if response.status_code != exchange.status:
            diffs.append(
                Diff(
                    f"{endpoint}: status {exchange.status} recorded, {response.status_code} served",
                    f"{exchange.method} {exchange.url[:100]}",
                )
            )
        ours = {k.lower(): v for k, v in response.headers.items()}
        stand_in = key is not None and key in self.stand_ins
        also = () if stand_in or endpoint != "storage: download" else ("content-length",)
        if stand_in:
            ours.pop("etag", None)
            theirs = {k: v for k, v in exchange.resp_headers.items() if k != "etag"}
        else:
            theirs = exchange.resp_headers
        if exchange.status == 307 and "location" in theirs and "location" in ours:
            self.locations[urlsplit(self.mapped(theirs["location"])).path] = ours["location"]
            self.locations[urlsplit(theirs["location"]).path] = ours["location"]
        diffs += compare_headers(
            endpoint, theirs, ours, mapped=self.mapped, learn=self.learn, also=also
        )
        diffs += self._compare_body(endpoint, exchange, response, stand_in)
        diffs += compare_times(endpoint, exchange, response, now=self.emulator.storage.clock())
        return diffs

    def _compare_body(
        self, endpoint: str, exchange: Recorded, response: httpx.Response, stand_in: bool
    ) -> list[Diff]:
        recorded, served = exchange.resp_body, response.content
        if recorded is not None and recorded.startswith(b"<unrecorded"):
            return []
        if (error := xml_error(recorded)) is not None:
            ours = xml_error(served) or {}
            return [
                Diff(
                    f"{endpoint}: S3 error {name}",
                    f"recorded {error[name]!r}, emulator {ours.get(name)!r}",
                )
                for name in ("Code", "Message")
                if error.get(name) != ours.get(name)
            ]
        if endpoint == "storage: download":
            same = stand_in or recorded == served
            return [] if same else [Diff(f"{endpoint}: bytes", f"{len(recorded or b'')} recorded")]
        theirs = _json(recorded)
        if theirs is None:
            if recorded and served != recorded:
                return [
                    Diff(
                        f"{endpoint}: body", f"recorded {recorded[:60]!r}, emulator {served[:60]!r}"
                    )
                ]
            if not recorded and served:
                return [Diff(f"{endpoint}: body where none was recorded", repr(served[:60]))]
            return []
        ours = _json(served)
        if ours is None:
            return [Diff(f"{endpoint}: body is not JSON", repr(served[:60]))]
        return compare_json(
            endpoint, theirs, ours, mapped=self.mapped, learn=self.learn, seen=self.seen
        )
