"""The PubNub Admin client against the emulator: the block lifecycle, sessions, conflicts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import aiospaces
from aiospaces.core import polling
from aiospaces.emulator import Emulator
from aiospaces.emulator.admin import AdminEmulation
from aiospaces.pubnub_admin import BlockStateError, PubNubAdmin

HELLO = "export default (request, response) => response.send('hello');\n"
HELLO_2 = 'export default (request, response) => response.send("hello \\"again\\"");\n'


class Recorder(httpx.AsyncBaseTransport):
    """Pass requests to the emulator and remember them."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if (r.method, r.url.path) == (method, path))


@pytest.fixture
def admin(emulator: Emulator) -> AdminEmulation:
    vendor = emulator.vendors["pubnub_admin"]
    assert isinstance(vendor, AdminEmulation)
    return vendor


@pytest.fixture
def clock(admin: AdminEmulation, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A fake clock: blocks take 1 s to change state; waiting advances the clock instantly."""
    now = [0.0]
    admin.clock = lambda: now[0]
    admin.state_delay = 1.0
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(polling, "_sleep", fake_sleep)
    return slept


@pytest.fixture
def recorder(emulator: Emulator) -> Recorder:
    return Recorder(emulator.transport())


@pytest.fixture
async def adm(recorder: Recorder, emulator: Emulator) -> AsyncIterator[PubNubAdmin]:
    async with aiospaces.Session(transport=recorder) as session:
        yield session.pubnub_admin(
            email="dev@example.com", password="correct horse", base_url="http://emu"
        )


async def key_id(adm: PubNubAdmin) -> int:
    apps = await adm.list_apps()
    return apps[0].keys[0].id


async def test_block_lifecycle(adm: PubNubAdmin, clock: list[float], tmp_path: Path) -> None:
    me = await adm.login()
    accounts = await adm.list_accounts()
    assert accounts[0].id == me.user.account_id
    apps = await adm.list_apps()
    assert [(a.name, [k.name for k in a.keys]) for a in apps] == [
        ("My First App", ["Default Keyset"])
    ]
    key = apps[0].keys[0].id

    block = await adm.create_block(key_id=key, name="greeter", description="says hello")
    assert (block.state, block.intended_state, block.event_handlers) == ("stopped", "stopped", [])
    source = tmp_path / "hello.js"
    source.write_text(HELLO)
    handler = await adm.create_event_handler(
        key_id=key, block_id=block.id, name="hello", event="js-on-rest", path="hello"
    ).code_file(source)
    assert (handler.code, handler.path, handler.type) == (HELLO, "hello", "js")

    running = await adm.start_block(key_id=key, block_id=block.id).wait(timeout=30)
    assert (running.state, running.intended_state) == ("running", "running")
    assert clock == [0.1, 0.2, 0.4, 0.8]  # polled with backoff until 1 s had passed

    # change the code of a running block: the portal wants it stopped first
    with pytest.raises(aiospaces.ConflictError, match="stop it"):
        await adm.update_event_handler(key_id=key, handler_id=handler.id, code=HELLO_2)
    await adm.stop_block(key_id=key, block_id=block.id).wait()
    saved = await adm.update_event_handler(key_id=key, handler_id=handler.id).code(HELLO_2)
    assert saved.code == HELLO_2
    await adm.start_block(key_id=key, block_id=block.id).wait()
    fetched = await adm.get_block(key_id=key, block_id=block.id)
    assert fetched.state == "running"
    assert [h.code for h in fetched.event_handlers] == [HELLO_2]

    stopped = await adm.stop_block(key_id=key, block_id=block.id).wait()
    assert stopped.state == "stopped"
    await adm.delete_event_handler(key_id=key, handler_id=handler.id)
    await adm.delete_block(key_id=key, block_id=block.id)
    assert await adm.list_blocks(key_id=key) == []
    with pytest.raises(aiospaces.NotFoundError):
        await adm.get_block(key_id=key, block_id=block.id)


async def test_deploy_creates_then_updates_and_restarts(
    adm: PubNubAdmin, clock: list[float], tmp_path: Path
) -> None:
    key = await key_id(adm)
    block = await adm.create_block(key_id=key, name="api")
    source = tmp_path / "echo.js"
    source.write_text(HELLO)
    first = await adm.deploy_event_handler(
        key_id=key, block_id=block.id, event="js-on-rest", path="echo", code_file=source
    )
    assert (first.created, first.restarted, first.block.state) == (True, False, "running")
    assert first.handler.name == "echo"
    second = await adm.deploy_event_handler(
        key_id=key, block_id=block.id, event="js-on-rest", path="echo", code=HELLO_2
    )
    assert (second.created, second.restarted, second.block.state) == (False, True, "running")
    assert second.handler.id == first.handler.id
    assert [h.code for h in second.block.event_handlers] == [HELLO_2]
    third = await adm.deploy_event_handler(
        key_id=key, block_id=block.id, event="js-before-publish", channels="chat.*", code=HELLO
    )
    assert third.handler.name == "js-before-publish"
    assert len(third.block.event_handlers) == 2
    with pytest.raises(aiospaces.ValidationError, match="exactly one"):
        await adm.deploy_event_handler(key_id=key, block_id=block.id, event="js-on-rest")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"event": "js-after-publish", "path": "echo"}, "only for js-on-rest"),
        ({"event": "js-on-rest", "name": "other"}, "needs a path"),
        ({"event": "js-after-publish", "name": "new"}, "needs channels"),
    ],
)
async def test_deploy_checks_the_handler_before_stopping_a_running_block(
    adm: PubNubAdmin, admin: AdminEmulation, recorder: Recorder, kwargs: dict[str, Any], match: str
) -> None:
    admin.state_delay = 0
    key = await key_id(adm)
    block = await adm.create_block(key_id=key, name="api")
    await adm.deploy_event_handler(
        key_id=key, block_id=block.id, event="js-on-rest", path="echo", code=HELLO
    )
    stop = f"/api/v1/blocks/key/{key}/block/{block.id}/stop"
    with pytest.raises(aiospaces.ValidationError, match=match):
        await adm.deploy_event_handler(key_id=key, block_id=block.id, code=HELLO_2, **kwargs)
    assert recorder.count("POST", stop) == 0
    after = await adm.get_block(key_id=key, block_id=block.id)
    assert after.state == "running"
    assert [h.code for h in after.event_handlers] == [HELLO]


async def test_a_handler_that_does_not_compile_fails_the_start(adm: PubNubAdmin) -> None:
    """The emulator's stand-in for a JS error: a handler without ``export default``."""
    key = await key_id(adm)
    block = await adm.create_block(key_id=key, name="broken")
    await adm.create_event_handler(
        key_id=key,
        block_id=block.id,
        name="bad",
        event="js-before-publish",
        channels="chat",
        code="function broken(",
    )
    with pytest.raises(BlockStateError) as caught:
        await adm.start_block(key_id=key, block_id=block.id).wait()
    assert "no default export" in caught.value.message
    assert caught.value.stack is not None
    assert caught.value.stack.startswith("SyntaxError")
    assert (await adm.get_block(key_id=key, block_id=block.id)).intended_state == "stopped"


async def test_expired_session_logs_in_again_once(
    adm: PubNubAdmin, admin: AdminEmulation, recorder: Recorder
) -> None:
    key = await key_id(adm)
    admin.expire_sessions()
    assert await adm.list_blocks(key_id=key) == []
    assert recorder.count("POST", "/api/me") == 2
    assert recorder.count("GET", f"/api/v1/blocks/key/{key}/block") == 2  # one 401, one retry
    statuses = [r.headers.get("x-session-token") for r in recorder.requests[-2:]]
    assert statuses[0] != statuses[1]


async def test_short_sessions_are_renewed_before_they_expire(
    adm: PubNubAdmin, admin: AdminEmulation, recorder: Recorder
) -> None:
    admin.session_lifetime = 60  # less than the client's 300 s refresh margin
    key = await key_id(adm)
    await adm.list_blocks(key_id=key)
    await adm.list_blocks(key_id=key)
    assert recorder.count("POST", "/api/me") == 3
    assert recorder.count("GET", f"/api/v1/blocks/key/{key}/block") == 2  # never a 401


async def test_wrong_password_is_a_typed_error_without_a_retry_loop(
    adm: PubNubAdmin, recorder: Recorder
) -> None:
    await adm.login()  # the sandbox provisions dev@example.com with this password
    async with aiospaces.Session(transport=recorder) as session:
        wrong = session.pubnub_admin(
            email="dev@example.com", password="wrong", base_url="http://emu"
        )
        with pytest.raises(aiospaces.AuthenticationError) as caught:
            await wrong.list_apps()
    assert caught.value.status_code == 400
    assert caught.value.message == "Invalid email or password."
    assert recorder.count("POST", "/api/me") == 2
    assert recorder.count("GET", "/api/apps") == 0


@pytest.mark.emulator(strict=True)
async def test_strict_mode_accepts_only_seeded_users(
    admin: AdminEmulation, emulator: Emulator
) -> None:
    seeded = admin.seed(
        {"email": "ops@example.com", "password": "pw", "apps": [{"name": "Prod", "keys": ["a"]}]}
    )
    async with aiospaces.Session(transport=emulator.transport()) as session:
        stranger = session.pubnub_admin(email="x@example.com", password="pw", base_url="http://e")
        with pytest.raises(aiospaces.AuthenticationError):
            await stranger.login()
        settings = emulator.settings("http://e")["pubnub_admin"]
        ops = session.pubnub_admin(**settings)
        apps = await ops.list_apps()
    assert [a.id for a in apps] == [seeded["apps"][0]["id"]]
    assert apps[0].keys[0].name == "a"


async def test_another_accounts_keyset_is_forbidden(
    adm: PubNubAdmin, emulator: Emulator, recorder: Recorder
) -> None:
    mine = await key_id(adm)
    async with aiospaces.Session(transport=recorder) as session:
        other = session.pubnub_admin(email="eve@example.com", password="pw", base_url="http://e")
        with pytest.raises(aiospaces.PermissionDeniedError, match="Insufficient rights"):
            await other.list_blocks(key_id=mine)
        with pytest.raises(aiospaces.NotFoundError, match="Key not found"):
            await other.list_blocks(key_id=99999)
    # 403 is treated like an expired session: one new login, one retry, then the error
    assert recorder.count("GET", f"/api/v1/blocks/key/{mine}/block") == 2


async def test_conflicts_and_stop_block_empty(adm: PubNubAdmin, clock: list[float]) -> None:
    key = await key_id(adm)
    block = await adm.create_block(key_id=key, name="b")
    with pytest.raises(aiospaces.BadRequestError) as empty:
        await adm.stop_block(key_id=key, block_id=block.id)
    assert empty.value.error_type == "STOP_BLOCK_EMPTY"
    assert (await adm.stop_block(key_id=key, block_id=block.id).wait()).state == "stopped"
    with pytest.raises(aiospaces.BadRequestError, match="no event handlers"):
        await adm.start_block(key_id=key, block_id=block.id)

    made: dict[str, Any] = {"key_id": key, "block_id": block.id, "event": "js-on-rest"}
    await adm.create_event_handler(**made, name="a", path="p", code=HELLO)
    with pytest.raises(aiospaces.ConflictError, match="already exists"):
        await adm.create_event_handler(**made, name="a", path="q", code=HELLO)
    other = await adm.create_block(key_id=key, name="other")
    with pytest.raises(aiospaces.ConflictError, match="already used"):
        await adm.create_event_handler(
            **{**made, "block_id": other.id}, name="z", path="p", code=HELLO
        )

    await adm.start_block(key_id=key, block_id=block.id)  # still starting: the clock stands
    with pytest.raises(aiospaces.ConflictError, match="is starting"):
        await adm.stop_block(key_id=key, block_id=block.id)
    with pytest.raises(BlockStateError, match="is starting"):
        await adm.stop_block(key_id=key, block_id=block.id).wait()
    with pytest.raises(aiospaces.ConflictError, match="stop it before you delete it"):
        await adm.delete_block(key_id=key, block_id=block.id)
    with pytest.raises(aiospaces.ConflictError, match="add event handlers"):
        await adm.create_event_handler(**made, name="b", path="r", code=HELLO)
    await adm.start_block(key_id=key, block_id=block.id).wait()
    await adm.start_block(key_id=key, block_id=block.id).wait()  # already running: no-op
    await adm.stop_block(key_id=key, block_id=block.id)
    with pytest.raises(aiospaces.ConflictError, match="is stopping"):
        await adm.start_block(key_id=key, block_id=block.id)


async def test_renaming_is_allowed_while_running(adm: PubNubAdmin, admin: AdminEmulation) -> None:
    admin.state_delay = 0  # state follows at once: no polling
    key = await key_id(adm)
    block = await adm.create_block(key_id=key, name="b")
    handler = await adm.create_event_handler(
        key_id=key, block_id=block.id, name="h", event="js-after-publish", channels="c", code=HELLO
    )
    await adm.start_block(key_id=key, block_id=block.id).wait()
    renamed = await adm.update_event_handler(key_id=key, handler_id=handler.id, name="h2")
    assert renamed.name == "h2"
    await adm.update_block(key_id=key, block_id=block.id, name="b2", description="new")
    fetched = await adm.get_block(key_id=key, block_id=block.id)
    assert (fetched.name, fetched.description) == ("b2", "new")
