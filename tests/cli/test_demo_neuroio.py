"""The NeuroIO demo steps run green against the emulator (in-process)."""

from __future__ import annotations

import pytest

import aiospaces
from aiospaces.cli.demo import neuroio as _demo_neuroio
from aiospaces.cli.demo._checks import DemoError


async def test_demo_rows(emulator_session: aiospaces.Session) -> None:
    rows = await _demo_neuroio.run(emulator_session, "http://emu")
    steps = [step for step, _ in rows]
    assert steps == [
        "login + whoami",
        "create + list",
        "space token",
        "rename (PATCH)",
        "6th permanent token",
        "delete",
        "validation",
    ]


def test_check_raises_on_a_broken_promise() -> None:
    with pytest.raises(DemoError, match="NeuroIO demo failed: x"):
        _demo_neuroio._check(False, "x")
