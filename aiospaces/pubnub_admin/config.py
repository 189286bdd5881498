"""PubNub Admin client configuration: the portal login and where the portal is."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs

from aiospaces.core import validate
from aiospaces.core.settings import BaseConfig, checked

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "REQUIRED", "PubNubAdminConfig"]

DEFAULT_BASE_URL = "https://admin.pubnub.com"
"""The portal's origin; the API lives under ``/api``."""
ENV_VARS = {
    "email": "PUBNUB_ADMIN_EMAIL",
    "password": "PUBNUB_ADMIN_PASSWORD",
    "base_url": "PUBNUB_ADMIN_URL",
}
"""Environment variables read by `PubNubAdminConfig.from_env`, by setting name."""
REQUIRED = ("email", "password")
"""Settings that must be given or come from the environment."""


def _origin(value: object) -> str:
    """Return the portal origin: no trailing slash, no trailing ``/api``."""
    url = validate.http_url(value, "base_url").rstrip("/")
    return url.removesuffix("/api")


@attrs.frozen(kw_only=True)
class PubNubAdminConfig(BaseConfig):
    """Everything a PubNub Admin client needs; the password never appears in its repr.

    Attributes:
        email: The portal login email.
        password: The portal password.
        base_url: The portal origin (``https://admin.pubnub.com``; a trailing ``/api`` is
            accepted and dropped).
        refresh_margin: Log in again when the session token has fewer seconds left than this.
    """

    env_vars: ClassVar[Mapping[str, str]] = ENV_VARS
    required: ClassVar[tuple[str, ...]] = REQUIRED

    email: str = attrs.field(validator=checked(validate.text))
    password: str = attrs.field(repr=False, validator=checked(validate.secret))
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=_origin)
    refresh_margin: float = attrs.field(
        default=300.0,
        validator=checked(lambda value, name: validate.number(value, name, minimum=0)),
    )
