"""The realtime side of a cassette's replay, for ``fidelity_audit.py``: publish, subscribe, history.

Requests keep the recording's own encoding (raw commas between channel names and groups, the
payload as the SDK escaped it); only subscribe keys and timetokens are replaced: every
recorded timetoken in ``tt``, ``t`` (old Ruby's ``{"t": ...}``), ``start``, ``end``,
``timetoken`` and ``channelsTimetoken`` becomes the emulator's, through the cassette's
[Timetokens][]. What a recorder filtered out of a query is put back where the recording shows
it: a publish's ``uuid`` and ``seqn`` (echoed as ``i`` and ``s`` by a later recorded
subscribe answer, or as ``uuid`` by a history answer), a poll's ``tt`` (the previous recorded
``t.t``).

Seeding and what production lacked: see ``_fidelity_realtime_state.py``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit

from _fidelity_endpoints import classify, subscribe_timetoken
from _fidelity_realtime_state import RealtimeState
from _fidelity_timetokens import TIMETOKEN, Timetokens, spread

from aiospaces.emulator.pubnub.state import Keyset

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx
    from _fidelity_load import Cassette, Recorded

    from aiospaces.emulator import Emulator
    from aiospaces.emulator.pubnub.stream import Streams

__all__ = ["RealtimeReplay"]

_TIMETOKEN_PARAMS = frozenset({"tt", "start", "end", "timetoken", "channelsTimetoken"})


def _json(body: bytes | None) -> Any:
    try:
        return json.loads(body or b"")
    except ValueError:
        return None


class RealtimeReplay(RealtimeState):
    """What a [Replayer][] does for publish, signal, subscribe, presence, history and groups."""

    cassette: Cassette
    emulator: Emulator
    timetokens: Timetokens
    cursors: dict[str, str]  # a recorded subscribe answer's t.t -> the emulator's

    def mapped(self, value: str) -> str:
        raise NotImplementedError

    def _mapped_json(self, value: Any) -> Any:
        raise NotImplementedError

    @property
    def streams(self) -> Streams:
        return self.emulator.vendors["pubnub"].streams  # type: ignore[attr-defined,no-any-return]

    async def realtime(
        self, client: httpx.AsyncClient, endpoint: str, exchange: Recorded, index: int
    ) -> tuple[httpx.Response, bool]:
        """Send one realtime exchange (seeding first); return the answer and whether it seeded."""
        clock = self.streams.clock
        spread(clock)
        self.timetokens.anchor_at(exchange.resp_headers.get("date"), clock.now())
        raw = urlsplit(exchange.url).path.split("/")
        segments = [  # raw, but for what maps to the emulator's (keys)
            quote(self.mapped(unquote(s)), safe="") if self.mapped(unquote(s)) != unquote(s) else s
            for s in raw
        ]
        path = "/".join(segments)
        by_position = segments[1] in ("publish", "signal") or segments[2:3] == ["subscribe"]
        sub = unquote(segments[3] if by_position else (segments[4] if len(segments) > 4 else ""))
        seeded = self.seed(endpoint, exchange, sub, segments)
        lagging = self.leave_out_lagging(endpoint, exchange, sub, segments)
        refusal = self._refusal(exchange, sub, segments)
        query = self._query(endpoint, exchange, index)
        headers = {}
        if "content-type" in exchange.req_headers:
            headers["content-type"] = exchange.req_headers["content-type"]
        body = exchange.req_body
        if body is not None and (payload := _json(body)) is not None:
            body = json.dumps(self._mapped_json(payload)).encode()
        try:
            response = await client.request(
                exchange.method, f"{path}?{query}" if query else path, headers=headers, content=body
            )
        finally:
            refusal()
        if endpoint in ("publish: GET", "publish: POST", "signal"):
            self._published(endpoint, exchange, response)
        self.lag_diffs = lagging
        return response, seeded or bool(lagging)

    def _published(self, endpoint: str, exchange: Recorded, response: httpx.Response) -> None:
        theirs, ours = _json(exchange.resp_body), _json(response.content)
        if not (isinstance(theirs, list) and isinstance(ours, list)):
            return
        if len(theirs) == len(ours) == 3 and theirs[0] == ours[0] == 1:
            recorded, actual = str(theirs[2]), str(ours[2])
            if TIMETOKEN.fullmatch(recorded) and TIMETOKEN.fullmatch(actual):
                self.published.add(int(recorded))
                self.timetokens.learn(int(recorded), int(actual))
                store = dict(parse_qsl(urlsplit(exchange.url).query)).get("store", "1")
                if endpoint != "signal" and store.lower() not in ("0", "false"):
                    self.stored_own[int(actual)] = int(recorded)

    def _refusal(self, exchange: Recorded, sub: str, segments: list[str]) -> Callable[[], None]:
        """Make the keyset refuse as production did (a recorded key refusal); return an undo.

        A recorded Access Manager 403: the keyset gets an auth key the request does not carry.
        A recorded ``Invalid Subscribe Key``: strict mode (unknown keys refused). A recorded
        ``Invalid Key`` of a publish: the keyset has another publish key.
        """
        text = (exchange.resp_body or b"").decode("utf-8", "replace")
        keysets = self.emulator.vendors["pubnub"].keysets  # type: ignore[attr-defined]
        if exchange.status == 403 and '"Access Manager"' in text:
            keyset = keysets.by_key.setdefault(sub, Keyset(subscribe_key=sub))
            before = keyset.auth_keys
            keyset.auth_keys = frozenset({"an-auth-key-with-no-grants-here"})
            return lambda: setattr(keyset, "auth_keys", before)
        if exchange.status == 400 and "Invalid Subscribe Key" in text:
            keysets.by_key.pop(sub, None)
            self.emulator.strict = True
            return lambda: setattr(self.emulator, "strict", False)
        if exchange.status == 400 and '"Invalid Key"' in text and segments[1] == "publish":
            keyset = keysets.by_key.setdefault(sub, Keyset(subscribe_key=sub))
            if keyset.publish_key in (None, segments[2]):
                keyset.publish_key = "pub-c-a-key-production-knew"
        return lambda: None

    # -- the query -------------------------------------------------------------------------

    def _timetoken(self, raw: str, *, cursor: bool = False) -> str:
        """Map a recorded timetoken (a subscribe's ``tt``: first as a ``t.t`` seen before)."""
        if not raw.isdigit() or raw == "0":
            return raw
        if cursor and raw in self.cursors:
            return self.cursors[raw]
        return str(self.timetokens.to_emulator(int(raw), self.streams.clock.now()))

    def _query(self, endpoint: str, exchange: Recorded, index: int) -> str:
        """Return the recorded query, raw, timetokens mapped and filtered parameters put back."""
        pairs = []
        names = set()
        for pair in urlsplit(exchange.url).query.split("&") if "?" in exchange.url else []:
            if not pair:
                continue
            key, sep, value = pair.partition("=")
            name, text = unquote_plus(key), unquote_plus(value)
            names.add(name)
            if name in _TIMETOKEN_PARAMS:
                cursor = name == "tt"
                mapped = ",".join(self._timetoken(t, cursor=cursor) for t in text.split(","))
                value = quote(mapped, safe=",")
            elif name == "t" and endpoint.startswith("subscribe"):
                value = quote(self._ruby_cursor(text), safe=":,")
            elif self.mapped(text) != text:
                value = quote(self.mapped(text), safe=",")
            pairs.append(f"{key}{sep}{value}")
        for name, value in self._restored(endpoint, exchange, index).items():
            if name not in names:
                pairs.append(f"{name}={quote(value, safe=',')}")
        return "&".join(pairs)

    def _ruby_cursor(self, text: str) -> str:
        try:
            cursor = json.loads(text)
        except ValueError:
            return text
        if isinstance(cursor, dict) and str(cursor.get("t", "0")) not in ("0", ""):
            cursor["t"] = self._timetoken(str(cursor["t"]), cursor=True)
        return json.dumps(cursor, separators=(",", ":"))

    def _restored(self, endpoint: str, exchange: Recorded, index: int) -> dict[str, str]:
        """Return the parameters a recorder filtered out, as the recording shows them."""
        restored: dict[str, str] = {}
        if endpoint == "subscribe: poll":
            params = dict(parse_qsl(urlsplit(exchange.url).query))
            if not subscribe_timetoken(params):
                last = self._previous_cursor(index)
                if last:
                    restored["tt"] = self._timetoken(last, cursor=True)
        if endpoint == "channel groups: add/remove channels":
            restored |= self._group_change(exchange, index)
        if endpoint not in ("publish: GET", "publish: POST", "signal"):
            return restored
        answer = _json(exchange.resp_body)
        if not isinstance(answer, list) or len(answer) != 3:
            return restored
        echo = self._echo(str(answer[2]), index)
        if echo.get("i") is not None:
            restored["uuid"] = str(echo["i"])
        if echo.get("s") is not None:
            restored["seqn"] = str(echo["s"])
        return restored

    def _group_change(self, exchange: Recorded, index: int) -> dict[str, str]:
        """Return the ``add``/``remove`` of a change whose query a recorder dropped.

        What changed is what the next recorded list of the same group shows changed.
        """
        url = urlsplit(exchange.url)
        if {"add", "remove"} & {k for k, _ in parse_qsl(url.query)}:
            return {}
        for later in self.cassette.exchanges[index + 1 :]:
            answer = _json(later.resp_body)
            if urlsplit(later.url).path != url.path or not isinstance(answer, dict):
                continue
            if isinstance(answer.get("payload"), dict):
                wanted = set(answer["payload"].get("channels") or [])
                segments = url.path.split("/")
                stream = self.streams.stream(self.mapped(unquote(segments[4])))
                held = stream.groups.get(unquote(segments[6]), set())
                if wanted - held:
                    return {"add": ",".join(sorted(wanted - held))}
                if held - wanted:
                    return {"remove": ",".join(sorted(held - wanted))}
                return {}
        return {}

    def _previous_cursor(self, index: int) -> str | None:
        for earlier in reversed(self.cassette.exchanges[:index]):
            if classify(earlier.method, earlier.url)[0].startswith("subscribe"):
                answer = _json(earlier.resp_body)
                if isinstance(answer, dict) and isinstance(answer.get("t"), dict):
                    return str(answer["t"].get("t"))
        return None

    def _echo(self, timetoken: str, index: int) -> dict[str, Any]:
        """Return what a later recorded answer shows of the message published at ``timetoken``."""
        for later in self.cassette.exchanges[index + 1 :]:
            answer = _json(later.resp_body)
            if not isinstance(answer, dict):
                continue
            for item in answer.get("m") or []:
                if isinstance(item, dict) and str((item.get("p") or {}).get("t")) == timetoken:
                    return item
            for items in (answer.get("channels") or {}).values():
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, dict) and str(item.get("timetoken")) == timetoken:
                        return {"i": item.get("uuid")}
        return {}
