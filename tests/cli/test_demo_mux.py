"""The Mux demo step runs green against a served emulator, in sandbox and strict mode."""

from __future__ import annotations

import pytest

import aiospaces
from aiospaces.cli.demo._checks import DemoError
from aiospaces.cli.demo.mux import _check, run


@pytest.mark.parametrize("strict", [False, True])
async def test_demo_rows(strict: bool) -> None:
    from aiospaces.emulator import Emulator

    with Emulator(strict=strict).serve() as url:
        async with aiospaces.Session() as session:
            rows = await run(session, url)
    steps = [step for step, _ in rows]
    assert steps[0] == "create space + broadcast"
    assert "start broadcast" in steps
    assert "stop broadcast" in steps
    assert steps[-1] == "webhooks"


def test_check_raises() -> None:
    with pytest.raises(DemoError, match="nope"):
        _check(False, "nope")
