r"""Replay real recorded PubNub traffic against the emulator and list every difference.

Run it from the repository root, with local checkouts of the two SDK repositories whose test
cassettes were recorded against production PubNub (nothing they hold is kept here):

    .venv/bin/python benchmarks/fidelity_audit.py \
        --pubnub-python ../pubnub-python --pubnub-ruby ../pubnub-ruby --history

What it reads: every cassette under ``tests/integrational/fixtures`` of pubnub/python (vcrpy
JSON with pickled bodies, vcrpy YAML) and under ``fixtures/vcr_cassettes`` of pubnub/ruby (VCR
YAML); with ``--history``, every version of them in the repositories' git history (all refs),
each distinct file version once. A checkout may be bare; a plain directory is read as files.

What it does: each cassette holding an exchange the emulator serves (App Context channels
under ``/v2/objects/{sub}/channels``, file sharing under ``/v1/files/...``, the presigned POST
and download of ``/_storage/``, the 307 download redirect; publish, signal, subscribe, history,
message counts, channel groups, presence heartbeat and leave, time) is replayed in order
against a fresh in-process ``aiospaces.emulator.Emulator`` (sandbox mode, long-polls held
2 ms); recorded keys, ids, eTags, cursors, URLs and timetokens are mapped to those the emulator
handed out, and state production held is seeded first (see ``_fidelity_replay.py``,
``_fidelity_realtime.py``); every answer is compared with the recorded one (see
``_fidelity_compare.py``, ``_fidelity_realtime_compare.py``). Identical exchanges (the same
recorded request and response, seen in several cassettes or versions) are counted once.

What it prints: per endpoint, the exchanges replayed, how many matched and how many differed
(and how many needed state seeded first); each kind of difference once, with its count and
examples (``repo@commit:path``) and, for those that remain for a known reason, that reason
(``_fidelity_reasons.py``);
the exchanges of endpoints the emulator does not serve, counted by kind. It exits 1 when a
difference has no known reason. ``--show N`` sets the examples per kind; ``--only TEXT`` keeps
cassettes whose path contains TEXT.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from _fidelity_endpoints import classify  # noqa: E402
from _fidelity_load import Cassette, load_cassettes  # noqa: E402
from _fidelity_reasons import EXPLAINED  # noqa: E402
from _fidelity_replay import Outcome, Replayer  # noqa: E402

SOURCES = (
    ("pubnub_python", "pubnub/python", "tests/integrational/fixtures"),
    ("pubnub_ruby", "pubnub/ruby", "fixtures/vcr_cassettes"),
)


def _fits(part: str, kind: str) -> bool:
    """Whether a kind of difference is one a reason names (``*`` stands for any text)."""
    return fnmatch.fnmatchcase(kind, f"*{part}*") if "*" in part else part in kind


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pubnub-python", type=Path, help="checkout of pubnub/python")
    parser.add_argument("--pubnub-ruby", type=Path, help="checkout of pubnub/ruby")
    parser.add_argument("--history", action="store_true", help="every version in git history")
    parser.add_argument("--show", type=int, default=2, help="examples per difference kind")
    parser.add_argument("--only", default="", help="keep cassettes whose path contains this")
    options = parser.parse_args()
    if options.pubnub_python is None and options.pubnub_ruby is None:
        parser.error("give --pubnub-python and/or --pubnub-ruby")
    return options


def _cassettes(options: argparse.Namespace) -> tuple[list[Cassette], Counter[str]]:
    """Return the distinct cassettes holding served exchanges, and counts of what was read."""
    counts: Counter[str] = Counter()
    seen: set[tuple[str, ...]] = set()
    kept = []
    for attribute, name, under in SOURCES:
        repo = getattr(options, attribute)
        if repo is None:
            continue
        for cassette in load_cassettes(repo, name, under, history=options.history):
            if options.only not in cassette.path:
                continue
            counts[f"{name}: cassette versions read"] += 1
            content = tuple(e.fingerprint() for e in cassette.exchanges)
            if not any(classify(e.method, e.url)[1] for e in cassette.exchanges):
                counts[f"{name}: without a served endpoint"] += 1
                kept.append(Cassette(cassette.repo, cassette.commit, cassette.path, []))
                kept[-1].exchanges = cassette.exchanges  # tallied, not replayed
                continue
            if content in seen:
                counts[f"{name}: identical to another, skipped"] += 1
                continue
            seen.add(content)
            kept.append(cassette)
    return kept, counts


async def _replay_all(cassettes: list[Cassette]) -> list[Outcome]:
    outcomes = []
    for cassette in cassettes:
        if any(classify(e.method, e.url)[1] for e in cassette.exchanges):
            outcomes += await Replayer(cassette).run()
        else:
            outcomes += [
                Outcome(classify(e.method, e.url)[0], False, cassette.label, e.fingerprint())
                for e in cassette.exchanges
            ]
    return outcomes


def _report(outcomes: list[Outcome], counts: Counter[str], show: int) -> int:
    firsts: dict[str, Outcome] = {}
    for outcome in outcomes:
        firsts.setdefault(outcome.fingerprint, outcome)
    unique = list(firsts.values())
    for key, value in sorted(counts.items()):
        print(f"{key}: {value}")
    print()
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in unique:
        if outcome.served:
            row = rows[outcome.endpoint]
            row["replayed"] += 1
            row["differ" if outcome.diffs else "match"] += 1
            row["seeded"] += outcome.seeded
    width = max([len(e) for e in rows] + [8])
    print(f"{'endpoint':<{width}}  replayed  match  differ  (state seeded)")
    total: Counter[str] = Counter()
    for endpoint in sorted(rows):
        row = rows[endpoint]
        total.update(row)
        print(
            f"{endpoint:<{width}}  {row['replayed']:>8}  {row['match']:>5}  {row['differ']:>6}"
            f"  ({row['seeded']})"
        )
    print(
        f"{'total':<{width}}  {total['replayed']:>8}  {total['match']:>5}  {total['differ']:>6}"
        f"  ({total['seeded']})"
    )
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for outcome in unique:
        for kind in dict.fromkeys(d.kind for d in outcome.diffs):
            kinds[kind] += 1
        for diff in outcome.diffs:
            if len(examples[diff.kind]) < show and outcome.label not in str(examples[diff.kind]):
                examples[diff.kind].append(f"{diff.example}  [{outcome.label}]")
    reasons = {k: next((why for part, why in EXPLAINED if _fits(part, k)), "") for k in kinds}
    open_kinds = [k for k in kinds if not reasons[k]]
    print(f"\ndifferences: {len(kinds)} kinds, {len(open_kinds)} without a known reason")
    for kind in sorted(kinds):
        print(f"- {kind}  ({kinds[kind]} exchanges)")
        if reasons[kind]:
            print(f"    remains: {reasons[kind]}")
        for example in examples[kind]:
            print(f"    e.g. {example}")
    out: Counter[tuple[str, str]] = Counter()
    for outcome in unique:
        if not outcome.served:
            out[outcome.label.split("@", 1)[0], outcome.endpoint] += 1
    print("\nout of scope (endpoints the emulator does not serve), distinct exchanges:")
    for (repo, endpoint), count in sorted(out.items()):
        print(f"  {repo:<14} {endpoint:<45} {count:>6}")
    return 1 if open_kinds else 0


def main() -> int:
    options = _options()
    cassettes, counts = _cassettes(options)
    outcomes = asyncio.run(_replay_all(cassettes))
    return _report(outcomes, counts, options.show)


if __name__ == "__main__":
    sys.exit(main())
