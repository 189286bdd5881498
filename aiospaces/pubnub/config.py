"""PubNub client configuration: keys, identity, origin, encryption, timeouts and retries."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from aiospaces.core.errors import ValidationError
from aiospaces.core.settings import config_from_env

__all__ = ["ENV_VARS", "PubNubConfig"]

ENV_VARS = {
    "subscribe_key": "PUBNUB_SUBSCRIBE_KEY",
    "publish_key": "PUBNUB_PUBLISH_KEY",
    "secret_key": "PUBNUB_SECRET_KEY",
    "user_id": "PUBNUB_USER_ID",
}
"""Environment variables read by `PubNubConfig.from_env`, by setting name."""


def _non_empty(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ValidationError(f"{attribute.name} must be a non-empty string, not {value!r}")


@attrs.frozen(kw_only=True)
class PubNubConfig:
    """Everything a PubNub client needs; secrets never appear in its repr.

    Attributes:
        subscribe_key: The keyset's subscribe key (``sub-c-…``); required.
        publish_key: The publish key; needed to publish and to sign requests.
        secret_key: The secret key; when set, every request carries a v2 signature.
        user_id: Who is calling (sent as ``uuid``); required.
        auth_key: Access Manager auth key sent as ``auth`` (a ``token`` wins over it).
        token: Access Manager v3 token sent as ``auth``.
        origin: Host (and port) of the PubNub edge, e.g. ``ps.pndsn.com`` or ``127.0.0.1:8089``.
        ssl: Use https.
        cipher_key: Key for file and message encryption.
        crypto: ``"aescbc"`` (the PNED/ACRH cryptor) or ``"legacy"`` (cryptor ``0000``).
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).
    """

    subscribe_key: str = attrs.field(validator=_non_empty)
    user_id: str = attrs.field(validator=_non_empty)
    publish_key: str | None = attrs.field(default=None, validator=_non_empty)
    secret_key: str | None = attrs.field(default=None, repr=False, validator=_non_empty)
    auth_key: str | None = attrs.field(default=None, repr=False, validator=_non_empty)
    token: str | None = attrs.field(default=None, repr=False, validator=_non_empty)
    origin: str = attrs.field(default="ps.pndsn.com", validator=_non_empty)
    ssl: bool = True
    cipher_key: str | None = attrs.field(default=None, repr=False, validator=_non_empty)
    crypto: Literal["aescbc", "legacy"] = attrs.field(
        default="aescbc", validator=attrs.validators.in_(("aescbc", "legacy"))
    )
    timeout: float | None = None
    max_retries: int | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> PubNubConfig:
        """Return a config from ``PUBNUB_*`` environment variables; explicit arguments win.

        Raises:
            ValidationError: A required setting is missing or invalid.
        """
        return config_from_env(cls, ENV_VARS, overrides, required=("subscribe_key", "user_id"))

    @property
    def base_url(self) -> str:
        """The origin as a URL."""
        return f"{'https' if self.ssl else 'http'}://{self.origin}"

    @property
    def auth(self) -> str | None:
        """The value sent as ``auth``: the token if set, else the auth key."""
        return self.token or self.auth_key
