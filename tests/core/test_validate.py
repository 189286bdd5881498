from __future__ import annotations

import enum
import math

import pytest

from aiospaces.core import validate
from aiospaces.core.errors import ValidationError


class Colour(enum.StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "bad",
    ["", ".", "..", "a\x00b", "\ud800", None, 5, b"id", ["id"]],
)
def test_identifiers_refuse_what_a_path_cannot_carry(bad: object) -> None:
    with pytest.raises(ValidationError, match="space_id"):
        validate.identifier(bad, "space_id")


def test_identifiers_keep_dots_inside_and_encode_as_one_segment() -> None:
    assert validate.identifier("a.b", "id") == "a.b"
    assert validate.identifier("...", "id") == "..."
    assert validate.path_segment("a/b ?", "id") == "a%2Fb%20%3F"
    with pytest.raises(ValidationError, match="longer than 3"):
        validate.identifier("abcd", "id", max_length=3)


@pytest.mark.parametrize("secret", [b"hunter2", 12345678, ["hunter2"], "", "   "])
def test_secret_messages_never_show_the_value(secret: object) -> None:
    with pytest.raises(ValidationError) as caught:
        validate.secret(secret, "password")
    message = str(caught.value)
    assert message.startswith("password must be a non-empty string")
    assert "hunter2" not in message
    assert "12345678" not in message


def test_wrongly_typed_text_is_named_by_its_type() -> None:
    with pytest.raises(ValidationError, match=r"not bytes$"):
        validate.text(b"hunter2", "name")
    with pytest.raises(ValidationError, match="lone surrogate"):
        validate.text("a\udc00", "name")
    assert validate.text("", "name", empty=True) == ""
    assert validate.optional_text(None, "name") is None
    with pytest.raises(ValidationError, match="string or None"):
        validate.optional_text(3, "name")


@pytest.mark.parametrize(
    ("value", "ok"),
    [(1, True), (0, False), (101, False), (True, False), (1.0, False), ("1", False)],
)
def test_integers_in_range(value: object, ok: bool) -> None:
    if ok:
        assert validate.integer(value, "limit", minimum=1, maximum=100) == value
    else:
        with pytest.raises(ValidationError, match="limit must be an int from 1 to 100"):
            validate.integer(value, "limit", minimum=1, maximum=100)


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "5", True, None])
def test_timeouts_are_positive_finite_numbers(bad: object) -> None:
    with pytest.raises(ValidationError, match="timeout"):
        validate.timeout(bad)
    assert validate.timeout(0.5) == 0.5


def test_numbers_booleans_choices() -> None:
    assert validate.number(3, "n", minimum=0, maximum=5) == 3
    with pytest.raises(ValidationError, match="from 0 to 5"):
        validate.number(6.5, "n", minimum=0, maximum=5)
    assert validate.boolean(False, "flag") is False
    with pytest.raises(ValidationError, match="True or False, not 1"):
        validate.boolean(1, "flag")
    assert validate.one_of("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValidationError, match="mode must be one of a, b, not 'c'"):
        validate.one_of("c", "mode", ("a", "b"))
    assert validate.choice(Colour, "red", "colour") is Colour.RED
    with pytest.raises(ValidationError, match="colour must be one of red, not 'blue'"):
        validate.choice(Colour, "blue", "colour")


@pytest.mark.parametrize("bad", [math.nan, {"x": math.inf}, {"s": "\ud800"}, {1j: 1}, object()])
def test_json_values_are_strict(bad: object) -> None:
    with pytest.raises(ValidationError, match="meta must be JSON-serialisable"):
        validate.json_value(bad, "meta")
    assert validate.json_value({"a": [1, "b", None]}, "meta") == {"a": [1, "b", None]}


def test_origins_and_urls() -> None:
    assert validate.origin("127.0.0.1:8089") == "127.0.0.1:8089"
    with pytest.raises(ValidationError, match=r"not a URL: pass '127.0.0.1:8089'"):
        validate.origin("http://127.0.0.1:8089")
    for bad in ("host/path", "a b", ""):
        with pytest.raises(ValidationError, match="origin"):
            validate.origin(bad)
    assert validate.http_url("https://api.mux.com", "base_url") == "https://api.mux.com"
    for wrong in ("api.mux.com", "ftp://x", "https://", 5):
        with pytest.raises(ValidationError, match="base_url"):
            validate.http_url(wrong, "base_url")
