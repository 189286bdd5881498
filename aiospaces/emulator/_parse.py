"""What a request carries, read once: JSON values, integers, secrets and seed payloads.

``json_value`` reads JSON and refuses what no later answer could carry back: lone surrogates,
``NaN``/``Infinity``, numbers that overflow to infinity, nesting deeper than ``MAX_DEPTH``.
``ascii_int`` reads integers as ASCII digits only (``str.isdigit()`` and ``int()`` take ``²``
or ``٣``, and ``int()`` raises on 5,000 digits). Path parameters that are numbers use the
``int64`` convertor (at most ``MAX_DIGITS`` ASCII digits), registered with Starlette on import.
``equal_secrets`` compares what a request gave with a secret, whatever its characters.
``from_payload`` builds a control-API payload into an attrs class whose validators
(``is_text``, ``is_texts``, ...) check every field, naming unknown and missing ones.

This module imports nothing else from the emulator, so every part of it (the storage too) can
use it.
"""

from __future__ import annotations

import hmac
import json
import math
import re
from collections.abc import Callable
from typing import Any, NoReturn, TypeAlias, TypeVar

import attrs
from starlette.convertors import Convertor, register_url_convertor

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "Int64Convertor",
    "Validator",
    "ascii_int",
    "equal_secrets",
    "from_payload",
    "is_text",
    "is_texts",
    "json_value",
]

MAX_DEPTH = 64
"""How deeply a JSON request body may nest arrays and objects."""
MAX_DIGITS = 18
"""The most digits an integer read from a path or query may have (it fits in 64 bits)."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_T = TypeVar("_T")

Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]
"""An attrs validator: called with the instance, the attribute and the value."""


def ascii_int(raw: str | None) -> int | None:
    """Return ``raw`` as an integer if it is 1 to ``MAX_DIGITS`` ASCII digits, else None."""
    if raw is None or not 0 < len(raw) <= MAX_DIGITS or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def equal_secrets(given: str, expected: str) -> bool:
    """Return whether a secret a request gave is the expected one, in constant time.

    ``hmac.compare_digest`` raises on ``str`` that are not ASCII, so both are compared as UTF-8.
    """
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


class Int64Convertor(Convertor[int]):
    """Starlette's ``int`` path convertor bounded to ``MAX_DIGITS`` digits (``{id:int64}``).

    A longer number does not match the route (a 404 in the vendor's shape), where ``int``'s
    ``int()`` would raise past 4,300 digits.
    """

    regex = f"[0-9]{{1,{MAX_DIGITS}}}"

    def convert(self, value: str) -> int:
        """Return the path segment as an integer."""
        return int(value)

    def to_string(self, value: int) -> str:
        """Return the integer as a path segment."""
        return str(value)


register_url_convertor("int64", Int64Convertor())


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _check_tree(value: Any) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and strings holding lone surrogates."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                raise ValueError("a string holds a lone surrogate")
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)


def json_value(raw: str | bytes) -> Any:
    r"""Return the JSON value of ``raw``, refusing what no JSON answer could carry back.

    Python's ``json`` reads ``NaN`` and ``Infinity``, turns ``1e999`` into infinity, keeps
    lone surrogates (``"\ud800"``, or their UTF-8 bytes) and recurses once per nesting
    level; a stored value of any of these would break every later answer that holds it
    (Starlette's ``JSONResponse`` refuses non-finite numbers, UTF-8 refuses surrogates).

    Raises:
        ValueError: ``raw`` is not JSON, or holds one of the above, or nests deeper than
            ``MAX_DEPTH`` levels.
    """
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError as exc:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from exc
    _check_tree(value)
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_text(*, empty: bool = False, optional: bool = False) -> Validator:
    """Return an attrs validator accepting a string (non-empty unless ``empty``; or None)."""
    wanted = ("a string" if empty else "a non-empty string") + (" or null" if optional else "")

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise TypeError(f"{attribute.name} must be {wanted}, not {_shown(value)}")
        if not value and not empty:
            raise ValueError(f"{attribute.name} must be {wanted}")

    return check


def is_texts(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Validate (attrs) a list of non-empty strings, or None."""
    if value is not None and not (
        isinstance(value, list) and all(isinstance(item, str) and item for item in value)
    ):
        raise TypeError(
            f"{attribute.name} must be a list of non-empty strings, not {_shown(value)}"
        )


def from_payload(cls: type[_T], payload: Any) -> _T:
    """Return the attrs class ``cls`` built from a JSON object, naming what does not fit.

    Raises:
        TypeError: ``payload`` is not an object, or a field has the wrong type.
        ValueError: A field is unknown, missing or out of range.
    """
    if not isinstance(payload, dict):
        raise TypeError(f"{cls.__name__} must be an object, not {_shown(payload)}")
    fields = attrs.fields_dict(cls)  # type: ignore[arg-type]
    unknown = sorted(set(payload) - fields.keys())
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(map(_shown, unknown))}")
    missing = [n for n, f in fields.items() if f.default is attrs.NOTHING and n not in payload]
    if missing:
        raise ValueError(f"missing fields: {', '.join(missing)}")
    return cls(**payload)
