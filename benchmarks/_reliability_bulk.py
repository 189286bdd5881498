"""The lost-answer bulk upload of ``benchmarks/reliability.py``.

A bulk upload runs against a served emulator whose fault rules make storage, reservation and
publish requests fail with 500, 503, 429 and dropped connections *before* processing, and
lose the answer *after* processing (dropped, a proxy's 502, or late past the client's
timeout), each with probability ``p``. Then the emulator's own state is the judge: how many
file messages each file id got, and which stored objects are neither announced nor named by
the report.
"""

from __future__ import annotations

import collections
import random
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.emulator.faults import Fault

if TYPE_CHECKING:
    from aiospaces.pubnub.report import UploadReport

SUB, PUB = "sub-c-reliability", "pub-c-reliability"
PATHS = {
    "reserve": ("POST", "/v1/files/*/generate-upload-url"),
    "store": ("POST", "/_storage/*"),
    "publish": ("GET", "/v1/files/publish-file/*"),
}


@attrs.frozen
class BulkOutcome:
    """What a bulk upload under faults left behind, judged by the emulator's state."""

    backend: str
    files: int
    succeeded: int
    failed: int
    unknown: int
    cancelled_or_not_started: int
    faults_fired: int
    lost_answers_fired: int
    announced_twice: int
    orphans: int  # stored, not announced, and not named (with its file id) by the report
    misreported: int  # files in zero or several report states
    seconds: float


def _faults(p: float) -> list[Fault]:
    rules = []
    for method, path in PATHS.values():
        for status in (500, 503, 429):
            rules.append(Fault(method=method, path=path, status=status, probability=p))
        rules.append(Fault(method=method, path=path, drop=True, probability=p))
        for lost in ("drop", "502"):
            rules.append(Fault(method=method, path=path, lose_answer=lost, probability=p))  # type: ignore[arg-type]
        rules.append(Fault(method=method, path=path, lose_answer="late", delay=1.5, probability=p))
    return rules


def _make_files(directory: Path, count: int, seed: int) -> list[Path]:
    rng = random.Random(seed)  # noqa: S311 - reproducible content
    paths = []
    for i in range(count):
        path = directory / f"file-{i:04}.bin"
        path.write_bytes(rng.randbytes(rng.randint(200, 4000)))
        paths.append(path)
    return paths


async def run_bulk(
    backend: Literal["httpx", "aiohttp"], *, files: int = 500, p: float = 0.06, seed: int = 3
) -> BulkOutcome:
    """Upload ``files`` files under every fault kind at probability ``p`` and judge the result."""
    emulator = Emulator(seed=seed)
    for rule in _faults(p):
        emulator.faults.add(rule)
    with tempfile.TemporaryDirectory(prefix="aiospaces-reliability-") as tmp:
        paths = _make_files(Path(tmp), files, seed)
        with emulator.serve() as url:
            host = url.split("://", 1)[1]
            async with aiospaces.Session(backend=backend) as session:
                pn = session.pubnub(
                    subscribe_key=SUB,
                    publish_key=PUB,
                    user_id="bulk",
                    origin=host,
                    ssl=False,
                    timeout=1.0,  # a "late" answer comes after 1.5 s
                )
                started = time.perf_counter()
                job = pn.upload_files("reliability", paths, concurrency=16, retries=3)
                report = await job
                seconds = time.perf_counter() - started
    return _judge(backend, emulator, report, paths, seconds)


def _judge(
    backend: str, emulator: Emulator, report: UploadReport, paths: list[Path], seconds: float
) -> BulkOutcome:
    snapshot: Any = emulator.vendors["pubnub"].snapshot()
    messages = snapshot.get(SUB, {}).get("messages", [])
    announced = collections.Counter(
        m["message"]["file"]["id"] for m in messages if isinstance(m.get("message"), dict)
    )
    stored = {obj.key.split("/")[-2] for obj in emulator.storage.list("")}
    named = {f.file_id for f in report.failed if f.file_id}
    named |= {u.file_id for u in report.announcement_unknown}
    states = collections.Counter(
        [
            *(s.item.source for s in report.succeeded),
            *(f.item.source for f in report.failed),
            *(u.item.source for u in report.announcement_unknown),
            *(i.source for i in report.cancelled),
            *(i.source for i in report.not_started),
        ]
    )
    rules = emulator.faults.rules
    return BulkOutcome(
        backend=backend,
        files=len(paths),
        succeeded=len(report.succeeded),
        failed=len(report.failed),
        unknown=len(report.announcement_unknown),
        cancelled_or_not_started=len(report.cancelled) + len(report.not_started),
        faults_fired=sum(r.fired for r in rules),
        lost_answers_fired=sum(r.fired for r in rules if r.lose_answer),
        announced_twice=sum(1 for n in announced.values() if n > 1),
        orphans=len(stored - set(announced) - named),
        misreported=sum(1 for p in paths if states[p] != 1),
        seconds=seconds,
    )


def describe(outcome: BulkOutcome) -> str:
    """One table row."""
    return (
        f"| {outcome.backend} | {outcome.files} | {outcome.faults_fired} "
        f"({outcome.lost_answers_fired} lost answers) | {outcome.succeeded} | {outcome.failed} | "
        f"{outcome.unknown} | {outcome.announced_twice} | {outcome.orphans} | "
        f"{outcome.misreported} | {outcome.seconds:.1f} s |"
    )


__all__ = ["BulkOutcome", "describe", "run_bulk"]
