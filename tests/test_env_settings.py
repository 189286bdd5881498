"""Settings from the environment, for every vendor; origins given as URLs; the TLS hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import aiospaces
from aiospaces.cli import app as cli
from aiospaces.core.settings import BaseConfig, env_bool, env_float, env_int
from aiospaces.emulator import Emulator
from aiospaces.mux import MuxConfig
from aiospaces.neuroio import NeuroIOConfig
from aiospaces.pubnub import PubNubConfig
from aiospaces.pubnub_admin import PubNubAdminConfig

PUBNUB_ENV = {
    "PUBNUB_SUBSCRIBE_KEY": "sub-c-env",
    "PUBNUB_PUBLISH_KEY": "pub-c-env",
    "PUBNUB_SECRET_KEY": "sec-c-hunter2",
    "PUBNUB_USER_ID": "env-user",
    "PUBNUB_AUTH_KEY": "auth-hunter2",
    "PUBNUB_TOKEN": "token-hunter2",
    "PUBNUB_ORIGIN": "127.0.0.1:8089",
    "PUBNUB_SSL": "false",
    "PUBNUB_CIPHER_KEY": "cipher-hunter2",
    "PUBNUB_CRYPTO": "legacy",
}
MUX_ENV = {
    "MUX_TOKEN_ID": "tok-id",
    "MUX_TOKEN_SECRET": "tok-hunter2",
    "MUX_BASE_URL": "http://127.0.0.1:8089",
    "MUX_WEBHOOK_SECRET": "hook-hunter2",
}
NEUROIO_ENV = {"NEUROIO_API_TOKEN": "nio-hunter2", "NEUROIO_IAM_URL": "http://127.0.0.1:8089"}
ADMIN_ENV = {
    "PUBNUB_ADMIN_EMAIL": "me@example.com",
    "PUBNUB_ADMIN_PASSWORD": "pw-hunter2",
    "PUBNUB_ADMIN_URL": "http://127.0.0.1:8089/api",
}
ALL_VARS = [*PUBNUB_ENV, *MUX_ENV, *NEUROIO_ENV, *ADMIN_ENV]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ALL_VARS:
        monkeypatch.delenv(var, raising=False)


def setenv(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for var, value in env.items():
        monkeypatch.setenv(var, value)


@pytest.mark.parametrize(
    ("cls", "env", "expected"),
    [
        (
            PubNubConfig,
            PUBNUB_ENV,
            {
                "subscribe_key": "sub-c-env",
                "publish_key": "pub-c-env",
                "secret_key": "sec-c-hunter2",
                "user_id": "env-user",
                "auth_key": "auth-hunter2",
                "token": "token-hunter2",
                "origin": "127.0.0.1:8089",
                "ssl": False,
                "cipher_key": "cipher-hunter2",
                "crypto": "legacy",
            },
        ),
        (
            MuxConfig,
            MUX_ENV,
            {
                "token_id": "tok-id",
                "token_secret": "tok-hunter2",
                "base_url": "http://127.0.0.1:8089",
                "webhook_secret": "hook-hunter2",
            },
        ),
        (
            NeuroIOConfig,
            NEUROIO_ENV,
            {"api_token": "nio-hunter2", "iam_url": "http://127.0.0.1:8089"},
        ),
        (
            PubNubAdminConfig,
            ADMIN_ENV,
            {
                "email": "me@example.com",
                "password": "pw-hunter2",
                "base_url": "http://127.0.0.1:8089",
            },
        ),
    ],
)
def test_every_vendor_reads_every_variable_and_keeps_secrets_out_of_its_repr(
    monkeypatch: pytest.MonkeyPatch,
    cls: type[BaseConfig],
    env: dict[str, str],
    expected: dict[str, Any],
) -> None:
    assert set(cls.env_vars.values()) == set(env)  # the table above is complete
    setenv(monkeypatch, env)
    config = cls.from_env()
    assert {name: getattr(config, name) for name in expected} == expected
    assert "hunter2" not in repr(config)
    # the same from a mapping instead of the process environment
    monkeypatch.undo()
    assert cls.from_env(environ=env) == config


def test_explicit_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    setenv(monkeypatch, {**PUBNUB_ENV, **MUX_ENV, **NEUROIO_ENV, **ADMIN_ENV})
    pn = aiospaces.PubNub(user_id="arg-user", ssl=True, origin="ps.example.com")
    assert (pn.config.user_id, pn.config.ssl, pn.config.origin) == (
        "arg-user",
        True,
        "ps.example.com",
    )
    assert pn.config.subscribe_key == "sub-c-env"
    assert aiospaces.Mux(base_url="https://api.example.com").config.base_url == (
        "https://api.example.com"
    )
    assert aiospaces.NeuroIO(api_token="arg-token").config.api_token == "arg-token"
    admin = aiospaces.PubNubAdmin(email="arg@example.com")
    assert (admin.config.email, admin.config.password) == ("arg@example.com", "pw-hunter2")


@pytest.mark.parametrize(
    ("raw", "ssl"),
    [("1", True), ("TRUE", True), ("yes", True), ("on", True), ("0", False), ("Off", False)],
)
def test_pubnub_ssl_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, ssl: bool) -> None:
    setenv(monkeypatch, {"PUBNUB_SUBSCRIBE_KEY": "sub-c", "PUBNUB_USER_ID": "u", "PUBNUB_SSL": raw})
    assert PubNubConfig.from_env().ssl is ssl


def test_a_bad_variable_is_named_and_a_secret_one_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setenv(monkeypatch, {"PUBNUB_SUBSCRIBE_KEY": "sub-c", "PUBNUB_USER_ID": "u"})
    monkeypatch.setenv("PUBNUB_SSL", "maybe")
    with pytest.raises(aiospaces.ValidationError, match=r"PUBNUB_SSL must be one of .*'maybe'"):
        PubNubConfig.from_env()
    monkeypatch.setenv("PUBNUB_SSL", "")  # empty counts as unset
    assert PubNubConfig.from_env().ssl is True
    env = {"PUBNUB_SUBSCRIBE_KEY": "sub-c", "PUBNUB_USER_ID": "u", "PUBNUB_TOKEN": "hunter2 x"}
    with pytest.raises(aiospaces.ValidationError) as caught:
        PubNubConfig.from_env(environ=env)
    assert "token" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_the_typed_parsers() -> None:
    assert (env_int(" 3 ", "N"), env_float("0.5", "F"), env_bool("No", "B")) == (3, 0.5, False)
    with pytest.raises(aiospaces.ValidationError, match=r"N must be a whole number, not '3\.5'"):
        env_int("3.5", "N")
    with pytest.raises(aiospaces.ValidationError, match="F must be a number, not 'fast'"):
        env_float("fast", "F")


@pytest.mark.parametrize(
    ("origin", "host", "ssl"),
    [
        ("http://127.0.0.1:8089", "127.0.0.1:8089", False),
        ("http://127.0.0.1:8089/", "127.0.0.1:8089", False),
        ("HTTPS://ps.example.com", "ps.example.com", True),
        ("https://[::1]:8443", "[::1]:8443", True),
        ("ps.example.com:8080", "ps.example.com:8080", True),
    ],
)
def test_an_origin_url_gives_the_host_and_ssl(origin: str, host: str, ssl: bool) -> None:
    config = aiospaces.PubNub(subscribe_key="sub-c", user_id="u", origin=origin).config
    assert (config.origin, config.ssl) == (host, ssl)
    assert config.base_url == f"{'https' if ssl else 'http'}://{host}"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"origin": "ftp://127.0.0.1"}, "must start with http:// or https://"),
        ({"origin": "http://127.0.0.1:8089/v2"}, "no user, path, query or fragment"),
        ({"origin": "http://u:hunter2@127.0.0.1"}, "no user, path, query or fragment"),
        ({"origin": "http://127.0.0.1:99999"}, "port from 1 to 65535"),
        ({"origin": "http://127.0.0.1:8089", "ssl": True}, "drop ssl"),
        ({"origin": "https://127.0.0.1", "ssl": False}, "drop ssl"),
    ],
)
def test_an_origin_url_that_cannot_be_understood_is_rejected_with_a_hint(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(aiospaces.ValidationError, match=message) as caught:
        aiospaces.PubNub(subscribe_key="sub-c", user_id="u", **settings)
    assert "hunter2" not in str(caught.value)


def test_an_origin_url_from_the_environment_and_an_explicit_ssl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setenv(monkeypatch, {"PUBNUB_ORIGIN": "http://127.0.0.1:8089", "PUBNUB_SSL": "true"})
    with pytest.raises(aiospaces.ValidationError, match="drop ssl"):  # contradict each other
        PubNubConfig.from_env({"subscribe_key": "s", "user_id": "u"})
    monkeypatch.delenv("PUBNUB_SSL")
    config = PubNubConfig.from_env({"subscribe_key": "s", "user_id": "u"})
    assert (config.origin, config.ssl) == ("127.0.0.1:8089", False)
    explicit = PubNubConfig.from_env({"subscribe_key": "s", "user_id": "u", "ssl": True})
    assert (explicit.origin, explicit.ssl) == ("127.0.0.1:8089", True)  # the argument wins


def test_the_config_class_itself_takes_only_a_host_and_says_how() -> None:
    with pytest.raises(aiospaces.ValidationError, match=r"pass '127.0.0.1:8089' \(and ssl=False"):
        PubNubConfig(subscribe_key="s", user_id="u", origin="http://127.0.0.1:8089")


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
async def test_an_app_reaches_a_served_emulator_through_the_environment_alone(
    monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    emulator = Emulator()
    with emulator.serve() as url:
        setenv(
            monkeypatch,
            {"PUBNUB_SUBSCRIBE_KEY": "sub-c-env", "PUBNUB_USER_ID": "env", "PUBNUB_ORIGIN": url},
        )
        async with aiospaces.Session(backend=backend) as session:  # type: ignore[arg-type]
            pn = session.pubnub()
            await pn.create_space(space_id="room", name="Room")
            assert (await pn.fetch_space(space_id="room")).name == "Room"


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
async def test_https_against_a_plain_http_server_says_so_and_is_not_retried(
    backend: str,
) -> None:
    emulator = Emulator()
    with emulator.serve() as url:
        host = url.split("://", 1)[1]
        async with aiospaces.Session(backend=backend, retries=3) as session:  # type: ignore[arg-type]
            pn = session.pubnub(subscribe_key="sub-c", user_id="u", origin=host)  # ssl: default
            with pytest.raises(aiospaces.TransportError) as caught:
                await pn.fetch_spaces().limit(1)
    message = str(caught.value)
    assert "the server speaks plain HTTP: use ssl=False or an http:// origin" in message
    assert "https://127.0.0.1" in message
    assert caught.value.attempts == 1


def test_the_command_line_reaches_the_emulator_through_the_environment_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"a" * 1000)
    emulator = Emulator()
    with emulator.serve() as url:
        setenv(
            monkeypatch,
            {
                "PUBNUB_SUBSCRIBE_KEY": "sub-c-cli",
                "PUBNUB_PUBLISH_KEY": "pub-c-cli",
                "PUBNUB_USER_ID": "cli",
                "PUBNUB_ORIGIN": url,  # http://…: ssl off, no --origin or --no-ssl needed
            },
        )
        upload = ["files", "upload", str(source), "--channel", "docs"]
        result = CliRunner().invoke(cli, upload)
        assert result.exit_code == 0, result.output
        assert [s.key.rsplit("/", 1)[-1] for s in emulator.storage.list("")] == ["a.bin"]
        forced = CliRunner().invoke(cli, [*upload, "--ssl"])  # the option wins over the URL
    assert forced.exit_code == 1
    assert "the server speaks plain HTTP" in " ".join(forced.output.split())
