r"""The text side of the App Context filter language: grammar, syntax errors and literals.

[syntax_tree][aiospaces.emulator.pubnub.filter_syntax.syntax_tree] parses an expression with
the lark grammar and turns lark's errors into a
[FilterError][aiospaces.emulator.pubnub.filter_syntax.FilterError] whose message says where and
what was expected; the other functions read the tokens' literals (string escapes, numbers,
``LIKE`` patterns, ``updated`` date-times). What an expression means is
[aiospaces.emulator.pubnub.filters][], which documents the language and its decisions.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TypeAlias, cast

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "FilterError",
    "LiteralValue",
    "date_time",
    "like_regex",
    "literal_value",
    "quote",
    "syntax_tree",
    "to_utc",
    "token_position",
    "unescape",
]


class FilterError(ValueError):
    """A filter expression that cannot be parsed or evaluated (the API answers 400).

    Attributes:
        message: What is wrong, in words fit for an API error response.
        position: 0-based character offset in the expression, when known.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


_GRAMMAR: Final = r"""
start: or_expr

?or_expr: and_expr ("||" and_expr)*
?and_expr: unary ("&&" unary)*
?unary: "!" unary -> not_expr
      | "(" or_expr ")"
      | condition

condition: path (CMP_OP | LIKE) value
path: IDENT ("." IDENT | "[" STRING "]")*
?value: STRING | NUMBER | TRUE | FALSE | NULL

CMP_OP: "==" | "!=" | "<=" | ">=" | "<" | ">"
LIKE: "LIKE"i
TRUE: "true"
FALSE: "false"
NULL: "null"
IDENT: /(?:[^\W\d]|\$)(?:\w|\$)*/
STRING: /"(?:[^"\\]|\\.)*"/s
      | /'(?:[^'\\]|\\.)*'/s
NUMBER: /[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/

%ignore /\s+/
"""

_DESCRIBE: Final = {
    "CMP_OP": "a comparison operator",
    "IDENT": "a property name",
    "STRING": "a string",
    "NUMBER": "a number",
    "$END": "the end of the expression",
}

_ESCAPES: Final = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}

_MAX_DIGITS: Final = 4000  # int() refuses more than 4,300 digits; float() reads the rest

LiteralValue: TypeAlias = str | int | float | bool | None
"""What a literal of an expression reads as: a string, number, boolean or null."""


@functools.cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False)


def syntax_tree(text: str) -> Tree[Token] | Token:
    """Parse an expression into lark's tree of its top-level ``||``/``&&``/``!``/condition.

    Raises:
        FilterError: The expression is empty or not in the grammar.
    """
    if not text.strip():
        raise FilterError("empty filter expression", 0)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    return tree.children[0]


def _syntax_error(text: str, exc: UnexpectedInput) -> FilterError:
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:  # the exact set, where the parser state tables over-approximate
        expected = _expected(interactive.accepts())
    elif isinstance(exc, UnexpectedCharacters):
        expected = _expected(exc.allowed)
    else:
        expected = _expected(getattr(exc, "expected", None))
    if isinstance(exc, UnexpectedCharacters):
        pos = cast("int", exc.pos_in_stream)
        char = text[pos]
        if char in "\"'":
            return FilterError(f"unterminated string starting at position {pos}", pos)
        message = f"unexpected character {_show(char)} at position {pos}"
        before = re.search(r"custom\s*\.\s*([\w$]+)$", text[:pos])
        after = re.match(r"[\w$-]+", text[pos:])
        if before and after:
            key = before[1] + after[0]
            return FilterError(f"{message}; for a key like this write custom[{quote(key)}]", pos)
        return FilterError(f"{message}{expected}", pos)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token: Token = exc.token
        pos = token_position(token)
        message = f"unexpected token {_show(token.value)} at position {pos}"
        return FilterError(f"{message}{expected}", pos)
    pos = len(text)
    return FilterError(f"unexpected end of expression at position {pos}{expected}", pos)


def _show(text: str) -> str:
    return f"'{text}'" if text.isprintable() and "'" not in text else repr(text)


def _expected(names: Sequence[str] | set[str] | frozenset[str] | None) -> str:
    if not names:
        return ""
    words = sorted({_describe(name) for name in names})
    if len(words) > 1:
        words[-2:] = [f"{words[-2]} or {words[-1]}"]
    return f" (expected {', '.join(words)})"


def _describe(name: str) -> str:
    if name in _DESCRIBE:
        return _DESCRIBE[name]
    pattern = _parser().get_terminal(name).pattern
    return repr(pattern.value) if isinstance(pattern, PatternStr) else name


def token_position(token: Token) -> int:
    """Return a token's 0-based character offset in the expression."""
    return token.start_pos or 0


def to_utc(value: datetime) -> datetime:
    """Return a date-time with UTC as its zone if it names none."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def quote(text: str) -> str:
    """Return ``text`` as a double-quoted string literal of the language."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal_value(token: Token) -> LiteralValue:
    """Return the value of a string, number, ``true``, ``false`` or ``null`` token.

    Raises:
        FilterError: A string has a bad escape, or a number overflows a float.
    """
    if token.type == "STRING":
        return unescape(token)
    if token.type == "NUMBER":
        return _number(token)
    return {"TRUE": True, "FALSE": False, "NULL": None}[token.type]


def _number(token: Token) -> int | float:
    text = token.value
    if not any(char in text for char in ".eE") and len(text.lstrip("+-")) <= _MAX_DIGITS:
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise FilterError(
            f"number {text} is out of range (at position {token_position(token)})",
            token_position(token),
        )
    return number


def unescape(token: Token) -> str:
    r"""Return the text of a quoted string token with its escapes decoded.

    Raises:
        FilterError: An escape is not one of the JSON escapes or ``\'``, or a ``\u``
            escape is malformed or a lone surrogate.
    """
    raw = token.value
    start = token_position(token)
    out: list[str] = []
    i, end = 1, len(raw) - 1
    while i < end:
        char = raw[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = raw[i + 1]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
            continue
        if code != "u":
            hint = " (write \\\\* for a literal star in a LIKE pattern)" if code == "*" else ""
            raise FilterError(
                f"invalid escape sequence {_show(raw[i : i + 2])} at position {start + i}{hint}",
                start + i,
            )
        unit = _hex4(raw, i, start)
        i += 6
        if 0xD800 <= unit < 0xDC00 and raw[i : i + 2] == "\\u":
            low = _hex4(raw, i, start)
            if 0xDC00 <= low < 0xE000:
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                i += 6
        if 0xD800 <= unit < 0xE000:
            raise FilterError(
                f"lone surrogate in \\u escape at position {start + i - 6}", start + i - 6
            )
        out.append(chr(unit))
    return "".join(out)


def _hex4(raw: str, i: int, start: int) -> int:
    digits = raw[i + 2 : i + 6]
    if len(digits) != 4 or not all(char in "0123456789abcdefABCDEF" for char in digits):
        raise FilterError(
            f"\\u must be followed by 4 hex digits (at position {start + i})", start + i
        )
    return int(digits, 16)


def like_regex(pattern: str, position: int) -> re.Pattern[str]:
    r"""Return the regular expression a ``LIKE`` pattern (at ``position``) stands for.

    ``*`` matches any run of characters; ``\*`` and ``\\`` stand for a literal star and
    backslash.

    Raises:
        FilterError: The pattern ends with a lone backslash.
    """
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "*":
            parts.append(".*")
        elif char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise FilterError(
                    f"LIKE pattern ends with a lone backslash (string at position {position})",
                    position,
                )
            parts.append(re.escape(escaped))
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def date_time(text: str, position: int) -> datetime:
    """Return an ``updated`` literal (at ``position``) as a date-time, UTC if it names no zone.

    Raises:
        FilterError: ``text`` is not an ISO 8601 date-time.
    """
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise FilterError(
            f"updated must be compared with an ISO 8601 date-time, not {text!r} "
            f"(at position {position})",
            position,
        ) from None
