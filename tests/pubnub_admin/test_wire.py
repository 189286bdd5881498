"""Exact requests of the PubNub Admin calls (respx), and every error shape they meet."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core import attempts as core_attempts
from aiospaces.core import polling
from aiospaces.pubnub_admin import (
    Block,
    BlockStateError,
    BlockTimeoutError,
    EventHandler,
    PubNubAdmin,
    PubNubAdminConfig,
)

BASE = "https://admin.example"
KEY = f"{BASE}/api/v1/blocks/key/44"
TOKEN = "tok-0123456789"


def login_body(token: str = TOKEN, expires_in: int = 30 * 86400) -> dict[str, Any]:
    now = int(time.time())
    return {
        "result": {
            "created": now,
            "modified": now,
            "expires": now + expires_in,
            "token": token,
            "role": "user",
            "status": 1,
            "storage": {},
            "user": {"id": 7, "email": "me@example.com", "account_id": 9, "created": now},
            "user_id": 7,
            "user_roles": {},
        }
    }


def block_wire(state: str = "stopped", intended: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": 5,
        "key_id": 44,
        "name": "chat",
        "description": "d",
        "state": state,
        "intended_state": intended or state,
        "pub_key": "pub-c-1",
        "sub_key": "sub-c-1",
        "event_handlers": [],
        **extra,
    }


HANDLER = {
    "id": 8,
    "key_id": 44,
    "block_id": 5,
    "name": "hello",
    "event": "js-on-rest",
    "channels": None,
    "code": "export default () => 1",
    "path": "hello",
    "type": "js",
    "output": "hello-debug-console",
    "log_level": "debug",
}


def client(**extra: Any) -> PubNubAdmin:
    settings: dict[str, Any] = {"email": "me@example.com", "password": "pw", "base_url": BASE}
    return PubNubAdmin(**{**settings, **extra})


@pytest.fixture
def mock() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/api/me", name="login").mock(
            return_value=httpx.Response(200, json=login_body())
        )
        yield router


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(polling, "_sleep", fake_sleep)
    monkeypatch.setattr(core_attempts, "_sleep", fake_sleep)
    return slept


def sent(route: respx.Route) -> httpx.Request:
    request: httpx.Request = route.calls.last.request
    return request


# -- login and the session token ------------------------------------------------------------------


async def test_login_request_and_result(mock: respx.Router) -> None:
    async with client() as adm:
        me = await adm.login()
    request = sent(mock["login"])
    assert request.url == f"{BASE}/api/me"
    assert request.content == b'{"email":"me@example.com","password":"pw"}'
    assert request.headers["content-type"] == "application/json"
    assert "x-session-token" not in request.headers
    assert (me.user_id, me.user.account_id, me.role) == (7, 9, "user")
    assert TOKEN not in repr(me)
    assert me.expires.timestamp() > time.time()


async def test_login_with_other_credentials(mock: respx.Router) -> None:
    async with client() as adm:
        await adm.login(email="other@example.com").password('x"y')
    assert sent(mock["login"]).content == b'{"email":"other@example.com","password":"x\\"y"}'


async def test_every_call_carries_the_session_token_and_logs_in_once(mock: respx.Router) -> None:
    route = mock.get("/api/accounts").mock(
        return_value=httpx.Response(
            200, json={"result": {"accounts": [{"id": 9, "owner_id": 7, "email": "e"}]}}
        )
    )
    async with client() as adm:
        first = await adm.list_accounts()
        await adm.list_accounts(user_id=12)
    assert first[0].id == 9
    assert mock["login"].call_count == 1
    assert [c.request.url.query for c in route.calls] == [b"user_id=7", b"user_id=12"]
    assert all(c.request.headers["x-session-token"] == TOKEN for c in route.calls)


async def test_concurrent_calls_share_one_login(mock: respx.Router) -> None:
    import anyio

    mock.get("/api/v1/blocks/key/44/block").mock(
        return_value=httpx.Response(200, json={"payload": []})
    )
    async with client() as adm, anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(adm.list_blocks(key_id=44).result)
    assert mock["login"].call_count == 1


async def test_token_near_expiry_is_renewed_before_the_call(mock: respx.Router) -> None:
    mock["login"].side_effect = [
        httpx.Response(200, json=login_body("short", expires_in=100)),
        httpx.Response(200, json=login_body("long")),
    ]
    route = mock.get("/api/v1/blocks/key/44/block").mock(
        return_value=httpx.Response(200, json={"payload": []})
    )
    async with client() as adm:  # refresh_margin 300 s > 100 s left
        await adm.list_blocks(key_id=44)
        await adm.list_blocks(key_id=44)
    assert mock["login"].call_count == 2  # the short-lived token is used once, then renewed
    assert [c.request.headers["x-session-token"] for c in route.calls] == ["short", "long"]


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_token_logs_in_again_and_retries_once(
    mock: respx.Router, status: int
) -> None:
    mock["login"].side_effect = [
        httpx.Response(200, json=login_body("old")),
        httpx.Response(200, json=login_body("new")),
    ]
    route = mock.get("/api/v1/blocks/key/44/block").mock(
        side_effect=[
            httpx.Response(status, json={"error": "Invalid or expired session token."}),
            httpx.Response(200, json={"payload": [block_wire()]}),
        ]
    )
    async with client() as adm:
        blocks = await adm.list_blocks(key_id=44)
    assert blocks[0].id == 5
    assert [c.request.headers["x-session-token"] for c in route.calls] == ["old", "new"]


async def test_a_second_rejection_is_raised_not_retried_again(mock: respx.Router) -> None:
    route = mock.get("/api/v1/blocks/key/44/block").mock(
        return_value=httpx.Response(401, json={"error": "Invalid or expired session token."})
    )
    async with client() as adm:
        with pytest.raises(aiospaces.AuthenticationError) as caught:
            await adm.list_blocks(key_id=44)
    assert caught.value.message == "Invalid or expired session token."
    assert caught.value.vendor == "pubnub_admin"
    assert (route.call_count, mock["login"].call_count) == (2, 2)


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_wrong_credentials_raise_authentication_error_once(
    mock: respx.Router, status: int
) -> None:
    mock["login"].return_value = httpx.Response(
        status, json={"error": "Invalid email or password."}
    )
    route = mock.get("/api/v1/blocks/key/44/block")
    async with client() as adm:
        with pytest.raises(aiospaces.AuthenticationError) as caught:
            await adm.list_blocks(key_id=44)
    assert (caught.value.status_code, caught.value.message) == (
        status,
        "Invalid email or password.",
    )
    assert mock["login"].call_count == 1
    assert route.call_count == 0


# -- accounts and apps ----------------------------------------------------------------------------


async def test_list_apps_request_and_result(mock: respx.Router) -> None:
    keyset = {
        "id": 44,
        "app_id": 3,
        "publish_key": "pub-c-1",
        "subscribe_key": "sub-c-1",
        "secret_key": "sec-c-1",
        "status": 1,
        "type": 0,
        "created": 1700000000,
        "modified": 1700000000,
        "properties": {"name": "Default"},
    }
    app = {"id": 3, "name": "App", "owner_id": 9, "created": 1700000000, "keys": [keyset]}
    route = mock.get("/api/apps").mock(
        return_value=httpx.Response(200, json={"result": [app], "total": 1})
    )
    async with client() as adm:
        apps = await adm.list_apps()
        await adm.list_apps().owner_id(10).no_keys()
    first, second = (c.request for c in route.calls)
    assert first.url.query == b"owner_id=9"
    assert second.url.query == b"owner_id=10&no_keys=1"
    key = apps[0].keys[0]
    assert (key.id, key.name, key.subscribe_key, key.created) == (
        44,
        "Default",
        "sub-c-1",
        datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
    )
    assert "sec-c-1" not in repr(key)


async def test_accounts_and_apps_need_a_login_for_their_defaults() -> None:
    adm = client()
    with pytest.raises(aiospaces.ValidationError, match="not logged in"):
        adm.list_apps()._quiet()._build()
    with pytest.raises(aiospaces.ValidationError, match="owner_id"):
        adm.list_apps(owner_id=0)
    with pytest.raises(aiospaces.ValidationError, match="user_id"):
        adm.list_accounts().user_id(True)
    await adm.aclose()


# -- blocks ---------------------------------------------------------------------------------------


async def test_block_crud_requests(mock: respx.Router) -> None:
    listing = mock.get("/api/v1/blocks/key/44/block").mock(
        return_value=httpx.Response(200, json={"payload": [block_wire()]})
    )
    get = mock.get("/api/v1/blocks/key/44/block/5").mock(
        return_value=httpx.Response(200, json={"payload": [block_wire()]})
    )
    create = mock.post("/api/v1/blocks/key/44/block").mock(
        return_value=httpx.Response(200, json={"payload": block_wire()})
    )
    update = mock.put("/api/v1/blocks/key/44/block/5").mock(
        return_value=httpx.Response(200, json={"payload": {}})
    )
    delete = mock.delete("/api/v1/blocks/key/44/block/5").mock(
        return_value=httpx.Response(200, json={})
    )
    async with client() as adm:
        assert [b.id for b in await adm.list_blocks(key_id=44)] == [5]
        block = await adm.get_block().key_id(44).block_id(5)
        created = await adm.create_block(key_id=44, name="chat", description="d")
        await adm.update_block(key_id=44, block_id=5, name="renamed")
        await adm.update_block(key_id=44, block_id=5).description("")
        await adm.delete_block(key_id=44, block_id=5)
    assert isinstance(block, Block)
    assert (block.state, block.settled, created.name) == ("stopped", True, "chat")
    assert listing.called
    assert get.called
    assert delete.called
    assert sent(create).content == b'{"key_id":44,"name":"chat","description":"d"}'
    assert sent(create).headers["content-type"] == "application/json"
    bodies = [c.request.content for c in update.calls]
    assert bodies == [
        b'{"key_id":44,"block_id":5,"id":5,"name":"renamed"}',
        b'{"key_id":44,"block_id":5,"id":5,"description":""}',
    ]
    assert sent(delete).content == b""


async def test_get_block_with_an_empty_payload_is_an_error(mock: respx.Router) -> None:
    mock.get("/api/v1/blocks/key/44/block/5").mock(
        return_value=httpx.Response(200, json={"payload": []})
    )
    async with client() as adm:
        with pytest.raises(aiospaces.UnexpectedResponseError, match="no block") as caught:
            await adm.get_block(key_id=44, block_id=5)
    assert (caught.value.status_code, caught.value.body) == (200, {"payload": []})


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda adm: adm.get_block(block_id=5), "key_id"),
        (lambda adm: adm.get_block(key_id=44), "block_id"),
        (lambda adm: adm.get_block(key_id="44", block_id=5), "key_id"),
        (lambda adm: adm.create_block(key_id=44), "name"),
        (lambda adm: adm.create_block(key_id=44, name="n", description=None), "description"),
        (lambda adm: adm.start_block(key_id=44, block_id=-1), "block_id"),
    ],
)
async def test_block_arguments_are_checked_before_any_request(
    mock: respx.Router, call: Any, match: str
) -> None:
    async with client() as adm:
        with pytest.raises(aiospaces.ValidationError, match=match):
            await call(adm)
    assert not mock.calls  # not even the login


def test_update_block_setters_check_their_values() -> None:
    adm = client()
    with pytest.raises(aiospaces.ValidationError, match="name"):
        adm.update_block(name="")
    with pytest.raises(aiospaces.ValidationError, match="description"):
        adm.update_block(description=3)  # type: ignore[arg-type]


async def test_start_and_stop_requests(mock: respx.Router) -> None:
    start = mock.post("/api/v1/blocks/key/44/block/5/start").mock(
        return_value=httpx.Response(200, json={"payload": block_wire("stopped", "running")})
    )
    stop = mock.post("/api/v1/blocks/key/44/block/5/stop").mock(
        return_value=httpx.Response(200, json={"payload": block_wire("running", "stopped")})
    )
    async with client() as adm:
        await adm.start_block(key_id=44, block_id=5)
        await adm.stop_block().key_id(44).block_id(5)
    assert sent(start).content == sent(stop).content == b""
    assert sent(start).headers["x-session-token"] == TOKEN


async def test_wait_polls_with_backoff_until_the_state_settles(
    mock: respx.Router, no_waiting: list[float]
) -> None:
    mock.post("/api/v1/blocks/key/44/block/5/start").mock(
        return_value=httpx.Response(200, json={"payload": {}})
    )
    pending = httpx.Response(200, json={"payload": [block_wire("stopped", "running")]})
    polls = mock.get("/api/v1/blocks/key/44/block/5").mock(
        side_effect=[
            pending,
            pending,
            pending,
            pending,
            pending,
            httpx.Response(200, json={"payload": [block_wire("running")]}),
        ]
    )
    async with client() as adm:
        block = await adm.start_block(key_id=44, block_id=5).wait(timeout=30, interval=0.25)
    assert (block.state, block.intended_state) == ("running", "running")
    assert polls.call_count == 6
    assert no_waiting == [0.25, 0.5, 1.0, 2.0, 2.0]


async def test_wait_times_out_with_a_typed_error(
    mock: respx.Router, no_waiting: list[float]
) -> None:
    mock.post("/api/v1/blocks/key/44/block/5/stop").mock(return_value=httpx.Response(200))
    mock.get("/api/v1/blocks/key/44/block/5").mock(
        return_value=httpx.Response(200, json={"payload": [block_wire("running", "stopped")]})
    )
    async with client() as adm:
        with pytest.raises(BlockTimeoutError) as caught:
            await adm.stop_block(key_id=44, block_id=5).wait(timeout=1.0)
    assert isinstance(caught.value, TimeoutError)
    assert (caught.value.state, caught.value.intended_state) == ("running", "stopped")
    assert no_waiting == [0.1, 0.2, 0.4, pytest.approx(0.3)]


async def test_wait_fails_when_the_intended_state_changes(mock: respx.Router) -> None:
    mock.post("/api/v1/blocks/key/44/block/5/start").mock(return_value=httpx.Response(200))
    mock.get("/api/v1/blocks/key/44/block/5").mock(
        return_value=httpx.Response(200, json={"payload": [block_wire("stopped")]})
    )
    async with client() as adm:
        with pytest.raises(BlockStateError, match="intended_state became 'stopped'") as caught:
            await adm.start_block(key_id=44, block_id=5).wait()
    assert (caught.value.key_id, caught.value.block_id, caught.value.state) == (44, 5, "stopped")
    assert caught.value.stack is None


async def test_a_failed_start_carries_the_message_and_stack(mock: respx.Router) -> None:
    body = {"message": {"text": "Block 5 failed to start", "stack": "SyntaxError: x\n  at h"}}
    mock.post("/api/v1/blocks/key/44/block/5/start").mock(
        return_value=httpx.Response(409, json=body)
    )
    async with client() as adm:
        with pytest.raises(aiospaces.ConflictError) as plain:
            await adm.start_block(key_id=44, block_id=5)
        with pytest.raises(BlockStateError) as waited:
            await adm.start_block(key_id=44, block_id=5).wait()
    assert plain.value.message == "Block 5 failed to start"
    assert plain.value.details == {"stack": "SyntaxError: x\n  at h"}
    assert waited.value.message == "Block 5 failed to start"
    assert waited.value.stack == "SyntaxError: x\n  at h"
    assert waited.value.intended_state == "running"
    assert isinstance(waited.value.__cause__, aiospaces.ConflictError)


async def test_stop_block_empty(mock: respx.Router) -> None:
    body = {"error_code": "STOP_BLOCK_EMPTY"}
    mock.post("/api/v1/blocks/key/44/block/5/stop").mock(
        return_value=httpx.Response(400, json=body)
    )
    mock.get("/api/v1/blocks/key/44/block/5").mock(
        return_value=httpx.Response(200, json={"payload": [block_wire("stopped")]})
    )
    async with client() as adm:
        with pytest.raises(aiospaces.BadRequestError) as caught:
            await adm.stop_block(key_id=44, block_id=5)
        block = await adm.stop_block(key_id=44, block_id=5).wait()
    assert (caught.value.error_type, caught.value.message) == ("STOP_BLOCK_EMPTY",) * 2
    assert block.state == "stopped"


async def test_other_bad_requests_are_not_swallowed_by_wait(mock: respx.Router) -> None:
    mock.post("/api/v1/blocks/key/44/block/5/start").mock(
        return_value=httpx.Response(400, json={"message": "Block 5 has no event handlers."})
    )
    async with client() as adm:
        with pytest.raises(aiospaces.BadRequestError, match="no event handlers"):
            await adm.start_block(key_id=44, block_id=5).wait()


@pytest.mark.parametrize(("deadline", "interval"), [(0, 0.1), (1, 0), (True, 0.1), (1, "x")])
async def test_wait_arguments_are_checked(mock: respx.Router, deadline: Any, interval: Any) -> None:
    async with client() as adm:
        with pytest.raises(aiospaces.ValidationError):
            await adm.start_block(key_id=44, block_id=5).wait(deadline, interval=interval)
    assert not mock.calls


async def test_not_found_and_server_errors(mock: respx.Router) -> None:
    mock.get("/api/v1/blocks/key/44/block/6").mock(
        return_value=httpx.Response(404, json={"message": "Block not found."})
    )
    flaky = mock.get("/api/v1/blocks/key/44/block").mock(
        side_effect=[
            httpx.Response(503, text="busy"),
            httpx.Response(200, json={"payload": []}),
        ]
    )
    async with client() as adm:
        with pytest.raises(aiospaces.NotFoundError, match="Block not found"):
            await adm.get_block(key_id=44, block_id=6)
        envelope = await adm.list_blocks(key_id=44).future()
    assert envelope.status.attempts == 2
    assert flaky.call_count == 2


# -- event handlers -------------------------------------------------------------------------------

CODE = 'export default (request) => {\n  const s = "quote \\" \\\\ ünïcode";\n  return s;\n};\n'


async def test_create_event_handler_sends_the_code_as_json(
    mock: respx.Router, tmp_path: Path
) -> None:
    route = mock.post("/api/v1/blocks/key/44/event_handler").mock(
        return_value=httpx.Response(200, json={"payload": HANDLER})
    )
    source = tmp_path / "hello.js"
    source.write_text(CODE, encoding="utf-8")
    async with client() as adm:
        handler = await adm.create_event_handler(
            key_id=44, block_id=5, name="hello", event="js-on-rest", path="hello", code=CODE
        )
        await (
            adm.create_event_handler()
            .key_id(44)
            .block_id(5)
            .name("chat")
            .event("js-before-publish")
            .channels("chat.*")
            .code_file(source)
            .output("out")
            .log_level("debug")
        )
    assert isinstance(handler, EventHandler)
    first, second = (json.loads(c.request.content) for c in route.calls)
    assert first == {
        "key_id": 44,
        "block_id": 5,
        "name": "hello",
        "event": "js-on-rest",
        "path": "hello",
        "code": CODE,
        "type": "js",
    }
    assert second == {
        "key_id": 44,
        "block_id": 5,
        "name": "chat",
        "event": "js-before-publish",
        "channels": "chat.*",
        "code": CODE,
        "output": "out",
        "log_level": "debug",
        "type": "js",
    }
    assert route.calls[0].request.content.decode().count("ünïcode") == 1  # not \u-escaped


async def test_update_and_delete_event_handler_requests(mock: respx.Router) -> None:
    update = mock.put("/api/v1/blocks/key/44/event_handler/8").mock(
        return_value=httpx.Response(200, json={"payload": HANDLER})
    )
    delete = mock.delete("/api/v1/blocks/key/44/event_handler/8").mock(
        return_value=httpx.Response(200, json={})
    )
    async with client() as adm:
        handler = await adm.update_event_handler(key_id=44, handler_id=8, code="export default 1")
        await adm.update_event_handler(key_id=44, handler_id=8).block_id(5).type("js")
        await adm.delete_event_handler(key_id=44, handler_id=8)
    assert handler.id == 8
    bodies = [c.request.content for c in update.calls]
    assert bodies == [
        b'{"id":8,"key_id":44,"code":"export default 1"}',
        b'{"id":8,"key_id":44,"block_id":5,"type":"js"}',
    ]
    assert sent(delete).headers["x-session-token"] == TOKEN


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "n", "event": "js-before-publish", "code": "c"}, "block_id is required"),
        ({"block_id": 5, "event": "js-on-rest", "path": "p", "code": "c"}, "name is required"),
        ({"block_id": 5, "name": "n", "event": "js-on-rest", "code": "c"}, "needs a path"),
        (
            {"block_id": 5, "name": "n", "event": "js-after-publish", "path": "p", "code": "c"},
            "only",
        ),
        ({"block_id": 5, "name": "n", "event": "js-after-publish"}, "code is required"),
        ({"block_id": 5, "name": "n", "event": "js-after-publish", "code": "c"}, "needs channels"),
        ({"block_id": "5", "name": "n", "event": "js-after-publish", "code": "c"}, "block_id"),
    ],
)
async def test_create_event_handler_validation(
    mock: respx.Router, kwargs: dict[str, Any], match: str
) -> None:
    async with client() as adm:
        with pytest.raises(aiospaces.ValidationError, match=match):
            await adm.create_event_handler(key_id=44, **kwargs)
    assert not mock.calls


async def test_event_handler_setters_and_code_files(mock: respx.Router, tmp_path: Path) -> None:
    adm = client()
    with pytest.raises(aiospaces.ValidationError, match="event must be one of"):
        adm.create_event_handler(event="js-on-publish")
    with pytest.raises(aiospaces.ValidationError, match="code"):
        adm.create_event_handler(code="")
    with pytest.raises(aiospaces.ValidationError, match="handler_id"):
        await adm.update_event_handler(key_id=44, code="c")
    with pytest.raises(aiospaces.ValidationError, match="cannot read the handler code"):
        await adm.update_event_handler(key_id=44, handler_id=8).code_file(tmp_path / "nope.js")
    builder = adm.create_event_handler(key_id=44, block_id=5, name="n", event="js-on-interval")
    builder._quiet()  # looked at, not run
    with pytest.raises(aiospaces.ValidationError, match="not been read"):
        builder.code_file(tmp_path / "x.js")._build()
    update = adm.update_event_handler(key_id=44, handler_id=8)._quiet()
    with pytest.raises(aiospaces.ValidationError, match="not been read"):
        update.code_file(tmp_path / "x.js")._build()
    builder.code("inline")  # a later code() wins over the file
    assert json.loads(builder._build().body)["code"] == "inline"  # type: ignore[arg-type]
    await adm.aclose()
    assert not mock.calls


# -- configuration --------------------------------------------------------------------------------


def test_config_from_env_and_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBNUB_ADMIN_EMAIL", "env@example.com")
    monkeypatch.setenv("PUBNUB_ADMIN_PASSWORD", "s3cret")
    monkeypatch.setenv("PUBNUB_ADMIN_URL", "http://portal.local/api/")
    adm = PubNubAdmin()
    assert adm.config.email == "env@example.com"
    assert adm.config.base_url == "http://portal.local"
    assert "s3cret" not in repr(adm)
    assert "env@example.com" in repr(adm)
    assert PubNubAdmin(email="x@example.com").config.email == "x@example.com"


def test_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBNUB_ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("PUBNUB_ADMIN_PASSWORD", raising=False)
    with pytest.raises(aiospaces.ValidationError, match="PUBNUB_ADMIN_EMAIL"):
        PubNubAdmin(password="p")
    with pytest.raises(aiospaces.ValidationError, match="email"):
        PubNubAdmin(email="", password="p")
    with pytest.raises(TypeError, match="unexpected"):
        PubNubAdmin(email="e", password="p", colour="red")  # type: ignore[call-arg]
    config = PubNubAdminConfig(email="e", password="p")
    assert config.base_url == "https://admin.pubnub.com"
    with pytest.raises(TypeError, match="either config"):
        PubNubAdmin(config=config, email="e")
    assert PubNubAdmin(config=config).config is config


async def test_logged_in_requires_a_login(mock: respx.Router) -> None:
    async with client(timeout=5.0) as adm:
        with pytest.raises(aiospaces.ValidationError, match="not logged in"):
            _ = adm.logged_in
        await adm.login()
        assert adm.logged_in.user_id == 7
    assert sent(mock["login"]).extensions["timeout"]["read"] == 5.0


async def test_from_a_session_shares_its_pool(mock: respx.Router) -> None:
    async with aiospaces.Session() as session:
        adm = session.pubnub_admin(email="me@example.com", password="pw", base_url=BASE)
        await adm.login()
        assert adm.session is session
        await adm.aclose()  # leaves the shared session open
        assert not session.closed
