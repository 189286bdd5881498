"""Message Persistence as the emulator serves it: fetch, paging, storage rules, counts, delete.

Shapes are pinned with recorded production bodies: ``{"status": 200, "error": false,
"error_message": "", "channels": {...}}`` with items ``{"message", "timetoken"}`` oldest first
(120 published, ``max=25`` gives hey-95 ... hey-119).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from aiospaces.emulator import Emulator
from aiospaces.emulator.pubnub.stream import TICKS_PER_HOUR, Streams

SUB, PUB = "sub-c-history", "pub-c-history"
JS = 'text/javascript; charset="UTF-8"'


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


async def publish(client: httpx.AsyncClient, channel: str, message: Any, **params: str) -> str:
    import json

    path = f"/publish/{PUB}/{SUB}/0/{quote(channel, safe='')}/0/{quote(json.dumps(message))}"
    answer = await client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    timetoken: str = answer.json()[2]
    return timetoken


async def fetch(client: httpx.AsyncClient, channels: str, **params: str) -> dict[str, Any]:
    answer = await client.get(f"/v3/history/sub-key/{SUB}/channel/{channels}", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == JS
    body: dict[str, Any] = answer.json()
    return body


async def test_newest_max_oldest_first_per_channel_as_recorded(client: httpx.AsyncClient) -> None:
    for i in range(120):
        await publish(client, "fetch-messages-ch-1", f"hey-{i}")
        await publish(client, "fetch-messages-ch-2", f"hey-{i}")
    body = await fetch(client, "fetch-messages-ch-1,fetch-messages-ch-2", include_meta="false")
    assert list(body) == ["status", "error", "error_message", "channels"]
    assert (body["status"], body["error"], body["error_message"]) == (200, False, "")
    for channel in ("fetch-messages-ch-1", "fetch-messages-ch-2"):
        items = body["channels"][channel]
        assert [item["message"] for item in items] == [f"hey-{i}" for i in range(95, 120)]
        assert list(items[0]) == ["message", "timetoken"]
    one = await fetch(client, "fetch-messages-ch-1", max="500")
    assert len(one["channels"]["fetch-messages-ch-1"]) == 100  # one channel: capped at 100


async def test_empty_history_and_unknown_channels(client: httpx.AsyncClient) -> None:
    assert await fetch(client, "nothing-here") == {
        "status": 200,
        "error": False,
        "error_message": "",
        "channels": {},
    }


async def test_paging_back_with_start_and_a_window_with_end(client: httpx.AsyncClient) -> None:
    tokens = [await publish(client, "paged", i) for i in range(10)]
    first = (await fetch(client, "paged", max="4"))["channels"]["paged"]
    assert [m["message"] for m in first] == [6, 7, 8, 9]
    second = (await fetch(client, "paged", max="4", start=first[0]["timetoken"]))["channels"]
    assert [m["message"] for m in second["paged"]] == [2, 3, 4, 5]  # start is exclusive
    window = await fetch(client, "paged", start=tokens[7], end=tokens[3])
    assert [m["message"] for m in window["channels"]["paged"]] == [3, 4, 5, 6]  # end inclusive
    only_end = await fetch(client, "paged", end=tokens[8])
    assert [m["message"] for m in only_end["channels"]["paged"]] == [8, 9]


async def test_include_flags_and_message_types(client: httpx.AsyncClient) -> None:
    await publish(client, "ch", "plain", uuid="me")
    await publish(
        client, "ch", {"x": 1}, uuid="me", meta='{"k": "v"}', custom_message_type="chat-1"
    )
    file_message = quote('{"message": "look", "file": {"id": "fid", "name": "a.txt"}}')
    await client.get(
        f"/v1/files/publish-file/{PUB}/{SUB}/0/ch/0/{file_message}",
        params={"store": "1", "meta": "null", "ttl": "0", "uuid": "other"},
    )
    everything = {
        f"include_{name}": "true"
        for name in ("meta", "message_type", "uuid", "custom_message_type")
    }
    items = (await fetch(client, "ch", **everything))["channels"]["ch"]
    assert [{k: v for k, v in item.items() if k != "timetoken"} for item in items] == [
        {"message": "plain", "message_type": None, "uuid": "me", "meta": ""},
        {
            "message": {"x": 1},
            "message_type": None,
            "uuid": "me",
            "meta": {"k": "v"},
            "custom_message_type": "chat-1",
        },
        {
            "message": {"message": "look", "file": {"id": "fid", "name": "a.txt"}},
            "message_type": 4,
            "uuid": "other",
            "meta": "",
        },
    ]
    assert all(len(item["timetoken"]) == 17 for item in items)


async def test_store_0_signals_and_default_file_messages_are_not_stored(
    client: httpx.AsyncClient,
) -> None:
    await publish(client, "ch", "kept")
    await publish(client, "ch", "fire", store="0", norep="true")
    await client.get(f"/signal/{PUB}/{SUB}/0/ch/0/%22sig%22")
    file_message = quote('{"message": null, "file": {"id": "f", "name": "n"}}')
    await client.get(f"/v1/files/publish-file/{PUB}/{SUB}/0/ch/0/{file_message}?store=0")
    assert [m["message"] for m in (await fetch(client, "ch"))["channels"]["ch"]] == ["kept"]


async def test_ttl_hours_drop_messages_out_of_storage(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    streams: Streams = emulator.vendors["pubnub"].streams  # type: ignore[attr-defined]
    await publish(client, "ch", "one hour", ttl="1")
    await publish(client, "ch", "forever")
    await publish(client, "ch", "two hours", ttl="2")
    later = time.time_ns() + 90 * 60 * 10**9  # 90 minutes on
    streams.clock.wall = lambda: later
    assert [m["message"] for m in (await fetch(client, "ch"))["channels"]["ch"]] == [
        "forever",
        "two hours",
    ]
    streams.clock.wall = lambda: later + 2 * TICKS_PER_HOUR * 100
    assert [m["message"] for m in (await fetch(client, "ch"))["channels"]["ch"]] == ["forever"]


async def test_channel_keys_are_percent_encoded_unless_told(client: httpx.AsyncClient) -> None:
    await publish(client, "channel|encoded::1", "x")
    raw = quote("channel|encoded::1", safe="")
    assert list((await fetch(client, raw))["channels"]) == ["channel%7Cencoded%3A%3A1"]
    plain = await fetch(client, raw, encode_channels="false")
    assert list(plain["channels"]) == ["channel|encoded::1"]


async def test_with_actions_takes_one_channel_and_25_at_most(client: httpx.AsyncClient) -> None:
    for i in range(30):
        await publish(client, "acts", i)
    answer = await client.get(f"/v3/history-with-actions/sub-key/{SUB}/channel/acts?max=100")
    items = answer.json()["channels"]["acts"]
    assert [item["message"] for item in items] == list(range(5, 30))
    assert "actions" not in items[0]  # no message actions are kept
    two = await client.get(f"/v3/history-with-actions/sub-key/{SUB}/channel/a,b")
    assert two.status_code == 400
    assert two.json() == {
        "status": 400,
        "error": True,
        "error_message": "Only one channel is allowed with message actions",
    }


async def test_message_counts_as_recorded(client: httpx.AsyncClient) -> None:
    first = await publish(client, "unique_1", "something")
    before = str(int(first) - 10)
    single = await client.get(
        f"/v3/history/sub-key/{SUB}/message-counts/unique_1", params={"timetoken": before}
    )
    assert single.json() == {
        "status": 200,
        "error": False,
        "error_message": "",
        "channels": {"unique_1": 1},
        "more": {
            "unique_1": {
                "url": f"/v3/history/sub-key/{SUB}/message-counts/unique_1?timetoken={before}",
                "is_more": False,
            }
        },
    }
    multi = await client.get(
        f"/v3/history/sub-key/{SUB}/message-counts/unique_1,unique_2",
        params={"channelsTimetoken": f"{first},{before}"},
    )
    assert multi.json()["channels"] == {"unique_1": 1, "unique_2": 0}  # at or after: inclusive
    mismatch = await client.get(
        f"/v3/history/sub-key/{SUB}/message-counts/a,b", params={"channelsTimetoken": "1"}
    )
    assert mismatch.status_code == 400


async def test_delete_a_range_then_all(client: httpx.AsyncClient) -> None:
    tokens = [await publish(client, "my-ch- |.* $", i) for i in range(5)]
    path = f"/v3/history/sub-key/{SUB}/channel/{quote('my-ch- |.* $', safe='')}"
    deleted = await client.delete(path, params={"start": tokens[0], "end": tokens[2]})
    assert deleted.json() == {"status": 200, "error": False, "error_message": ""}
    left = await client.get(path)
    assert [m["message"] for m in next(iter(left.json()["channels"].values()))] == [0, 3, 4]
    await client.delete(path)
    assert (await client.get(path)).json()["channels"] == {}


@pytest.mark.emulator(strict=True)
async def test_strict_delete_needs_a_keyset_with_a_secret(client: httpx.AsyncClient) -> None:
    await client.post("/_emulator/pubnub/seed", json={"subscribe_key": SUB})
    refused = await client.delete(f"/v3/history/sub-key/{SUB}/channel/ch")
    assert refused.status_code == 403
    assert refused.json()["error"] is True


@pytest.mark.parametrize(
    "query", ["max=x", "start=-1", "end=%C2%B2", "include_meta=maybe", "encode_channels=2"]
)
async def test_bad_parameters_are_400_in_the_history_shape(
    client: httpx.AsyncClient, query: str
) -> None:
    answer = await client.get(f"/v3/history/sub-key/{SUB}/channel/ch?{query}")
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"status", "error", "error_message"}
    assert body["error_message"].startswith("Invalid ")
