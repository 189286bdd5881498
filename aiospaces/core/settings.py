"""Vendor configs from explicit settings and the vendors' environment variables.

Config classes are frozen attrs classes whose fields check themselves with
[checked][aiospaces.core.settings.checked] and the functions of
[validate][aiospaces.core.validate]; [config_from_env][aiospaces.core.settings.config_from_env]
fills them from the environment, explicit settings winning. A variable is text: a setting that
is not (``PUBNUB_SSL``) names its parser in the config's ``env_parsers``
([env_bool][aiospaces.core.settings.env_bool], [env_int][aiospaces.core.settings.env_int],
[env_float][aiospaces.core.settings.env_float]). An empty variable counts as unset.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import attrs

from aiospaces.core import validate
from aiospaces.core.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "BaseConfig",
    "checked",
    "config_from_env",
    "config_or_env",
    "env_bool",
    "env_float",
    "env_int",
    "read_env",
]

C = TypeVar("C")
B = TypeVar("B", bound="BaseConfig")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def env_bool(raw: str, var: str) -> bool:
    """Return the boolean a variable spells: ``1 true yes on`` or ``0 false no off`` (any case).

    Raises:
        ValidationError: It spells neither.
    """
    word = raw.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ValidationError(f"{var} must be one of {', '.join(_TRUE + _FALSE)}, not {raw!r}")


def env_int(raw: str, var: str) -> int:
    """Return the whole number a variable spells.

    Raises:
        ValidationError: It is not a whole number.
    """
    try:
        return int(raw.strip())
    except ValueError:
        raise ValidationError(f"{var} must be a whole number, not {raw!r}") from None


def env_float(raw: str, var: str) -> float:
    """Return the number a variable spells.

    Raises:
        ValidationError: It is not a number.
    """
    try:
        return float(raw.strip())
    except ValueError:
        raise ValidationError(f"{var} must be a number, not {raw!r}") from None


def read_env(
    env_vars: Mapping[str, str],
    *,
    parsers: Mapping[str, Callable[[str, str], object]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """Return setting name → value for the variables of ``env_vars`` that are set and not empty.

    Args:
        env_vars: Environment variable per setting name.
        parsers: Parser per setting name for settings that are not text.
        environ: Where to read (default: the process environment).

    Raises:
        ValidationError: A parser rejects a variable (the message names the variable).
    """
    env = os.environ if environ is None else environ
    parsers = parsers or {}
    found: dict[str, object] = {}
    for name, var in env_vars.items():
        raw = env.get(var)
        if raw:
            found[name] = parsers[name](raw, var) if name in parsers else raw
    return found


def config_from_env(
    cls: type[C],
    env_vars: Mapping[str, str],
    overrides: Mapping[str, Any],
    *,
    required: Sequence[str] = (),
    parsers: Mapping[str, Callable[[str, str], object]] | None = None,
    environ: Mapping[str, str] | None = None,
    normalize: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> C:
    """Return ``cls(**settings)``: the variables of ``env_vars`` that are set, then ``overrides``.

    Args:
        cls: The config class (keyword-only attrs class).
        env_vars: Environment variable per setting name, e.g. ``{"token_id": "MUX_TOKEN_ID"}``.
        overrides: Explicit settings; they win over the environment (None values are ignored).
        required: Settings that must come from one or the other.
        parsers: Parser per setting name for variables that are not text (see ``read_env``).
        environ: Where to read (default: the process environment).
        normalize: Applied to the environment's settings and to the explicit ones apart,
            before they are merged (PubNub splits an origin URL into host and ``ssl`` here).

    Raises:
        ValidationError: A required setting is missing, or ``cls`` rejects a value or a name.
    """
    if not isinstance(overrides, Mapping):
        raise ValidationError(
            f"{cls.__name__} settings must be a mapping of names to values, "
            f"not {type(overrides).__name__}"
        )
    values: dict[str, Any] = read_env(env_vars, parsers=parsers, environ=environ)
    explicit = {name: value for name, value in overrides.items() if value is not None}
    if normalize is not None:
        values, explicit = normalize(values), normalize(explicit)
    values.update(explicit)
    for name in required:
        if name not in values:
            raise ValidationError(f"{name} is required: pass it or set {env_vars[name]}")
    try:
        return cls(**values)
    except ValidationError:
        raise
    except (TypeError, ValueError) as exc:  # unknown names; attrs' own validators
        raise ValidationError(str(exc)) from exc


def config_or_env(config: object, cls: type[B], settings: Mapping[str, object]) -> B:
    """Return ``config`` if given, else ``cls.from_env(settings)``: what a client constructor does.

    Raises:
        ValidationError: ``config`` is not a ``cls``.
        TypeError: Both ``config`` and settings that are not None were given.
    """
    if config is None:
        return cls.from_env(settings)
    if not isinstance(config, cls):
        raise ValidationError(f"config must be a {cls.__name__}, not {type(config).__name__}")
    if any(value is not None for value in settings.values()):
        raise TypeError("pass either config= or the settings, not both")
    return config


def checked(
    check: Callable[[Any, str], object], *, optional: bool = False
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """Return an attrs validator that runs ``check(value, field name)`` (None passes if optional).

    ```python
    secret_key: str | None = attrs.field(
        default=None, repr=False, validator=checked(validate.secret, optional=True)
    )
    ```
    """

    def validator(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None or not optional:
            check(value, attribute.name)

    return validator


@attrs.frozen(kw_only=True)
class BaseConfig:
    """What every vendor config has: the timeout and the retries of the client's calls.

    A vendor config names its environment variables in ``env_vars`` and the settings it
    cannot do without in ``required``; [from_env][aiospaces.core.settings.BaseConfig.from_env]
    does the rest.

    Attributes:
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).
    """

    env_vars: ClassVar[Mapping[str, str]] = {}
    """Environment variable per setting name, e.g. ``{"token_id": "MUX_TOKEN_ID"}``."""
    required: ClassVar[tuple[str, ...]] = ()
    """Settings that must be given or come from the environment."""
    env_parsers: ClassVar[Mapping[str, Callable[[str, str], object]]] = {}
    """Parser per setting name for variables that are not text (e.g. ``ssl``: ``env_bool``)."""

    timeout: float | None = attrs.field(
        default=None, validator=checked(validate.timeout, optional=True)
    )
    max_retries: int | None = attrs.field(
        default=None,
        validator=checked(functools.partial(validate.integer, minimum=0), optional=True),
    )

    @classmethod
    def from_env(
        cls,
        overrides: Mapping[str, object] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> Self:
        """Return a config from the vendor's environment variables and ``overrides``.

        Args:
            overrides: Setting name → value; values that are not None win over the
                environment.
            environ: Where to read the variables (default: the process environment).

        Raises:
            ValidationError: A required setting is missing, or a setting is unknown or invalid.
        """
        given = {} if overrides is None else overrides
        return config_from_env(
            cls,
            cls.env_vars,
            given,
            required=cls.required,
            parsers=cls.env_parsers,
            environ=environ,
            normalize=cls._normalize,
        )

    @classmethod
    def _normalize(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Return settings from one source put in canonical form (the default: as they are)."""
        return settings
