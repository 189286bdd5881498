"""Config fields that check themselves, and a config given with settings beside it."""

from __future__ import annotations

from typing import ClassVar

import attrs
import pytest

import aiospaces
from aiospaces.core import validate
from aiospaces.core.settings import BaseConfig, checked, config_or_env


@attrs.frozen(kw_only=True)
class ToyConfig(BaseConfig):
    env_vars: ClassVar[dict[str, str]] = {"key": "TOY_CHECKED_KEY"}

    key: str = attrs.field(validator=checked(validate.key))
    region: str | None = attrs.field(default=None, validator=checked(validate.text, optional=True))


def test_a_checked_field_is_checked_under_its_own_name() -> None:
    with pytest.raises(aiospaces.ValidationError) as caught:
        ToyConfig(key="a b")
    assert str(caught.value) == ("key must be printable ASCII without spaces or control characters")
    with pytest.raises(aiospaces.ValidationError) as caught:
        ToyConfig(key="k", region="")
    assert str(caught.value) == "region must be a non-empty string, not ''"


def test_none_passes_only_where_optional() -> None:
    assert ToyConfig(key="k").region is None
    with pytest.raises(aiospaces.ValidationError) as caught:
        ToyConfig(key=None)  # type: ignore[arg-type]
    assert str(caught.value) == "key is required and must be a non-empty string, not None"


def test_the_base_settings_are_checked_too() -> None:
    assert ToyConfig(key="k", timeout=2.5, max_retries=0).max_retries == 0
    with pytest.raises(aiospaces.ValidationError, match=r"^max_retries must be an int >= 0"):
        ToyConfig(key="k", max_retries=-1)
    with pytest.raises(aiospaces.ValidationError, match=r"^timeout must be a positive number"):
        ToyConfig(key="k", timeout=0)


def test_config_or_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_CHECKED_KEY", "from-env")
    given = ToyConfig(key="given")
    assert config_or_env(given, ToyConfig, {"key": None, "region": None}) is given
    assert config_or_env(None, ToyConfig, {"region": "eu"}) == ToyConfig(
        key="from-env", region="eu"
    )
    with pytest.raises(TypeError) as both:
        config_or_env(given, ToyConfig, {"key": None, "region": "eu"})
    assert str(both.value) == "pass either config= or the settings, not both"
    with pytest.raises(aiospaces.ValidationError) as wrong:
        config_or_env({"key": "k"}, ToyConfig, {})
    assert str(wrong.value) == "config must be a ToyConfig, not dict"
