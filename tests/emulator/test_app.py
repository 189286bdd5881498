"""The Emulator shares one context with every vendor emulation."""

from __future__ import annotations

import httpx

from aiospaces.emulator import Emulator


async def test_switching_strict_reaches_every_vendor() -> None:
    emulator = Emulator()
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        assert (await c.get("/v2/objects/sub-new/channels")).status_code == 200
        emulator.strict = True
        assert emulator.strict
        assert (await c.get("/v2/objects/sub-other/channels")).status_code == 400
        assert (await c.get("/video/v1/spaces", auth=("new-id", "secret"))).status_code == 401
        emulator.strict = False
        assert (await c.get("/v2/objects/sub-other/channels")).status_code == 200
