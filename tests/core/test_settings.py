from __future__ import annotations

import attrs
import pytest

import aiospaces
from aiospaces.core.settings import config_from_env

ENV = {"key": "TOY_KEY", "region": "TOY_REGION"}


@attrs.frozen(kw_only=True)
class ToyConfig:
    key: str
    region: str = "eu"
    retries: int = attrs.field(default=0, validator=attrs.validators.ge(0))


def test_environment_then_explicit_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_KEY", "from-env")
    monkeypatch.setenv("TOY_REGION", "us")
    assert config_from_env(ToyConfig, ENV, {}) == ToyConfig(key="from-env", region="us")
    explicit = config_from_env(ToyConfig, ENV, {"region": "ap", "key": None}, required=["key"])
    assert explicit == ToyConfig(key="from-env", region="ap")


def test_missing_unknown_and_invalid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOY_KEY", raising=False)
    with pytest.raises(aiospaces.ValidationError, match="key is required: pass it or set TOY_KEY"):
        config_from_env(ToyConfig, ENV, {}, required=["key"])
    with pytest.raises(aiospaces.ValidationError, match="colour"):
        config_from_env(ToyConfig, ENV, {"key": "k", "colour": "red"})
    with pytest.raises(aiospaces.ValidationError, match="retries"):
        config_from_env(ToyConfig, ENV, {"key": "k", "retries": -1})
