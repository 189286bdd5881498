"""The PubNub realtime emulation against recorded production traffic: one test per endpoint.

Every fact here was seen in answers recorded against production PubNub (the test cassettes
of the pubnub/python and pubnub/ruby SDK repositories, replayed by
``benchmarks/fidelity_audit.py``); the values are small literals from those recordings. The
first half pins, per served realtime endpoint, the status, headers, keys, value types and
echoed values; the second half the differences the audit found and the emulator now follows.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from aiospaces.emulator import Emulator

SUB, PUB = "sub-c-realtime", "pub-c-realtime"
TIMETOKEN = re.compile(r"\d{17}")
JAVASCRIPT = 'text/javascript; charset="UTF-8"'
GROUPS = f"/v1/channel-registration/sub-key/{SUB}/channel-group"
REGISTRY_OK = {"error": False, "message": "OK", "service": "channel-registry", "status": 200}


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


def publish_path(channel: str, message: Any, route: str = "publish") -> str:
    payload = quote(json.dumps(message), safe="")
    return f"/{route}/{PUB}/{SUB}/0/{quote(channel, safe='')}/0/{payload}"


def assert_realtime_headers(answer: httpx.Response) -> None:
    """Every realtime answer: ``text/javascript; charset="UTF-8"``, ``Cache-Control: no-cache``."""
    assert answer.headers["content-type"] == JAVASCRIPT
    assert answer.headers["cache-control"] == "no-cache"


async def handshake(client: httpx.AsyncClient, channels: str, **params: str) -> str:
    answer = await client.get(f"/v2/subscribe/{SUB}/{channels}/0", params={"tt": "0", **params})
    return str(answer.json()["t"]["t"])


# -- one recorded shape per endpoint ---------------------------------------------------------


async def test_publish_get_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    answer = await client.get(publish_path("ch1", "hi"), params={"seqn": "1", "ttl": "100"})
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    sent = answer.json()  # recorded: [1,"Sent","16738723727729716"]
    assert sent[:2] == [1, "Sent"]
    assert TIMETOKEN.fullmatch(sent[2])


async def test_publish_post_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        f"/publish/{PUB}/{SUB}/0/ch1/0",
        params={"seqn": "1"},
        content=b'["hi", "hi2", "hi3"]',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    assert answer.json()[:2] == [1, "Sent"]
    assert TIMETOKEN.fullmatch(answer.json()[2])


async def test_signal_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        publish_path("ch1", "hi", "signal"), params={"custom_message_type": "test_message"}
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    assert answer.json()[:2] == [1, "Sent"]  # recorded: [1,"Sent","17294549685222612"]
    assert TIMETOKEN.fullmatch(answer.json()[2])


async def test_subscribe_handshake_answers_the_recorded_envelope(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(f"/v2/subscribe/{SUB}/,/0", params={"channel-group": "g", "tt": "0"})
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    body = answer.json()  # recorded: {"t":{"t":"16765811939707197","r":42},"m":[]}
    assert list(body) == ["t", "m"]
    assert list(body["t"]) == ["t", "r"]
    assert TIMETOKEN.fullmatch(body["t"]["t"])
    assert isinstance(body["t"]["r"], int)
    assert body["m"] == []


async def test_subscribe_poll_delivers_the_recorded_item(client: httpx.AsyncClient) -> None:
    channel, group = "test-subscribe-unsubscribe-channel", "test-subscribe-unsubscribe-group"
    await client.get(f"{GROUPS}/{group}", params={"add": channel})
    tt = await handshake(client, ",", **{"channel-group": group})
    sent = await client.get(publish_path(channel, "hey"), params={"uuid": "uuid-mock", "seqn": "1"})
    answer = await client.get(
        f"/v2/subscribe/{SUB}/,/0", params={"channel-group": group, "tt": tt, "tr": "42"}
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    body = answer.json()
    (item,) = body["m"]
    # recorded (2025): {"a":"3","f":0,"i":"uuid-mock","s":1,"p":{"t":"17379929965457610",
    # "r":42},"k":"sub-c-...","c":"test-subscribe-unsubscribe-channel","d":"hey",
    # "b":"test-subscribe-unsubscribe-group"}
    assert list(item) == ["a", "f", "i", "s", "p", "k", "c", "d", "b"]
    assert item["a"].isdigit()
    assert (item["f"], item["i"], item["s"]) == (0, "uuid-mock", 1)
    assert item["p"] == {"t": sent.json()[2], "r": 42}
    assert (item["k"], item["c"], item["d"], item["b"]) == (SUB, channel, "hey", group)
    assert body["t"]["t"] == item["p"]["t"]  # t.t is the last message's, as recorded since 2022


async def test_history_fetch_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    channel = "channel|encoded::1"
    sent = await client.get(
        publish_path(channel, "Hello test world"),
        params={"uuid": "ruby-test-uuid-client-one", "ttl": "10", "seqn": "1"},
    )
    answer = await client.get(
        f"/v3/history/sub-key/{SUB}/channel/{quote(channel, safe='')}",
        params={"include_message_type": "true", "include_uuid": "true", "max": "5"},
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    # recorded (2025): {"status": 200, "error": false, "error_message": "", "channels":
    # {"channel%7Cencoded%3A%3A1":[{"message":"Hello test world","timetoken":"17575837829949324",
    # "message_type":null,"uuid":"ruby-test-uuid-client-one"}]}}
    assert answer.json() == {
        "status": 200,
        "error": False,
        "error_message": "",
        "channels": {
            "channel%7Cencoded%3A%3A1": [
                {
                    "message": "Hello test world",
                    "timetoken": sent.json()[2],
                    "message_type": None,
                    "uuid": "ruby-test-uuid-client-one",
                }
            ]
        },
    }


async def test_history_with_actions_answers_the_recorded_shape(
    client: httpx.AsyncClient,
) -> None:
    channel = "fetch-messages-actions-meta-2"
    await client.get(publish_path(channel, "hey-meta"), params={"meta": '{"is-this": "krusty"}'})
    answer = await client.get(
        f"/v3/history-with-actions/sub-key/{SUB}/channel/{channel}",
        params={"include_message_type": "true", "include_meta": "true", "max": "25"},
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    body = answer.json()
    assert list(body) == ["status", "error", "error_message", "channels"]
    (item,) = body["channels"][channel]
    assert (item["message"], item["message_type"], item["meta"]) == (
        "hey-meta",
        None,
        {"is-this": "krusty"},
    )
    assert TIMETOKEN.fullmatch(item["timetoken"])


async def test_message_counts_answer_the_recorded_shape(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        f"/v3/history/sub-key/{SUB}/message-counts/a", params={"timetoken": "1231231254"}
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    # recorded (2019): {"status": 200, "error": false, "error_message": "", "channels": {"a":0},
    # "more": {"a": {"url": "/v3/history/sub-key/demo/message-counts/a?timetoken=1231231254",
    # "is_more": false}}}
    assert answer.json() == {
        "status": 200,
        "error": False,
        "error_message": "",
        "channels": {"a": 0},
        "more": {
            "a": {
                "url": f"/v3/history/sub-key/{SUB}/message-counts/a?timetoken=1231231254",
                "is_more": False,
            }
        },
    }


async def test_history_delete_answers_the_recorded_body(client: httpx.AsyncClient) -> None:
    answer = await client.delete(
        f"/v3/history/sub-key/{SUB}/channel/my-ch", params={"start": "123", "end": "456"}
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    assert answer.json() == {"status": 200, "error": False, "error_message": ""}


async def test_channel_group_changes_answer_the_recorded_body(client: httpx.AsyncClient) -> None:
    for params in ({"add": "ch1,ch2"}, {"remove": "ch1"}):
        answer = await client.get(f"{GROUPS}/channel-groups-unit-cg", params=params)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"  # as recorded since 2024
        assert answer.headers["cache-control"] == "no-cache"
        # recorded (2025): {"error":false,"message":"OK","service":"channel-registry","status":200}
        assert answer.text == json.dumps(REGISTRY_OK, separators=(",", ":"))


async def test_channel_group_list_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    await client.get(f"{GROUPS}/channel-groups-tornado-cg", params={"add": "ch2,ch1"})
    answer = await client.get(f"{GROUPS}/channel-groups-tornado-cg")
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "error": False,
        "payload": {"channels": ["ch1", "ch2"], "group": "channel-groups-tornado-cg"},
        "service": "channel-registry",
        "status": 200,
    }
    assert list(answer.json()) == ["error", "payload", "service", "status"]


async def test_channel_group_delete_answers_the_recorded_body(client: httpx.AsyncClient) -> None:
    await client.get(f"{GROUPS}/cg", params={"add": "ch"})
    answer = await client.get(f"{GROUPS}/cg/remove")
    assert answer.status_code == 200
    assert answer.json() == REGISTRY_OK


async def test_list_of_groups_answers_the_recorded_payload(client: httpx.AsyncClient) -> None:
    for group in ("dk1", "cg"):
        await client.get(f"{GROUPS}/{group}", params={"add": "ch"})
    answer = await client.get(GROUPS)
    # recorded: {"status": 200, "payload": {"namespace": "", "groups": ["cg", "dk1"]}, ...}
    assert answer.json()["payload"] == {"groups": ["cg", "dk1"], "namespace": ""}


async def test_heartbeat_answers_the_recorded_body(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        f"/v2/presence/sub-key/{SUB}/channel/test-state-asyncio-ch/heartbeat",
        params={"heartbeat": "12"},
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    assert answer.json() == {"status": 200, "message": "OK", "service": "Presence"}


async def test_leave_answers_the_recorded_body(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        f"/v2/presence/sub-key/{SUB}/channel/,/leave",
        params={"channel-group": "test-subscribe-asyncio-group"},
    )
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    assert answer.json() == {
        "status": 200,
        "message": "OK",
        "action": "leave",
        "service": "Presence",
    }


async def test_time_answers_the_recorded_shape(client: httpx.AsyncClient) -> None:
    answer = await client.get("/time/0")
    assert answer.status_code == 200
    assert_realtime_headers(answer)
    (now,) = answer.json()  # recorded: [14818963707386265], a number
    assert isinstance(now, int)
    assert TIMETOKEN.fullmatch(str(now))


# -- differences the audit found, now as recorded -------------------------------------------


@pytest.mark.emulator(strict=True)
async def test_access_manager_refusals_answer_the_recorded_shape(
    client: httpx.AsyncClient,
) -> None:
    seed = {"subscribe_key": SUB, "publish_key": PUB, "auth_keys": ["granted"]}
    await client.post("/_emulator/pubnub/seed", json=seed)
    refused = await client.get(publish_path("asyncio-int-publish", "hey"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "text/javascript; charset=UTF-8"
    assert refused.headers["cache-control"] == "no-cache, no-store, must-revalidate"
    # recorded: {"message":"Forbidden","payload":{"channels":["asyncio-int-publish"]},
    # "error":true,"service":"Access Manager","status":403}
    assert refused.text == json.dumps(
        {
            "message": "Forbidden",
            "payload": {"channels": ["asyncio-int-publish"]},
            "error": True,
            "service": "Access Manager",
            "status": 403,
        },
        separators=(",", ":"),
    )
    poll = await client.get(
        f"/v2/subscribe/{SUB}/not-permitted-channel/0", params={"channel-group": "g", "tt": "0"}
    )
    assert poll.json()["payload"] == {
        "channels": ["not-permitted-channel"],
        "channel-groups": ["g"],
    }
    group = await client.get(f"{GROUPS}/g", params={"add": "a"})
    assert group.json()["payload"] == {"channel-groups": ["g"]}
    unknown = await client.get("/publish/blah/blah/0/blah/0/%22hey%22")
    assert unknown.status_code == 400  # recorded in Access Manager's shape, not publish's
    assert unknown.json() == {
        "message": "Invalid Subscribe Key",
        "error": True,
        "service": "Access Manager",
        "status": 400,
    }
    wrong_key = await client.get(
        f"/publish/fake/{SUB}/0/ch1/0/%22hey%22", params={"auth": "granted"}
    )
    assert (wrong_key.status_code, wrong_key.json()[:2]) == (400, [0, "Invalid Key"])


async def test_an_old_ruby_cursor_is_read_as_tt_and_tr(client: httpx.AsyncClient) -> None:
    cursor = {"r": 0, "t": 0}  # Ruby 4.x: t={"r":12,"t":"14633906857841605"}
    start = await client.get(f"/v2/subscribe/{SUB}/demo/0", params={"t": json.dumps(cursor)})
    tt = start.json()["t"]["t"]
    await client.get(publish_path("demo", {"text": "ruby!"}), params={"uuid": "Client-cg6b7"})
    polled = await client.get(
        f"/v2/subscribe/{SUB}/demo/0", params={"t": json.dumps({"r": 42, "t": tt})}
    )
    assert [item["d"] for item in polled.json()["m"]] == [{"text": "ruby!"}]
    for bad in ('{"t": "x"}', "[1]", '{"t": 1, "r": "x"}', '{"t": 1e999}', "{"):
        refused = await client.get(f"/v2/subscribe/{SUB}/demo/0", params={"t": bad})
        assert refused.status_code == 400
        assert refused.json()["service"] == "Subscribe"


@pytest.mark.emulator(subscribe_timeout=0.05)
async def test_an_empty_poll_answers_its_own_tt(client: httpx.AsyncClient) -> None:
    tt = await handshake(client, "ch")
    await client.get(publish_path("elsewhere", "m"))
    empty = await client.get(f"/v2/subscribe/{SUB}/ch/0", params={"tt": tt, "tr": "42"})
    # recorded: tt=17309129601106056 -> {"t":{"t":"17309129601106056","r":42},"m":[]}
    assert empty.json() == {"t": {"t": tt, "r": 42}, "m": []}


async def test_an_origination_timetoken_is_echoed_as_o(client: httpx.AsyncClient) -> None:
    tt = await handshake(client, "demo")
    await client.get(
        publish_path("demo", "whatever"),
        params={"ortt": '{"t":14920941061970292}', "seqn": "1", "uuid": "ruby-test-uuid"},
    )
    (item,) = (await client.get(f"/v2/subscribe/{SUB}/demo/0", params={"tt": tt})).json()["m"]
    # recorded: ... "s":1,"o":{"t":"14920941061970292"},"p":{...} ...
    assert item["o"] == {"t": "14920941061970292"}
    assert list(item)[:6] == ["a", "f", "i", "s", "o", "p"]
    for odd in ("{", '{"t": "soon"}', "[1]", '{"t": true}'):  # not an origination: left out
        sent = await client.get(publish_path("demo", "again"), params={"ortt": odd})
        assert sent.status_code == 200
    later = (await client.get(f"/v2/subscribe/{SUB}/demo/0", params={"tt": tt})).json()["m"]
    assert [("o" in i) for i in later] == [True, False, False, False, False]


async def test_an_empty_heartbeat_parameter_is_accepted(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        f"/v2/presence/sub-key/{SUB}/channel/demo/heartbeat",
        params={"channel-group": "demo", "heartbeat": ""},  # as Ruby 4.x sent it
    )
    assert answer.status_code == 200
    assert answer.json() == {"status": 200, "message": "OK", "service": "Presence"}


async def test_one_timetoken_counts_every_channel(client: httpx.AsyncClient) -> None:
    await client.get(publish_path("b", "m"))
    answer = await client.get(
        f"/v3/history/sub-key/{SUB}/message-counts/a,b,c,d", params={"timetoken": "12123"}
    )
    assert answer.status_code == 200  # recorded: {"a":0,"c":0,"b":1,"d":0}
    body = answer.json()
    assert body["channels"] == {"a": 0, "b": 1, "c": 0, "d": 0}
    assert body["more"]["c"] == {
        "url": f"/v3/history/sub-key/{SUB}/message-counts/c?timetoken=12123",
        "is_more": False,
    }
