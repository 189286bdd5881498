"""Smoke test of ``benchmarks/upload.py``: its quickest run, against the emulator and the sink.

It checks that every client completes every scenario (the script itself checks that the server
received each upload in full and that each download matches the original) and that the report
has all its rows; it asserts nothing about the figures (no timing asserts).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "upload.py"
ROWS = [
    ("enc1", "growth"),
    ("enc1", "mib_s"),
    ("plain1", "mib_s"),
    ("plain1", "growth"),
    ("enc32", "growth"),
    ("enc32", "mib_s"),
    ("download", "growth"),
    ("download", "mib_s"),
]


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
@pytest.mark.timeout(240)  # 34 fresh processes (6 clients, 2 servers) on a shared machine
def test_quick_run_against_both_servers(tmp_path: Path) -> None:
    report = tmp_path / "upload.json"
    plot = tmp_path / "upload.png"
    command = [
        sys.executable, str(SCRIPT), "--quick", "--server", "both", "--json", str(report),
        "--plot", str(plot),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        command, capture_output=True, text=True, timeout=230, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "| one 1 MiB upload, ACRH-encrypted: MiB/s |" in done.stdout
    assert "| 4 concurrent 1 MiB ACRH uploads: peak RSS growth (MiB) |" in done.stdout
    document = json.loads(report.read_text())
    assert document["settings"]["servers"] == ["emulator", "sink"]
    for server in ("emulator", "sink"):
        rows = document["servers"][server]["rows"]
        assert [(row["scenario"], row["figure"]) for row in rows] == ROWS
        for row in rows:
            assert "aiospaces" in row["medians"]
            assert "official" in row["medians"]
            if row["figure"] == "mib_s":
                assert all(value > 0 for value in row["medians"].values())
        plain = document["servers"][server]["samples"]["plain1"]
        assert set(plain) == {
            "raw-httpx",
            "raw-aiohttp",
            "official",
            "aiospaces",
            "aiospaces-httpx",
        }
        assert (tmp_path / f"upload-{server}.png").read_bytes()[:4] == b"\x89PNG"
        encrypted = document["servers"][server]["samples"]["enc1"]
        assert set(encrypted) == {"aes", *plain}
        (speed,) = [r for r in rows if (r["scenario"], r["figure"]) == ("enc1", "mib_s")]
        assert speed["limit"] == min(
            speed["medians"]["aes"],
            max(speed["medians"]["raw-httpx"], speed["medians"]["raw-aiohttp"]),
        )
        assert set(speed["fractions"]) == {"official", "aiospaces", "aiospaces-httpx"}
        assert all(sample["peak_reset"] for sample in plain["aiospaces"])
