"""PubNub realtime routing in the emulator: channel groups, wildcards, filters, App Context
events, presence and time, and the stream's bounds."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from aiospaces.emulator import Emulator
from tests.emulator.test_realtime import SUB, handshake, poll, publish_path, streams


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


async def test_app_context_changes_reach_subscribers_of_the_channel(
    client: httpx.AsyncClient,
) -> None:
    tt = await handshake(client, "Chanted-channel-identifier")
    channel = f"/v2/objects/{SUB}/channels/Chanted-channel-identifier"
    updated = (await client.patch(channel, json={"name": "N"})).json()["data"]
    await client.delete(channel)
    await client.delete(channel)  # a channel that is not there: 200, and no event
    items = (await poll(client, tt, "Chanted-channel-identifier"))["m"]
    assert [item["e"] for item in items] == [2, 2]
    assert "i" not in items[1]
    assert items[1]["d"] == {
        "source": "objects",
        "version": "2.0",
        "event": "delete",
        "type": "channel",
        "data": {"id": "Chanted-channel-identifier"},
    }
    assert items[0]["d"]["event"] == "set"
    assert items[0]["d"]["data"]["name"] == "N"
    assert items[0]["d"]["data"]["eTag"] == updated["eTag"]
    history = await client.get(f"/v3/history/sub-key/{SUB}/channel/Chanted-channel-identifier")
    assert history.json()["channels"] == {}  # events are not stored


async def test_channel_names_with_commas_and_wildcards_and_groups(
    client: httpx.AsyncClient,
) -> None:
    added = await client.get(
        f"/v1/channel-registration/sub-key/{SUB}/channel-group/g1", params={"add": "in-group,x"}
    )
    assert added.json() == {
        "error": False,
        "message": "OK",
        "service": "channel-registry",
        "status": 200,
    }
    listed = await client.get(f"/v1/channel-registration/sub-key/{SUB}/channel-group/g1")
    assert listed.json()["payload"] == {"channels": ["in-group", "x"], "group": "g1"}
    channels = "a%2Cb,news.*"
    tt = await handshake(client, channels, **{"channel-group": "g1"})
    for channel in ("a,b", "a", "news.eu", "in-group", "other"):
        await client.get(publish_path(channel, '"m"'))
    items = (await poll(client, tt, channels, **{"channel-group": "g1"}))["m"]
    assert [(i["c"], i.get("b")) for i in items] == [
        ("a,b", None),
        ("news.eu", "news.*"),
        ("in-group", "g1"),
    ]
    group = f"/v1/channel-registration/sub-key/{SUB}/channel-group/g1"
    assert (await client.get(group, params={"add": ","})).status_code == 400
    many = ",".join(f"c{i}" for i in range(2001))
    too_many = await client.get(group, params={"add": many})
    assert too_many.json()["message"] == "A channel group holds at most 2000 channels"
    emptied = await client.get(group, params={"remove": "in-group,x"})
    assert emptied.status_code == 200
    assert (await client.get(group)).json()["payload"]["channels"] == []
    removed = await client.get(f"/v1/channel-registration/sub-key/{SUB}/channel-group/g1/remove")
    assert removed.status_code == 200
    groups = await client.get(f"/v1/channel-registration/sub-key/{SUB}/channel-group")
    assert groups.json()["payload"] == {"groups": [], "namespace": ""}


async def test_filter_expression_selects_messages(client: httpx.AsyncClient) -> None:
    expression = {"filter-expr": "meta.priority == 'high' && uuid != 'bot'"}
    tt = await handshake(client, **expression)
    for uuid, priority in (("bot", "high"), ("me", "low"), ("me", "high")):
        meta = f'{{"priority": "{priority}"}}'
        await client.get(
            publish_path("ch", f'"{uuid}-{priority}"'), params={"uuid": uuid, "meta": meta}
        )
    assert [i["d"] for i in (await poll(client, tt, **expression))["m"]] == ["me-high"]
    bad = await client.get(f"/v2/subscribe/{SUB}/ch/0", params={"tt": tt, "filter-expr": "a % 2"})
    assert bad.status_code == 400
    assert bad.json() == {
        "status": 400,
        "error": True,
        "service": "Subscribe",
        "message": "Invalid filter expression: unexpected '%' at position 2",
    }


async def test_presence_time_and_unknown_paths(client: httpx.AsyncClient) -> None:
    beat = await client.get(
        f"/v2/presence/sub-key/{SUB}/channel/ch/heartbeat", params={"heartbeat": "300"}
    )
    assert beat.json() == {"status": 200, "message": "OK", "service": "Presence"}
    left = await client.get(f"/v2/presence/sub-key/{SUB}/channel/ch/leave")
    assert left.json() == {"status": 200, "message": "OK", "action": "leave", "service": "Presence"}
    now = await client.get("/time/0")
    assert re.fullmatch(r"\[[0-9]{17}\]", now.text)
    wrong_method = await client.put(publish_path("ch", "1"))
    assert wrong_method.status_code == 405
    assert wrong_method.json()[:2] == [0, "Method PUT is not allowed on this path."]
    missing = await client.get(f"/v2/subscribe/{SUB}")
    assert missing.status_code == 404
    assert missing.json()["service"] == "Subscribe"


async def test_stream_and_storage_bounds_and_the_sequence_number(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    from aiospaces.emulator.pubnub import stream

    monkeypatch.setattr(stream, "LIVE_LIMIT", 8)
    monkeypatch.setattr(stream, "HISTORY_LIMIT", 5)
    tt = await handshake(client)
    for i in range(20):
        await client.get(publish_path("ch", str(i)), params={"seqn": str(i)})
    kept = streams(emulator).stream(SUB).records
    assert 8 <= len(kept) <= 10
    assert [r.payload for r in kept][-1] == 19
    items = (await poll(client, tt))["m"]  # older records are gone: the poll starts at the kept
    assert [item["s"] for item in items] == [r.payload for r in kept]
    history = await client.get(f"/v3/history/sub-key/{SUB}/channel/ch")
    assert [m["message"] for m in history.json()["channels"]["ch"]] == [15, 16, 17, 18, 19]
