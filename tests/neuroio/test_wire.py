"""Exact requests of the NeuroIO client (respx): paths, trailing slashes, queries, bodies."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core import attempts as core_attempts
from aiospaces.core.request import RequestSpec
from aiospaces.core.transport import redact_url
from aiospaces.neuroio import Login, NeuroIO, Page, Space, Token, User, Whoami

IAM = "https://iam.example"
KEY = "k" * 40
TOKEN = {
    "id": 7,
    "key": KEY,
    "is_active": True,
    "created": "2024-05-01T10:00:00.123456+00:00",
    "expires": "2024-05-02T10:00:00.123456+00:00",
}
PERMANENT = {**TOKEN, "id": 8, "expires": None}
VALIDATION = {
    "error_codes": [600],
    "message": "Validation error.",
    "fields": [{"name": "name", "message": "This field is required.", "error_code": 600}],
}


def client(**extra: Any) -> NeuroIO:
    return NeuroIO(**{"api_token": "secret-token", "iam_url": IAM, **extra})


def paths(route: respx.Route) -> list[bytes]:
    return [call.request.url.raw_path for call in route.calls]


@respx.mock
async def test_create_space_both_styles_send_the_same_request() -> None:
    route = respx.post(f"{IAM}/v1/spaces/").respond(201, json={"id": 3, "name": "Lobby"})
    async with client() as nio:
        space = await nio.spaces.create(name="Lobby")
        again = await nio.spaces.create().name("Lobby")
    assert space == again == Space(id=3, name="Lobby")
    first, second = (call.request for call in route.calls)
    assert first.url.raw_path == b"/v1/spaces/"
    assert first.content == second.content == b'{"name":"Lobby"}'
    assert first.headers["authorization"] == "Token secret-token"
    assert first.headers["content-type"] == "application/json"


@respx.mock
async def test_list_spaces_query_rendering_and_page() -> None:
    body = {
        "count": 41,
        "next": f"{IAM}/v1/spaces/?limit=20&offset=20",
        "previous": None,
        "results": [{"id": 1, "name": "default"}],
    }
    route = respx.get(f"{IAM}/v1/spaces/").respond(200, json=body)
    async with client() as nio:
        page = await nio.spaces.list()
        await nio.spaces.list(q="lob by/é", limit=50, offset=20)
        await nio.spaces.list().q("x").limit(5).offset(0)
        await nio.spaces.list(q="")
    assert paths(route) == [
        b"/v1/spaces/?limit=20&offset=0",
        b"/v1/spaces/?q=lob%20by%2F%C3%A9&limit=50&offset=20",
        b"/v1/spaces/?q=x&limit=5&offset=0",
        b"/v1/spaces/?limit=20&offset=0",
    ]
    assert isinstance(page, Page)
    assert (page.count, page.next, page.previous) == (41, body["next"], None)
    assert page.results == [Space(1, "default")]


@respx.mock
async def test_list_spaces_walks_offsets_until_count() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        results = [{"id": i, "name": f"s{i}"} for i in range(offset, min(offset + 2, 5))]
        return httpx.Response(200, json={"count": 5, "results": results})

    route = respx.get(f"{IAM}/v1/spaces/").mock(side_effect=answer)
    async with client() as nio:
        ids = [space.id async for space in nio.spaces.list(limit=2)]
    assert ids == [0, 1, 2, 3, 4]
    assert [call.request.url.params["offset"] for call in route.calls] == ["0", "2", "4"]


@respx.mock
async def test_bare_array_pages_end_on_an_empty_page() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        first = request.url.params["offset"] == "0"
        return httpx.Response(200, json=[{"id": 1, "name": "a"}] if first else [])

    route = respx.get(f"{IAM}/v1/spaces/").mock(side_effect=answer)
    async with client() as nio:
        page = await nio.spaces.list()
        ids = [s.id async for s in nio.spaces.list()]
    assert page.results == [Space(1, "a")]
    assert page.count is None
    assert ids == [1]
    assert route.call_count == 3


@respx.mock
async def test_get_update_replace_delete_paths_and_bodies() -> None:
    space = {"id": 12, "name": "Hall"}
    get = respx.get(f"{IAM}/v1/spaces/12/").respond(200, json=space)
    patch = respx.patch(f"{IAM}/v1/spaces/12/").respond(200, json=space)
    put = respx.put(f"{IAM}/v1/spaces/12/").respond(200, json=space)
    delete = respx.delete(f"{IAM}/v1/spaces/12/").respond(202)
    async with client() as nio:
        assert await nio.spaces.get(12) == Space(12, "Hall")
        assert await nio.spaces.get().id(12) == Space(12, "Hall")
        assert await nio.spaces.update(12, name="Hall") == Space(12, "Hall")
        assert await nio.spaces.update(id=12).name("Hall") == Space(12, "Hall")
        assert await nio.spaces.replace(12, "Hall") == Space(12, "Hall")
        await nio.spaces.delete(12)
        envelope = await nio.spaces.delete().id(12).future()
    assert get.call_count == 2
    assert [c.request.content for c in patch.calls] == [b'{"name":"Hall"}'] * 2
    assert put.calls.last.request.content == b'{"name":"Hall"}'
    assert delete.calls.last.request.content == b""
    assert envelope.status.status_code == 202  # docs say 204, tests mock 202: any 2xx


@respx.mock
async def test_space_token_and_full_list() -> None:
    route = respx.post(f"{IAM}/v1/spaces/4/tokens/").respond(201, json=PERMANENT)
    lists = respx.get(f"{IAM}/v1/lists/spaces/").respond(200, json=[{"id": 4, "name": "a"}])
    async with client() as nio:
        token = await nio.spaces.token(4, permanent=True)
        await nio.spaces.token(4)
        await nio.spaces.token().id(4).permanent(False)
        everything = await nio.lists.spaces.all()
    assert [c.request.content for c in route.calls] == [
        b'{"permanent":true}',
        b'{"permanent":false}',
        b'{"permanent":false}',
    ]
    assert token.permanent
    assert token.key == KEY
    assert KEY not in repr(token)
    assert everything == [Space(4, "a")]
    assert lists.calls.last.request.url.raw_path == b"/v1/lists/spaces/"


@respx.mock
async def test_full_list_tolerates_a_paginated_shape() -> None:
    respx.get(f"{IAM}/v1/lists/spaces/").respond(200, json={"results": [{"id": 1, "name": "d"}]})
    async with client() as nio:
        assert await nio.lists.spaces.all() == [Space(1, "d")]


@respx.mock
async def test_login_sends_no_token_and_parses_user_and_token() -> None:
    route = respx.post(f"{IAM}/v1/auth/token/").respond(
        200, json={"user": {"username": "ann"}, "token": TOKEN}
    )
    async with NeuroIO(iam_url=IAM) as nio:
        login = await nio.auth.token(username="ann", password="pw")
        await nio.auth.token().username("ann").password("pw")
    request = route.calls.last.request
    assert request.content == b'{"username":"ann","password":"pw"}'
    assert "authorization" not in request.headers
    assert isinstance(login, Login)
    assert login.user == User("ann")
    assert login.token.expires is not None
    assert login.token.expires.utcoffset() is not None
    assert not login.token.permanent
    assert "pw" not in repr(nio.auth.token(username="ann", password="pw")._quiet())


@respx.mock
async def test_whoami() -> None:
    respx.get(f"{IAM}/v1/whoami/").respond(
        200, json={"username": "ann", "space": {"id": 1, "name": "default"}}
    )
    async with client() as nio:
        assert await nio.whoami() == Whoami("ann", Space(1, "default"))


@respx.mock
async def test_tokens_requests() -> None:
    create = respx.post(f"{IAM}/v1/tokens/").respond(201, json=TOKEN)
    listing = respx.get(f"{IAM}/v1/tokens/").respond(200, json={"count": 1, "results": [TOKEN]})
    get_by_id = respx.get(f"{IAM}/v1/tokens/7/").respond(200, json=TOKEN)
    get_by_key = respx.get(f"{IAM}/v1/tokens/a%2Fb/").respond(200, json=TOKEN)
    update = respx.patch(f"{IAM}/v1/tokens/7/").respond(200, json={**TOKEN, "is_active": False})
    delete = respx.delete(f"{IAM}/v1/tokens/7/").respond(204)
    bulk = respx.delete(f"{IAM}/v1/tokens/").respond(204)
    async with client() as nio:
        assert (await nio.tokens.create(permanent=True)).id == 7
        await nio.tokens.create()
        page = await nio.tokens.list()
        await nio.tokens.list(permanent=False, limit=10, offset=5)
        await nio.tokens.list().permanent(True)
        assert isinstance((await nio.tokens.get(7)), Token)
        await nio.tokens.get("a/b")
        updated = await nio.tokens.update(7, is_active=False)
        await nio.tokens.update(7).is_active(True)
        await nio.tokens.delete(7)
        await nio.tokens.delete_list()
        await nio.tokens.delete_list(permanent=False)
    assert [c.request.content for c in create.calls] == [
        b'{"permanent":true}',
        b'{"permanent":false}',
    ]
    assert page.results[0].id == 7
    assert paths(listing) == [
        b"/v1/tokens/?limit=20&offset=0",
        b"/v1/tokens/?limit=10&offset=5&permanent=false",
        b"/v1/tokens/?limit=20&offset=0&permanent=true",
    ]
    assert get_by_id.called
    assert get_by_key.called
    assert not updated.is_active
    forms = [(c.request.headers["content-type"], c.request.content) for c in update.calls]
    assert forms == [
        ("application/x-www-form-urlencoded", b"is_active=false"),
        ("application/x-www-form-urlencoded", b"is_active=true"),
    ]
    assert delete.called
    assert paths(bulk) == [b"/v1/tokens/", b"/v1/tokens/?permanent=false"]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, VALIDATION, aiospaces.BadRequestError),
        (401, {"error_codes": [601], "message": "Invalid token.", "fields": []},
         aiospaces.AuthenticationError),
        (403, {"error_codes": [603], "message": "Denied.", "fields": []},
         aiospaces.PermissionDeniedError),
        (404, {"error_codes": [604], "message": "Not found.", "fields": []},
         aiospaces.NotFoundError),
    ],
)  # fmt: skip
@respx.mock
async def test_error_shapes_become_typed_errors(
    status: int, body: dict[str, Any], error: type[aiospaces.APIError]
) -> None:
    respx.post(f"{IAM}/v1/spaces/").respond(status, json=body, headers={"x-request-id": "r1"})
    async with client() as nio:
        with pytest.raises(error) as caught:
            await nio.spaces.create(name="x")
    assert caught.value.status_code == status
    assert caught.value.vendor == "neuroio"
    assert caught.value.message == body["message"]
    assert caught.value.error_type == str(body["error_codes"][0])
    assert caught.value.details == (body["fields"] or None)
    assert caught.value.request_id == "r1"


@respx.mock
async def test_wrong_credentials_602_is_a_bad_request_without_retries() -> None:
    route = respx.post(f"{IAM}/v1/auth/token/").respond(
        400,
        json={"error_codes": [602], "message": "Username and password do not match.", "fields": []},
    )
    async with NeuroIO(iam_url=IAM) as nio:
        with pytest.raises(aiospaces.BadRequestError) as caught:
            await nio.auth.token(username="a", password="b")
    assert caught.value.error_type == "602"
    assert route.call_count == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda nio: nio.spaces.create(),
        lambda nio: nio.spaces.create(name="  "),
        lambda nio: nio.spaces.create(name="x" * 256),
        lambda nio: nio.spaces.get(),
        lambda nio: nio.spaces.get(0),
        lambda nio: nio.spaces.get(True),
        lambda nio: nio.spaces.update(1),
        lambda nio: nio.spaces.delete("1"),
        lambda nio: nio.spaces.token(),
        lambda nio: nio.tokens.get(),
        lambda nio: nio.tokens.get(""),
        lambda nio: nio.tokens.update(1),
        lambda nio: nio.tokens.delete(-1),
        lambda nio: nio.auth.token(username="a"),
    ],
)
@respx.mock(assert_all_called=False)
async def test_invalid_arguments_fail_before_any_request(make: Any) -> None:
    async with client() as nio:
        with pytest.raises(aiospaces.ValidationError):
            await make(nio)
    assert not respx.calls


@pytest.mark.parametrize(
    "make",
    [
        lambda nio: nio.spaces.list(limit=0),
        lambda nio: nio.spaces.list(offset=-1),
        lambda nio: nio.spaces.list(q=3),
        lambda nio: nio.spaces.token(1, permanent="yes"),
        lambda nio: nio.tokens.list(permanent=1),
        lambda nio: nio.tokens.update(1, is_active="false"),
    ],
)
def test_invalid_setter_values_raise_at_once(make: Any) -> None:
    with pytest.raises(aiospaces.ValidationError):
        make(client())


@respx.mock(assert_all_called=False)
async def test_missing_token_is_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEUROIO_API_TOKEN", raising=False)
    async with NeuroIO(iam_url=IAM) as nio:
        with pytest.raises(aiospaces.ValidationError, match="NEUROIO_API_TOKEN"):
            await nio.spaces.list()
    assert not respx.calls


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        client().spaces.create(nmae="x")  # type: ignore[call-arg]


@respx.mock
async def test_settings_from_env_explicit_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEUROIO_API_TOKEN", "from-env")
    monkeypatch.setenv("NEUROIO_IAM_URL", IAM)
    route = respx.get(f"{IAM}/v1/whoami/").respond(200, json={"space": {"id": 1, "name": "s"}})
    async with NeuroIO() as nio:
        assert (await nio.whoami()).username is None
        assert "from-env" not in repr(nio)
        assert "from-env" not in repr(nio.config)
        await nio.with_token("other").whoami()
    async with NeuroIO(api_token="explicit") as nio:
        await nio.whoami()
    tokens = [c.request.headers["authorization"] for c in route.calls]
    assert tokens == ["Token from-env", "Token other", "Token explicit"]


def test_config_validation() -> None:
    with pytest.raises(aiospaces.ValidationError):
        NeuroIO(iam_url="iam.example")
    with pytest.raises(aiospaces.ValidationError):
        NeuroIO(api_token=" ")
    with pytest.raises(TypeError, match="colour"):
        NeuroIO(colour="blue")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        NeuroIO(config=client().config, api_token="x")


@respx.mock
async def test_session_factory_shares_the_pool_and_per_client_timeout() -> None:
    route = respx.get(f"{IAM}/v1/whoami/").respond(200, json={})
    async with aiospaces.Session() as session:
        nio = session.neuroio(api_token="t", iam_url=IAM, timeout=1.5)
        assert nio.session is session
        assert nio.with_token("u").session is session
        await nio.whoami()
        await nio.whoami(timeout=3)
        await nio.aclose()  # a shared session stays open
        assert not session.closed
    timeouts = [c.request.extensions["timeout"]["read"] for c in route.calls]
    assert timeouts == [1.5, 3]


def test_redact_url_masks_token_keys_in_paths_but_not_ids() -> None:
    assert redact_url(f"{IAM}/v1/tokens/{KEY}/") == f"{IAM}/v1/tokens/***/"
    assert redact_url(f"{IAM}/v1/tokens/a%2Fb/?token=t&limit=5") == (
        f"{IAM}/v1/tokens/***/?token=***&limit=5"
    )
    for kept in ("/v1/tokens/7/", "/v1/tokens/", "/v1/spaces/3/tokens/", "/v1/spaces/x/"):
        assert redact_url(IAM + kept) == IAM + kept


@respx.mock
async def test_token_keys_in_paths_stay_out_of_logs_and_errors(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(core_attempts, "_sleep", no_sleep)
    respx.get(f"{IAM}/v1/tokens/{KEY}/").mock(
        side_effect=[httpx.Response(503), httpx.ReadError("x"), httpx.Response(200, json=TOKEN)]
    )
    respx.delete(f"{IAM}/v1/tokens/{KEY}/").mock(side_effect=httpx.ConnectError("refused"))
    caplog.set_level(logging.INFO, logger="aiospaces")
    async with client() as nio:
        assert (await nio.tokens.get(KEY)).id == 7
        with pytest.raises(aiospaces.TransportError) as caught:
            await nio.tokens.delete(KEY, max_retries=0)
    assert len(caplog.records) == 2
    assert "/v1/tokens/***/" in caplog.text
    assert KEY not in caplog.text
    assert "/v1/tokens/***/" in str(caught.value)
    assert KEY not in str(caught.value)


@respx.mock
async def test_a_raw_request_carries_the_token_and_a_login_does_not() -> None:
    other = respx.get(f"{IAM}/v1/sources/").mock(return_value=httpx.Response(200, json=[]))
    login = respx.post(f"{IAM}/v1/auth/token/").mock(
        return_value=httpx.Response(400, json={"message": "bad", "error_codes": [602]})
    )
    async with client() as nio:
        await nio.request(RequestSpec(method="GET", path="/v1/sources/"))
        with pytest.raises(aiospaces.BadRequestError):
            await nio.auth.token(username="u", password="p")
    assert other.calls.last.request.headers["authorization"] == "Token secret-token"
    assert "authorization" not in login.calls.last.request.headers
