"""A worker's settings from its environment."""

from __future__ import annotations

import pytest

from aiospaces.core.errors import ValidationError
from aiospaces.distributed.settings import DEFAULT_REDIS_URL, WorkerSettings
from aiospaces.pubnub.config import PubNubConfig

KEYS = {"PUBNUB_SUBSCRIBE_KEY": "sub-c-1", "PUBNUB_USER_ID": "w1"}


@pytest.fixture(autouse=True)
def no_pubnub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PUBNUB_SUBSCRIBE_KEY",
        "PUBNUB_PUBLISH_KEY",
        "PUBNUB_SECRET_KEY",
        "PUBNUB_USER_ID",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_keep_redelivery_within_a_minute() -> None:
    settings = WorkerSettings.from_env({})
    assert settings == WorkerSettings()
    assert settings.redis_url == DEFAULT_REDIS_URL
    assert settings.redelivery_timeout <= 60
    assert settings.lease < settings.redelivery_timeout
    assert settings.concurrency == 8  # as upload_files


def test_every_setting_has_its_variable() -> None:
    env = {
        "AIOSPACES_REDIS_URL": "redis://redis.internal:6380/2",
        "AIOSPACES_QUEUE": "uploads",
        "AIOSPACES_REDELIVERY_TIMEOUT": "12.5",
        "AIOSPACES_LEASE": " 4 ",
        "AIOSPACES_CONCURRENCY": "3",
        "AIOSPACES_RETRIES": "0",
    }
    assert WorkerSettings.from_env(env) == WorkerSettings(
        redis_url="redis://redis.internal:6380/2",
        queue="uploads",
        redelivery_timeout=12.5,
        lease=4.0,
        concurrency=3,
        retries=0,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AIOSPACES_CONCURRENCY", "2.5", "AIOSPACES_CONCURRENCY must be a whole number"),
        ("AIOSPACES_LEASE", "soon", "AIOSPACES_LEASE must be a number"),
        ("AIOSPACES_LEASE", "0", "lease must be a number"),
        ("AIOSPACES_CONCURRENCY", "0", "concurrency must be an int"),
    ],
)
def test_bad_values_are_refused_with_their_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WorkerSettings.from_env({name: value})


def test_the_pubnub_client_reads_the_command_line_variables_and_a_few_more() -> None:
    env = {
        **KEYS,
        "PUBNUB_PUBLISH_KEY": "pub-c-1",
        "PUBNUB_ORIGIN": "127.0.0.1:8089",
        "PUBNUB_SSL": "off",
        "PUBNUB_CIPHER_KEY": "secret",
        "PUBNUB_CRYPTO": "legacy",
    }
    config = PubNubConfig.from_env(environ=env)
    assert (config.subscribe_key, config.publish_key, config.user_id) == (
        "sub-c-1",
        "pub-c-1",
        "w1",
    )
    assert (config.origin, config.ssl, config.cipher_key, config.crypto) == (
        "127.0.0.1:8089", False, "secret", "legacy",
    )  # fmt: skip
    assert PubNubConfig.from_env(environ={**KEYS, "PUBNUB_SSL": "Yes"}).ssl is True
    with pytest.raises(ValidationError, match="PUBNUB_SSL must be one of"):
        PubNubConfig.from_env(environ={**KEYS, "PUBNUB_SSL": "maybe"})
    with pytest.raises(ValidationError, match="subscribe_key is required"):
        PubNubConfig.from_env(environ={"PUBNUB_USER_ID": "w1"})
