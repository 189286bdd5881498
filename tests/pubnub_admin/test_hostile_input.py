"""Hostile input to the PubNub Admin client: ids, code files, deploys, odd portal answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import respx

import aiospaces
from aiospaces.pubnub_admin import PubNubAdmin
from tests.pubnub_admin.test_wire import BASE, KEY, block_wire, client, login_body

Call = Callable[[PubNubAdmin, Any], Any]
IDS: list[Call] = [
    lambda adm, bad: adm.get_block(key_id=bad, block_id=5),
    lambda adm, bad: adm.delete_block(key_id=44, block_id=bad),
    lambda adm, bad: adm.start_block(key_id=44).block_id(bad),
    lambda adm, bad: adm.delete_event_handler(key_id=44, handler_id=bad),
    lambda adm, bad: adm.list_blocks().key_id(bad),
    lambda adm, bad: adm.list_apps(owner_id=bad),
    lambda adm, bad: adm.stop_block(key_id=44, block_id=bad).wait(),
]


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "5", ".", "..", None, 2**63, float("nan")])
@pytest.mark.parametrize("call", IDS)
@respx.mock
async def test_bad_ids_never_reach_the_network_not_even_the_login(call: Call, bad: Any) -> None:
    anything = respx.route().respond(200, json=login_body())
    async with client() as adm:
        with pytest.raises(aiospaces.ValidationError, match="_id"):
            await call(adm, bad)
    assert not anything.called


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("a\x00b.js", "NUL"),
        ("x\ud800.js", "surrogate"),
        (5, "path"),
        (b"bytes.js", "path"),
        ("", "cannot read"),
        (".", "cannot read"),
        ("/no/such/handler.js", "cannot read"),
    ],
)
@respx.mock
async def test_code_files_that_are_no_path_are_validation_errors(path: Any, match: str) -> None:
    anything = respx.route().respond(200, json=login_body())
    async with client() as adm:
        builder = adm.create_event_handler(key_id=44, block_id=5, name="h", event="js-on-rest")
        with pytest.raises(aiospaces.ValidationError, match=match):
            await builder.path("h").code_file(path)
    assert not anything.called


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"name": "\ud800"}, "name"),
        ({"channels": 5}, "channels"),
        ({"path": ""}, "path"),
        ({"key_id": "44"}, "key_id"),
        ({"block_id": 0}, "block_id"),
        ({"timeout": float("nan")}, "timeout"),
        ({"code": b"export default 1"}, "code"),
        ({"code": None, "code_file": "a\x00b"}, "NUL"),
        ({"event": "js-on-anything"}, "event"),
    ],
)
@respx.mock
async def test_a_deploy_checks_every_argument_before_its_first_request(
    arguments: dict[str, Any], named: str
) -> None:
    anything = respx.route().respond(200, json=login_body())
    settings: dict[str, Any] = {
        "key_id": 44,
        "block_id": 5,
        "event": "js-on-rest",
        "path": "hello",
        "code": "export default () => 1",
        **arguments,
    }
    async with client() as adm:
        with pytest.raises(aiospaces.ValidationError, match=named):
            await adm.deploy_event_handler(**settings)
    assert not anything.called


@pytest.mark.parametrize(
    ("route", "answer", "call"),
    [
        ("/block/5", {"payload": []}, lambda adm: adm.get_block(key_id=44, block_id=5)),
        ("/block/5", {"payload": "five"}, lambda adm: adm.get_block(key_id=44, block_id=5)),
        ("/block", [block_wire()], lambda adm: adm.list_blocks(key_id=44)),
        ("/block", {"payload": {"5": block_wire()}}, lambda adm: adm.list_blocks(key_id=44)),
        (
            "/block/5",
            {"payload": block_wire(id="five", event_handlers={"h": 1})},
            lambda adm: adm.get_block(key_id=44, block_id=5),
        ),
    ],
)
async def test_an_odd_portal_answer_is_an_unexpected_response_error(
    route: str, answer: Any, call: Callable[[PubNubAdmin], Any]
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/api/me").respond(200, json=login_body())
        router.route(url__startswith=KEY + route).respond(
            200, json=answer, headers={"x-request-id": "req-odd"}
        )
        async with client() as adm:
            with pytest.raises(aiospaces.UnexpectedResponseError) as caught:
                await call(adm)
    assert (caught.value.vendor, caught.value.request_id) == ("pubnub_admin", "req-odd")


@pytest.mark.parametrize("token", ["tök-secret", "tok secret", None, "", ["tok"]])
async def test_a_session_token_that_cannot_be_a_header_is_an_odd_answer(token: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/api/me").respond(200, json=login_body(token=token))
        blocks = router.get(f"{KEY}/block").respond(200, json={"payload": []})
        async with client() as adm:
            with pytest.raises(aiospaces.UnexpectedResponseError) as caught:
                await adm.list_blocks(key_id=44)
    assert "secret" not in str(caught.value)
    assert not blocks.called


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"base_url": 0.0}, "base_url"),
        ({"base_url": "https://admin.example:0"}, "base_url"),
        ({"password": "pw\ud800hunter2"}, "password"),
        ({"password": b"hunter2"}, "password"),
        ({"refresh_margin": float("inf")}, "refresh_margin"),
        ({"config": object()}, "config"),
    ],
)
def test_bad_settings_fail_at_construction_without_echoing_the_password(
    settings: dict[str, Any], named: str
) -> None:
    make: Callable[..., PubNubAdmin] = PubNubAdmin if "config" in settings else client
    with pytest.raises(aiospaces.ValidationError, match=named) as caught:
        make(**settings)
    assert "hunter2" not in str(caught.value)


def test_a_handler_code_file_is_read_when_the_call_runs(tmp_path: Path) -> None:
    code = tmp_path / "hello.js"
    code.write_text("export default () => 1", encoding="utf-8")
    builder = client().create_event_handler(key_id=44, block_id=5, name="h", event="js-on-rest")
    builder._quiet()  # looked at, not run
    assert builder.path("h").code_file(code) is builder
