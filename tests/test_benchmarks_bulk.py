"""Smoke test of ``benchmarks/bulk.py``: a small run of three of its rows, workers included.

It checks that each row uploads every file (the script itself checks that the server received
each upload and that every file is announced), that the two worker processes split the job and
say how many files each took, and that the report has its rows and the journal's ratio; it
asserts nothing about the figures (no timing asserts).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import REQUIRE_SERVICES, services_required

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bulk.py"
FILES = 40
ROWS = ["raw-aiohttp", "official", "default", "httpx", "httpx+journal", "workers-2"]

pytestmark = pytest.mark.redis


@pytest.mark.timeout(180)
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_a_small_run_in_one_process_and_on_two_workers(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        message = "redis-server not found (Debian/Ubuntu: apt-get install redis-server)"
        if services_required():
            pytest.fail(f"{message}; {REQUIRE_SERVICES} is set, so this is a failure")
        pytest.skip(message)
    report = tmp_path / "bulk.json"
    rows = [item for row in ROWS for item in ("--row", row)]
    command = [
        sys.executable, str(SCRIPT), "--quick", "--files", str(FILES), *rows,
        "--json", str(report), "--plot", str(tmp_path / "bulk.png"),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        command, capture_output=True, text=True, timeout=170, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "| aiospaces httpx + journal |" in done.stdout
    assert "| aiospaces, 2 taskiq workers |" in done.stdout
    assert "| journal cost, httpx |" in done.stdout
    assert "| aiospaces default / official |" in done.stdout
    assert "| peak RSS growth: aiospaces default / official |" in done.stdout
    assert (tmp_path / "bulk.png").read_bytes()[:4] == b"\x89PNG"
    document = json.loads(report.read_text())
    assert document["settings"]["rows"] == ROWS
    samples = document["samples"]
    assert set(samples) == set(ROWS)
    for row in ROWS:
        (sample,) = samples[row]
        assert sample["files"] == FILES
        assert sample["files_s"] > 0
        assert sample["peak_reset"]
    (workers,) = samples["workers-2"]
    assert set(workers["files_by_worker"]) == {"worker-0", "worker-1"}
    assert sum(workers["files_by_worker"].values()) == FILES
    assert set(workers["cpu"]) >= {"worker-0", "worker-1", "server", "redis", "driver"}
    names = [ratio["name"] for ratio in document["summary"]]
    assert names == [
        "aiospaces default / official",
        "aiospaces default / limit (raw aiohttp)",
        "official / limit (raw aiohttp)",
        "aiospaces httpx / limit (raw aiohttp)",
        "journal cost, httpx",
        "aiospaces httpx / official",
        "aiospaces httpx + journal / official",
        "2 workers / aiospaces httpx + journal",
        "peak RSS growth: aiospaces default / official",
    ]
