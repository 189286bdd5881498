"""Smoke test of ``benchmarks/realtime.py``: a tiny run of every client against a served emulator.

It checks that each client's subscribers get every message exactly once (the script fails a run
otherwise) and that the report has its rows and ratios; it asserts nothing about the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "realtime.py"
CLIENTS = {"raw-httpx", "official", "aiospaces", "aiospaces-aiohttp"}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_tiny_run_of_every_client(tmp_path: Path) -> None:
    report = tmp_path / "realtime.json"
    command = [
        sys.executable, str(SCRIPT), "--repeat", "1", "--subscribers", "3", "--seconds", "0.5",
        "--burst", "30", "--json", str(report), "--plot", str(tmp_path / "realtime.png"),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        command, capture_output=True, text=True, timeout=55, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "| 3: p99 latency (ms) |" in done.stdout
    assert "| 3: delivered events/s |" in done.stdout
    assert (tmp_path / "realtime.png").read_bytes()[:4] == b"\x89PNG"
    document = json.loads(report.read_text())
    samples = document["samples"]["3"]
    assert set(samples) == CLIENTS
    for runs in samples.values():
        (run,) = runs
        assert run["problems"] == []
        assert run["latency_samples"] == 3 * 10  # 10 messages (20/s for 0.5 s), 3 subscribers
        assert run["events_per_s"] > 0
    rows = document["rows"]
    assert [row["figure"] for row in rows] == ["p50_ms", "p99_ms", "events_per_s"]
    assert set(rows[1]["ratios"]) == {
        "aiospaces/official",
        "aiospaces/raw-httpx",
        "aiospaces-aiohttp/official",
        "aiospaces-aiohttp/raw-httpx",
    }
