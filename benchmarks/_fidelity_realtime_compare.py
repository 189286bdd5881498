"""How a realtime answer is compared with its recording, for ``fidelity_audit.py``.

Before the JSON comparison of ``_fidelity_compare.py``, [realtime_view][] lines the two answers
up where order or count is not the point, and names what is left aside:

- a subscribe answer's ``t.t`` is compared by shape and remembered as the cursor the next
  poll sends (not as a message's timetoken: production's is not always its last message's);
- a recorded poll's presence events (``-pnpres``) and message-action events (``e: 3``) are
  taken out of the recording (the emulator sends neither), with one named difference each;
- a poll's items are matched by timetoken like a history answer's; a message recorded twice
  (matched by a channel and by a group of the same name) and a ``b`` that repeats ``c`` (a
  plain channel's match, named in 2016) are named and set aside;
- a history answer's items are matched by timetoken (the emulator's mapped back to the
  recording's), not by position: items only one side has are named, the matched ones are
  compared key by key and in order;
- a message count below the emulator's is named (production had not yet counted messages
  published a moment before) and then compared as equal.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from _fidelity_compare import Diff, shape
from _fidelity_realtime_state import unemulated_item

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["realtime_view"]


def _unemulated(endpoint: str, recorded: dict[str, Any]) -> tuple[dict[str, Any], list[Diff]]:
    items = recorded.get("m")
    if endpoint != "subscribe: poll" or not isinstance(items, list):
        return recorded, []
    reasons = [unemulated_item(item) for item in items]
    kept = [item for item, why in zip(items, reasons, strict=True) if why is None]
    diffs = {
        why: Diff(f"{endpoint}: recorded {why}", json.dumps(item)[:90])
        for item, why in zip(items, reasons, strict=True)
        if why is not None
    }
    return recorded | {"m": kept}, list(diffs.values())


def _cursor(
    endpoint: str,
    theirs: dict[str, Any],
    ours: dict[str, Any],
    cursors: dict[str, str],
    learn: Callable[[str, str], None],
) -> tuple[dict[str, Any], list[Diff]]:
    """Remember a subscribe answer's ``t.t``; return the recording with the emulator's in it.

    A handshake's is "now" on both sides: it is also learned as a timetoken pair.
    """
    mine, yours = theirs.get("t"), ours.get("t")
    if not isinstance(mine, dict) or not isinstance(yours, dict):
        return theirs, []
    recorded, served = str(mine.get("t")), str(yours.get("t"))
    cursors[recorded] = served
    if endpoint == "subscribe: handshake":
        learn(recorded, served)
    diffs = []
    if shape(recorded) != shape(served):
        diffs.append(Diff(f"{endpoint}: shape of t.t", f"recorded {recorded}, emulator {served}"))
    return theirs | {"t": mine | {"t": served}}, diffs


def _items(
    endpoint: str,
    recorded: list[Any],
    served: list[Any],
    recorded_of: Callable[[int], int | None],
    timetoken: Callable[[Any], str],
) -> tuple[list[Any], list[Any], list[Diff]]:
    """Match items by (mapped) timetoken; return the matched pairs as two lists, and diffs."""
    by_tt: dict[str, list[Any]] = {}
    for item in recorded:
        by_tt.setdefault(timetoken(item), []).append(item)
    pairs, extra = [], []
    for item in served:
        raw = timetoken(item)
        back = recorded_of(int(raw)) if raw.isdigit() else None
        if back is not None and by_tt.get(str(back)):
            pairs.append((str(back), by_tt[str(back)].pop(0), item))
        else:
            extra.append(item)
    matched = {tt for tt, _, _ in pairs}
    diffs = []
    if extra:
        diffs.append(
            Diff(
                f"{endpoint}: the emulator's answer has item(s) the recording lacks",
                json.dumps(extra[0])[:90],
            )
        )
    twice = [tt for tt, left in by_tt.items() if left and tt in matched]
    lacking = [tt for tt, left in by_tt.items() if left and tt not in matched]
    if twice:
        diffs.append(
            Diff(
                f"{endpoint}: recorded the same message twice (it matched two subscriptions)",
                str(twice[:3]),
            )
        )
    if lacking:
        diffs.append(
            Diff(f"{endpoint}: the emulator's answer lacks recorded item(s)", str(lacking[:3]))
        )
    order = [timetoken(item) for item in recorded]
    in_recorded_order = sorted(pairs, key=lambda pair: order.index(pair[0]))
    if [tt for tt, _, _ in pairs] != [tt for tt, _, _ in in_recorded_order]:
        diffs.append(Diff(f"{endpoint}: order of the items", str([tt for tt, _, _ in pairs][:3])))
    return [one for _, one, _ in pairs], [other for _, _, other in pairs], diffs


def _poll(
    endpoint: str,
    theirs: dict[str, Any],
    ours: dict[str, Any],
    recorded_of: Callable[[int], int | None],
) -> tuple[dict[str, Any], dict[str, Any], list[Diff]]:
    mine, yours = theirs.get("m"), ours.get("m")
    if not isinstance(mine, list) or not isinstance(yours, list):
        return theirs, ours, []
    lined_theirs, lined_ours, diffs = _items(
        endpoint, mine, yours, recorded_of, lambda i: str(((i or {}).get("p") or {}).get("t"))
    )
    repeated = []
    for index, (one, other) in enumerate(zip(lined_theirs, lined_ours, strict=True)):
        if isinstance(one, dict) and one.get("b") == one.get("c") and "b" not in other:
            lined_theirs[index] = {k: v for k, v in one.items() if k != "b"}
            repeated.append(one.get("c"))
    if repeated:
        diffs.append(
            Diff(f"{endpoint}: recorded b equal to c (a plain channel's match)", str(repeated[:2]))
        )
    return theirs | {"m": lined_theirs}, ours | {"m": lined_ours}, diffs


def _history(
    endpoint: str,
    theirs: dict[str, Any],
    ours: dict[str, Any],
    recorded_of: Callable[[int], int | None],
) -> tuple[dict[str, Any], dict[str, Any], list[Diff]]:
    """Match a history answer's items by timetoken; keep the matched ones, name the rest."""
    mine, yours = theirs.get("channels"), ours.get("channels")
    if not isinstance(mine, dict) or not isinstance(yours, dict):
        return theirs, ours, []
    diffs: list[Diff] = []
    lined_theirs, lined_ours = dict(mine), dict(yours)
    for key in set(mine) & set(yours):
        if isinstance(mine[key], list) and isinstance(yours[key], list):
            lined_theirs[key], lined_ours[key], more = _items(
                endpoint,
                mine[key],
                yours[key],
                recorded_of,
                lambda i: str((i or {}).get("timetoken")),
            )
            diffs += more
    return theirs | {"channels": lined_theirs}, ours | {"channels": lined_ours}, diffs


def _counts(
    endpoint: str, theirs: dict[str, Any], ours: dict[str, Any]
) -> tuple[dict[str, Any], list[Diff]]:
    mine, yours = theirs.get("channels"), ours.get("channels")
    if not isinstance(mine, dict) or not isinstance(yours, dict):
        return ours, []
    lined = dict(yours)
    diffs = []
    for key, count in mine.items():
        served = yours.get(key)
        if isinstance(count, int) and isinstance(served, int) and count < served:
            diffs.append(
                Diff(
                    f"{endpoint}: a recorded count is below the emulator's, which counts "
                    "messages the cassette published just before",
                    f"recorded {count}, emulator {served}",
                )
            )
            lined[key] = count
    return ours | {"channels": lined}, diffs[:1]


def realtime_view(
    endpoint: str,
    theirs: Any,
    ours: Any,
    recorded_of: Callable[[int], int | None],
    cursors: dict[str, str],
    learn: Callable[[str, str], None],
) -> tuple[Any, Any, list[Diff]]:
    """Return both answers lined up for comparison, and the differences named on the way.

    Args:
        endpoint: The endpoint.
        theirs: The recorded answer (JSON).
        ours: The emulator's.
        recorded_of: The recorded timetoken an emulator's stands for (None: unknown).
        cursors: Where a subscribe answer's recorded ``t.t`` and the emulator's are noted.
        learn: Learns a recorded timetoken and the emulator's (a handshake's ``t.t``).
    """
    if not isinstance(theirs, dict) or not isinstance(ours, dict):
        return theirs, ours, []
    theirs, diffs = _unemulated(endpoint, theirs)
    if endpoint.startswith("subscribe"):
        theirs, more = _cursor(endpoint, theirs, ours, cursors, learn)
        diffs += more
    if endpoint == "subscribe: poll":
        theirs, ours, more = _poll(endpoint, theirs, ours, recorded_of)
        diffs += more
    elif endpoint.startswith("history: fetch"):
        theirs, ours, more = _history(endpoint, theirs, ours, recorded_of)
        diffs += more
    elif endpoint == "history: message counts":
        ours, more = _counts(endpoint, theirs, ours)
        diffs += more
    return theirs, ours, diffs
