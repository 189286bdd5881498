"""The App Context filter language: parsing, errors, semantics, and a reference evaluator."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiospaces.emulator.pubnub import filter_syntax, filters
from aiospaces.emulator.pubnub.filter_syntax import FilterError
from aiospaces.emulator.pubnub.filters import parse_filter

CHANNEL: dict[str, Any] = {
    "id": "ch-1",
    "name": "Room *42*",
    "description": None,
    "status": "active",
    "type": None,
    "updated": "2025-02-06T21:27:39.787477Z",
    "custom": {"employment-status": "valid", "n": 3, "price": 2.5, "flag": True, "k": "v"},
}


def channel(**changes: Any) -> dict[str, Any]:
    return {**CHANNEL, **changes}


def matches(expression: str, obj: Mapping[str, Any] = CHANNEL) -> bool:
    return parse_filter(expression).matches(obj)


# --- examples from the protocol notes and friends ---------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('name LIKE "Room*"', True),
        ('name LIKE "room*"', False),  # case-sensitive
        ("name LIKE 'Room*'", True),
        ('name like "Room*"', True),  # the keyword is case-insensitive
        ('name LIKE "*42*"', True),
        ('name LIKE "Room"', False),  # whole-string match
        ('name LIKE "*"', True),
        ('!(name == "Alice")', True),
        ('!(name == "Room *42*")', False),
        ('!name == "Alice"', True),  # ! binds to the condition
        ('!!(name == "Alice")', False),
        ('custom["employment-status"] == "valid"', True),
        ("custom['employment-status'] == 'valid'", True),
        ('custom["k"] == "v" && custom.k == "v"', True),
        ("name LIKE '*\\\\**'", True),  # contains a literal star
        ("name LIKE 'Room \\\\**'", True),
        ("name LIKE '*\\\\*'", True),  # ends with a literal star
        ("name LIKE '\\\\**'", False),  # starts with a literal star
        ('custom.n >= 2 && (status == "active" || type != null)', True),
        ('custom.n >= 4 && (status == "active" || type != null)', False),
        ('custom.n >= 2 && (status == "gone" || type != null)', False),
        ("custom.n < 6.022e23", True),
        ("custom.n > -42", True),
        ("custom.n == 3.0", True),
        ("custom.n == 3e0", True),
        ("custom.n == 300E-2", True),
        ("custom.n == +3", True),
        ("custom.n > 3.14159", False),
        ("custom.price == 2.5", True),
        ("custom.price < 25e-1", False),
        ("custom.flag == true", True),
        ("custom.flag != false", True),
        ('id == "ch-1"', True),
        ('status != "active"', False),
        ('status < "b" && status >= "active"', True),
        ('name >= "Room" && name < "Room "', False),
        ("description == null", True),
        ("type == null && status != null", True),
        ("custom.missing == null", True),
        ("custom.missing != null", False),
        ("custom.k != null", True),
    ],
)
def test_examples(expression: str, expected: bool) -> None:
    assert matches(expression) is expected


def test_and_binds_tighter_than_or() -> None:
    true, false = 'id == "ch-1"', 'id == "x"'
    assert matches(f"{true} || {false} && {false}")  # true || (false && false)
    assert not matches(f"({true} || {false}) && {false}")
    assert matches(f"{false} && {false} || {true}")  # (false && false) || true
    assert not matches(f"{false} && ({false} || {true})")
    assert matches(f"!{false} && {true}")  # (!false) && true
    assert not matches(f"!({false} || {true})")


def test_whitespace_is_free() -> None:
    assert matches("\n\tname\tLIKE\n\"Room*\"&&custom . n>=2||custom [ 'k' ] != null ")
    assert matches('custom.n>=+2&&!(name=="x")')


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        (r'"plain"', "plain"),
        (r"'plain'", "plain"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'say \'hi\''", "say 'hi'"),
        (r"""'say "hi"'""", 'say "hi"'),
        (r'''"it's"''', "it's"),
        (r"'it\"s'", 'it"s'),
        (r'"back\\slash"', "back\\slash"),
        (r"'back\\slash'", "back\\slash"),
        (r'"a\nb\tc\rd"', "a\nb\tc\rd"),
        (r"'a\nb\tc'", "a\nb\tc"),
        (r'"\/\b\f"', "/\b\f"),
        (r'"caf\u00e9"', "café"),
        (r"'caf\u00E9'", "café"),
        (r'"\ud83d\ude00"', "\U0001f600"),
        ('"raw\nnewline"', "raw\nnewline"),
        ('"ünï ✓"', "ünï ✓"),
        ('""', ""),
        ("''", ""),
    ],
)
def test_string_escapes(literal: str, value: str) -> None:
    assert matches(f"name == {literal}", channel(name=value))
    assert not matches(f"name == {literal}", channel(name=value + "x"))
    assert matches(f"custom[{literal}] == 1", channel(custom={value: 1}))


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "position", "fragment"),
    [
        ("", 0, "empty filter expression"),
        ("   ", 0, "empty filter expression"),
        ('name == "a" && && x', 15, "unexpected token '&&' at position 15"),
        ('name == "a" &&', 14, "unexpected end of expression at position 14"),
        ('name == "a" ||', 14, "expected '!', '(' or a property name"),
        ('(name == "a"', 12, "expected ')'"),
        ('name == "a")', 11, "unexpected token ')' at position 11"),
        ('name == "a" name == "b"', 12, "expected '&&', '||' or the end of the expression"),
        ("name", 4, "unexpected end of expression"),
        ('name "a"', 5, "unexpected token '\"a\"' at position 5"),
        ('name = "a"', 5, "unexpected character '=' at position 5"),
        ('name === "a"', 7, "unexpected character '=' at position 7"),
        ('name == "a', 8, "unterminated string starting at position 8"),
        ("name == 'a", 8, "unterminated string"),
        ('name == "a" & name == "b"', 12, "unexpected character '&'"),
        ("name == TRUE", 8, "unexpected token 'TRUE'"),
        ("name == a", 8, "unexpected token 'a'"),
        ("== 'a'", 0, "unexpected token '=='"),
        ("!", 1, "unexpected end of expression"),
        ("()", 1, "unexpected token ')'"),
        ("custom.1 == 1", 7, "unexpected token '1'"),
        ("custom. == 1", 8, "expected a property name"),
        ("custom[x] == 1", 7, "unexpected token 'x'"),
        ('custom["x" == 1', 11, "expected ']'"),
        ("custom.n == 1.", 13, "unexpected token '.' at position 13"),
        ("custom.n == .5", 12, "unexpected token '.' at position 12"),
        ("custom.n == - 5", 12, "unexpected character '-'"),
        ('name LIKE "a" LIKE "b"', 14, "unexpected token 'LIKE'"),
        (
            'custom.employment-status == "valid"',
            17,
            'write custom["employment-status"]',
        ),
        ("foo == 1", 0, "unknown property 'foo' at position 0"),
        ('Name == "x"', 0, "unknown property 'Name'"),
        ('externalId == "x"', 0, "unknown property 'externalId'"),
        ('x && name == "a" || email == "b"', 2, "unexpected token '&&'"),
        ('name == "a" || email == "b"', 15, "unknown property 'email'"),
        ("custom == 1", 0, "custom needs a key"),
        ('(custom LIKE "x")', 1, "custom needs a key"),
        ("custom.a.b == 1", 0, "custom values are flat"),
        ('name.first == "x"', 0, "name has no sub-properties"),
        ("name < null", 5, "null can only be compared with == or !="),
        ("custom.x LIKE null", 9, "LIKE needs a string pattern, not null"),
        ("custom.flag > true", 12, "booleans can only be compared with == or !="),
        ("custom.x LIKE 3", 9, "LIKE needs a string pattern, not a number"),
        ("custom.x LIKE false", 9, "LIKE needs a string pattern, not a boolean"),
        ("name == 3", 0, "type mismatch: name is a string, compared with a number"),
        ("status != true", 0, "type mismatch: status is a string, compared with a boolean"),
        ("updated > 5", 0, "updated is a date-time string, compared with a number"),
        ('updated > "yesterday"', 10, "ISO 8601 date-time, not 'yesterday'"),
        ('updated LIKE "2025-*"', 8, "LIKE cannot be used with updated"),
        ('name == "a\\*"', 10, "invalid escape sequence '\\*' at position 10"),
        ("name == 'a\\x'", 10, "invalid escape sequence '\\x'"),
        ('name == "\\u12"', 9, "\\u must be followed by 4 hex digits"),
        ('name == "\\u12G4"', 9, "\\u must be followed by 4 hex digits"),
        ('name == "\\ud83d"', 9, "lone surrogate"),
        ('name == "\\ude00\\ud83d"', 9, "lone surrogate"),
        ('name LIKE "a\\\\"', 10, "LIKE pattern ends with a lone backslash"),
        ("custom.n > 1e400", 11, "number 1e400 is out of range"),
        ('name == "a" #', 12, "unexpected character '#'"),
    ],
)
def test_invalid_expressions(expression: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(expression)
    assert fragment in caught.value.message
    assert caught.value.position == position
    assert str(caught.value) == caught.value.message
    assert isinstance(caught.value, ValueError)


def test_nesting_is_limited_but_chains_are_not() -> None:
    with pytest.raises(FilterError, match="nested more than 100 levels"):
        parse_filter("!" * 500 + 'name == "x"')
    with pytest.raises(FilterError, match="nested more than 100 levels"):
        parse_filter('(name == "x" && ' * 150 + 'name == "x"' + ")" * 150)
    assert matches("(" * 1000 + 'name != "x"' + ")" * 1000)
    assert matches(" && ".join(["custom.n == 3"] * 2000))
    assert matches(" || ".join(['name == "x"'] * 2000 + ["custom.n == 3"]))


@pytest.mark.parametrize(
    ("expression", "custom", "fragment"),
    [
        (
            'custom.n == "3"',
            {"n": 3},
            "type mismatch: custom.n is a number, compared with a string",
        ),
        ("custom.n LIKE '3'", {"n": 3}, "custom.n is a number, compared with a string"),
        ("custom.n > true", {"n": 3}, "booleans can only be compared"),
        ("custom.n == true", {"n": 1}, "custom.n is a number, compared with a boolean"),
        ("custom.flag == 1", {"flag": True}, "custom.flag is a boolean, compared with a number"),
        ("custom.s < 2", {"s": "1"}, "custom.s is a string, compared with a number"),
        ('custom["a b"] == 2', {"a b": "2"}, 'custom["a b"] is a string, compared with a number'),
        ("custom.o == 2", {"o": {"x": 1}}, "custom.o is an object, compared with a number"),
    ],
)
def test_type_mismatch_is_an_error(expression: str, custom: dict[str, Any], fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        matches(expression, channel(custom=custom))
    assert fragment in caught.value.message


def test_type_mismatch_reports_the_condition_and_ignores_short_circuit() -> None:
    expression = "custom.n == 3 || custom.k == 3"
    filter_ = parse_filter(expression)
    with pytest.raises(FilterError) as caught:
        filter_.matches(CHANNEL)
    assert caught.value.position == expression.index("custom.k")
    assert "custom.k is a string" in caught.value.message
    # an object without the mismatching value is fine
    assert filter_.matches(channel(custom={"n": 3}))
    assert not filter_.matches(channel(custom=None))


# --- absent and null values -------------------------------------------------------------------


@pytest.mark.parametrize("custom", [None, {}, {"other": 1}, {"x": None}])
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("custom.x == null", True),
        ("custom.x != null", False),
        ("custom.x == 1", False),
        ("custom.x != 1", False),
        ("custom.x < 1", False),
        ("custom.x >= 'a'", False),
        ("custom.x LIKE '*'", False),
        ("custom.x == true", False),
        ("!(custom.x == 1)", False),  # unknown stays unknown
        ("!(custom.x != 1)", False),
        ("!(custom.x == null)", False),
        ("custom.x == 1 || id == 'ch-1'", True),
        ("custom.x == 1 && id == 'ch-1'", False),
        ("!(custom.x == 1 && id == 'nope')", True),  # false && unknown is false
        ("!(custom.x == 1 || id == 'ch-1')", False),
    ],
)
def test_absent_custom_values(
    custom: dict[str, Any] | None, expression: str, expected: bool
) -> None:
    assert matches(expression, channel(custom=custom)) is expected


def test_present_custom_value_with_null_test() -> None:
    assert matches("custom.x != null", channel(custom={"x": 0}))
    assert not matches("custom.x == null", channel(custom={"x": False}))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("description == null", True),
        ("description != null", False),
        ('description == "x"', False),
        ('description != "x"', False),
        ('description < "x"', False),
        ('description LIKE "*"', False),
        ('!(description == "x")', False),
        ('updated > "2020-01-01"', False),
        ("updated == null", True),
    ],
)
def test_null_builtin_fields(expression: str, expected: bool) -> None:
    obj = channel(updated=None)
    assert matches(expression, obj) is expected
    del obj["description"], obj["updated"]  # a missing key counts as null
    assert matches(expression, obj) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('updated > "2025-02-06T21:27:39Z"', True),
        ('updated < "2025-02-06T21:27:40Z"', True),
        ('updated == "2025-02-06T21:27:39.787477Z"', True),
        ('updated == "2025-02-06T22:27:39.787477+01:00"', True),  # same instant
        ('updated == "2025-02-06T21:27:39.787477"', True),  # no zone: UTC
        ('updated != "2025-02-06T21:27:39.787477Z"', False),
        ('updated >= "2025-02-06"', True),
        ('updated < "2025-02-07"', True),
        ('updated <= "2025-02-06"', False),
        ("updated > '2025-02-06T23:00:00+02:00'", True),
    ],
)
def test_updated_compares_as_a_date_time(expression: str, expected: bool) -> None:
    assert matches(expression) is expected


def test_garbled_stored_updated_is_an_error() -> None:
    with pytest.raises(FilterError, match="not an ISO 8601 date-time"):
        matches('updated > "2025-01-01"', channel(updated="last week"))


def test_public_surface() -> None:
    assert filters.__all__ == sorted(filters.__all__)
    assert filter_syntax._parser() is filter_syntax._parser()  # built once
    filter_ = parse_filter('name == "x"')
    assert filter_.expression == 'name == "x"'
    assert "name" in repr(filter_)
    assert filters.CHANNEL_FIELDS == ("id", "name", "description", "status", "type", "updated")


# --- a reference evaluator, and random expressions checked against it -------------------------

Scalar: TypeAlias = str | int | float | bool | None


@dataclass(frozen=True)
class Cmp:
    prop: str  # a built-in field or "custom.<key>"
    op: str
    value: Scalar


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


Node: TypeAlias = Cmp | Not | And | Or

ALPHABET = "ab*\\\"' é\n\U0001f600"
DATES = {
    "2025-02-06T21:27:39.787477Z": datetime(2025, 2, 6, 21, 27, 39, 787477, tzinfo=UTC),
    "2025-02-06": datetime(2025, 2, 6, tzinfo=UTC),
    "2025-02-06T21:27:39+00:00": datetime(2025, 2, 6, 21, 27, 39, tzinfo=UTC),
    "2026-01-01T00:00:00Z": datetime(2026, 1, 1, tzinfo=UTC),
}
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
PROPS = ["id", "name", "description", "updated", "custom.n", "custom.s", "custom.b", "custom.x-y"]

texts = st.text(alphabet=ALPHABET, max_size=4)
numbers = st.one_of(
    st.integers(-5, 5),
    st.sampled_from([0.5, -2.5, 3.0, 1e-05, 1e16, 123456789012345678901234567890]),
)
scalars: st.SearchStrategy[Scalar] = st.one_of(
    texts, st.sampled_from(list(DATES)), numbers, st.booleans(), st.none()
)


@st.composite
def conditions(draw: st.DrawFn) -> Cmp:
    """Mostly well-typed conditions (so that most expressions parse), some arbitrary ones."""
    prop = draw(st.sampled_from(PROPS))
    if draw(st.integers(0, 4)) == 0:
        return Cmp(prop, draw(st.sampled_from([*OPS, "LIKE"])), draw(scalars))
    if prop == "updated":
        value: Scalar = draw(st.one_of(st.none(), st.sampled_from(list(DATES))))
    elif prop.startswith("custom."):
        value = draw(scalars)
    else:
        value = draw(st.one_of(st.none(), texts))
    if value is None or isinstance(value, bool):
        ops = ["==", "!="]
    elif isinstance(value, str) and prop != "updated":
        ops = [*OPS, "LIKE"]
    else:
        ops = list(OPS)
    return Cmp(prop, draw(st.sampled_from(ops)), value)


expressions: st.SearchStrategy[Node] = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.builds(Not, inner), st.builds(And, inner, inner), st.builds(Or, inner, inner)
    ),
    max_leaves=6,
)
channels = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b*"]),
        "name": st.one_of(st.none(), texts),
        "description": st.one_of(st.none(), texts),
        "updated": st.one_of(st.none(), st.sampled_from(list(DATES))),
        "custom": st.one_of(
            st.none(),
            st.dictionaries(st.sampled_from(["n", "s", "b", "x-y"]), scalars, min_size=2),
        ),
    }
)


T = TypeVar("T")


class Draw(Protocol):
    """What both ``st.composite``'s draw and ``DataObject.draw`` are."""

    def __call__(self, strategy: st.SearchStrategy[T], /) -> T: ...


class RefError(Exception):
    pass


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def like_tokens(pattern: str) -> list[str | None]:
    """Literal characters, None for the wildcard."""
    tokens: list[str | None] = []
    chars = iter(pattern)
    for char in chars:
        if char == "*":
            tokens.append(None)
        elif char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise RefError
            tokens.append(escaped)
        else:
            tokens.append(char)
    return tokens


def like_match(tokens: list[str | None], subject: str) -> bool:
    @functools.cache
    def go(t: int, s: int) -> bool:
        if t == len(tokens):
            return s == len(subject)
        if tokens[t] is None:
            return go(t + 1, s) or (s < len(subject) and go(t, s + 1))
        return s < len(subject) and subject[s] == tokens[t] and go(t + 1, s + 1)

    return go(0, 0)


def static_error(node: Node) -> bool:
    if isinstance(node, Not):
        return static_error(node.operand)
    if isinstance(node, And | Or):
        return static_error(node.left) or static_error(node.right)
    op, value, builtin = node.op, node.value, not node.prop.startswith("custom.")
    if (value is None or isinstance(value, bool)) and op not in ("==", "!="):
        return True
    if op == "LIKE" and not isinstance(value, str):
        return True
    if builtin and value is not None and not isinstance(value, str):
        return True
    if node.prop == "updated" and (op == "LIKE" or (value is not None and value not in DATES)):
        return True
    if op == "LIKE":
        assert isinstance(value, str)
        try:
            like_tokens(value)
        except RefError:
            return True
    return False


def evaluate(node: Node, obj: Mapping[str, Any]) -> bool | None:
    """Kleene logic with None for unknown; every condition is evaluated."""
    if isinstance(node, Not):
        inner = evaluate(node.operand, obj)
        return None if inner is None else not inner
    if isinstance(node, And | Or):
        left, right = evaluate(node.left, obj), evaluate(node.right, obj)
        if isinstance(node, And):
            return False if False in (left, right) else None if None in (left, right) else True
        return True if True in (left, right) else None if None in (left, right) else False
    if node.prop.startswith("custom."):
        custom = obj.get("custom") or {}
        value = custom.get(node.prop.removeprefix("custom."))
    else:
        value = obj.get(node.prop)
    if node.value is None:
        return (value is None) == (node.op == "==")
    if value is None:
        return None
    if node.prop == "updated":
        assert isinstance(node.value, str)
        return OPS[node.op](DATES[value], DATES[node.value])
    if json_type(value) != json_type(node.value):
        raise RefError
    if node.op == "LIKE":
        assert isinstance(node.value, str)
        return like_match(like_tokens(node.value), value)
    return OPS[node.op](value, node.value)


def render_string(draw: Draw, text: str) -> str:
    quote = draw(st.sampled_from("\"'"))
    out = []
    for char in text:
        if char in (quote, "\\"):
            out.append("\\" + char)
        elif char in "\"'" and draw(st.booleans()):
            out.append("\\" + char)  # escaping the other quote is allowed too
        elif char == "\n":
            out.append(draw(st.sampled_from(["\\n", "\\u000a", "\\u000A", "\n"])))
        elif draw(st.integers(0, 4)) == 0:
            code = ord(char)
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04X}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return quote + "".join(out) + quote


def render_scalar(draw: Draw, value: Scalar) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return render_string(draw, value)
    if isinstance(value, int) and abs(value) < 10:
        text = draw(st.sampled_from([str(value), f"{value}e0", f"{value}.0", f"{value * 10}E-1"]))
    else:
        text = repr(value)
    return "+" + text if not text.startswith("-") and draw(st.booleans()) else text


def ws(draw: Draw, required: bool = False) -> str:
    space = draw(st.sampled_from(["", " ", "  ", "\t", "\n "]))
    return space or (" " if required else "")


def render_prop(draw: Draw, prop: str) -> str:
    if not prop.startswith("custom."):
        return prop
    key = prop.removeprefix("custom.")
    if key != "x-y" and draw(st.booleans()):
        return f"custom.{key}"
    return f"custom{ws(draw)}[{ws(draw)}{render_string(draw, key)}{ws(draw)}]"


def render(draw: Draw, node: Node, context: str) -> str:
    """Text for node where it stands as an operand of context ("or", "and", "not")."""
    if isinstance(node, Cmp):
        op = draw(st.sampled_from(["LIKE", "like", "Like"])) if node.op == "LIKE" else node.op
        spaced = node.op == "LIKE"
        text = (
            render_prop(draw, node.prop)
            + ws(draw, spaced)
            + op
            + ws(draw, spaced)
            + render_scalar(draw, node.value)
        )
        needs_parens = False
    elif isinstance(node, Not):
        text = "!" + ws(draw) + render(draw, node.operand, "not")
        needs_parens = False
    elif isinstance(node, And):
        text = render(draw, node.left, "and") + ws(draw) + "&&" + ws(draw)
        text += render(draw, node.right, "and")
        needs_parens = context == "not"
    else:
        text = render(draw, node.left, "or") + ws(draw) + "||" + ws(draw)
        text += render(draw, node.right, "or")
        needs_parens = context in ("not", "and")
    if needs_parens or draw(st.integers(0, 5)) == 0:
        return "(" + ws(draw) + text + ws(draw) + ")"
    return text


@st.composite
def rendered(draw: st.DrawFn, node: Node) -> str:
    return ws(draw) + render(draw, node, "or") + ws(draw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), tree=expressions)
def test_random_expressions_agree_with_the_reference(data: st.DataObject, tree: Node) -> None:
    text = data.draw(rendered(tree), label="text")
    if static_error(tree):
        with pytest.raises(FilterError):
            parse_filter(text)
        return
    filter_ = parse_filter(text)
    for obj in data.draw(st.lists(channels, min_size=1, max_size=4), label="objects"):
        try:
            expected: bool | None = evaluate(tree, obj) is True
        except RefError:
            expected = None
        if expected is None:
            with pytest.raises(FilterError, match="type mismatch"):
                filter_.matches(obj)
        else:
            assert filter_.matches(obj) is expected


@settings(max_examples=200, deadline=None)
@given(data=st.data(), text=st.text(max_size=20))
def test_any_string_survives_quoting(data: st.DataObject, text: str) -> None:
    literal = render_string(data.draw, text)
    assert matches(f"name == {literal}", channel(name=text))
    assert not matches(f"name != {literal}", channel(name=text))
    assert matches(f"custom[{literal}] == null", channel(custom={text + "x": 1}))


like_pieces = st.lists(st.one_of(st.none(), st.sampled_from("ab*\\é")), max_size=6)


def escape_pattern(tokens: list[str | None]) -> str:
    return "".join("*" if t is None else "\\" + t if t in "*\\" else t for t in tokens)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), tokens=like_pieces)
def test_like_agrees_with_a_backtracking_matcher(
    data: st.DataObject, tokens: list[str | None]
) -> None:
    filler = st.text(alphabet="ab*\\é", max_size=3)
    instance = "".join(data.draw(filler) if t is None else t for t in tokens)
    subject = data.draw(st.one_of(st.just(instance), st.text(alphabet="ab*\\é", max_size=6)))
    literal = render_string(data.draw, escape_pattern(tokens))
    assert like_match(like_tokens(escape_pattern(tokens)), instance)
    assert matches(f"name LIKE {literal}", channel(name=subject)) is like_match(tokens, subject)
