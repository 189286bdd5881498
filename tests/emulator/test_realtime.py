"""PubNub realtime as the emulator serves it: publish, signal, subscribe, presence, time, groups.

Shapes are pinned with the literal values of recorded production traffic (protocol notes):
``[1,"Sent","17332374369988275"]``, ``{"t":{"t":"17309129601106056","r":42},"m":[]}``, items
with ``a, f, e, i, p{t,r}, k, c, u, d, b, cmt``.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from aiospaces.emulator import Emulator
from aiospaces.emulator.pubnub import pam_encode, sign_v2
from aiospaces.emulator.pubnub.state import sign_v1
from aiospaces.emulator.pubnub.stream import Clock, Streams

SUB, PUB = "sub-c-rt", "pub-c-rt"
JS = 'text/javascript; charset="UTF-8"'
TT = re.compile(r"[0-9]{17}")
_BAD_TYPE = "Invalid custom_message_type parameter"


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


def streams(emulator: Emulator) -> Streams:
    found: Streams = emulator.vendors["pubnub"].streams  # type: ignore[attr-defined]
    return found


def publish_path(channel: str, message: str, kind: str = "publish") -> str:
    return f"/{kind}/{PUB}/{SUB}/0/{quote(channel, safe='~')}/0/{quote(message, safe='~')}"


async def handshake(client: httpx.AsyncClient, channels: str = "ch", **params: str) -> str:
    answer = await client.get(f"/v2/subscribe/{SUB}/{channels}/0", params={"tt": "0", **params})
    assert answer.status_code == 200
    body = answer.json()
    assert body["m"] == []
    tt: str = body["t"]["t"]
    return tt


async def poll(
    client: httpx.AsyncClient, tt: str, channels: str = "ch", **params: str
) -> dict[str, Any]:
    answer = await client.get(
        f"/v2/subscribe/{SUB}/{channels}/0", params={"tt": tt, "tr": "42", **params}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == JS
    body: dict[str, Any] = answer.json()
    return body


async def test_handshake_answers_at_once_with_the_current_timetoken(
    client: httpx.AsyncClient,
) -> None:
    before = time.time_ns() // 100
    answer = await client.get(f"/v2/subscribe/{SUB}/ch/0", params={"tt": "0", "ee": "1"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == JS
    body = answer.json()
    assert list(body) == ["t", "m"]
    assert body["m"] == []
    assert body["t"]["r"] == 42
    assert TT.fullmatch(body["t"]["t"])
    assert before <= int(body["t"]["t"]) <= time.time_ns() // 100
    assert answer.text == f'{{"t":{{"t":"{body["t"]["t"]}","r":42}},"m":[]}}'  # compact


async def test_publish_answers_sent_and_the_poll_delivers_the_recorded_item_shape(
    client: httpx.AsyncClient,
) -> None:
    tt = await handshake(client, "ch1,ch2")
    sent = await client.get(
        publish_path("ch1", '{"test-message": ["message"]}'),
        params={"meta": '{"age": 32}', "uuid": "Serhii", "custom_message_type": "my-type"},
    )
    assert sent.status_code == 200
    assert sent.headers["content-type"] == JS
    assert re.fullmatch(r'\[1,"Sent","[0-9]{17}"\]', sent.text)
    timetoken = sent.json()[2]
    assert int(timetoken) > int(tt)
    body = await poll(client, tt, "ch1,ch2")
    assert body == {
        "t": {"t": timetoken, "r": 42},
        "m": [
            {
                "a": "4",
                "f": 0,
                "i": "Serhii",
                "p": {"t": timetoken, "r": 42},
                "k": SUB,
                "c": "ch1",
                "u": {"age": 32},
                "d": {"test-message": ["message"]},
                "cmt": "my-type",
            }
        ],
    }
    assert list(body["m"][0]) == ["a", "f", "i", "p", "k", "c", "u", "d", "cmt"]


async def test_signal_is_type_1_and_file_message_type_4(client: httpx.AsyncClient) -> None:
    tt = await handshake(client)
    signal = await client.get(publish_path("ch", '{"x": 1}', "signal"), params={"uuid": "u1"})
    assert re.fullmatch(r'\[1,"Sent","[0-9]{17}"\]', signal.text)
    file_message = {"message": {"text": "hi"}, "file": {"id": "fid-1", "name": "a b.txt"}}
    announced = await client.get(
        f"/v1/files/publish-file/{PUB}/{SUB}/0/ch/0/"
        + quote('{"message": {"text": "hi"}, "file": {"id": "fid-1", "name": "a b.txt"}}'),
        params={"meta": "null", "ttl": "0", "store": "0", "uuid": "u2"},
    )
    assert announced.status_code == 200
    items = (await poll(client, tt))["m"]
    assert [(i["e"], i["i"], i["d"]) for i in items] == [
        (1, "u1", {"x": 1}),
        (4, "u2", file_message),
    ]
    assert "u" not in items[1]  # meta=null is no meta


async def test_post_publish_takes_the_json_body_and_compressed_bodies(
    client: httpx.AsyncClient,
) -> None:
    import zlib

    tt = await handshake(client)
    base = f"/publish/{PUB}/{SUB}/0/ch/0"
    plain = await client.post(base, content=b'{"t": "h\\u00e9"}', params={"store": "1"})
    assert plain.status_code == 200
    packed = await client.post(
        base, content=zlib.compress(b'"zipped"', 2), headers={"Content-Encoding": "gzip"}
    )
    assert packed.status_code == 200
    assert [i["d"] for i in (await poll(client, tt))["m"]] == [{"t": "hé"}, "zipped"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        (publish_path("ch", "{nope"), 400, "Invalid JSON"),
        (publish_path("ch", "NaN"), 400, "Invalid JSON"),
        (publish_path("ch", '"' + "x" * 33_000 + '"'), 413, "Message Too Large"),
        (publish_path("ch", '"' + "é" * 40 + '"', "signal"), 400, "Signal size too large"),
        (publish_path("ch", "1") + "?meta=%5B1%5D", 400, "Invalid meta parameter"),
        (publish_path("ch", "1") + "?store=maybe", 400, "Invalid store parameter"),
        (publish_path("ch", "1") + "?ttl=-1", 400, "Invalid ttl parameter"),
        (publish_path("ch", "1") + "?custom_message_type=pn_x", 400, _BAD_TYPE),
        (publish_path("ch", "1") + "?custom_message_type=ab", 400, _BAD_TYPE),
    ],
)  # fmt: skip
async def test_publish_errors_in_the_publish_shape(
    client: httpx.AsyncClient, emulator: Emulator, path: str, status: int, message: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == JS
    zero, text, timetoken = answer.json()
    assert (zero, text) == (0, message)
    assert TT.fullmatch(timetoken)
    assert emulator.vendors["pubnub"].snapshot()[SUB]["messages"] == []


async def test_compressed_bodies_that_do_not_inflate_or_inflate_too_far(
    client: httpx.AsyncClient,
) -> None:
    import zlib

    base = f"/publish/{PUB}/{SUB}/0/ch/0"
    gzip = {"Content-Encoding": "gzip"}
    broken = await client.post(base, content=b"not zlib", headers=gzip)
    assert (broken.status_code, broken.json()[1]) == (400, "Invalid compressed body")
    bomb = zlib.compress(b'"' + b"x" * (2 * 1024 * 1024) + b'"', 9)
    exploded = await client.post(base, content=bomb, headers=gzip)
    assert (exploded.status_code, exploded.json()[1]) == (413, "Message Too Large")


async def test_a_message_of_exactly_the_limit_is_sent(client: httpx.AsyncClient) -> None:
    body = '"' + "x" * (32 * 1024 - 2 - 6) + '"'  # "ch" is 2 bytes, the quotes encode to 6
    assert len(quote("ch")) + len(quote(body, safe="~")) == 32 * 1024
    assert (await client.get(publish_path("ch", body))).status_code == 200
    over = await client.get(publish_path("ch", body.replace("x", "xx", 1)))
    assert (over.status_code, over.json()[1]) == (413, "Message Too Large")


@pytest.mark.emulator(strict=True)
async def test_keys_auth_and_signatures(client: httpx.AsyncClient) -> None:
    seed = {"subscribe_key": SUB, "publish_key": PUB, "auth_keys": ["ok"]}
    await client.post("/_emulator/pubnub/seed", json=seed)
    wrong_key = await client.get(f"/publish/pub-c-wrong/{SUB}/0/ch/0/1", params={"auth": "ok"})
    assert wrong_key.status_code == 400
    assert wrong_key.json()[:2] == [0, "Invalid Key"]
    unknown = await client.get("/publish/p/sub-c-unknown/0/ch/0/1")
    assert (unknown.status_code, unknown.json()["message"]) == (400, "Invalid Subscribe Key")
    denied = await client.get(publish_path("ch", "1"), params={"auth": "nope"})
    assert denied.status_code == 403
    assert denied.json() == {
        "message": "Forbidden",
        "payload": {"channels": ["ch"]},
        "error": True,
        "service": "Access Manager",
        "status": 403,
    }
    refused_poll = await client.get(f"/v2/subscribe/{SUB}/ch/0", params={"tt": "0"})
    assert refused_poll.status_code == 403
    assert (await client.get(publish_path("ch", "1"), params={"auth": "ok"})).status_code == 200


@pytest.mark.emulator(strict=True)
async def test_get_is_signed_v2_and_post_publish_v1(client: httpx.AsyncClient) -> None:
    seed = {"subscribe_key": SUB, "publish_key": PUB, "secret_key": "sec"}
    await client.post("/_emulator/pubnub/seed", json=seed)
    stamp = str(int(time.time()))

    def signed(params: dict[str, str], signature: str) -> str:
        return "&".join(
            f"{k}={pam_encode(v)}" for k, v in [*params.items(), ("signature", signature)]
        )

    params = {"pnsdk": "t/1", "timestamp": stamp, "uuid": "me"}
    query = "&".join(f"{k}={pam_encode(v)}" for k, v in sorted(params.items()))
    path = publish_path("ch", '"hi"')
    good = sign_v2("sec", PUB, "GET", path, query, "")
    assert (await client.get(f"{path}?{signed(params, good)}")).status_code == 200
    post_path = f"/publish/{PUB}/{SUB}/0/ch/0"
    legacy = sign_v1("sec", SUB, PUB, post_path, query)
    assert not legacy.startswith("v2.")
    assert legacy.endswith("=")  # padding kept
    posted = await client.post(f"{post_path}?{signed(params, legacy)}", content=b'"hi"')
    assert posted.status_code == 200
    v2_on_post = sign_v2("sec", PUB, "POST", post_path, query, '"hi"')
    refused = await client.post(f"{post_path}?{signed(params, v2_on_post)}", content=b'"hi"')
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tt=abc", "Invalid timetoken"),
        ("tt=1&tr=x", "Invalid region"),
        ("tt=" + "9" * 19, "Invalid timetoken"),
    ],
)
async def test_subscribe_refuses_bad_parameters(
    client: httpx.AsyncClient, query: str, message: str
) -> None:
    answer = await client.get(f"/v2/subscribe/{SUB}/ch/0?{query}")
    assert answer.status_code == 400
    assert answer.json() == {
        "status": 400,
        "error": True,
        "service": "Subscribe",
        "message": message,
    }


@pytest.mark.emulator(subscribe_timeout=0.05)
async def test_subscribe_without_channels_or_groups_receives_nothing(
    client: httpx.AsyncClient,
) -> None:
    handshake = await client.get(f"/v2/subscribe/{SUB}/,/0", params={"tt": "0"})
    assert handshake.status_code == 200  # as production answered one (pubnub/ruby, 2016)
    tt = handshake.json()["t"]["t"]
    await client.get(publish_path("ch", '"m"'))
    empty = await client.get(f"/v2/subscribe/{SUB}/,/0", params={"tt": tt})
    assert empty.json() == {"t": {"t": tt, "r": 42}, "m": []}


async def test_the_state_shows_the_stream(client: httpx.AsyncClient) -> None:
    sent = await client.get(
        publish_path("ch", '{"a": 1}'),
        params={"meta": '{"k": "v"}', "uuid": "me", "store": "0", "ttl": "3", "seqn": "7"},
    )
    await client.get(publish_path("ch", '"s"', "signal"))
    state = (await client.get("/_emulator/state")).json()["pubnub"][SUB]["messages"]
    assert state[0] == {
        "channel": "ch",
        "timetoken": sent.json()[2],
        "message_type": 0,
        "message": {"a": 1},
        "meta": {"k": "v"},
        "publisher": "me",
        "custom_message_type": None,
        "store": False,
        "ttl": 3,
    }
    assert (state[1]["message_type"], state[1]["store"]) == (1, False)  # signals are not stored


def test_clock_is_strictly_increasing_within_one_tick() -> None:
    clock = Clock(wall=lambda: 1_730_912_960_110_605_600)  # frozen: every call the same 100 ns
    handshake_tt = clock.now()
    assert handshake_tt == 17309129601106056
    tokens = [clock.next() for _ in range(1000)]
    assert tokens == list(range(handshake_tt + 1, handshake_tt + 1001))
    assert clock.now() == tokens[-1]  # now never goes back, and the next one is newer still
    assert clock.next() == tokens[-1] + 1


async def test_timetokens_are_shared_and_increase_across_kinds(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    kinds = [publish_path("a", "1"), publish_path("b", "2", "signal"), publish_path("a", "3")]
    kinds.append(
        f"/v1/files/publish-file/{PUB}/{SUB}/0/c/0/"
        + quote('{"message": null, "file": {"id": "i", "name": "n"}}')
    )
    tokens = [int((await client.get(path)).json()[2]) for path in kinds * 50]
    assert tokens == sorted(set(tokens))
    assert all(TT.fullmatch(str(t)) for t in tokens)
    assert streams(emulator).clock.last == tokens[-1]
