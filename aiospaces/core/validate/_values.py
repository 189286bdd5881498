"""The checks of single values: text, ids, numbers, timeouts, choices, JSON, secrets, keys."""

from __future__ import annotations

import enum
import json
import math
import re
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx

from aiospaces.core.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "boolean",
    "callback",
    "choice",
    "described",
    "identifier",
    "integer",
    "json_value",
    "key",
    "number",
    "one_of",
    "optional_text",
    "path_segment",
    "secret",
    "text",
    "timeout",
    "timeout_or_timeouts",
]

E = TypeVar("E", bound=enum.Enum)

_DOT_SEGMENTS = frozenset({".", ".."})
_SEPARATORS = re.compile(r"[/\\]")
_VISIBLE = re.compile(r"[\x21-\x7e]+")
"""Printable ASCII without spaces: what a key or token sent in a header or URL is."""


def described(value: object) -> str:
    """Return how a rejected value may appear in a message: numbers and None as themselves."""
    if value is None or isinstance(value, bool | int | float):
        shown = repr(value)
        return shown if len(shown) <= 30 else f"an int of {len(shown)} digits"
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
        raise ValidationError(f"{name} must be {kind}, not {described(value)}")
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
        raise ValidationError(f"{name} must be a string or None, not {described(value)}")
    return text(value, name, empty=True, max_length=max_length)


def identifier(value: object, name: str, *, max_length: int | None = None) -> str:
    r"""Return ``value`` if it can name one resource in a URL path.

    An identifier is a non-empty string, not ``.`` or ``..`` (which URL normalisation would
    turn into another path), without NUL and lone surrogates. It may hold ``/`` and ``\``
    (they are percent-encoded into one segment), but no ``.`` or ``..`` between them: a
    server or proxy that decodes ``%2F`` before normalising would climb out of the path.

    Raises:
        ValidationError: It is missing, not a string, or cannot be carried in a path.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{name} is required and must be a non-empty string, not {described(value)}"
        )
    if value in _DOT_SEGMENTS:
        raise ValidationError(f"{name} cannot be {value!r} (a path would skip or climb a level)")
    if "\x00" in value:
        raise ValidationError(f"{name} cannot contain NUL")
    if _DOT_SEGMENTS.intersection(_SEPARATORS.split(value)):
        raise ValidationError(
            f"{name} cannot have '.' or '..' between slashes (a path would climb a level)"
        )
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
            f"{name} must be {_range('an int', minimum, maximum)}, not {described(value)}"
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
        or not _finite(value)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ValidationError(
            f"{name} must be {_range('a number', minimum, maximum)}, not {described(value)}"
        )
    return value


def _finite(value: float) -> bool:
    """Return whether a number is finite and fits a float (a huge int does not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def timeout(value: object, name: str = "timeout") -> float:
    """Return ``value`` if it is a positive, finite number of seconds.

    Raises:
        ValidationError: It is not.
    """
    seconds = number(value, name)
    if seconds <= 0:
        raise ValidationError(
            f"{name} must be a positive number of seconds, not {described(value)}"
        )
    return seconds


def timeout_or_timeouts(value: object, name: str = "timeout") -> httpx.Timeout | float:
    """Return a positive number of seconds, or an ``httpx.Timeout`` whose parts are.

    Each part of an ``httpx.Timeout`` (connect, read, write, pool) is a positive finite
    number or None (no limit).

    Raises:
        ValidationError: It is neither.
    """
    if not isinstance(value, httpx.Timeout):
        return timeout(value, name)
    for part in ("connect", "read", "write", "pool"):
        seconds = getattr(value, part)
        if seconds is not None:
            timeout(seconds, f"{name}.{part}")
    return value


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
        raise ValidationError(f"{name} must be True or False, not {described(value)}")
    return value


def one_of(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the ``allowed`` strings.

    Raises:
        ValidationError: It is not.
    """
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value) if isinstance(value, str) else described(value)
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
        shown = repr(value) if isinstance(value, str) else described(value)
        raise ValidationError(f"{name} must be one of {allowed}, not {shown}") from None


def json_value(value: object, name: str) -> object:
    """Return ``value`` if it serialises to strict JSON (no NaN or infinity, valid Unicode).

    Raises:
        ValidationError: It is not JSON-serialisable.
    """
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")  # pragma: no mutate - codec names ignore case
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        reason = "a lone surrogate" if isinstance(exc, UnicodeEncodeError) else str(exc)
        raise ValidationError(f"{name} must be JSON-serialisable: {reason}") from None
    except RecursionError:
        raise ValidationError(f"{name} must be JSON-serialisable: nested too deeply") from None
    return value


def secret(value: object, name: str, *, visible_ascii: bool = False) -> str:
    """Return ``value`` if it is a non-empty string; the message never shows the value.

    Args:
        value: The secret.
        name: Its name, for the message.
        visible_ascii: Also require printable ASCII without spaces: a key or token that
            travels in a header or a URL.

    Raises:
        ValidationError: It is missing, empty, not a string (named by its type only), holds a
            lone surrogate, or (with ``visible_ascii``) other characters.
    """
    if not isinstance(value, str) or not value.strip():
        shown = "empty" if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValidationError(f"{name} must be a non-empty string, not {shown}")
    if _surrogates(value):
        raise ValidationError(f"{name} holds a lone surrogate (not valid Unicode text)")
    if visible_ascii and not _VISIBLE.fullmatch(value):
        raise ValidationError(
            f"{name} must be printable ASCII without spaces or control characters"
        )
    return value


def key(value: object, name: str) -> str:
    """Return ``value`` if it is an API key or id: printable ASCII without spaces.

    Such keys travel in URL paths and headers; ``.`` and ``..`` are refused as for any
    [identifier][aiospaces.core.validate.identifier].

    Raises:
        ValidationError: It is not.
    """
    identifier(value, name)
    if not _VISIBLE.fullmatch(str(value)):
        raise ValidationError(
            f"{name} must be printable ASCII without spaces or control characters"
        )
    return str(value)


def callback(value: object, name: str) -> Callable[..., Any]:
    """Return ``value`` if it can be called.

    Raises:
        ValidationError: It cannot.
    """
    if not callable(value):
        raise ValidationError(f"{name} must be callable, not {described(value)}")
    return value
