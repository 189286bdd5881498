"""NeuroIO client configuration: the API token and the IAM host."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, ClassVar

import attrs

from aiospaces.core import validate
from aiospaces.core.settings import BaseConfig, checked

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ENV_VARS", "IAM_URL", "NeuroIOConfig"]

IAM_URL = "https://iam.neuroio.com"
"""NeuroIO's identity and access host (auth, whoami, tokens, spaces, lists)."""
ENV_VARS = {"api_token": "NEUROIO_API_TOKEN", "iam_url": "NEUROIO_IAM_URL"}
"""Environment variables read by `NeuroIOConfig.from_env`, by setting name."""


@attrs.frozen(kw_only=True)
class NeuroIOConfig(BaseConfig):
    """Everything a NeuroIO client needs; the token never appears in its repr.

    Attributes:
        api_token: An account, space or manager token (None: only ``auth.token`` works).
        iam_url: Base URL of the IAM host.
    """

    env_vars: ClassVar[Mapping[str, str]] = ENV_VARS
    required: ClassVar[tuple[str, ...]] = ()

    api_token: str | None = attrs.field(
        default=None,
        repr=False,
        validator=checked(functools.partial(validate.secret, visible_ascii=True), optional=True),
    )
    iam_url: str = attrs.field(default=IAM_URL, validator=checked(validate.http_url))
