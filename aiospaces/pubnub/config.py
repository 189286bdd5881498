"""PubNub client configuration: keys, identity, origin, encryption, timeouts and retries.

[PubNubConfig.from_env][aiospaces.core.settings.BaseConfig.from_env] (which ``aiospaces.PubNub``
and ``session.pubnub`` use) reads the variables of [ENV_VARS][aiospaces.pubnub.config.ENV_VARS]
and takes an origin given as a URL: ``origin="http://127.0.0.1:8089"`` means the host
``127.0.0.1:8089`` with ``ssl=False`` (the port is kept; a path, a query or a scheme other than
http and https is rejected).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlsplit

import attrs

from aiospaces.core import validate
from aiospaces.core.errors import ValidationError
from aiospaces.core.settings import BaseConfig, checked, env_bool

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["DEFAULT_ORIGIN", "ENV_VARS", "REQUIRED", "PubNubConfig", "split_origin_url"]

DEFAULT_ORIGIN = "ps.pndsn.com"
"""PubNub's edge."""
ENV_VARS = {
    "subscribe_key": "PUBNUB_SUBSCRIBE_KEY",
    "publish_key": "PUBNUB_PUBLISH_KEY",
    "secret_key": "PUBNUB_SECRET_KEY",
    "user_id": "PUBNUB_USER_ID",
    "auth_key": "PUBNUB_AUTH_KEY",
    "token": "PUBNUB_TOKEN",
    "origin": "PUBNUB_ORIGIN",
    "ssl": "PUBNUB_SSL",
    "cipher_key": "PUBNUB_CIPHER_KEY",
    "crypto": "PUBNUB_CRYPTO",
}
"""Environment variables read by `PubNubConfig.from_env`, by setting name (``PUBNUB_SSL``:
``1 true yes on`` or ``0 false no off``; ``PUBNUB_ORIGIN`` may be a URL)."""
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
        origin: Host (and port) of the PubNub edge, e.g. ``ps.pndsn.com`` or ``127.0.0.1:8089``
            (``from_env`` and the client factories also take ``http://127.0.0.1:8089``).
        ssl: Use https (True by default; an origin URL's scheme decides it).
        cipher_key: Key for file and message encryption.
        crypto: ``"aescbc"`` (the PNED/ACRH cryptor) or ``"legacy"`` (cryptor ``0000``).
    """

    env_vars: ClassVar[Mapping[str, str]] = ENV_VARS
    required: ClassVar[tuple[str, ...]] = REQUIRED
    env_parsers: ClassVar[Mapping[str, Callable[[str, str], object]]] = {"ssl": env_bool}

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

    @classmethod
    def _normalize(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Split an origin given as a URL into the host[:port] and ``ssl``."""
        origin = settings.get("origin")
        if not isinstance(origin, str) or "://" not in origin:
            return settings
        host, ssl = split_origin_url(origin)
        given_ssl = settings.get("ssl")
        if given_ssl is not None and given_ssl is not ssl:
            scheme = "https" if ssl else "http"
            raise ValidationError(
                f"origin {scheme}://{host} says ssl={ssl} but ssl={given_ssl!r} was given: "
                f"drop ssl, or write the origin as {host!r}"
            )
        return {**settings, "origin": host, "ssl": ssl}


def split_origin_url(url: str) -> tuple[str, bool]:
    """Return ``(host[:port], ssl)`` for an origin URL such as ``http://127.0.0.1:8089``.

    Raises:
        ValidationError: The scheme is not http or https, or the URL has more than an origin
            (user info, a path other than ``/``, a query or a fragment).
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValidationError(f"origin is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationError(
            f"origin URL must start with http:// or https://, not {parts.scheme}://"
            " (or give the host[:port] alone and ssl)"
        )
    if "@" in parts.netloc or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(
            f"origin must be {scheme}://host[:port] with no user, path, query or fragment"
        )
    return validate.origin(parts.netloc), scheme == "https"
