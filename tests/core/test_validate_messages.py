"""What each validator says about a bad value: the argument's name, the rule, never a secret."""

from __future__ import annotations

import enum
from collections.abc import Callable

import pytest

from aiospaces.core import validate as v
from aiospaces.core.errors import ValidationError


class Color(enum.Enum):
    RED = "red"


TOKEN = "letters, digits and !#$%&'*+-.^_`|~"
PRINTABLE = (
    "must be printable ASCII without control characters or surrounding whitespace "
    "(percent-encode other text, or use RFC 8187's UTF-8'' form)"
)

CASES: list[tuple[Callable[[], object], str]] = [
    (lambda: v.text(5, "name"), "name must be a non-empty string, not 5"),
    (lambda: v.text("", "name"), "name must be a non-empty string, not ''"),
    (lambda: v.text(None, "name"), "name must be a non-empty string, not None"),
    (lambda: v.text("abcdef", "name", max_length=3), "name is longer than 3 characters"),
    (lambda: v.text("a\ud800b", "name"), "name holds a lone surrogate (not valid Unicode text)"),
    (lambda: v.optional_text(5, "desc"), "desc must be a string or None, not 5"),
    (lambda: v.optional_text("abcd", "desc", max_length=2), "desc is longer than 2 characters"),
    (lambda: v.identifier("..", "space_id"),
     "space_id cannot be '..' (a path would skip or climb a level)"),
    (lambda: v.path_segment(".", "id"), "id cannot be '.' (a path would skip or climb a level)"),
    (lambda: v.path_segment("a\x00", "id"), "id cannot contain NUL"),
    (lambda: v.integer(True, "limit", minimum=1, maximum=100),
     "limit must be an int from 1 to 100, not True"),
    (lambda: v.integer(0, "limit", minimum=1, maximum=100),
     "limit must be an int from 1 to 100, not 0"),
    (lambda: v.integer(101, "limit", maximum=100), "limit must be an int <= 100, not 101"),
    (lambda: v.integer(10**40, "limit", maximum=100),
     "limit must be an int <= 100, not an int of 41 digits"),
    (lambda: v.number(float("nan"), "ratio"), "ratio must be a number, not nan"),
    (lambda: v.number("3", "ratio"), "ratio must be a number, not str"),
    (lambda: v.number(True, "ratio"), "ratio must be a number, not True"),
    (lambda: v.number(5.0, "ratio", minimum=0, maximum=1),
     "ratio must be a number from 0 to 1, not 5.0"),
    (lambda: v.number(-1, "ratio", minimum=0), "ratio must be a number >= 0, not -1"),
    (lambda: v.timeout(0), "timeout must be a positive number of seconds, not 0"),
    (lambda: v.boolean("yes", "flag"), "flag must be True or False, not str"),
    (lambda: v.one_of("x", "backend", ("httpx", "aiohttp")),
     "backend must be one of httpx, aiohttp, not 'x'"),
    (lambda: v.one_of(3, "backend", ("httpx", "aiohttp")),
     "backend must be one of httpx, aiohttp, not 3"),
    (lambda: v.choice(Color, "blue", "color"), "color must be one of red, not 'blue'"),
    (lambda: v.choice(Color, 3, "color"), "color must be one of red, not 3"),
    (lambda: v.json_value({"a": float("nan")}, "custom"),
     "custom must be JSON-serialisable: Out of range float values are not JSON compliant"),
    (lambda: v.json_value("\ud800", "custom"),
     "custom must be JSON-serialisable: a lone surrogate"),
    (lambda: v.secret(b"sec-c-123", "secret_key"),
     "secret_key must be a non-empty string, not a bytes"),
    (lambda: v.secret("", "secret_key"), "secret_key must be a non-empty string, not empty"),
    (lambda: v.secret("sé c", "secret_key", visible_ascii=True),
     "secret_key must be printable ASCII without spaces or control characters"),
    (lambda: v.key("a b", "publish_key"),
     "publish_key must be printable ASCII without spaces or control characters"),
    (lambda: v.callback(5, "on_progress"), "on_progress must be callable, not 5"),
    (lambda: v.http_url("ftp://u:pw@h/x?q=1#f", "base_url"),
     "base_url must be an http:// or https:// URL, not 'ftp://u:***@h/x'"),
    (lambda: v.http_url("ftp://u:pw@h/x?a=1?b", "base_url"),
     "base_url must be an http:// or https:// URL, not 'ftp://u:***@h/x'"),
    (lambda: v.http_url("ftp://u:pw@h/x#f?b", "base_url"),
     "base_url must be an http:// or https:// URL, not 'ftp://u:***@h/x'"),
    (lambda: v.http_url("http://u:pw@/x?q=1", "base_url"),
     "base_url must be an http:// or https:// URL, not 'http://u:***@/x'"),
    (lambda: v.http_url("http://h:0/x", "base_url"),
     "base_url must have a port from 1 to 65535, not 'http://h:0/x'"),
    (lambda: v.http_url("https://h/x?q=1", "base_url"),
     "base_url must not carry a query or a fragment, not 'https://h/x'"),
    (lambda: v.http_url("https://h/x?", "base_url"),
     "base_url must not carry a query or a fragment, not 'https://h/x'"),
    (lambda: v.http_url("https://h/x#", "base_url"),
     "base_url must not carry a query or a fragment, not 'https://h/x'"),
    (lambda: v.http_url("https://h/x#part", "base_url"),
     "base_url must not carry a query or a fragment, not 'https://h/x'"),
    (lambda: v.timeout_or_timeouts(0, "read_timeout"),
     "read_timeout must be a positive number of seconds, not 0"),
    (lambda: v.origin("http://ps.pndsn.com"),
     "origin is a host[:port], not a URL: pass 'ps.pndsn.com' (and ssl=False for http)"),
    (lambda: v.origin("a b"), "origin must be a host[:port] (ASCII host name), not 'a b'"),
    (lambda: v.origin("h:99999"), "origin must be a host[:port] with a port from 1 to 65535"),
    (lambda: v.header_name("bad name"), f"header name must be an HTTP token ({TOKEN}), not "
     "'bad name'"),
    (lambda: v.header_name("a\x00"), f"header name must be an HTTP token ({TOKEN}), not str"),
    (lambda: v.header_name(5), f"header name must be an HTTP token ({TOKEN}), not 5"),
    (lambda: v.header_value(5, "header X"), "header X must be a string, not 5"),
    (lambda: v.header_value("é", "header X"), f"header X {PRINTABLE}"),
    (lambda: v.header_value("a\nb", "header X"), f"header X {PRINTABLE}"),
    (lambda: v.headers([("a", "b")]), "extra_headers must be a mapping of header names to values"),
    (lambda: v.query("a=b"),
     "extra_query must be a mapping or a list of (name, value) pairs, not str"),
    (lambda: v.query([("a", "b", "c")]), "extra_query must hold (name, value) pairs, not tuple"),
    (lambda: v.query([("a", 5)]), "extra_query value must be a string, not 5"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "message"), CASES, ids=[m for _, m in CASES])
def test_the_message_names_the_argument_and_the_rule(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: v.optional_text("", "desc"), ""),
        (lambda: v.optional_text(None, "desc"), None),
        (lambda: v.identifier("a:b", "id"), "a:b"),
        (lambda: v.http_url("https://h:8443/x", "base_url"), "https://h:8443/x"),
        (lambda: v.http_url("https://h/x?sig=1", "url", query=True), "https://h/x?sig=1"),
        (lambda: v.origin("[::1]:8089"), "[::1]:8089"),
        (lambda: v.header_value("a b\tc", "header X"), "a b\tc"),
        (lambda: v.http_url("http://h:1/x", "base_url"), "http://h:1/x"),
        (lambda: v.http_url("http://h:65535/x", "base_url"), "http://h:65535/x"),
        (lambda: v.number(0, "ratio", minimum=0), 0),
        (lambda: v.number(1.0, "ratio", maximum=1), 1.0),
    ],
)
def test_values_that_pass(call: Callable[[], object], expected: object) -> None:
    assert call() == expected
