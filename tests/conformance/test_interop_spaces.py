"""Spaces written by the official SDK are read by aiospaces, and vice versa."""

from __future__ import annotations

from typing import Any

import aiospaces
from tests.conformance.conftest import SUB
from tests.conformance.test_official_spaces import result_of


async def test_official_writes_aiospaces_reads_and_back(official: Any, emulator_url: str) -> None:
    await result_of(
        official.create_space(space_id="shared", name="Shared", custom={"by": "official"})
    )
    async with aiospaces.Session() as session:
        pn = session.pubnub(
            subscribe_key=SUB, user_id="aiospaces", origin=emulator_url.split("://")[1], ssl=False
        )
        space = await pn.fetch_space(space_id="shared").include_custom()
        assert (space.name, space.custom) == ("Shared", {"by": "official"})
        await pn.update_space(space_id="shared", custom={"by": "aiospaces"}).if_matches_etag(
            space.etag
        )
        await pn.create_space(space_id="ours", name="Ours", status="open")
    fetched = await result_of(official.fetch_space(space_id="shared", include_custom=True))
    assert fetched.data["custom"] == {"by": "aiospaces"}
    listed = await result_of(official.fetch_spaces().include_total_count(True))
    assert listed.total_count == 2
    assert {s["id"] for s in listed.data} == {"shared", "ours"}
