"""Vendor settings are checked up front, and a secret given as the wrong type is never echoed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import aiospaces
from aiospaces.pubnub import PubNubConfig

SECRET = b"hunter2-hunter2"

MAKERS: dict[str, Callable[..., object]] = {
    "pubnub": lambda **s: aiospaces.PubNub(subscribe_key="sub", user_id="u", **s),
    "mux": lambda **s: aiospaces.Mux(token_id="i", **({"token_secret": "s"} | s)),
    "neuroio": lambda **s: aiospaces.NeuroIO(**s),
    "pubnub_admin": lambda **s: aiospaces.PubNubAdmin(email="e@x.io", **({"password": "p"} | s)),
}
SECRET_FIELDS = [
    ("pubnub", "secret_key"),
    ("pubnub", "auth_key"),
    ("pubnub", "token"),
    ("pubnub", "cipher_key"),
    ("mux", "token_secret"),
    ("mux", "webhook_secret"),
    ("neuroio", "api_token"),
    ("pubnub_admin", "password"),
]


@pytest.mark.parametrize(("vendor", "field"), SECRET_FIELDS)
@pytest.mark.parametrize("wrong", [SECRET, 12345678901, [SECRET.decode()]])
def test_a_wrongly_typed_secret_is_named_by_its_type_only(
    vendor: str, field: str, wrong: Any
) -> None:
    with pytest.raises(aiospaces.ValidationError) as caught:
        MAKERS[vendor](**{field: wrong})
    message = str(caught.value)
    assert field in message
    assert "hunter2" not in message
    assert "12345678901" not in message


@pytest.mark.parametrize(
    ("vendor", "settings", "named"),
    [
        ("pubnub", {"origin": "ftp://127.0.0.1:8089"}, "origin"),
        ("pubnub", {"origin": "http://127.0.0.1:8089/v2"}, "origin"),
        ("pubnub", {"ssl": "no"}, "ssl"),
        ("pubnub", {"crypto": "rot13"}, "crypto"),
        ("pubnub", {"timeout": float("nan")}, "timeout"),
        ("mux", {"base_url": "api.mux.com"}, "base_url"),
        ("mux", {"max_retries": "3"}, "max_retries"),
        ("neuroio", {"iam_url": "iam.neuroio.com"}, "iam_url"),
        ("neuroio", {"timeout": 0}, "timeout"),
        ("pubnub_admin", {"base_url": 0.0}, "base_url"),
        ("pubnub_admin", {"refresh_margin": -1}, "refresh_margin"),
    ],
)
def test_bad_settings_fail_when_the_client_is_made(
    vendor: str, settings: dict[str, Any], named: str
) -> None:
    with pytest.raises(aiospaces.ValidationError, match=named):
        MAKERS[vendor](**settings)


@pytest.mark.parametrize("bad", [".", "..", "a\x00b"])
def test_a_subscribe_key_must_fit_in_a_path(bad: str) -> None:
    with pytest.raises(aiospaces.ValidationError, match="subscribe_key"):
        aiospaces.PubNub(subscribe_key=bad, user_id="u")


def test_from_env_reads_the_vendor_variables_and_explicit_values_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBNUB_SUBSCRIBE_KEY", "sub-env")
    monkeypatch.setenv("PUBNUB_USER_ID", "env-user")
    config = PubNubConfig.from_env({"user_id": "me", "publish_key": None})
    assert (config.subscribe_key, config.user_id, config.publish_key) == ("sub-env", "me", None)
    monkeypatch.delenv("PUBNUB_SUBSCRIBE_KEY")
    with pytest.raises(aiospaces.ValidationError, match="PUBNUB_SUBSCRIBE_KEY"):
        PubNubConfig.from_env()
