"""PubNub client configuration: keys, identity, origin, encryption, timeouts and retries."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, ClassVar, Literal

import attrs

from aiospaces.core import validate
from aiospaces.core.settings import BaseConfig, checked

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_ORIGIN", "ENV_VARS", "REQUIRED", "PubNubConfig"]

DEFAULT_ORIGIN = "ps.pndsn.com"
"""PubNub's edge."""
ENV_VARS = {
    "subscribe_key": "PUBNUB_SUBSCRIBE_KEY",
    "publish_key": "PUBNUB_PUBLISH_KEY",
    "secret_key": "PUBNUB_SECRET_KEY",
    "user_id": "PUBNUB_USER_ID",
}
"""Environment variables read by `PubNubConfig.from_env`, by setting name."""
REQUIRED = ("subscribe_key", "user_id")
"""Settings that must be given or come from the environment."""

_key = checked(validate.key)
_optional_key = checked(validate.key, optional=True)
_optional_secret = checked(validate.secret, optional=True)
_optional_url_secret = checked(
    functools.partial(validate.secret, visible_ascii=True), optional=True
)


@attrs.frozen(kw_only=True)
class PubNubConfig(BaseConfig):
    """Everything a PubNub client needs; secrets never appear in its repr.

    Attributes:
        subscribe_key: The keyset's subscribe key (``sub-c-…``); required.
        user_id: Who is calling (sent as ``uuid``); required.
        publish_key: The publish key; needed to publish and to sign requests.
        secret_key: The secret key; when set, every request carries a v2 signature.
        auth_key: Access Manager auth key sent as ``auth`` (a ``token`` wins over it).
        token: Access Manager v3 token sent as ``auth``.
        origin: Host (and port) of the PubNub edge, e.g. ``ps.pndsn.com`` or ``127.0.0.1:8089``.
        ssl: Use https.
        cipher_key: Key for file and message encryption.
        crypto: ``"aescbc"`` (the PNED/ACRH cryptor) or ``"legacy"`` (cryptor ``0000``).
    """

    env_vars: ClassVar[Mapping[str, str]] = ENV_VARS
    required: ClassVar[tuple[str, ...]] = REQUIRED

    subscribe_key: str = attrs.field(validator=_key)
    user_id: str = attrs.field(validator=checked(validate.text))
    publish_key: str | None = attrs.field(default=None, validator=_optional_key)
    secret_key: str | None = attrs.field(default=None, repr=False, validator=_optional_secret)
    auth_key: str | None = attrs.field(default=None, repr=False, validator=_optional_url_secret)
    token: str | None = attrs.field(default=None, repr=False, validator=_optional_url_secret)
    origin: str = attrs.field(default=DEFAULT_ORIGIN, validator=checked(validate.origin))
    ssl: bool = attrs.field(default=True, validator=checked(validate.boolean))
    cipher_key: str | None = attrs.field(default=None, repr=False, validator=_optional_secret)
    crypto: Literal["aescbc", "legacy"] = attrs.field(
        default="aescbc",
        validator=checked(lambda value, name: validate.one_of(value, name, ("aescbc", "legacy"))),
    )

    @property
    def base_url(self) -> str:
        """The origin as a URL."""
        return f"{'https' if self.ssl else 'http'}://{self.origin}"

    @property
    def auth(self) -> str | None:
        """The value sent as ``auth``: the token if set, else the auth key."""
        return self.token or self.auth_key
