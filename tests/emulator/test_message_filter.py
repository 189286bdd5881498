"""Subscribe filters (``filter-expr``): the subset the emulator reads and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from aiospaces.emulator.pubnub.filter_syntax import FilterError
from aiospaces.emulator.pubnub.message_filter import parse_message_filter
from aiospaces.emulator.pubnub.stream import PublishOptions, Record

META = {"priority": "high", "level": 7, "tags": ["a", "b"], "user": {"role": "admin"}, "n": None}


def record(payload: Any = None, meta: Any = META, publisher: str | None = "me") -> Record:
    options = PublishOptions(publisher=publisher, meta=meta)
    return Record(channel="ch", timetoken=1, payload=payload, options=options)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("meta.priority == 'high'", True),
        ('meta.priority == "low"', False),
        ("meta.priority != 'low'", True),
        ("meta.level > 5 && meta.level <= 7", True),
        ("meta.level >= 8 || meta.level < 7", False),
        ("meta.level == 7.0", True),
        ("meta.level == '7'", False),  # a number never equals a string
        ("meta.priority > 'a'", False),  # ordering is for numbers only
        ("meta.priority LIKE 'hi*'", True),
        ("meta.priority like '*G*'", False),  # keywords in any case; patterns case-sensitive
        ("meta.tags CONTAINS 'b'", True),
        ("meta.priority contains 'ig'", True),
        ("meta.level CONTAINS '7'", False),
        ("meta.user.role == 'admin' && meta.user['role'] == 'admin'", True),
        ("meta.tags[1] == 'b' && meta.tags[2] == 'c'", False),
        ("meta.missing != 'x'", False),  # an absent property fails every comparison...
        ("!(meta.missing == 'x')", True),  # ...and ! negates the result
        ("meta.missing == null && meta.n == null && meta.level != null", True),
        ("meta.n != 'x'", False),
        ("uuid == 'me' && !(uuid == 'bot')", True),
        ("data.score > 80", True),
        ("data.text LIKE '\\\\**'", True),  # \\* in the text: a literal star, then anything
        ("meta.priority LIKE 'high'", True),  # no star: the whole text
        ("meta.priority LIKE 'h*x*h'", False),
        ("data.flag == true && data.flag != 1", True),  # true is not a number
        ("(meta.level == 1 || meta.level == 7) && (data.score == 99 || true == true)", None),
    ],
)
def test_expressions(expression: str, expected: bool | None) -> None:
    payload = {"score": 99, "text": "*starred", "flag": True}
    if expected is None:
        with pytest.raises(FilterError):  # a literal on the left is not a property
            parse_message_filter(expression)
        return
    assert parse_message_filter(expression)(record(payload)) is expected


def test_data_of_an_encrypted_payload_and_a_message_without_meta_or_publisher() -> None:
    assert not parse_message_filter("data.score > 1")(record("UE5FRAFBQ1JIEAAA"))
    assert not parse_message_filter("meta.priority == 'high'")(record(meta=None))
    assert not parse_message_filter("uuid == 'me'")(record(publisher=None))
    assert parse_message_filter("uuid == null")(record(publisher=None))


def test_like_is_linear_whatever_the_stars() -> None:
    matcher = parse_message_filter("data.t LIKE '" + "*a" * 2000 + "*b'")
    assert not matcher(record(payload={"t": "a" * 5000}))  # no regular expression: no backtracking


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty filter expression"),
        (
            "channel == 'x'",
            "unknown property 'channel' at position 0 (a filter reads data.<field>, "
            "meta.<field> or uuid)",
        ),
        ("meta == 'x'", "meta needs a field (at position 0)"),
        ("uuid.x == 'y'", "uuid has no fields (at position 0)"),
        ("meta.a % 2 == 0", "unexpected '%' at position 7"),
        ("meta.a LIKE 5", "LIKE needs a string (at position 7)"),
        ("meta.a CONTAINS true", "CONTAINS needs a string (at position 7)"),
        ("meta.a == 'x' &&", "unexpected end of expression at position 16"),
        ("meta.a == 'unterminated", 'unexpected "\'" at position 10'),
        ("meta.a LIKE 'x\\\\'", "LIKE pattern ends with a lone backslash"),
        ("!" * 150 + "meta.a == 1", "expression is nested more than 100 levels deep"),
    ],
)
def test_what_is_refused(expression: str, message: str) -> None:
    with pytest.raises(FilterError) as raised:
        parse_message_filter(expression)
    assert raised.value.message == message
