"""Every input check aiospaces makes, in one place: each returns the checked value or raises.

Builders, configs and clients call these before any I/O, so bad input is always a
[ValidationError][aiospaces.core.errors.ValidationError] naming the argument:

```python
space_id = validate.identifier(space_id, "space_id", max_length=92)
limit = validate.integer(limit, "limit", minimum=1, maximum=100)
```

Messages show a wrongly typed value by its *type* only, and a secret never at all, so a
password passed where a number was expected cannot end up in a log.

What goes into a header must be printable ASCII: httpx sends header values as ASCII and
refuses anything else, and a CR or LF would split the header. aiospaces does not encode other
text for you (the vendors define no encoding for their headers): percent-encode it, or use
RFC 8187's ``UTF-8''…`` form where the receiving side understands it.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from aiospaces.core.errors import ValidationError

__all__ = [
    "boolean",
    "callback",
    "choice",
    "header_name",
    "header_value",
    "headers",
    "http_url",
    "identifier",
    "integer",
    "json_value",
    "key",
    "number",
    "one_of",
    "optional_text",
    "origin",
    "path_segment",
    "query",
    "secret",
    "text",
    "timeout",
    "timeout_or_timeouts",
]

E = TypeVar("E", bound=enum.Enum)

_DOT_SEGMENTS = frozenset({".", ".."})
_SEPARATORS = re.compile(r"[/\\]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP token (RFC 9110): what a header name may be made of."""
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20\x09\x21-\x7e]*[\x21-\x7e])?)?")
"""A header value httpx can send: printable ASCII, inner spaces and tabs, nothing around."""
_VISIBLE = re.compile(r"[\x21-\x7e]+")
"""Printable ASCII without spaces: what a key or token sent in a header or URL is."""
_HOST = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\.?)+|\[[0-9A-Fa-f:.]+\]")
"""A DNS name or an IPv4 address (ASCII labels), or an IPv6 address in brackets."""


def _shown(value: object) -> str:
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
            f"{name} is required and must be a non-empty string, not {_shown(value)}"
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
        or not _finite(value)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ValidationError(
            f"{name} must be {_range('a number', minimum, maximum)}, not {_shown(value)}"
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
        raise ValidationError(f"{name} must be a positive number of seconds, not {_shown(value)}")
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
        raise ValidationError(f"{name} must be callable, not {_shown(value)}")
    return value


def http_url(value: object, name: str, *, query: bool = False) -> str:
    """Return ``value`` if it is an ``http://`` or ``https://`` URL with a host.

    Messages show the URL without its query (presigned URLs carry signatures there) and
    without a password.

    Args:
        value: The URL.
        name: Its name, for the message.
        query: Allow a query string (a presigned URL); base URLs, to which paths are
            appended, carry neither a query nor a fragment.

    Raises:
        ValidationError: It is not.
    """
    url = text(value, name)
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except (httpx.InvalidURL, ValueError, TypeError):
        parsed = None
        host = ""
    shown = re.sub(r"(://[^/@]*:)[^/@]*@", r"\1***@", url.partition("?")[0].partition("#")[0])
    if parsed is None or parsed.scheme not in ("http", "https") or not host:
        raise ValidationError(f"{name} must be an http:// or https:// URL, not {shown!r}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ValidationError(f"{name} must have a port from 1 to 65535, not {shown!r}")
    if not query and (parsed.query or parsed.fragment or "?" in url or "#" in url):
        raise ValidationError(f"{name} must not carry a query or a fragment, not {shown!r}")
    return url


def origin(value: object, name: str = "origin") -> str:
    """Return ``value`` if it is a host with an optional port (``ps.pndsn.com``, ``h:8089``).

    The host is ASCII (give an internationalised name in its ``xn--`` form).

    Raises:
        ValidationError: It is empty, carries a scheme or a path, or is not a host[:port].
    """
    found = text(value, name)
    if "://" in found:
        raise ValidationError(
            f"{name} is a host[:port], not a URL: pass {found.split('://', 1)[1]!r} "
            "(and ssl=False for http)"
        )
    host, colon, port = found.rpartition(":") if not found.endswith("]") else ("", "", "")
    if not colon or (host.count(":") and not host.startswith("[")):
        host, port = found, ""
    elif not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValidationError(f"{name} must be a host[:port] with a port from 1 to 65535")
    if not _HOST.fullmatch(host):
        raise ValidationError(f"{name} must be a host[:port] (ASCII host name), not {found!r}")
    return found


def header_name(value: object, name: str = "header name") -> str:
    """Return ``value`` if it is an HTTP header name (an RFC 9110 token).

    Raises:
        ValidationError: It is not.
    """
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        shown = repr(value) if isinstance(value, str) and value.isprintable() else _shown(value)
        raise ValidationError(
            f"{name} must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~), not {shown}"
        )
    return value


def header_value(value: object, name: str) -> str:
    """Return ``value`` if httpx can send it as a header value: printable ASCII.

    Inner spaces and tabs are fine; leading or trailing whitespace, control characters
    (CR and LF included) and non-ASCII text are not. The message never shows the value.

    Raises:
        ValidationError: It is not a string or holds what a header cannot carry.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {_shown(value)}")
    if not _FIELD_VALUE.fullmatch(value):
        raise ValidationError(
            f"{name} must be printable ASCII without control characters or surrounding "
            "whitespace (percent-encode other text, or use RFC 8187's UTF-8'' form)"
        )
    return value


def headers(value: object, name: str = "extra_headers") -> dict[str, str]:
    """Return a mapping of header names to values as a dict, each checked.

    Raises:
        ValidationError: It is not a mapping, or a name or value is not sendable.
    """
    if not isinstance(value, Mapping):
        raise ValidationError(f"{name} must be a mapping of header names to values")
    checked: dict[str, str] = {}
    for field, item in value.items():
        header = header_name(field, f"{name} key")
        checked[header] = header_value(item, f"{name}[{header!r}]")
    return checked


def query(value: object, name: str = "extra_query") -> list[tuple[str, str]]:
    """Return query parameters given as a mapping or as ``(name, value)`` pairs, each checked.

    Names are non-empty strings and values strings (empty allowed), all valid Unicode.

    Raises:
        ValidationError: It is neither a mapping nor a list or tuple of string pairs.
    """
    items: Any
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValidationError(
            f"{name} must be a mapping or a list of (name, value) pairs, not {_shown(value)}"
        )
    pairs = []
    for item in items:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ValidationError(f"{name} must hold (name, value) pairs, not {_shown(item)}")
        pairs.append((text(item[0], f"{name} name"), text(item[1], f"{name} value", empty=True)))
    return pairs
