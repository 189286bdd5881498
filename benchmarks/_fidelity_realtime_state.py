"""What production held around a realtime exchange, put on the emulator first (fidelity audit).

Seeding (state production held, or another client made, outside the recording):

- the messages a recorded poll delivered that the cassette never published go on the
  emulator's stream at their mapped timetoken before the poll is sent (so a long-poll finds
  them at once); presence and message-action events are not (the emulator sends none);
- the items a recorded history answer shows that the cassette never published go into storage
  the same way; a recorded message count above the emulator's gets stand-in stored messages;
- a group a recorded poll matched through (``b``) that the emulator does not know is
  registered with the item's channel; the channels and groups a recorded list shows are
  registered.

The reverse (production lacked what the cassette had published): messages the cassette
published and stored that a recorded history answer lacks, inside the window it answered for,
are taken out of the emulator's storage before the fetch, each time with a named difference
([Lag][]); they were published a moment before (storage not yet written), or the answer was
recorded in an earlier run than the publishes before it.
"""

from __future__ import annotations

import json
from bisect import insort
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs
from _fidelity_compare import Diff
from _fidelity_timetokens import TIMETOKEN, Timetokens

from aiospaces.emulator.pubnub.stream import FILE, MESSAGE, SIGNAL, PublishOptions, Record

if TYPE_CHECKING:
    from _fidelity_load import Recorded

    from aiospaces.emulator.pubnub.stream import Stream, Streams

__all__ = ["Lag", "RealtimeState", "unemulated_item"]

_timetoken = attrgetter("timetoken")
_KINDS = (MESSAGE, SIGNAL, 2, FILE)


def _json(body: bytes | None) -> Any:
    try:
        return json.loads(body or b"")
    except ValueError:
        return None


def unemulated_item(item: Any) -> str | None:
    """Why a recorded subscribe item is one the emulator never sends (None: it sends those)."""
    if not isinstance(item, dict):
        return None
    if str(item.get("c", "")).endswith("-pnpres"):
        return "presence event(s) (-pnpres), which the emulator does not send"
    if item.get("e") == 3:
        return "message action event(s) (e: 3), which the emulator does not serve"
    return None


@dataclass
class Lag:
    """Messages the cassette published that a recorded answer lacks: found, then left out."""

    diffs: list[Diff] = field(default_factory=list)


class RealtimeState:
    """The seeding half of [RealtimeReplay][]: what production held, on the emulator first."""

    timetokens: Timetokens
    published: set[int]  # recorded timetokens of the cassette's own publishes
    stored_own: dict[int, int]  # emulator timetoken -> recorded, of those meant to be stored
    seeded_live: set[int]  # recorded timetokens seeded on the stream
    seeded_stored: set[int]  # ... in storage
    values: dict[str, str]
    streams: Streams

    def seed(self, endpoint: str, exchange: Recorded, sub: str, segments: list[str]) -> bool:
        """Put on the emulator what the recorded answer shows and nobody made; True if any."""
        answer = _json(exchange.resp_body)
        if exchange.status != 200 or not isinstance(answer, dict):
            return False
        stream = self.streams.stream(sub)
        seeded = False
        if endpoint == "subscribe: poll":
            for item in answer.get("m") or []:
                if isinstance(item, dict) and unemulated_item(item) is None:
                    if "{PN_KEY_" in exchange.url and isinstance(item.get("k"), str):
                        self.values.setdefault(item["k"], sub)  # the real key behind a placeholder
                    seeded |= self._seed_delivered(stream, item, segments, exchange.url)
        elif endpoint.startswith("history: fetch"):
            names = _names(segments, 6)
            for key, items in (answer.get("channels") or {}).items():
                channel = key if key in names else unquote(key)
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, dict):
                        seeded |= self._seed_stored(stream, channel, item)
        elif endpoint == "history: message counts":
            seeded |= self._seed_counts(stream, exchange, answer, _names(segments, 6))
        elif endpoint == "channel groups: list channels":
            payload = answer.get("payload") or {}
            group = str(payload.get("group") or unquote(segments[-1]))
            channels = set(payload.get("channels") or [])
            if channels - stream.groups.get(group, set()):
                stream.groups[group] = stream.groups.get(group, set()) | channels
                seeded = True
        elif endpoint == "channel groups: list groups":
            for group in (answer.get("payload") or {}).get("groups") or []:
                if group not in stream.groups:
                    stream.groups[group] = {"a-seeded-channel"}
                    seeded = True
        return seeded

    def _seed_delivered(
        self, stream: Stream, item: dict[str, Any], segments: list[str], url: str
    ) -> bool:
        recorded = str((item.get("p") or {}).get("t"))
        if not TIMETOKEN.fullmatch(recorded) or int(recorded) in self.published:
            return False
        channel, via = str(item.get("c")), item.get("b")
        groups = dict(parse_qsl(urlsplit(url).query)).get("channel-group", "").split(",")
        direct = channel in _names(segments, 4)
        if isinstance(via, str) and via in groups and not direct and via not in stream.groups:
            stream.groups[via] = {channel}  # a group production held, with this channel
        if int(recorded) in self.seeded_live:
            return False
        fields = {
            "publisher": item.get("i"),
            "meta": item.get("u") if isinstance(item.get("u"), dict) else None,
            "store": False,
            "custom_message_type": item.get("cmt"),
            "sequence": item.get("s") if isinstance(item.get("s"), int) else None,
            "origination": str((item.get("o") or {}).get("t")) if item.get("o") else None,
        }
        known = attrs.fields_dict(PublishOptions)  # an emulator before ``o`` has no origination
        options = PublishOptions(**{k: v for k, v in fields.items() if k in known})
        kind = item.get("e") or MESSAGE
        self._place(stream, channel, int(recorded), item.get("d"), kind, options, live=True)
        self.seeded_live.add(int(recorded))
        return True

    def _seed_stored(self, stream: Stream, channel: str, item: dict[str, Any]) -> bool:
        recorded = str(item.get("timetoken"))
        if not TIMETOKEN.fullmatch(recorded):
            return False
        if int(recorded) in self.published or int(recorded) in self.seeded_stored:
            return False
        kind = FILE if str(item.get("message_type")) == str(FILE) else MESSAGE
        meta = item.get("meta")
        options = PublishOptions(
            publisher=item.get("uuid"),
            meta=meta if isinstance(meta, dict) else None,
            custom_message_type=item.get("custom_message_type"),
        )
        self._place(stream, channel, int(recorded), item.get("message"), kind, options, live=False)
        self.seeded_stored.add(int(recorded))
        return True

    def _seed_counts(
        self, stream: Stream, exchange: Recorded, answer: dict[str, Any], names: list[str]
    ) -> bool:
        """Store stand-in messages where a recorded count is above what the emulator holds."""
        params = dict(parse_qsl(urlsplit(exchange.url).query))
        raw = params.get("timetoken") or params.get("channelsTimetoken") or ""
        since = raw.split(",") if "," in raw else [raw] * len(names)
        seeded = False
        for name, value in zip(names, since, strict=False):
            recorded = (answer.get("channels") or {}).get(name)
            if not isinstance(recorded, int) or not value.isdigit():
                continue
            after = self.timetokens.to_emulator(int(value), self.streams.clock.now())
            held = sum(1 for r in stream.stored(name) if r.timetoken >= after)
            for _ in range(recorded - held):
                timetoken = self.streams.clock.next()
                record = Record(channel=name, timetoken=timetoken, payload="a stand-in")
                insort(stream.history.setdefault(name, []), record, key=_timetoken)
                seeded = True
        return seeded

    def _place(
        self,
        stream: Stream,
        channel: str,
        recorded: int,
        payload: Any,
        kind: int,
        options: PublishOptions,
        *,
        live: bool,
    ) -> None:
        """Put a record on the stream (``live``) or in storage at its recorded time's place."""
        clock = self.streams.clock
        timetoken = self.timetokens.to_emulator(recorded, clock.now())
        self.timetokens.learn(recorded, timetoken)
        clock.last = max(clock.last, timetoken)
        record = Record(
            channel=channel,
            timetoken=timetoken,
            payload=payload,
            message_type=kind if kind in _KINDS else MESSAGE,
            options=options,
        )
        if live:
            insort(stream.records, record, key=_timetoken)
        else:
            insort(stream.history.setdefault(channel, []), record, key=_timetoken)

    # -- what production lacked ------------------------------------------------------------

    def leave_out_lagging(
        self, endpoint: str, exchange: Recorded, sub: str, segments: list[str]
    ) -> list[Diff]:
        """Take out of storage the own publishes a recorded history answer lacks; name each."""
        answer = _json(exchange.resp_body)
        if not endpoint.startswith("history: fetch") or exchange.status != 200:
            return []
        if not isinstance(answer, dict) or not isinstance(answer.get("channels"), dict):
            return []
        params = dict(parse_qsl(urlsplit(exchange.url).query))
        start, end = (
            int(params[k]) if params.get(k, "").isdigit() else None for k in ("start", "end")
        )
        wanted = int(params["max"]) if params.get("max", "").isdigit() else None
        shown: dict[str, list[int]] = {}
        for key, items in answer["channels"].items():
            tts = [
                int(i["timetoken"])
                for i in items
                if isinstance(i, dict) and str(i.get("timetoken")).isdigit()
            ]
            shown[key] = shown[unquote(key)] = tts
        diffs = []
        stream = self.streams.stream(sub)
        for name in _names(segments, 6):
            tts = shown.get(name, [])
            oldest = min(tts) if wanted is not None and len(tts) >= wanted else None
            records = stream.stored(name)
            for record in list(records):
                recorded = self.stored_own.get(record.timetoken)
                if recorded is None or recorded in tts:
                    continue
                if (start is not None and recorded >= start) or (
                    end is not None and recorded < end
                ):
                    continue
                if oldest is not None and recorded < oldest:
                    continue
                records.remove(record)
                newer = any(t > recorded for t in tts)
                why = (
                    "shows newer ones (storage not yet written)"
                    if newer
                    else "shows none newer (an answer recorded before them)"
                )
                diffs.append(
                    Diff(
                        f"{endpoint}: the recorded answer lacks a message the cassette "
                        f"published before it, and {why}",
                        f"published at {recorded}, answer of {len(tts)} item(s)",
                    )
                )
        return list({d.kind: d for d in diffs}.values())


def _names(segments: list[str], index: int) -> list[str]:
    """Return the comma-joined channel (or group) names of path segment ``index``."""
    if len(segments) <= index:
        return []
    return [unquote(n) for n in segments[index].split(",") if n]
