"""Replaying one recorded cassette against a fresh in-process emulator, for ``fidelity_audit.py``.

Each exchange the emulator serves is sent in the recorded order, with the recording's own
values (subscribe keys, eTags in ``If-Match``, cursors, file ids in URLs and messages, upload
and download URLs, timetokens) replaced by those the emulator handed out earlier in the same
cassette; each answer is then compared ([compare_json][], [compare_headers][]) with the
recorded one. File sharing and storage are replayed by ``_fidelity_files.py``, publish,
subscribe, history, presence and channel groups by ``_fidelity_realtime.py``.

State that production had before the recording began is seeded first, through the emulator's
own routes or its stream: a channel a recorded list or get shows but the cassette never
created, a file a recorded list shows but the cassette never uploaded, a message a recorded
poll or history shows but the cassette never published. Those exchanges are marked ``seeded``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from unittest.mock import patch
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import httpx
from _fidelity_compare import Diff, compare_headers, compare_json
from _fidelity_endpoints import classify, compare_times
from _fidelity_files import BASE, FileReplay, PinnedIds
from _fidelity_realtime import RealtimeReplay
from _fidelity_realtime_compare import realtime_view
from _fidelity_storage import xml_error
from _fidelity_timetokens import TIMETOKEN, Timetokens

from aiospaces.emulator import Emulator
from aiospaces.emulator.pubnub import files as files_emulation

if TYPE_CHECKING:
    from _fidelity_load import Cassette, Recorded

__all__ = ["Outcome", "Replayer"]

_PLACEHOLDER = re.compile(r"\{(PN_KEY_[A-Z_]+)\}")
_REALTIME = ("publish", "signal", "subscribe", "presence", "time", "history", "channel groups")
SUBSCRIBE_TIMEOUT = 0.002
"""Seconds the emulator holds a long-poll with nothing to deliver, in a replay."""


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


_SUCCESS = re.compile(r'\[1,"Sent"|"status": ?200|^\[\d{17}|"action": "leave"')


def _succeeded(body: bytes | None) -> bool:
    """Whether a recorded body (maybe cut off) says success: sent, status 200, a time."""
    return bool(_SUCCESS.search((body or b"").decode("utf-8", "replace")))


def endpoint_of(exchange: Recorded) -> tuple[str, bool]:
    """Classify an exchange; a subscribe whose ``tt`` a recorder dropped is still a poll."""
    endpoint, served = classify(exchange.method, exchange.url)
    answer = _json(exchange.resp_body)
    if endpoint == "subscribe: handshake" and isinstance(answer, dict) and answer.get("m"):
        return "subscribe: poll", served
    changed = isinstance(answer, dict) and "message" in answer and "payload" not in answer
    if endpoint == "channel groups: list channels" and changed and exchange.status == 200:
        return "channel groups: add/remove channels", served  # a recorder dropped add=/remove=
    return endpoint, served


class Replayer(FileReplay, RealtimeReplay):
    """Replays one cassette against its own fresh [Emulator][] (sandbox mode)."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self.emulator = Emulator(subscribe_timeout=SUBSCRIBE_TIMEOUT)
        self.values: dict[str, str] = {}  # recorded value -> the emulator's
        self.forms: dict[str, list[dict[str, Any]]] = {}
        self.channel_of: dict[str, tuple[str, str]] = {}
        self.locations: dict[str, str] = {}  # recorded download path -> emulator URL
        self.stand_ins: set[str] = set()
        self.pinned = PinnedIds()
        self.seen: dict[tuple[str, str, str], str] = {}  # (id, key, recorded) -> emulator's
        self.timetokens = Timetokens()
        self.cursors: dict[str, str] = {}
        self.published: set[int] = set()
        self.stored_own: dict[int, int] = {}
        self.lag_diffs: list[Diff] = []
        self.seeded_live: set[int] = set()
        self.seeded_stored: set[int] = set()
        self.order_breaks: list[Diff] = []

    # -- values ----------------------------------------------------------------------------

    def mapped(self, value: str) -> str:
        """Return the emulator's value for a recorded one (placeholder keys made plain)."""
        value = self.values.get(value, value)
        return _PLACEHOLDER.sub(lambda m: m.group(1).lower().replace("_", "-"), value)

    def learn(self, recorded: str, actual: str) -> None:
        """Remember that the emulator said ``actual`` where production said ``recorded``."""
        if not (isinstance(actual, str) and recorded and recorded != actual):
            return
        if TIMETOKEN.fullmatch(recorded) and TIMETOKEN.fullmatch(actual):
            if not self.timetokens.learn(int(recorded), int(actual)):
                known = self.timetokens.known(int(recorded))
                if known is None:  # not a second value for one recorded: out of order
                    self.order_breaks.append(
                        Diff(
                            "timetokens: the emulator's are not in the recorded order",
                            f"recorded {recorded}, emulator {actual}",
                        )
                    )
            return
        self.values[recorded] = actual

    def recorded_of(self, timetoken: int) -> int | None:
        """Return the recorded timetoken the emulator's ``timetoken`` stands for, if learned."""
        pairs = self.timetokens
        try:
            return pairs.recorded[pairs.emulator.index(timetoken)]
        except ValueError:
            return None

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
                    endpoint, served = endpoint_of(exchange)
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
        endpoint, key = outcome.endpoint, None
        if endpoint == "storage: presigned POST":
            response, key = await self.upload(client, exchange, index)
        elif endpoint == "storage: download":
            response, key = await self.download(client, exchange, self.locations)
        elif endpoint.split(":")[0] in _REALTIME:
            response, outcome.seeded = await self.realtime(client, endpoint, exchange, index)
            outcome.diffs.extend(self.lag_diffs)
        else:
            outcome.seeded = await self._seed(client, endpoint, exchange, index)
            response = await self._pubnub(client, endpoint, exchange)
        outcome.diffs.extend(self._compare(endpoint, exchange, response, key))
        outcome.diffs.extend(self.order_breaks)
        self.order_breaks.clear()

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
            body = self.pin_upload(exchange, body, headers)
        response = await client.request(
            exchange.method, f"{path}?{query}" if query else path, headers=headers, content=body
        )
        if endpoint == "files: generate upload URL":
            self.note_upload_form(path, response)
        return response

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
        elif endpoint.startswith("files:"):
            seeded |= await self.seed_files(client, endpoint, segments, answer, index)
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

    # -- comparing -------------------------------------------------------------------------

    def _compare(
        self, endpoint: str, exchange: Recorded, response: httpx.Response, key: str | None
    ) -> list[Diff]:
        diffs = []
        if response.status_code != exchange.status:
            diffs.append(self._status(endpoint, exchange, response))
            if endpoint.split(":")[0] in _REALTIME:
                return diffs  # a different answer altogether: its headers and body follow it
        ours = {k.lower(): v for k, v in response.headers.items()}
        stand_in = key is not None and key in self.stand_ins
        also: tuple[str, ...] = ()
        if endpoint == "storage: download" and not stand_in:
            also = ("content-length",)
        theirs = exchange.resp_headers
        if stand_in:
            ours.pop("etag", None)
            theirs = {k: v for k, v in theirs.items() if k != "etag"}
        if endpoint.split(":")[0] in _REALTIME:  # which server answered is not relied on
            also = ("cache-control",)
            theirs = {k: v for k, v in theirs.items() if k != "server"}
        if exchange.status == 307 and "location" in theirs and "location" in ours:
            self.locations[urlsplit(self.mapped(theirs["location"])).path] = ours["location"]
            self.locations[urlsplit(theirs["location"]).path] = ours["location"]
        diffs += compare_headers(
            endpoint, theirs, ours, mapped=self.mapped, learn=self.learn, also=also
        )
        diffs += self._compare_body(endpoint, exchange, response, stand_in)
        diffs += compare_times(endpoint, exchange, response, now=self.emulator.storage.clock())
        return diffs

    def _status(self, endpoint: str, exchange: Recorded, response: httpx.Response) -> Diff:
        """Name a status difference, with what the recorded body says."""
        text = (exchange.resp_body or b"").decode("utf-8", "replace")
        answer = _json(exchange.resp_body)
        said = ""
        if exchange.status >= 400 and _succeeded(exchange.resp_body):
            said = " over a success body"
        elif answer is None and text.strip().endswith(")") and "(" in text:
            said = " over a JSONP answer (callback=)"
        elif answer is None and text.strip():
            said = " over a cut-off body"
        elif isinstance(answer, dict):
            message = str(answer.get("message") or answer.get("error_message") or "")
            said = f" ({message[:50]!r})"
        elif isinstance(answer, list) and len(answer) > 1:
            said = f" ({str(answer[1])[:50]!r})"
        return Diff(
            f"{endpoint}: status {exchange.status} recorded{said}, {response.status_code} served",
            f"{exchange.method} {exchange.url[:100]}",
        )

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
            text = (recorded or b"").decode("utf-8", "replace").strip()
            if text.endswith(")") and "(" in text:
                return [Diff(f"{endpoint}: recorded a JSONP answer (callback=)", text[:60])]
            if text[:1] in ("{", "[") or text[-1:] in ("}", "]"):
                return [Diff(f"{endpoint}: recorded body cut off (not JSON)", text[:60])]
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
        realtime = endpoint.split(":")[0] in _REALTIME
        diffs: list[Diff] = []
        if realtime:
            theirs, ours, diffs = realtime_view(
                endpoint, theirs, ours, self.recorded_of, self.cursors, self.learn
            )
        return diffs + compare_json(
            endpoint,
            theirs,
            ours,
            mapped=self.mapped,
            learn=self.learn,
            seen=self.seen,
            ordered=not realtime,
        )
