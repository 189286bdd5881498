"""The admin part of `make demo` runs against a served emulator and checks its results."""

from __future__ import annotations

import aiospaces
from aiospaces.cli.demo import admin as _demo_admin
from aiospaces.emulator import Emulator


async def test_demo_rows(emulator: Emulator, emulator_url: str) -> None:
    emulator.vendors["pubnub_admin"].state_delay = 0  # type: ignore[attr-defined]
    async with aiospaces.Session() as session:
        rows = await _demo_admin.run(session, emulator_url)
    steps = [step for step, _ in rows]
    assert steps == [
        "login",
        "apps and keysets",
        "block + handler",
        "start and wait",
        "redeploy on a running block",
        "stop and delete",
        "wrong password",
    ]
    assert rows[-1][1] == "AuthenticationError 400: Invalid email or password."
