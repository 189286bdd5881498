"""Every input check aiospaces makes, in one place: each returns the checked value or raises.

Builders, configs and clients call these before any I/O, so bad input is always a
[ValidationError][aiospaces.core.errors.ValidationError] naming the argument:

```python
space_id = validate.identifier(space_id, "space_id", max_length=92)
limit = validate.integer(limit, "limit", minimum=1, maximum=100)
```

Messages show a wrongly typed value by its *type* only, and a secret never at all, so a
password passed where a number was expected cannot end up in a log.
"""

from __future__ import annotations

import enum
import json
import math
from typing import TypeVar
from urllib.parse import quote

from aiospaces.core.errors import ValidationError

__all__ = [
    "boolean",
    "choice",
    "http_url",
    "identifier",
    "integer",
    "json_value",
    "number",
    "one_of",
    "optional_text",
    "origin",
    "path_segment",
    "secret",
    "text",
    "timeout",
]

E = TypeVar("E", bound=enum.Enum)

_DOT_SEGMENTS = frozenset({".", ".."})


def _shown(value: object) -> str:
    """Return how a rejected value may appear in a message: numbers and None as themselves."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str) and not value:
        return "''"
    return type(value).__name__


def _surrogates(value: str) -> bool:
    """Return whether ``value`` holds a lone surrogate (it cannot be encoded as UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text(value: object, name: str, *, empty: bool = False, max_length: int | None = None) -> str:
    """Return ``value`` if it is a string (non-empty unless ``empty``) of at most ``max_length``.

    Raises:
        ValidationError: It is not a string, is empty, is too long or holds a lone surrogate.
    """
    if not isinstance(value, str) or (not empty and not value):
        kind = "a string" if empty else "a non-empty string"
        raise ValidationError(f"{name} must be {kind}, not {_shown(value)}")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(f"{name} is longer than {max_length} characters")
    if _surrogates(value):
        raise ValidationError(f"{name} holds a lone surrogate (not valid Unicode text)")
    return value


def optional_text(value: object, name: str, *, max_length: int | None = None) -> str | None:
    """Return ``value`` if it is None or a string (empty allowed) of at most ``max_length``.

    Raises:
        ValidationError: It is neither, too long or holds a lone surrogate.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string or None, not {_shown(value)}")
    return text(value, name, empty=True, max_length=max_length)


def identifier(value: object, name: str, *, max_length: int | None = None) -> str:
    """Return ``value`` if it can name one resource in a URL path.

    An identifier is a non-empty string, not ``.`` or ``..`` (which URL normalisation would
    turn into another path), without NUL and lone surrogates.

    Raises:
        ValidationError: It is missing, not a string, or cannot be carried in a path.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{name} is required and must be a non-empty string, not {_shown(value)}"
        )
    if value in _DOT_SEGMENTS:
        raise ValidationError(f"{name} cannot be {value!r} (a path would skip or climb a level)")
    if "\x00" in value:
        raise ValidationError(f"{name} cannot contain NUL")
    return text(value, name, max_length=max_length)


def path_segment(value: object, name: str, *, max_length: int | None = None) -> str:
    """Return an [identifier][aiospaces.core.validate.identifier] percent-encoded as one segment.

    Raises:
        ValidationError: See ``identifier``.
    """
    return quote(identifier(value, name, max_length=max_length), safe="")


def integer(
    value: object, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` if it is an int (not a bool) within ``minimum``..``maximum``.

    Raises:
        ValidationError: It is not an int or is out of range.
    """
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ValidationError(
            f"{name} must be {_range('an int', minimum, maximum)}, not {_shown(value)}"
        )
    return value


def number(
    value: object, name: str, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Return ``value`` if it is a finite int or float (not a bool) within the bounds.

    Raises:
        ValidationError: It is not a finite number or is out of range.
    """
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ValidationError(
            f"{name} must be {_range('a number', minimum, maximum)}, not {_shown(value)}"
        )
    return value


def timeout(value: object, name: str = "timeout") -> float:
    """Return ``value`` if it is a positive, finite number of seconds.

    Raises:
        ValidationError: It is not.
    """
    seconds = number(value, name)
    if seconds <= 0:
        raise ValidationError(f"{name} must be a positive number of seconds, not {_shown(value)}")
    return seconds


def _range(kind: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum} to {maximum}"
    if minimum is not None:
        return f"{kind} >= {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind


def boolean(value: object, name: str) -> bool:
    """Return ``value`` if it is True or False.

    Raises:
        ValidationError: It is anything else (``1``, ``"yes"``, None).
    """
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, not {_shown(value)}")
    return value


def one_of(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the ``allowed`` strings.

    Raises:
        ValidationError: It is not.
    """
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value) if isinstance(value, str) else _shown(value)
        raise ValidationError(f"{name} must be one of {', '.join(allowed)}, not {shown}")
    return value


def choice(enum_type: type[E], value: object, name: str) -> E:
    """Return the member of ``enum_type`` that ``value`` is or names (its wire string).

    Raises:
        ValidationError: No member matches.
    """
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in enum_type)
        shown = repr(value) if isinstance(value, str) else _shown(value)
        raise ValidationError(f"{name} must be one of {allowed}, not {shown}") from None


def json_value(value: object, name: str) -> object:
    """Return ``value`` if it serialises to strict JSON (no NaN or infinity, valid Unicode).

    Raises:
        ValidationError: It is not JSON-serialisable.
    """
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        reason = "a lone surrogate" if isinstance(exc, UnicodeEncodeError) else str(exc)
        raise ValidationError(f"{name} must be JSON-serialisable: {reason}") from None
    return value


def secret(value: object, name: str) -> str:
    """Return ``value`` if it is a non-empty string; the message never shows the value.

    Raises:
        ValidationError: It is missing, empty or not a string (named by its type only).
    """
    if not isinstance(value, str) or not value.strip():
        shown = "empty" if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValidationError(f"{name} must be a non-empty string, not {shown}")
    return value


def http_url(value: object, name: str) -> str:
    """Return ``value`` if it is an ``http://`` or ``https://`` URL with a host.

    Raises:
        ValidationError: It is not.
    """
    url = text(value, name)
    scheme, sep, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not sep or not rest.strip("/"):
        raise ValidationError(f"{name} must be an http:// or https:// URL, not {url!r}")
    return url


def origin(value: object, name: str = "origin") -> str:
    """Return ``value`` if it is a host with an optional port (``ps.pndsn.com``, ``h:8089``).

    Raises:
        ValidationError: It is empty, carries a scheme or a path, or holds spaces.
    """
    host = text(value, name)
    if "://" in host:
        raise ValidationError(
            f"{name} is a host[:port], not a URL: pass {host.split('://', 1)[1]!r} "
            "(and ssl=False for http)"
        )
    if "/" in host or any(c.isspace() for c in host):
        raise ValidationError(f"{name} must be a host[:port], not {host!r}")
    return host
