"""`aiospaces functions deploy` against a served emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiospaces.cli import app
from aiospaces.emulator import Emulator
from aiospaces.emulator.admin import AdminEmulation
from aiospaces.pubnub_admin import Block, PubNubAdmin

runner = CliRunner()
EMAIL, PASSWORD = "cli@example.com", "pw"


@pytest.fixture
def block(emulator: Emulator, emulator_url: str) -> tuple[int, int]:
    admin = emulator.vendors["pubnub_admin"]
    assert isinstance(admin, AdminEmulation)
    admin.state_delay = 0  # the state follows at once: no polling

    async def make() -> tuple[int, int]:
        async with PubNubAdmin(email=EMAIL, password=PASSWORD, base_url=emulator_url) as adm:
            key = (await adm.list_apps())[0].keys[0].id
            created = await adm.create_block(key_id=key, name="cli")
            return key, created.id

    return asyncio.run(make())


def fetch(emulator_url: str, key: int, block_id: int) -> Block:
    async def get() -> Block:
        async with PubNubAdmin(email=EMAIL, password=PASSWORD, base_url=emulator_url) as adm:
            return await adm.get_block(key_id=key, block_id=block_id)

    return asyncio.run(get())


def test_deploy_creates_then_updates_and_restarts(
    block: tuple[int, int], emulator_url: str, tmp_path: Path
) -> None:
    key, block_id = block
    source = tmp_path / "hello.js"
    source.write_text("export default (req, res) => res.send('hi');\n")
    args = [
        "functions", "deploy", "--key-id", str(key), "--block-id", str(block_id),
        "--event", "js-on-rest", "--path", "hello", str(source),
        "--email", EMAIL, "--password", PASSWORD,
        "--base-url", emulator_url,
    ]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.output.startswith("created handler 'hello' (id ")
    assert first.output.rstrip().endswith(f"on block {block_id}; block running")

    source.write_text("export default (req, res) => res.send('hi again');\n")
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert second.output.startswith("updated handler 'hello'")
    deployed = fetch(emulator_url, key, block_id)
    assert deployed.state == "running"
    assert [h.code for h in deployed.event_handlers] == [source.read_text()]


def test_deploy_reads_credentials_from_the_environment(
    block: tuple[int, int], emulator_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, block_id = block
    monkeypatch.setenv("PUBNUB_ADMIN_EMAIL", EMAIL)
    monkeypatch.setenv("PUBNUB_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("PUBNUB_ADMIN_URL", emulator_url + "/api")
    source = tmp_path / "moderate.js"
    source.write_text("export default (request) => request.ok();\n")
    result = runner.invoke(
        app,
        ["functions", "deploy", "--key-id", str(key), "--block-id", str(block_id),
         "--event", "js-before-publish", "--channels", "chat.*", str(source)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created handler 'moderate'")


def test_deploy_reports_a_failed_start_with_its_stack(
    block: tuple[int, int], emulator_url: str, tmp_path: Path
) -> None:
    key, block_id = block
    source = tmp_path / "broken.js"
    source.write_text("function broken(\n")
    result = runner.invoke(
        app,
        ["functions", "deploy", "--key-id", str(key), "--block-id", str(block_id),
         "--event", "js-on-rest", "--path", "broken", str(source), "--base-url", emulator_url,
         "--email", EMAIL, "--password", PASSWORD],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "no default export" in result.output
    assert "SyntaxError" in result.output


def test_deploy_with_a_wrong_password_fails_cleanly(
    block: tuple[int, int], emulator_url: str, tmp_path: Path
) -> None:
    key, block_id = block
    source = tmp_path / "x.js"
    source.write_text("export default () => 1;\n")
    result = runner.invoke(
        app,
        ["functions", "deploy", "--key-id", str(key), "--block-id", str(block_id),
         "--event", "js-on-rest", "--path", "x", str(source), "--base-url", emulator_url,
         "--email", EMAIL, "--password", "wrong"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Invalid email or password." in result.output
