from __future__ import annotations

from datetime import UTC, datetime

import attrs
import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiospaces.core.convert import format_datetime, make_converter, parse_datetime, wire


@attrs.frozen
class Space:
    id: str
    total_count: int | None = None
    etag: str | None = attrs.field(default=None, metadata=wire("eTag"))
    updated: datetime | None = None


def test_camel_style_renames_and_wire_metadata_wins() -> None:
    conv = make_converter(key_style="camel")
    wire_form = {"id": "s", "totalCount": 3, "eTag": "e", "updated": "2025-02-06T21:27:39.787477Z"}
    space = conv.structure(wire_form, Space)
    assert space == Space("s", 3, "e", datetime(2025, 2, 6, 21, 27, 39, 787477, tzinfo=UTC))
    assert conv.unstructure(space) == wire_form


def test_snake_style_keeps_names_and_tolerates_extra_keys() -> None:
    conv = make_converter()
    space = conv.structure({"id": "s", "total_count": 1, "eTag": "e", "new_field": 1}, Space)
    assert (space.total_count, space.etag) == (1, "e")


def test_forbid_extra_keys_for_strict_parsing() -> None:
    conv = make_converter(forbid_extra_keys=True)
    with pytest.raises(cattrs.ClassValidationError):
        conv.structure({"id": "s", "bogus": 1}, Space)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-02-06T21:27:14.24137Z", datetime(2025, 2, 6, 21, 27, 14, 241370, tzinfo=UTC)),
        ("2025-02-06T21:27:14.123456789Z", datetime(2025, 2, 6, 21, 27, 14, 123456, tzinfo=UTC)),
        (
            "2025-02-06T21:27:14." + "9" * 40 + "+05:30",  # cut to microseconds, never rounded
            datetime(2025, 2, 6, 15, 57, 14, 999999, tzinfo=UTC),
        ),
        ("2025-02-06T21:27:14", datetime(2025, 2, 6, 21, 27, 14, tzinfo=UTC)),
        ("1600000000", datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)),
        (1600000000, datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)),
    ],
)
def test_parse_datetime_forms(raw: object, expected: datetime) -> None:
    assert parse_datetime(raw) == expected


@pytest.mark.parametrize("raw", [None, True, "yesterday"])
def test_parse_datetime_rejects_junk(raw: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - ValueError is the documented contract
        parse_datetime(raw)


@given(st.datetimes(timezones=st.just(UTC)))
def test_datetime_round_trip(value: datetime) -> None:
    assert parse_datetime(format_datetime(value)) == value
    assert parse_datetime(value) is value
