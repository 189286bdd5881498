"""Strict structuring of response bodies: what is accepted, and what each refusal says."""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import cattrs
import pytest

from aiospaces.core.convert import format_datetime, make_converter, parse_datetime, wire


class Color(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    LOW = 1


@attrs.frozen
class Record:
    name: str = ""
    count: int = 0
    ratio: float = 0.0
    flag: bool = False
    tags: list[str] = attrs.field(factory=list)
    color: Color = Color.RED
    level: Level = Level.LOW
    total_count: int = 0
    e_tag: str = attrs.field(default="", metadata=wire("ETAG"))


def leaves(exc: BaseException) -> list[str]:
    """The messages of the errors inside cattrs' groups (what each hook said)."""
    if isinstance(exc, BaseExceptionGroup):
        return [message for inner in exc.exceptions for message in leaves(inner)]
    return [str(exc)]


def refusal(data: dict[str, Any], **options: Any) -> list[str]:
    with pytest.raises(cattrs.ClassValidationError) as caught:
        make_converter(**options).structure(data, Record)
    return leaves(caught.value)


def test_accepted_forms() -> None:
    record = make_converter().structure(
        {"name": 12, "count": "-7", "ratio": 2, "flag": True, "tags": ["a"],
         "color": "red", "level": 1},
        Record,
    )  # fmt: skip
    assert record == Record("12", -7, 2.0, True, ["a"], Color.RED, Level.LOW)
    assert make_converter().structure({"count": 3.0}, Record).count == 3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", None, "expected a string, not null"),
        ("name", True, "expected a string, not a bool"),
        ("count", "12a", "expected an int, not a str"),
        ("count", "1" * 19, "expected an int, not a str"),
        ("count", 1.5, "expected an int, not a float"),
        ("count", False, "expected an int, not a bool"),
        ("ratio", float("nan"), "expected a finite number, not a float"),
        ("ratio", 10**400, "expected a finite number, not a int"),
        ("ratio", True, "expected a finite number, not a bool"),
        ("ratio", "1.5", "expected a finite number, not a str"),
        ("flag", "false", "expected true or false, not a str"),
        ("tags", {"a": 1}, "expected a list, not a dict"),
        ("tags", [None], "expected a string, not null"),
    ],
)
def test_each_refusal_names_the_kind_it_got(field: str, value: object, message: str) -> None:
    assert refusal({field: value}) == [message]


def test_unknown_enum_values_are_refused() -> None:
    assert len(refusal({"color": "blue"})) == 1
    assert len(refusal({"level": 7})) == 1


def test_keys_follow_the_style_unless_the_field_names_its_wire_key() -> None:
    camel = make_converter(key_style="camel")
    record = camel.structure({"totalCount": 2, "ETAG": "e", "total_count": 9}, Record)
    assert (record.total_count, record.e_tag) == (2, "e")
    assert camel.unstructure(record)["totalCount"] == 2
    snake = make_converter()
    assert snake.structure({"total_count": 4, "ETAG": "x"}, Record).total_count == 4
    assert "total_count" in snake.unstructure(record)
    assert snake.unstructure(record)["ETAG"] == "e"


def test_extra_keys_are_refused_only_when_asked() -> None:
    assert make_converter().structure({"extra": 1}, Record) == Record()
    assert refusal({"extra": 1}, forbid_extra_keys=True) == [
        "Extra fields in constructor for Record: extra"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("100000000000", datetime.fromtimestamp(100000000000, tz=UTC)),
        ("2025-01-02T03:04:05+02:00",
         datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))),
    ],
)  # fmt: skip
def test_parse_datetime_edges(raw: str, expected: datetime) -> None:
    parsed = parse_datetime(raw)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_thirteen_digits_are_no_epoch_seconds() -> None:
    with pytest.raises(ValueError, match=r"^not a timestamp: a str that reads as no time$"):
        parse_datetime("1000000000000")


@pytest.fixture
def tokyo() -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.mark.usefixtures("tokyo")
def test_times_are_written_in_utc_whatever_the_local_zone() -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(when) == "2025-01-02T01:04:05Z"
