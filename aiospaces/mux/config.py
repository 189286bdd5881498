"""Mux client configuration: the access token, the API origin, the webhook secret."""

from __future__ import annotations

import base64
import functools
from typing import TYPE_CHECKING, ClassVar

import attrs

from aiospaces.core import validate
from aiospaces.core.settings import BaseConfig, checked

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "REQUIRED", "MuxConfig"]

DEFAULT_BASE_URL = "https://api.mux.com"
"""Mux's API origin."""
ENV_VARS = {
    "token_id": "MUX_TOKEN_ID",
    "token_secret": "MUX_TOKEN_SECRET",
    "base_url": "MUX_BASE_URL",
    "webhook_secret": "MUX_WEBHOOK_SECRET",
}
"""Environment variables read by `MuxConfig.from_env`, by setting name."""
REQUIRED = ("token_id", "token_secret")
"""Settings that must be given or come from the environment."""


@attrs.frozen(kw_only=True)
class MuxConfig(BaseConfig):
    """Everything a Mux client needs; secrets never appear in its repr.

    Attributes:
        token_id: The access token id (the Basic auth user name); required.
        token_secret: The access token secret (the Basic auth password); required.
        base_url: The API origin (``https://api.mux.com``, or an emulator's URL).
        webhook_secret: The webhook signing secret used by ``mux.webhooks``.
    """

    env_vars: ClassVar[Mapping[str, str]] = ENV_VARS
    required: ClassVar[tuple[str, ...]] = REQUIRED

    token_id: str = attrs.field(validator=checked(validate.key))
    token_secret: str = attrs.field(
        repr=False, validator=checked(functools.partial(validate.secret, visible_ascii=True))
    )
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, validator=checked(validate.http_url))
    webhook_secret: str | None = attrs.field(
        default=None, repr=False, validator=checked(validate.secret, optional=True)
    )

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value (HTTP Basic)."""
        raw = f"{self.token_id}:{self.token_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()
