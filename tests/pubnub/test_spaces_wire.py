"""Exact requests of the Spaces calls (respx), per the protocol notes §1, §2 and §6."""

from __future__ import annotations

import time

import httpx
import pytest
import respx

import aiospaces
from aiospaces.pubnub import F, Page, PubNub, Sort, Space
from aiospaces.pubnub.signing import sign_request, signature_v2

ORIGIN = "https://ps.example"
SUB = "sub-c-x"
CHANNELS = f"{ORIGIN}/v2/objects/{SUB}/channels"
SPACE = {
    "id": "room",
    "name": "Room",
    "description": None,
    "type": None,
    "status": None,
    "custom": {"k": "v"},
    "updated": "2025-02-06T21:27:39.787477Z",
    "eTag": "58e863ea25098920a6c5d5c38176e862",
}
SDK = "pnsdk=aiospaces-Python%2F0.1.0"


def client(**extra: object) -> PubNub:
    settings: dict[str, object] = {
        "subscribe_key": SUB,
        "user_id": "me",
        "origin": "ps.example",
        **extra,
    }
    return PubNub(**settings)  # type: ignore[arg-type]


@respx.mock
async def test_create_space_request_and_result() -> None:
    route = respx.patch(f"{CHANNELS}/room").mock(
        return_value=httpx.Response(200, json={"status": 200, "data": SPACE})
    )
    async with client() as pn:
        space = await (
            pn.create_space().space_id("room").name("Room").custom({"k": "v"}).include_custom()
        )
    assert isinstance(space, Space)
    assert space.etag == SPACE["eTag"]
    assert space.updated.year == 2025
    request = route.calls.last.request
    assert request.url.raw_path == (
        f"/v2/objects/{SUB}/channels/room?include=custom%2Cstatus%2Ctype&{SDK}&uuid=me".encode()
    )
    assert request.content == b'{"name":"Room","custom":{"k":"v"}}'
    assert request.headers["content-type"] == "application/json"
    assert "if-match" not in request.headers


@respx.mock
async def test_update_sends_only_set_fields_and_if_match_once() -> None:
    route = respx.patch(f"{CHANNELS}/room%2F1").mock(
        return_value=httpx.Response(200, json={"status": 200, "data": SPACE})
    )
    async with client() as pn:
        await pn.update_space(space_id="room/1", description=None).if_matches_etag("abc")
        await pn.update_space(space_id="room/1", name="N")
    first, second = (call.request for call in route.calls)
    assert first.content == b'{"description":null}'
    assert first.headers["if-match"] == "abc"
    assert "if-match" not in second.headers  # not sticky, unlike the official SDK


@respx.mock
async def test_fetch_spaces_query_order_and_encoding() -> None:
    route = respx.get(CHANNELS).mock(
        return_value=httpx.Response(
            200, json={"status": 200, "data": [SPACE], "totalCount": 23036, "next": "MTA"}
        )
    )
    async with client() as pn:
        page = await (
            pn.fetch_spaces()
            .filter('name LIKE "ab*"')
            .limit(10)
            .include_total_count()
            .sort("id:asc", Sort.desc("updated"))
            .include_custom()
        )
    assert page.total_count == 23036
    assert page.next == Page("MTA", "next")
    assert page.prev is None
    assert (
        route.calls.last.request.url.raw_path
        == (
            f"/v2/objects/{SUB}/channels?filter=name%20LIKE%20%22ab%2A%22&limit=10&count=true"
            f"&sort=id%3Aasc%2Cupdated%3Adesc&include=custom%2Cstatus%2Ctype&{SDK}&uuid=me"
        ).encode()
    )


@respx.mock
async def test_page_round_trip_uses_start_and_end() -> None:
    route = respx.get(CHANNELS).mock(
        return_value=httpx.Response(
            200, json={"status": 200, "data": [SPACE], "next": "MTU", "prev": "MTA"}
        )
    )
    async with client() as pn:
        page = await pn.fetch_spaces().page("MTA")
        assert page.prev is not None
        await pn.fetch_spaces().page(page.prev)
        await pn.fetch_spaces().page(page.next)
    queries = [call.request.url.params for call in route.calls]
    assert [q.get("start") for q in queries] == ["MTA", None, "MTU"]
    assert [q.get("end") for q in queries] == [None, "MTA", None]


@respx.mock
async def test_async_for_follows_next_on_the_last_page_once_and_stops_on_the_empty_one() -> None:
    # Production links every page that has items, the last short one too, and only an empty
    # page has no ``next``: the walk asks for that empty page exactly once, then stops.
    pages = {
        None: {"status": 200, "data": [SPACE | {"id": "a"}, SPACE | {"id": "b"}], "next": "Mg"},
        "Mg": {"status": 200, "data": [SPACE | {"id": "c"}], "next": "Mw", "prev": "Mg"},
        "Mw": {"status": 200, "data": [], "prev": "Mw"},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("start")])

    route = respx.get(CHANNELS).mock(side_effect=answer)
    async with client() as pn:
        ids = [space.id async for space in pn.fetch_spaces().limit(2)]
    assert ids == ["a", "b", "c"]
    assert [call.request.url.params.get("start") for call in route.calls] == [None, "Mg", "Mw"]


@respx.mock
async def test_a_page_with_items_but_no_next_ends_the_walk() -> None:
    route = respx.get(CHANNELS).mock(
        return_value=httpx.Response(200, json={"status": 200, "data": [SPACE]})
    )
    async with client() as pn:
        ids = [space.id async for space in pn.fetch_spaces()]
    assert (ids, route.call_count) == (["room"], 1)


@respx.mock
async def test_remove_space_of_a_missing_space_succeeds() -> None:
    # Production answers a DELETE of a missing channel 200 {"status":200,"data":null}.
    route = respx.delete(f"{CHANNELS}/never").mock(
        return_value=httpx.Response(200, json={"status": 200, "data": None})
    )
    async with client() as pn:
        await pn.remove_space(space_id="never")  # no NotFoundError
    assert route.call_count == 1


@respx.mock
async def test_auth_token_wins_over_auth_key() -> None:
    route = respx.get(f"{CHANNELS}/room").mock(
        return_value=httpx.Response(200, json={"status": 200, "data": SPACE})
    )
    async with client(auth_key="key-1", token="tok-2") as pn:
        await pn.fetch_space(space_id="room")
    assert route.calls.last.request.url.params["auth"] == "tok-2"
    assert "tok-2" not in repr(pn)
    assert "key-1" not in repr(pn)


@respx.mock
async def test_signed_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1700000000.5)
    route = respx.get(CHANNELS).mock(
        return_value=httpx.Response(200, json={"status": 200, "data": []})
    )
    async with client(publish_key="pub-c-x", secret_key="sec-c-x") as pn:
        await pn.fetch_spaces().filter('name LIKE "ab*"').limit(10)
    params = route.calls.last.request.url.params
    query = [(k, v) for k, v in params.multi_items() if k != "signature"]
    assert params["timestamp"] == "1700000000"
    assert params["signature"] == sign_request(
        "sec-c-x", "pub-c-x", "GET", f"/v2/objects/{SUB}/channels", query, ""
    )
    assert "sec-c-x" not in repr(pn)


def test_signature_vectors_from_the_official_sdk() -> None:
    query = [
        ("filter", 'name LIKE "ab*"'),
        ("include", "custom"),
        ("limit", "10"),
        ("pnsdk", "PubNub-Python/10.4.0"),
        ("timestamp", "1700000000"),
        ("uuid", "me"),
    ]
    assert (
        sign_request("sec-c-x", "pub-c-x", "GET", "/v2/objects/sub-c-x/channels", query, "")
        == "v2.9qT-mUB_0H398m32bqPkNVB0DicZsTSrHWUEWV-CvfY"
    )
    body = '{"name": "N", "description": null, "custom": null}'
    patch_query = "pnsdk=PubNub-Python%2F10.4.0&timestamp=1700000000&uuid=me"
    assert (
        signature_v2("sec-c-x", "pub-c-x", "PATCH", "/v2/objects/sub-c-x/channels/sp1",
                     patch_query, body)
        == "v2.ab1N31pl6Ove5F5wKY31KxZA9FdAHbqo4yJ-NGEVPaA"
    )  # fmt: skip


@respx.mock
async def test_app_context_errors_are_typed() -> None:
    respx.patch(f"{CHANNELS}/room").mock(
        return_value=httpx.Response(
            412,
            json={
                "status": 412,
                "error": {
                    "message": "Channel to update has been modified after it was read.",
                    "source": "objects",
                },
            },
        )
    )
    respx.get(CHANNELS).mock(
        return_value=httpx.Response(
            400,
            json={
                "status": 400,
                "error": {
                    "message": "Invalid filter expression.",
                    "source": "objects",
                    "details": [{"message": "x", "location": "filter", "locationType": "query"}],
                },
            },
        )
    )
    async with client() as pn:
        with pytest.raises(aiospaces.PreconditionFailedError) as stale:
            await pn.update_space(space_id="room", name="x").if_matches_etag("old")
        with pytest.raises(aiospaces.BadRequestError) as bad:
            await pn.fetch_spaces().filter("name LIKE")
    assert stale.value.vendor == "pubnub"
    assert stale.value.error_type == "objects"
    assert bad.value.details[0]["location"] == "filter"


@pytest.mark.parametrize(
    "make",
    [
        lambda pn: pn.fetch_space(),
        lambda pn: pn.fetch_space(space_id=""),
        lambda pn: pn.remove_space(space_id="x" * 93),
        lambda pn: pn.create_space(space_id="a", custom={"nested": {"no": 1}}),
        lambda pn: pn.create_space(space_id="a", custom={"nan": float("nan")}),
        lambda pn: pn.create_space(space_id="a", name=3),
        lambda pn: pn.fetch_spaces(limit=101),
        lambda pn: pn.fetch_spaces(limit=0),
        lambda pn: pn.fetch_spaces(sort="colour:asc"),
        lambda pn: pn.fetch_spaces(filter=" "),
        lambda pn: pn.fetch_spaces(page=3),
        lambda pn: pn.update_space(space_id="a").if_matches_etag(""),
    ],
)
@respx.mock(assert_all_mocked=True)
async def test_bad_input_fails_before_any_request(make: object) -> None:
    async with client() as pn:
        with pytest.raises(aiospaces.ValidationError):
            await make(pn)  # type: ignore[operator]
    assert not respx.calls


def test_filter_helper_renders_expressions() -> None:
    expression = F.name.like("Room*") & ((F.custom["tier"] == "gold") | (F.custom.size >= 3))
    assert str(expression) == ('name LIKE "Room*" && (custom.tier == "gold" || custom.size >= 3)')
    assert str(~(F.status == None)) == "!(status == null)"  # noqa: E711
    assert str(F.custom["a-b"] != True) == 'custom["a-b"] != true'  # noqa: E712
    assert str(F.updated < "2025-01-01T00:00:00Z") == 'updated < "2025-01-01T00:00:00Z"'
    assert str(F.name == 'say "hi"') == 'name == "say \\"hi\\""'
    with pytest.raises(aiospaces.ValidationError):
        F.name == [1]  # noqa: B015


def test_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBNUB_SUBSCRIBE_KEY", "sub-env")
    monkeypatch.setenv("PUBNUB_USER_ID", "env-user")
    monkeypatch.setenv("PUBNUB_SECRET_KEY", "sec-env")
    pn = PubNub(user_id="explicit")
    assert (pn.config.subscribe_key, pn.config.user_id) == ("sub-env", "explicit")
    assert "sec-env" not in repr(pn.config)
    monkeypatch.delenv("PUBNUB_SUBSCRIBE_KEY")
    with pytest.raises(aiospaces.ValidationError, match="PUBNUB_SUBSCRIBE_KEY"):
        PubNub()
    with pytest.raises(aiospaces.ValidationError):
        PubNub(subscribe_key="s", user_id="u", crypto="rot13")  # type: ignore[arg-type]


async def test_session_factory_shares_the_pool() -> None:
    async with aiospaces.Session() as session:
        one = session.pubnub(subscribe_key="a", user_id="u")
        two = session.pubnub(subscribe_key="b", user_id="u")
        assert one.session.http_client is two.session.http_client
