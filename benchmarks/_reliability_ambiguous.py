"""The lost-answer trials of ``benchmarks/reliability.py``: calls that must not run twice.

Each non-idempotent call (``tests/reliability/lost_answers.py``) runs against a served
emulator whose rule processes the request and then loses its answer — dropped, a proxy's 502,
or late past the call's timeout. The vendor's own reads then count what exists. The default
must create exactly one (reconciled, or an ``AmbiguousResultError``); the opt-in
``retry_ambiguous()`` shows the duplicate it accepts.
"""

from __future__ import annotations

import collections
from typing import Any

import anyio
import attrs

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.emulator.faults import Fault
from tests.reliability.lost_answers import CASES, how_many, settings

LOSSES = ("drop", "502", "late")
GLOBS = {
    "mux create_space": "/video/v1/spaces",
    "mux create_live_stream": "/video/v1/live-streams",
    "neuroio spaces.create": "/v1/spaces/",
    "neuroio tokens.create": "/v1/tokens/",
    "admin create_block": "*/block",
    "pubnub publish_file_message": "/v1/files/publish-file/*",
}


@attrs.frozen
class Trials:
    """What the trials of one call did (per outcome: how many trials)."""

    call: str
    mode: str
    outcomes: dict[str, int]

    @property
    def duplicates(self) -> int:
        """Trials that created more than one."""
        return self.outcomes.get("duplicate", 0)


async def _one(
    name: str, loss: str, *, blind: bool, session: aiospaces.Session, emulator: Emulator, url: str
) -> str:
    method, _, make = CASES[name]
    builder = await make(session, emulator, url)
    before = await how_many(name, session, emulator, url)
    lost: Any = loss
    emulator.faults.clear()
    delay = 1.0 if loss == "late" else 0.0
    rule = Fault(method=method, path=GLOBS[name], lose_answer=lost, delay=delay, times=1)
    emulator.faults.add(rule)
    builder.timeout(0.5)
    if blind:
        builder.retry_ambiguous()
    try:
        await builder
        raised = False
    except aiospaces.AmbiguousResultError:
        raised = True
    emulator.faults.clear()
    if loss == "late":
        await anyio.sleep(0.7)  # let the late answer's request finish on the server
    made = await how_many(name, session, emulator, url) - before
    if made > 1:
        return "duplicate"
    if made == 0:
        return "lost"
    return "ambiguous error" if raised else "one, returned"


async def run_trials(trials: int = 2) -> list[Trials]:
    """Run every call under every kind of lost answer, ``trials`` times, both ways."""
    rows = []
    emulator = Emulator()
    with emulator.serve() as url:
        async with aiospaces.Session() as session:
            for mode, blind in (("default", False), ("retry_ambiguous()", True)):
                for name in CASES:
                    outcomes: collections.Counter[str] = collections.Counter()
                    for loss in LOSSES:
                        for _ in range(trials):
                            outcomes[
                                await _one(
                                    name,
                                    loss,
                                    blind=blind,
                                    session=session,
                                    emulator=emulator,
                                    url=url,
                                )
                            ] += 1
                    rows.append(Trials(name, mode, dict(outcomes)))
            rows.append(await _reconciled(session, emulator, url, trials))
    return rows


async def _reconciled(
    session: aiospaces.Session, emulator: Emulator, url: str, trials: int
) -> Trials:
    """Mux creates with a passthrough: found again by it."""
    mux = session.mux(**settings(emulator, "mux", url))
    outcomes: collections.Counter[str] = collections.Counter()
    for i, loss in enumerate(LOSSES * trials):
        lost: Any = loss
        emulator.faults.clear()
        delay = 1.0 if loss == "late" else 0.0
        emulator.faults.add(
            Fault(method="POST", path="/video/v1/spaces", lose_answer=lost, delay=delay, times=1)
        )
        passthrough = f"order-{i}"
        try:
            made = await mux.create_space(passthrough=passthrough).timeout(0.5)
            outcome = "reconciled" if made.passthrough == passthrough else "wrong object"
        except aiospaces.AmbiguousResultError:
            outcome = "ambiguous error"  # e.g. a late answer: not listed yet
        emulator.faults.clear()
        if loss == "late":
            await anyio.sleep(0.7)
        listed = [s async for s in mux.list_spaces() if s.passthrough == passthrough]
        outcomes["duplicate" if len(listed) > 1 else outcome] += 1
    return Trials("mux create_space + passthrough", "default", dict(outcomes))


def describe(rows: list[Trials]) -> list[str]:
    """Table lines."""
    kinds = ("one, returned", "reconciled", "ambiguous error", "duplicate", "lost")
    lines = [
        "| call | mode | " + " | ".join(kinds) + " |",
        "|---|---|" + "---:|" * len(kinds),
    ]
    for row in rows:
        counts = " | ".join(str(row.outcomes.get(kind, 0)) for kind in kinds)
        lines.append(f"| {row.call} | {row.mode} | {counts} |")
    return lines
