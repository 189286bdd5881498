r"""The App Context filter language, as used by ``GET /v2/objects/{sub}/channels?filter=...``.

An expression compares properties of a channel with literals and combines the comparisons::

    name LIKE "Room*" && (custom.floor >= 2 || !(status == "archived"))
    custom["employment-status"] == 'valid' && updated > "2025-01-01T00:00:00Z"

[parse_filter][aiospaces.emulator.filters.parse_filter] turns the text into a
[Filter][aiospaces.emulator.filters.Filter]; ``Filter.matches(channel)`` tells whether a
channel dict is selected. Problems are reported as
[FilterError][aiospaces.emulator.filters.FilterError] (the endpoint answers 400): syntax
errors, unknown properties and literal types that can never fit when parsing, and a custom
value whose JSON type differs from the literal's when matching.

Grammar: ``||`` binds looser than ``&&``; ``!`` is a prefix that applies to one condition or
one parenthesised expression; a condition is ``property op literal`` with ``op`` one of
``== != < > <= >= LIKE``; a property is ``id``, ``name``, ``description``, ``status``,
``type``, ``updated``, ``custom.key`` or ``custom["key"]``; a literal is a string (double or
single quotes, backslash escapes), a number (sign, decimals, exponent), ``true``, ``false``
or ``null``. In a ``LIKE`` pattern ``*`` matches any run of characters; ``\*`` and ``\\``
stand for a literal star and backslash (so in the expression's text they are written
``\\*`` and ``\\\\``, as the docs' example ``name LIKE '*\\**'`` does).

Decisions:
    Choices the protocol notes leave open, made here deliberately:

    - Three-valued logic. A comparison with an absent or null value (other than ``== null``
      and ``!= null``) is *unknown*, not false; ``!`` keeps unknown unknown and ``&&``/``||``
      follow Kleene's rules; an expression that ends unknown does not match. So an object
      lacking ``custom.x`` is excluded by ``custom.x == "a"`` and by ``!(custom.x == "a")``
      alike, and ``!(p == v)`` always means ``p != v``.
    - Every condition is evaluated (no short-circuit), so whether a type mismatch raises
      does not depend on the order of the operands.
    - The built-in fields have fixed types (strings; ``updated`` a date-time), so literals of
      the wrong type for them are rejected by ``parse_filter``, whatever the data. Custom
      values are checked when matching, against each object's value.
    - ``null`` and booleans only go with ``==`` and ``!=``; ``LIKE`` only with a string
      literal; ``updated`` does not take ``LIKE``. These are errors when parsing.
    - ``updated`` literals are whatever ``datetime.fromisoformat`` reads; a time without a
      zone, or a bare date (midnight), is taken as UTC.
    - ``LIKE`` is case-sensitive and the keyword itself may be written in any case;
      ``true``, ``false``, ``null`` and property names are lower case only.
    - Strings accept the JSON escapes (``\" \/ \\ \b \f \n \r \t \uXXXX``, with
      surrogate pairs) plus ``\'``; any other escape, or a lone surrogate, is an error.
      A pattern ending in a lone backslash is an error.
    - Numbers may have a ``+`` sign and leading zeros; values that overflow a float are an
      error. ``true`` is not a number.
    - Custom values are flat, so ``custom.a.b`` is an error; keys are case-sensitive.
    - Positions are 0-based character offsets into the expression.
    - Nesting of ``!`` and parentheses (not the length of ``&&``/``||`` chains) is limited
      to 100 levels.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeAlias, cast

import attrs
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

__all__ = ["CHANNEL_FIELDS", "Filter", "FilterError", "parse_filter"]

CHANNEL_FIELDS: Final = ("id", "name", "description", "status", "type", "updated")
"""The built-in channel fields a filter may name (besides ``custom.<key>``)."""

_MAX_DEPTH: Final = 100

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

_Op: TypeAlias = Literal["==", "!=", "<", ">", "<=", ">=", "LIKE"]
_Value: TypeAlias = str | int | float | bool | None
_Truth: TypeAlias = bool | None  # None: unknown (a comparison with an absent or null value)


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


@functools.cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, Sequence):
        return "array"
    return type(value).__name__


def _mismatch(prop: str, value_type: str, literal: _Value, position: int) -> FilterError:
    return FilterError(
        f"type mismatch: {prop} is {_article(value_type)} {value_type}, compared with "
        f"{_article(_json_type(literal))} {_json_type(literal)} (condition at position {position})",
        position,
    )


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _to_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _compare(op: _Op, left: Any, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)  # ">="; LIKE is handled by the caller


@attrs.frozen
class _Condition:
    field: str  # a built-in field, or "custom"
    key: str | None  # the custom key
    label: str  # how the property reads in messages
    op: _Op
    literal: _Value
    position: int
    pattern: re.Pattern[str] | None = None  # for LIKE
    moment: datetime | None = None  # for updated

    def evaluate(self, obj: Mapping[str, Any]) -> _Truth:
        if self.key is None:
            present, value = True, obj.get(self.field)
        else:
            custom = obj.get("custom")
            present = isinstance(custom, Mapping) and self.key in custom
            value = custom[self.key] if isinstance(custom, Mapping) and present else None
        if self.literal is None:  # only == and != get here
            return (value is None) == (self.op == "==")
        if not present or value is None:
            return None
        if self.moment is not None:
            return _compare(self.op, self._stored_moment(value), self.moment)
        value_type, literal_type = _json_type(value), _json_type(self.literal)
        if value_type != literal_type:
            raise _mismatch(self.label, value_type, self.literal, self.position)
        if self.pattern is not None:
            return self.pattern.fullmatch(value) is not None
        return _compare(self.op, value, self.literal)

    def _stored_moment(self, value: object) -> datetime:
        if isinstance(value, str):
            try:
                return _to_utc(datetime.fromisoformat(value))
            except ValueError:
                pass
        raise FilterError(
            f"{self.label} holds {value!r}, which is not an ISO 8601 date-time "
            f"(condition at position {self.position})",
            self.position,
        )


@attrs.frozen
class _Not:
    operand: _Node

    def evaluate(self, obj: Mapping[str, Any]) -> _Truth:
        truth = self.operand.evaluate(obj)
        return None if truth is None else not truth


@attrs.frozen
class _And:
    operands: tuple[_Node, ...]

    def evaluate(self, obj: Mapping[str, Any]) -> _Truth:
        truths = [operand.evaluate(obj) for operand in self.operands]  # all: errors surface
        if False in truths:
            return False
        return None if None in truths else True


@attrs.frozen
class _Or:
    operands: tuple[_Node, ...]

    def evaluate(self, obj: Mapping[str, Any]) -> _Truth:
        truths = [operand.evaluate(obj) for operand in self.operands]
        if True in truths:
            return True
        return None if None in truths else False


_Node: TypeAlias = _Condition | _Not | _And | _Or


@attrs.frozen
class Filter:
    """A parsed filter expression, made by [parse_filter][aiospaces.emulator.filters.parse_filter].

    Attributes:
        expression: The text it was parsed from.
    """

    expression: str
    _root: _Node = attrs.field(alias="root", repr=False)

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Tell whether a channel is selected by the filter.

        Args:
            obj: A channel as the API returns it: ``id``, ``name``, ``description``,
                ``status``, ``type``, ``updated`` and ``custom`` (a dict or None). Missing
                keys count as null.

        Returns:
            True if the expression is true for the channel; false if it is false or unknown
            (it compares a value the channel lacks).

        Raises:
            FilterError: A custom value referenced by the expression has a different JSON
                type from the literal it is compared with.
        """
        return self._root.evaluate(obj) is True


def parse_filter(text: str) -> Filter:
    """Parse a filter expression for channels.

    Args:
        text: The expression, e.g. ``name LIKE "Room*" && custom.floor > 2``.

    Returns:
        The filter, ready to match channel dicts.

    Raises:
        FilterError: The expression is malformed, names a property channels cannot be
            filtered on, or compares a property with a literal that can never fit it.
    """
    if not text.strip():
        raise FilterError("empty filter expression", 0)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    return Filter(text, root=_build(tree.children[0], 0))


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
            return FilterError(f"{message}; for a key like this write custom[{_quote(key)}]", pos)
        return FilterError(f"{message}{expected}", pos)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token: Token = exc.token
        pos = _pos(token)
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


def _build(node: Tree[Token] | Token, depth: int) -> _Node:
    if depth > _MAX_DEPTH:
        raise FilterError(f"expression is nested more than {_MAX_DEPTH} levels deep", None)
    assert isinstance(node, Tree)  # noqa: S101 - the grammar has no bare tokens here
    children = node.children
    if node.data == "condition":
        return _condition(*children)
    if node.data == "not_expr":
        return _Not(_build(children[0], depth + 1))
    operands = tuple(_build(child, depth + 1) for child in children)
    return _And(operands) if node.data == "and_expr" else _Or(operands)


def _condition(
    path: Tree[Token] | Token, op_token: Tree[Token] | Token, value: Tree[Token] | Token
) -> _Condition:
    path, op_token, value = cast("Tree[Token]", path), cast("Token", op_token), cast("Token", value)
    field, key, label, position = _property(path.children)
    op = cast("_Op", "LIKE" if op_token.type == "LIKE" else op_token.value)
    literal = _literal(value)
    op_pos = _pos(op_token)
    where = f"at position {op_pos}"
    if op == "LIKE" and not isinstance(literal, str):
        kind = (
            "null" if literal is None else f"{_article(_json_type(literal))} {_json_type(literal)}"
        )
        raise FilterError(f"LIKE needs a string pattern, not {kind} ({where})", op_pos)
    if literal is None and op not in ("==", "!="):
        raise FilterError(f"null can only be compared with == or != ({op} {where})", op_pos)
    if isinstance(literal, bool) and op not in ("==", "!="):
        raise FilterError(f"booleans can only be compared with == or != ({op} {where})", op_pos)
    pattern = moment = None
    if field == "updated":
        if op == "LIKE":
            raise FilterError(f"LIKE cannot be used with updated, a date-time ({where})", op_pos)
        if isinstance(literal, str):
            moment = _moment(literal, _pos(value))
    if field != "custom" and literal is not None and not isinstance(literal, str):
        field_kind = "date-time string" if field == "updated" else "string"
        raise _mismatch(label, field_kind, literal, position)
    if op == "LIKE":
        assert isinstance(literal, str)  # noqa: S101 - checked above
        pattern = _like_pattern(literal, _pos(value))
    return _Condition(field, key, label, op, literal, position, pattern, moment)


def _pos(token: Token) -> int:
    return token.start_pos or 0


def _property(parts: list[Tree[Token] | Token]) -> tuple[str, str | None, str, int]:
    tokens = [part for part in parts if isinstance(part, Token)]
    head = tokens[0]
    position = _pos(head)
    name = head.value
    if name not in (*CHANNEL_FIELDS, "custom"):
        raise FilterError(
            f"unknown property {name!r} at position {position} (channels can be filtered on "
            f"{', '.join(CHANNEL_FIELDS)} and custom.<key>)",
            position,
        )
    if name != "custom":
        if len(tokens) > 1:
            raise FilterError(f"{name} has no sub-properties (at position {position})", position)
        return name, None, name, position
    if len(tokens) == 1:
        raise FilterError(
            f'custom needs a key, e.g. custom.color or custom["x-y"] (at position {position})',
            position,
        )
    if len(tokens) > 2:
        raise FilterError(
            f"custom values are flat: custom.<key> has no sub-properties (at position {position})",
            position,
        )
    key_token = tokens[1]
    if key_token.type == "IDENT":
        return "custom", key_token.value, f"custom.{key_token.value}", position
    key = _unescape(key_token)
    return "custom", key, f"custom[{_quote(key)}]", position


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(token: Token) -> _Value:
    if token.type == "STRING":
        return _unescape(token)
    if token.type == "NUMBER":
        return _number(token)
    return {"TRUE": True, "FALSE": False, "NULL": None}[token.type]


def _number(token: Token) -> int | float:
    text = token.value
    if not any(char in text for char in ".eE"):
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise FilterError(f"number {text} is out of range (at position {_pos(token)})", _pos(token))
    return number


def _unescape(token: Token) -> str:
    raw = token.value
    start = _pos(token)
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


def _like_pattern(pattern: str, position: int) -> re.Pattern[str]:
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


def _moment(text: str, position: int) -> datetime:
    try:
        return _to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise FilterError(
            f"updated must be compared with an ISO 8601 date-time, not {text!r} "
            f"(at position {position})",
            position,
        ) from None
