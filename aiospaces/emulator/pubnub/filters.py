r"""The App Context filter language, as used by ``GET /v2/objects/{sub}/channels?filter=...``.

An expression compares properties of a channel with literals and combines the comparisons::

    name LIKE "Room*" && (custom.floor >= 2 || !(status == "archived"))
    custom["employment-status"] == 'valid' && updated > "2025-01-01T00:00:00Z"

[parse_filter][aiospaces.emulator.pubnub.filters.parse_filter] turns the text into a
[Filter][aiospaces.emulator.pubnub.filters.Filter]; ``Filter.matches(channel)`` tells whether
a channel dict is selected. Problems are reported as
[FilterError][aiospaces.emulator.pubnub.filter_syntax.FilterError] (the endpoint answers
400): syntax errors, unknown properties and literal types that can never fit when parsing, and
a custom value whose JSON type differs from the literal's when matching. Reading the text
(grammar, syntax errors, literals) is [filter_syntax][aiospaces.emulator.pubnub.filter_syntax].

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

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast

import attrs
from lark import Token, Tree

from aiospaces.emulator.pubnub.filter_syntax import (
    FilterError,
    LiteralValue,
    date_time,
    like_regex,
    literal_value,
    quote,
    syntax_tree,
    to_utc,
    token_position,
    unescape,
)

if TYPE_CHECKING:
    import re

__all__ = ["CHANNEL_FIELDS", "Filter", "parse_filter"]

CHANNEL_FIELDS: Final = ("id", "name", "description", "status", "type", "updated")
"""The built-in channel fields a filter may name (besides ``custom.<key>``)."""

_MAX_DEPTH: Final = 100

_Op: TypeAlias = Literal["==", "!=", "<", ">", "<=", ">=", "LIKE"]
_Truth: TypeAlias = bool | None  # None: unknown (a comparison with an absent or null value)


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


def _mismatch(prop: str, value_type: str, literal: LiteralValue, position: int) -> FilterError:
    return FilterError(
        f"type mismatch: {prop} is {_article(value_type)} {value_type}, compared with "
        f"{_article(_json_type(literal))} {_json_type(literal)} (condition at position {position})",
        position,
    )


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


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
    literal: LiteralValue
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
                return to_utc(datetime.fromisoformat(value))
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
    """A parsed filter expression, made by ``parse_filter``.

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
    return Filter(text, root=_build(syntax_tree(text), 0))


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
    literal = literal_value(value)
    op_pos = token_position(op_token)
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
            moment = date_time(literal, token_position(value))
    if field != "custom" and literal is not None and not isinstance(literal, str):
        field_kind = "date-time string" if field == "updated" else "string"
        raise _mismatch(label, field_kind, literal, position)
    if op == "LIKE":
        assert isinstance(literal, str)  # noqa: S101 - checked above
        pattern = like_regex(literal, token_position(value))
    return _Condition(field, key, label, op, literal, position, pattern, moment)


def _property(parts: list[Tree[Token] | Token]) -> tuple[str, str | None, str, int]:
    tokens = [part for part in parts if isinstance(part, Token)]
    head = tokens[0]
    position = token_position(head)
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
    key = unescape(key_token)
    return "custom", key, f"custom[{quote(key)}]", position
