r"""Subscribe filters (``filter-expr``): which messages a long-poll delivers.

A subset of PubNub's subscribe filter language, checked when the subscribe request arrives
(anything outside it is a 400) and evaluated on each message before delivery::

    meta.priority == "high" && (data.score > 80 || !(uuid == 'bot'))
    meta.region LIKE "eu-*" || data.tags CONTAINS "urgent" || meta.user["role"] != "guest"

- Properties: ``data.<path>`` (the payload; an encrypted payload is a string and has no
  fields), ``meta.<path>`` (the publish's ``meta``) and ``uuid`` (the publisher, the legacy
  form PubNub's older docs and SDK examples use). A path is ``.name`` or ``["key"]`` steps
  through objects and ``[0]`` steps through arrays.
- Operators: ``== != < > <= >=``, ``LIKE`` (``*`` matches any run of characters; ``\*`` and
  ``\\`` stand for a literal star and backslash; case-sensitive) and ``CONTAINS`` (a substring
  of a string, or an element of an array); ``&&``, ``||``, ``!`` and parentheses, ``||``
  binding looser than ``&&``. Keywords may be written in any case.
- Literals: strings (double or single quotes, JSON escapes), numbers, ``true``, ``false``,
  ``null``.

Decisions (where the docs are silent): a property the message lacks, or that is null, fails
every comparison (``!=`` too) except ``== null``, which it passes (``!= null`` tests that a
value is there); ``!`` negates a condition's result; ``==``/``!=`` compare JSON
values (a number never equals a string, ``true`` is not 1); ``< > <= >=`` compare numbers
only and are false for anything else; ``LIKE``/``CONTAINS`` on a non-string are false (on an
array ``CONTAINS`` looks for an equal element). Arithmetic (``%``), other properties and
other operators are refused, as is nesting of ``!``/parentheses deeper than 100 levels.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast

import attrs
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from aiospaces.emulator.pubnub.filter_syntax import (
    FilterError,
    LiteralValue,
    literal_value,
    token_position,
    unescape,
)

if TYPE_CHECKING:
    from aiospaces.emulator.pubnub.stream import Record

__all__ = ["MessageFilter", "parse_message_filter"]

_GRAMMAR: Final = r"""
start: or_expr

?or_expr: and_expr ("||" and_expr)*
?and_expr: unary ("&&" unary)*
?unary: "!" unary -> not_expr
      | "(" or_expr ")"
      | condition

condition: path (CMP_OP | LIKE | CONTAINS) value
path: IDENT ("." IDENT | "[" (STRING | INDEX) "]")*
?value: STRING | NUMBER | TRUE | FALSE | NULL

CMP_OP: "==" | "!=" | "<=" | ">=" | "<" | ">"
LIKE: "LIKE"i
CONTAINS: "CONTAINS"i
TRUE: "true"
FALSE: "false"
NULL: "null"
INDEX: /[0-9]{1,9}/
IDENT: /(?:[^\W\d]|\$)(?:\w|\$)*/
STRING: /"(?:[^"\\]|\\.)*"/s
      | /'(?:[^'\\]|\\.)*'/s
NUMBER: /[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/

%ignore /\s+/
"""
_ROOTS: Final = ("data", "meta", "uuid")
_MAX_DEPTH: Final = 100
_MISSING: Final = object()

_Op: TypeAlias = Literal["==", "!=", "<", ">", "<=", ">=", "LIKE", "CONTAINS"]


@functools.cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False)


def _like(pattern: str) -> tuple[str, ...]:
    r"""Return a ``LIKE`` pattern as its literal pieces between wildcards (``\`` escapes)."""
    pieces: list[str] = []
    current: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "*":
            pieces.append("".join(current))
            current = []
        elif char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise FilterError("LIKE pattern ends with a lone backslash")
            current.append(escaped)
        else:
            current.append(char)
    pieces.append("".join(current))
    return tuple(pieces)


def _like_matches(pieces: tuple[str, ...], text: str) -> bool:
    """Match without a regular expression: linear in the text, whatever the stars."""
    if len(pieces) == 1:
        return text == pieces[0]
    first, *middle, last = pieces
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return left == right
    return type(left) is type(right) and bool(left == right)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@attrs.frozen
class _Condition:
    root: str
    steps: tuple[str | int, ...]
    op: _Op
    literal: LiteralValue
    pieces: tuple[str, ...] = ()

    def value(self, record: Record) -> Any:
        if self.root == "uuid":
            return _MISSING if record.options.publisher is None else record.options.publisher
        value: Any = record.payload if self.root == "data" else record.options.meta
        for step in self.steps:
            container: Any = value  # a list by index, an object by key
            if (isinstance(step, int) and isinstance(value, list) and step < len(value)) or (
                isinstance(step, str) and isinstance(value, Mapping) and step in value
            ):
                value = container[step]
            else:
                return _MISSING
        return value

    def evaluate(self, record: Record) -> bool:
        value = self.value(record)
        op, literal = self.op, self.literal
        absent = value is _MISSING or value is None
        if literal is None:
            return op in ("==", "!=") and absent == (op == "==")
        if absent:
            return False
        if op in ("==", "!="):
            return _same(value, literal) == (op == "==")
        if op == "LIKE":
            return isinstance(value, str) and _like_matches(self.pieces, value)
        if op == "CONTAINS":
            if isinstance(value, str):
                return isinstance(literal, str) and literal in value
            return isinstance(value, list) and any(_same(item, literal) for item in value)
        if not (_number(value) and _number(literal)):
            return False
        if op == "<":
            return bool(value < literal)
        if op == ">":
            return bool(value > literal)
        if op == "<=":
            return bool(value <= literal)
        return bool(value >= literal)


@attrs.frozen
class _Not:
    operand: _Node

    def evaluate(self, record: Record) -> bool:
        return not self.operand.evaluate(record)


@attrs.frozen
class _All:
    operands: tuple[_Node, ...]
    any: bool

    def evaluate(self, record: Record) -> bool:
        truths = (operand.evaluate(record) for operand in self.operands)
        return any(truths) if self.any else all(truths)


_Node: TypeAlias = _Condition | _Not | _All


@attrs.frozen
class MessageFilter:
    """A parsed subscribe filter, made by ``parse_message_filter``.

    Attributes:
        expression: The text it was parsed from.
    """

    expression: str
    _root: _Node = attrs.field(alias="root", repr=False)

    def __call__(self, record: Record) -> bool:
        """Tell whether a message is delivered to a subscriber with this filter."""
        return self._root.evaluate(record)


def parse_message_filter(text: str) -> MessageFilter:
    """Parse a subscribe filter expression.

    Raises:
        FilterError: The expression is empty, not in the language, names another property
            or nests too deeply.
    """
    if not text.strip():
        raise FilterError("empty filter expression", 0)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    return MessageFilter(text, root=_build(tree.children[0], 0))


def _syntax_error(text: str, exc: UnexpectedInput) -> FilterError:
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        position = token_position(exc.token)
        return FilterError(f"unexpected {exc.token.value!r} at position {position}", position)
    if isinstance(exc, UnexpectedCharacters):
        position = cast("int", exc.pos_in_stream)
        return FilterError(f"unexpected {text[position]!r} at position {position}", position)
    return FilterError(f"unexpected end of expression at position {len(text)}", len(text))


def _build(node: Tree[Token] | Token, depth: int) -> _Node:
    if depth > _MAX_DEPTH:
        raise FilterError(f"expression is nested more than {_MAX_DEPTH} levels deep")
    assert isinstance(node, Tree)  # noqa: S101 - the grammar has no bare tokens here
    children = node.children
    if node.data == "condition":
        return _condition(*children)
    if node.data == "not_expr":
        return _Not(_build(children[0], depth + 1))
    return _All(tuple(_build(c, depth + 1) for c in children), any=node.data == "or_expr")


def _condition(
    path: Tree[Token] | Token, op_token: Tree[Token] | Token, value: Tree[Token] | Token
) -> _Condition:
    path, op_token, value = cast("Tree[Token]", path), cast("Token", op_token), cast("Token", value)
    tokens = [part for part in path.children if isinstance(part, Token)]
    root, position = tokens[0].value, token_position(tokens[0])
    if root not in _ROOTS:
        raise FilterError(
            f"unknown property {root!r} at position {position} (a filter reads data.<field>, "
            "meta.<field> or uuid)",
            position,
        )
    if (root == "uuid") != (len(tokens) == 1):
        raise FilterError(
            f"{root} {'has no fields' if root == 'uuid' else 'needs a field'} "
            f"(at position {position})",
            position,
        )
    steps = tuple(_step(token) for token in tokens[1:])
    op = cast("_Op", op_token.type if op_token.type in ("LIKE", "CONTAINS") else op_token.value)
    literal = literal_value(value)
    pieces: tuple[str, ...] = ()
    if op in ("LIKE", "CONTAINS") and not isinstance(literal, str):
        where = token_position(op_token)
        raise FilterError(f"{op} needs a string (at position {where})", where)
    if op == "LIKE":
        assert isinstance(literal, str)  # noqa: S101 - checked above
        pieces = _like(literal)
    return _Condition(root, steps, op, literal, pieces)


def _step(token: Token) -> str | int:
    if token.type == "INDEX":
        return int(token.value)
    if token.type == "STRING":
        return unescape(token)
    return str(token.value)
