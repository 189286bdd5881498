"""Nothing lost, duplicated or leaked: the full-size reliability run (issue [2/8]).

Run it from the repository root:

    .venv/bin/python benchmarks/reliability.py            # full sizes, ~5 minutes on 2 cores
    .venv/bin/python benchmarks/reliability.py --quick    # small sizes, under a minute
    .venv/bin/python benchmarks/reliability.py --only bulk,cancel

Sections (each prints a table; the last line says whether every target held):

* ``bulk``: a bulk upload (500 files) to a served emulator whose rules fail reservation,
  storage and publish requests with 500, 503, 429 and dropped connections before processing,
  and lose the answer after processing (dropped, a proxy's 502, late past the client's 1 s
  timeout), each with probability 0.06 — on both backends. Judged by the emulator's state:
  files announced twice, stored objects neither announced nor named by the report, files in
  zero or several report states. Targets: all 0.
* ``ambiguous``: each call that must not run twice (Mux ``create_space`` and
  ``create_live_stream``, NeuroIO ``spaces.create`` and ``tokens.create``, Admin
  ``create_block``, PubNub ``publish_file_message``) has its answer lost after the emulator
  processed it — dropped, a proxy's 502, late past a 0.5 s timeout — twice each; the vendor's
  own reads count what exists. Target: 0 duplicates and nothing lost by default (each is
  reconciled or an ``AmbiguousResultError``); the ``retry_ambiguous()`` rows show the
  duplicates that opt-in accepts. Mux creates with a passthrough are reconciled.
* ``cancel``: 300 asyncio-native (``timeout``, ``wait_for``, ``Task.cancel``, ``TaskGroup``,
  two cancels in a row) and 300 anyio cancellations at random moments per backend, with
  ``max_connections=5``. Targets: 0 slots left checked out; a normal call still works.
* ``fuzz``: a hypothesis sweep of every public factory, setter and config
  (``tests/reliability/fuzz.py``). Targets: 0 non-aiospaces exceptions, 0 ValidationErrors
  after a request was sent, 0 requests for "."/".." ids, 0 secrets echoed.
* ``hostile``: every emulator route with hostile input, both modes, served on a socket
  (``tests/reliability/hostile_requests.py``). Targets: 0 answers >= 500, 0 dropped
  connections, 0 wrong error shapes, 0 poisoned states, 0 unauthenticated 2xx (strict).
* ``tamper``: what PubNub's AES-CBC formats detect (``tests/reliability/crypto_tamper.py``);
  every row must agree with docs/encryption.md.
* ``secrets``: calls that succeed and fail on both backends with every logger at DEBUG; the
  log, every exception's traceback and every repr are searched for the keys, tokens,
  passwords and signatures in use. Target: 0 occurrences.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import httpx  # noqa: E402
from _reliability_ambiguous import describe as describe_trials  # noqa: E402
from _reliability_ambiguous import run_trials  # noqa: E402
from _reliability_bulk import describe, run_bulk  # noqa: E402
from _reliability_secrets import find_secrets  # noqa: E402

from aiospaces.emulator import Emulator  # noqa: E402
from tests.reliability.cancellation import storm  # noqa: E402

Backend = Literal["httpx", "aiohttp"]
BACKENDS: tuple[Backend, ...] = ("httpx", "aiohttp")
NATIVE = ("timeout", "wait_for", "task_cancel", "taskgroup", "twice")


def _print(text: str) -> None:
    print(text, flush=True)


async def bulk(quick: bool) -> bool:
    _print("\n## Bulk upload under faults and lost answers (p = 0.06 per kind)\n")
    _print(
        "| backend | files | faults fired | succeeded | failed | announcement unknown | "
        "announced twice | orphans | misreported | time |"
    )
    _print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ok = True
    for backend in BACKENDS:
        outcome = await run_bulk(backend, files=100 if quick else 500)
        _print(describe(outcome))
        ok &= outcome.announced_twice == outcome.orphans == outcome.misreported == 0
    return ok


async def ambiguous(quick: bool) -> bool:
    _print("\n## Calls that must not run twice, their answer lost (dropped, 502, late)\n")
    rows = await run_trials(trials=1 if quick else 2)
    for line in describe_trials(rows):
        _print(line)
    default = [row for row in rows if row.mode == "default"]
    blind = [row for row in rows if row.mode != "default"]
    # the default makes no duplicate and loses nothing; the opt-in shows what it accepts
    return all(r.duplicates == 0 and not r.outcomes.get("lost") for r in default) and any(
        r.duplicates for r in blind
    )


async def cancel(quick: bool) -> bool:
    _print("\n## Random cancellations, max_connections=5\n")
    _print("| backend | tools | cancellations | slots leaked | pool still serves |")
    _print("|---|---|---:|---:|---|")
    count = 60 if quick else 300
    ok = True
    with Emulator().serve() as url:
        # the baseline: the same storm on a plain httpx client (httpcore without our wrapper)
        for label, modes in (("asyncio native", NATIVE), ("anyio", ("anyio",))):
            base = await storm(url, backend="httpx", count=count, modes=modes, bare_httpx=True)  # type: ignore[arg-type]
            row = f"| baseline: plain httpx | {label} | {count} | {base.leaked} | {base.healthy} |"
            _print(row)
        for backend in BACKENDS:
            for label, modes in (("asyncio native", NATIVE), ("anyio", ("anyio",))):
                result = await storm(url, backend=backend, count=count, modes=modes)  # type: ignore[arg-type]
                _print(f"| {backend} | {label} | {count} | {result.leaked} | {result.healthy} |")
                ok &= result.leaked == 0 and result.healthy
    return ok


def fuzz(quick: bool) -> bool:
    from tests.reliability.fuzz import run_fuzz  # noqa: PLC0415 - needs hypothesis (dev)

    _print("\n## Fuzz of every public setter, factory and config\n")
    started = time.perf_counter()
    result = run_fuzz(5 if quick else 40)
    _print("| targets | calls | requests sent | non-aiospaces exceptions | late ValidationErrors "
           "| '.'/'..' requests | secrets echoed | time |")  # fmt: skip
    _print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    _print(
        f"| {result.targets} | {result.calls} | {result.requests} | {result.foreign_errors} | "
        f"{result.late_validation_errors} | {result.dot_requests} | {result.secret_echoes} | "
        f"{time.perf_counter() - started:.0f} s |"
    )
    for example in result.examples[:10]:
        _print(f"  example: {example}")
    bad = (
        result.foreign_errors,
        result.late_validation_errors,
        result.dot_requests,
        result.secret_echoes,
    )
    return not any(bad)


async def hostile(quick: bool) -> bool:
    from tests.reliability.hostile_requests import sweep  # noqa: PLC0415

    _print("\n## Hostile requests to every emulator route, served on a socket\n")
    _print("| mode | requests | >= 500 | dropped | wrong shape | poisoned | unauthenticated 2xx |")
    _print("|---|---:|---:|---:|---:|---:|---:|")
    logging.getLogger("python_multipart").setLevel(logging.ERROR)  # hostile forms are the point
    logging.getLogger("multipart").setLevel(logging.ERROR)
    ok = True
    for strict in (False, True):
        emulator = Emulator(strict=strict)
        with emulator.serve() as url:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                result = await sweep(client, emulator, strict=strict)
        counts = (
            len(result.server_errors),
            len(result.dropped),
            len(result.wrong_shape),
            len(result.poisoned),
            len(result.unauthenticated_through),
        )
        mode = "strict" if strict else "sandbox"
        _print(f"| {mode} | {result.requests} | " + " | ".join(map(str, counts)) + " |")
        for found in (*result.server_errors[:3], *result.dropped[:3], *result.poisoned[:3]):
            _print(f"  found: {found}")
        ok &= not any(counts)
    return ok


def tamper(quick: bool) -> bool:
    from tests.reliability.crypto_tamper import render, tamper_table  # noqa: PLC0415

    _print("\n## Tampered ciphertexts (what the formats can and cannot detect)\n")
    rows = tamper_table(trials=50 if quick else 400)
    _print(render(rows))
    return all(row.holds for row in rows)


async def secrets(quick: bool) -> bool:
    _print("\n## Secrets in logs, errors, reprs and tracebacks (every logger at DEBUG)\n")
    _print("| backend | texts searched | occurrences |")
    _print("|---|---:|---:|")
    ok = True
    for backend in BACKENDS:
        searched, found = await find_secrets(backend)
        _print(f"| {backend} | {searched} | {len(found)} |")
        for where in found[:5]:
            _print(f"  found: {where}")
        ok &= not found
    return ok


SECTIONS = ("bulk", "ambiguous", "cancel", "fuzz", "hostile", "tamper", "secrets")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {sorted(unknown)}; choose from {SECTIONS}")
    started = time.perf_counter()
    held: dict[str, bool] = {}
    for name in chosen:
        if name == "bulk":
            held[name] = await bulk(args.quick)
        elif name == "ambiguous":
            held[name] = await ambiguous(args.quick)
        elif name == "cancel":
            held[name] = await cancel(args.quick)
        elif name == "fuzz":
            held[name] = await asyncio.to_thread(fuzz, args.quick)
        elif name == "hostile":
            held[name] = await hostile(args.quick)
        elif name == "tamper":
            held[name] = tamper(args.quick)
        else:
            held[name] = await secrets(args.quick)
    _print(f"\n{time.perf_counter() - started:.0f} s; targets: " + ", ".join(
        f"{name} {'held' if ok else 'MISSED'}" for name, ok in held.items()
    ))  # fmt: skip
    return 0 if all(held.values()) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
