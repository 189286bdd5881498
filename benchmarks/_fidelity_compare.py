"""Comparing a recorded response with the emulator's, for ``fidelity_audit.py``.

A [Diff][] is one way the emulator's answer differs: its ``kind`` names the difference without
the values (so the same difference across exchanges is counted once), ``example`` shows them.

What is compared: the status; the headers clients rely on (per endpoint); JSON bodies
recursively: key sets, value types, and then each value by what it is: *echoed* values (ids,
names, descriptions, ``custom``, ``status``/``type``, file names and sizes, message bodies,
error texts) must be equal once recorded ids are mapped to the emulator's; *variable* values
(timestamps, eTags, cursors, uuids, signatures, URLs, dates) are compared by shape, the first of
[SHAPES][] each matches; *state* values (``totalCount``) by type only.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["SHAPES", "Diff", "compare_headers", "compare_json", "shape"]

SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        ("empty", r""),
        ("uuid", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
        ("hex32", r"[0-9a-f]{32}"),
        ("quoted hex32", r'"[0-9a-f]{32}"'),
        ("hex64", r"[0-9a-f]{64}"),
        ("rfc3339", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z"),
        ("amz-date", r"\d{8}T\d{6}Z"),
        ("timetoken", r"\d{17}"),
        ("http-date", r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT"),
        ("amz-credential", r"[A-Z0-9]{20}/\d{8}/[a-z0-9-]+/s3/aws4_request"),
        ("expiry rule", r'expiry-date="[^"]+", rule-id="[^"]+"'),
        ("cache-control", r"public, max-age=\d+, immutable"),
        ("url", r"https?://\S+"),
        ("base64url", r"[A-Za-z0-9_-]+"),
        ("base64", r"[A-Za-z0-9+/]+={0,2}"),
        ("text", r".*"),
    )
)
"""Shapes of variable values, most specific first."""

# The keys whose values vary between runs: compared by shape, and remembered for mapping.
VARIABLE_KEYS = frozenset(
    {"updated", "eTag", "created", "next", "prev", "expiration_date", "url", "timetoken"}
    | {"t", "a"}  # a subscribe answer's timetokens ({"t": ...}) and an item's shard
    | {"X-Amz-Credential"}
    | {"X-Amz-Date", "X-Amz-Signature", "X-Amz-Security-Token", "Policy", "expiration"}
)
REPEATING_KEYS = frozenset({"eTag", "updated"})
"""Variable keys whose recorded value, seen again, must map to the same emulator value."""
STATE_KEYS = frozenset({"totalCount", "r"})
"""Keys whose values depend on what else the keyset holds (or where): compared by type."""


_INDEX = re.compile(r"\[\d+\]")
_CHANNEL_KEY = re.compile(r"(body\.channels|body\.more)\.[^\s\[]+?(?=\[|\.[a-z_]+\b|\s|:|$)")


def shape(value: str) -> str:
    """Return the label of the first of [SHAPES][] that ``value`` matches in full."""
    return next(label for label, pattern in SHAPES if pattern.fullmatch(value))


@dataclass(frozen=True)
class Diff:
    """One difference: ``kind`` (no values, for counting) and an ``example`` with them."""

    kind: str
    example: str


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 90 else text[:87] + "..."


@dataclass
class Comparison:
    """A recursive comparison of two JSON values, collecting [Diff][]s.

    Args:
        where: The endpoint, prefixed to every kind.
        mapped: Turns a recorded value into the emulator's (ids, eTags, keys), else returns it.
        learn: Called with ``(recorded, emulator)`` for each variable string value, so that
            later requests can carry the emulator's value where the recording has its own.
    """

    where: str
    mapped: Callable[[str], str]
    learn: Callable[[str, str], None]
    seen: dict[tuple[str, str, str], str] = field(default_factory=dict)
    ordered: bool = True

    def __post_init__(self) -> None:
        self.diffs: list[Diff] = []

    def diff(self, kind: str, example: str) -> None:
        """Record a difference (list indices and channel keys left out of its kind)."""
        kind = _CHANNEL_KEY.sub(r"\1.{channel}", _INDEX.sub("[]", kind))
        self.diffs.append(Diff(f"{self.where}: {kind}", example))

    def value(self, path: str, key: str, recorded: Any, actual: Any) -> None:
        """Compare ``actual`` (the emulator's) with ``recorded`` at ``path``."""
        if isinstance(recorded, dict) and isinstance(actual, dict):
            self._object(path, recorded, actual)
        elif isinstance(recorded, list) and isinstance(actual, list):
            self._list(path, key, recorded, actual)
        elif _type(recorded) != _type(actual) and not _numbers(recorded, actual):
            if key in VARIABLE_KEYS and recorded is not None and actual is not None:
                self.diff(
                    f"type of {path}", f"recorded {_short(recorded)}, emulator {_short(actual)}"
                )
            elif key not in STATE_KEYS or None in (recorded, actual):
                self.diff(
                    f"type of {path}: recorded {_type(recorded)}, emulator {_type(actual)}",
                    f"recorded {_short(recorded)}, emulator {_short(actual)}",
                )
        elif key in STATE_KEYS:
            return
        elif key == "timetoken" and _numbers(recorded, actual):  # /time/0 answers a number
            self.learn(str(recorded), str(actual))
            self._variable(path, key, str(recorded), str(actual))
        elif isinstance(recorded, str) and key in VARIABLE_KEYS:
            self.learn(recorded, actual)
            self._variable(path, key, recorded, actual)
        elif (self.mapped(recorded) if isinstance(recorded, str) else recorded) != actual:
            self.diff(f"value of {path}", f"recorded {_short(recorded)}, emulator {_short(actual)}")

    def _object(self, path: str, recorded: dict[str, Any], actual: dict[str, Any]) -> None:
        missing = [k for k in recorded if k not in actual]
        extra = [k for k in actual if k not in recorded]
        if missing:
            self.diff(f"{path} lacks key(s) {', '.join(missing)}", _short(recorded))
        if extra:
            self.diff(f"{path} has extra key(s) {', '.join(extra)}", _short(actual))
        common = [k for k in recorded if k in actual]
        if self.ordered and not missing and not extra and list(actual) != common:
            self.diff(f"key order of {path}", f"recorded {common}, emulator {list(actual)}")
        for key in common:
            self.value(f"{path}.{key}", key, recorded[key], actual[key])
        if isinstance(actual.get("id"), str):
            self._repeats(path, actual["id"], recorded, actual)

    def _repeats(
        self, path: str, item_id: str, recorded: dict[str, Any], actual: dict[str, Any]
    ) -> None:
        """Check that an eTag or ``updated`` the recording shows again has not changed."""
        for key in REPEATING_KEYS:
            theirs, ours = recorded.get(key), actual.get(key)
            if not isinstance(theirs, str) or not isinstance(ours, str):
                continue
            before = self.seen.setdefault((item_id, key, theirs), ours)
            if before != ours:
                self.diff(
                    f"{path}.{key}: the recording repeats an earlier value, the emulator's changed",
                    f"recorded {theirs!r} again, emulator {ours!r} (was {before!r})",
                )
                self.seen[item_id, key, theirs] = ours

    def _list(self, path: str, key: str, recorded: list[Any], actual: list[Any]) -> None:
        if key == "form_fields":
            self._form_fields(path, recorded, actual)
            return
        if key == "data" and all(isinstance(x, dict) and "id" in x for x in recorded + actual):
            self._page(path, recorded, actual)
            return
        if len(recorded) != len(actual):
            self.diff(f"length of {path}", f"recorded {len(recorded)}, emulator {len(actual)}")
        for index, (one, other) in enumerate(zip(recorded, actual, strict=False)):
            # a publish answer is [1, "Sent", timetoken], the time's [timetoken]
            at = 0 if self.where == "time" else 2
            element = "timetoken" if path == "body" and index == at else key
            self.value(f"{path}[{index}]", element, one, other)

    def _page(self, path: str, recorded: list[Any], actual: list[Any]) -> None:
        """Compare a page of a list: items matched by id, then one by one."""
        ours = {item["id"]: item for item in actual}
        theirs = {self.mapped(str(item["id"])): item for item in recorded}
        if lacking := [i for i in theirs if i not in ours]:
            self.diff(f"{path} lacks recorded item(s)", f"ids {lacking[:3]}")
        if extra := [i for i in ours if i not in theirs]:
            self.diff(f"{path} has item(s) the recording lacks", f"ids {extra[:3]}")
        common_theirs = [i for i in theirs if i in ours]
        common_ours = [i for i in ours if i in theirs]
        if common_theirs != common_ours:
            self.diff(
                f"order of {path}", f"recorded {common_theirs[:4]}, emulator {common_ours[:4]}"
            )
        for item_id in common_theirs:
            self._object(f"{path}[]", theirs[item_id], ours[item_id])

    def _form_fields(self, path: str, recorded: list[Any], actual: list[Any]) -> None:
        names = [f.get("key") for f in recorded if isinstance(f, dict)]
        ours = [f.get("key") for f in actual if isinstance(f, dict)]
        if names != ours:
            self.diff(f"form field names/order of {path}", f"recorded {names}, emulator {ours}")
        values = {f["key"]: f.get("value") for f in actual if isinstance(f, dict) and "key" in f}
        for one in recorded:
            name = one.get("key") if isinstance(one, dict) else None
            if name in values:
                self._form_field(f"{path}[{name}]", name, one.get("value"), values[name])

    def _form_field(self, path: str, name: str, recorded: Any, actual: Any) -> None:
        if not isinstance(recorded, str) or not isinstance(actual, str):
            self.value(path, name, recorded, actual)
        elif name == "key":
            self.learn(recorded, actual)
            self._object_key(path, recorded, actual)
        elif name == "Policy":
            self._policy(path, recorded, actual)
        elif name in VARIABLE_KEYS:
            self._variable(path, name, recorded, actual)
        elif recorded != actual:
            self.diff(f"value of {path}", f"recorded {_short(recorded)}, emulator {_short(actual)}")

    def _object_key(self, path: str, recorded: str, actual: str) -> None:
        """``{sub}/{channel hash}/{file id}/{name}``: the hash by shape, the rest mapped."""
        ours, theirs = actual.split("/"), recorded.split("/")
        if len(ours) != 4 or len(theirs) != 4:
            self.diff(f"segments of {path}", f"recorded {recorded!r}, emulator {actual!r}")
            return
        for label, one, other in zip(("sub", "hash", "id", "name"), theirs, ours, strict=True):
            if label == "sub":  # recorded with the real key where the URL has a placeholder
                self.learn(one, other)
            elif label == "hash":
                if shape(one) != shape(other) or len(one) != len(other):
                    self.diff(
                        f"channel hash in {path}: recorded {shape(one)}({len(one)}), "
                        f"emulator {shape(other)}({len(other)})",
                        f"recorded {one!r}, emulator {other!r}",
                    )
                self.learn(one, other)
            elif self.mapped(one) != other:
                self.diff(f"{label} in {path}", f"recorded {one!r}, emulator {other!r}")

    def _policy(self, path: str, recorded: str, actual: str) -> None:
        theirs, ours = _decoded_policy(recorded), _decoded_policy(actual)
        if theirs is None or ours is None:
            self._variable(path, "Policy", recorded, actual)
            return
        if set(theirs) != set(ours):
            self.diff(
                f"keys of the decoded {path}", f"recorded {list(theirs)}, emulator {list(ours)}"
            )
        kinds_theirs = [_condition_kind(c) for c in theirs.get("conditions", [])]
        kinds_ours = [_condition_kind(c) for c in ours.get("conditions", [])]
        if kinds_theirs != kinds_ours:
            self.diff(
                f"conditions of the decoded {path}",
                f"recorded {kinds_theirs}, emulator {kinds_ours}",
            )

    def _variable(self, path: str, key: str, recorded: str, actual: str) -> None:
        if key in ("url", "location"):
            self._url(path, recorded, actual)
            return
        if shape(recorded) != shape(actual):
            self.diff(
                f"shape of {path}: recorded {shape(recorded)}, emulator {shape(actual)}",
                f"recorded {_short(recorded)}, emulator {_short(actual)}",
            )

    def _url(self, path: str, recorded: str, actual: str) -> None:
        """URLs: the host differs by design; compare the query's names and the path's end."""
        theirs, ours = urlsplit(recorded), urlsplit(actual)
        names_theirs = sorted(k for k, _ in parse_qsl(theirs.query, keep_blank_values=True))
        names_ours = sorted(k for k, _ in parse_qsl(ours.query, keep_blank_values=True))
        if names_theirs != names_ours:
            self.diff(f"query names of {path}", f"recorded {names_theirs}, emulator {names_ours}")
        if len(unquote(theirs.path).strip("/").split("/")) < 2:
            return  # a bucket's root: where it is differs by design
        tail_theirs = unquote(theirs.path).split("/")[-2:]
        tail_ours = unquote(ours.path).split("/")[-2:]
        if [self.mapped(p) for p in tail_theirs] != tail_ours:
            self.diff(f"path end of {path}", f"recorded {tail_theirs}, emulator {tail_ours}")


def _numbers(one: Any, other: Any) -> bool:
    kinds = (int, float)
    both = isinstance(one, kinds) and isinstance(other, kinds)
    return both and not isinstance(one, bool) and not isinstance(other, bool)


def _decoded_policy(value: str) -> dict[str, Any] | None:
    try:
        document = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _condition_kind(condition: Any) -> str:
    if isinstance(condition, dict):
        return "{" + ",".join(condition) + "}"
    if isinstance(condition, list) and condition:
        head = [str(condition[0])]
        if len(condition) > 1 and str(condition[1]).startswith("$"):
            head.append(str(condition[1]))
        return "[" + " ".join(head) + "]"
    return repr(condition)


def compare_json(
    where: str,
    recorded: Any,
    actual: Any,
    *,
    mapped: Callable[[str], str],
    learn: Callable[[str, str], None],
    seen: dict[tuple[str, str, str], str],
    ordered: bool = True,
) -> list[Diff]:
    """Return the differences of the emulator's JSON body ``actual`` from ``recorded``.

    ``seen`` carries, across the exchanges of one cassette, the emulator's value for each
    item's recorded eTag and ``updated``; ``ordered`` compares the order of object keys too.
    """
    comparison = Comparison(where, mapped, learn, seen, ordered)
    comparison.value("body", "", recorded, actual)
    return comparison.diffs


HEADER_RULES: dict[str, str] = {
    "content-type": "value",
    "location": "url",
    "cache-control": "shape",
    "etag": "value",
    "x-amz-expiration": "shape",
    "server": "value",
    "x-amz-server-side-encryption": "value",
}
"""The response headers clients rely on, and how each is compared."""


def compare_headers(
    where: str,
    recorded: dict[str, str],
    actual: dict[str, str],
    *,
    mapped: Callable[[str], str],
    learn: Callable[[str, str], None],
    also: tuple[str, ...] = (),
) -> list[Diff]:
    """Return the differences in the headers of [HEADER_RULES][] (and ``also``, by value)."""
    comparison = Comparison(where, mapped, learn)
    rules = dict(HEADER_RULES) | dict.fromkeys(also, "value")
    for name, rule in rules.items():
        if name not in recorded:
            continue
        if name not in actual:
            comparison.diff(f"header {name} missing", f"recorded {recorded[name]!r}")
            continue
        theirs, ours = recorded[name], actual[name]
        if rule == "url":
            comparison.learn(theirs, ours)
            comparison._url(f"header {name}", theirs, ours)
        elif rule == "shape":
            comparison._variable(f"header {name}", name, theirs, ours)
        elif _normal(theirs) != _normal(ours):
            said = f": recorded {theirs}" if name == "content-type" else ""
            comparison.diff(f"header {name}{said}", f"recorded {theirs!r}, emulator {ours!r}")
    return comparison.diffs


def _normal(header: str) -> str:
    return header.replace(" ", "").lower()
