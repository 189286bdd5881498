"""Vendor configs from explicit settings and the vendors' environment variables."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeVar

from aiospaces.core.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["config_from_env"]

C = TypeVar("C")


def config_from_env(
    cls: type[C],
    env_vars: Mapping[str, str],
    overrides: Mapping[str, Any],
    *,
    required: Sequence[str] = (),
) -> C:
    """Return ``cls(**settings)``: the variables of ``env_vars`` that are set, then ``overrides``.

    Args:
        cls: The config class (keyword-only attrs class).
        env_vars: Environment variable per setting name, e.g. ``{"token_id": "MUX_TOKEN_ID"}``.
        overrides: Explicit settings; they win over the environment (None values are ignored).
        required: Settings that must come from one or the other.

    Raises:
        ValidationError: A required setting is missing, or ``cls`` rejects a value or a name.
    """
    values: dict[str, Any] = {
        name: os.environ[var] for name, var in env_vars.items() if os.environ.get(var)
    }
    values.update({name: value for name, value in overrides.items() if value is not None})
    for name in required:
        if name not in values:
            raise ValidationError(f"{name} is required: pass it or set {env_vars[name]}")
    try:
        return cls(**values)
    except ValidationError:
        raise
    except (TypeError, ValueError) as exc:  # unknown names; attrs' own validators
        raise ValidationError(str(exc)) from exc
