"""The cattrs converters that turn wire JSON into aiospaces' attrs models and back.

Models carry no wire logic beyond naming: a field whose wire key differs from what the
converter's key style derives names it with ``wire("eTag")`` metadata. Each vendor builds its
own converter with [make_converter][aiospaces.core.convert.make_converter]; nothing touches
cattrs' global converter. The converters are strict about scalars (``None`` is no string,
``"false"`` no bool), and [parsing][aiospaces.core.convert.parsing] turns any failure to read
a successful answer into an
[UnexpectedResponseError][aiospaces.core.errors.UnexpectedResponseError].

```python
@attrs.frozen
class Space:
    id: str
    etag: str = attrs.field(metadata=wire("eTag"))
    total_count: int | None = None       # camel style derives "totalCount"
```
"""

from __future__ import annotations

import contextlib
import enum
import json
import math
import re
import typing
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import attrs
import cattrs
import httpx
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from aiospaces.core.errors import AiospacesError, UnexpectedResponseError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiospaces.core.request import Exchange

__all__ = [
    "KeyStyle",
    "Model",
    "format_datetime",
    "make_converter",
    "parse_datetime",
    "parsing",
    "wire",
]

KeyStyle = Literal["snake", "camel"]


def wire(name: str) -> dict[str, str]:
    """Return field metadata naming the field's key on the wire."""
    return {"wire": name}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def parse_datetime(value: Any) -> datetime:
    """Return an aware datetime from RFC 3339 text (any fraction digits) or epoch seconds.

    Raises:
        ValueError: The value is neither.
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str):
            # from Python 3.11 on it takes RFC 3339's "Z" and cuts a fraction to microseconds
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):  # out of range for a datetime, or not RFC 3339
        pass
    raise ValueError(f"not a timestamp: a {type(value).__name__} that reads as no time")


def format_datetime(value: datetime) -> str:
    """Return RFC 3339 text in UTC with a ``Z`` suffix."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def make_converter(
    *, key_style: KeyStyle = "snake", forbid_extra_keys: bool = False
) -> cattrs.Converter:
    """Return a new converter for one vendor's wire format.

    Args:
        key_style: ``"camel"`` maps ``total_count`` to ``totalCount``; ``"snake"`` keeps names.
            Either way a field's ``wire(...)`` metadata wins.
        forbid_extra_keys: Reject unknown keys (the emulator's request parsing); clients
            tolerate them so new server fields never break old SDKs.
    """
    converter = cattrs.Converter(forbid_extra_keys=forbid_extra_keys)
    converter.register_structure_hook(datetime, lambda value, _: parse_datetime(value))
    for kind, hook in _STRICT.items():
        # (given the hook alone, cattrs would take the type from its annotations)
        converter.register_structure_hook(kind, hook)  # pragma: no mutate
    for kind in (enum.StrEnum, enum.IntEnum):  # else str's or int's hook would take them
        converter.register_structure_hook(kind, _enum)

    def strict_list(value: Any, hint: Any) -> list[Any]:
        """Return a JSON array's items structured (an object, whose keys cattrs takes, is none)."""
        if not isinstance(value, list):
            raise ValueError(f"expected a list, not {_kind(value)}")
        (item,) = typing.get_args(hint) or (Any,)
        return [converter.structure(element, item) for element in value]

    converter.register_structure_hook_func(_is_list, strict_list)
    converter.register_unstructure_hook(datetime, format_datetime)  # pragma: no mutate - as above

    def renames(cls: type) -> dict[str, Any]:
        result = {}
        for field in attrs.fields(cls):
            name = field.metadata.get("wire") or (
                _camel(field.name) if key_style == "camel" else None
            )
            # (an override renaming to None is no rename: "or" would change nothing)
            if name and name != field.name:  # pragma: no mutate
                result[field.name] = override(rename=name)
        return result

    converter.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(
            cls,
            converter,
            # the converter's own setting is the default: passing it again is only explicit
            _cattrs_forbid_extra_keys=forbid_extra_keys,  # pragma: no mutate
            **renames(cls),
        ),
    )
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, **renames(cls))
    )
    return converter


def _strict_str(value: Any, _: type) -> str:
    """Return text as it is, and an int as its digits (ids); refuse anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a string, not {_kind(value)}")


def _strict_int(value: Any, _: type) -> int:
    """Return an int (a whole float, or ASCII digits, too); refuse bools and anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value):
        return int(value)
    raise ValueError(f"expected an int, not {_kind(value)}")


def _strict_float(value: Any, _: type) -> float:
    """Return a finite number as a float; refuse bools, NaN, infinities and anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) if abs(value) < 1e308 else math.inf
        if math.isfinite(number):
            return number
    raise ValueError(f"expected a finite number, not {_kind(value)}")


def _strict_bool(value: Any, _: type) -> bool:
    """Return True or False; refuse ``"false"``, 0 and anything else."""
    if isinstance(value, bool):
        return value
    raise ValueError(f"expected true or false, not {_kind(value)}")


_STRICT: dict[type, Any] = {
    str: _strict_str,
    int: _strict_int,
    float: _strict_float,
    bool: _strict_bool,
}


def _is_list(hint: Any) -> bool:
    origin: Any = typing.get_origin(hint)
    return origin is list


def _enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    """Return the member of ``cls`` whose value ``value`` is (a ValueError when none is)."""
    return cls(value)


def _kind(value: object) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


_SHAPE_ERRORS = (
    ValueError,  # JSONDecodeError, UnicodeDecodeError, ValidationError, a strict hook's refusal
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,  # absurdly nested JSON
    cattrs.BaseValidationError,
)
_MAX_BODY_TEXT = 10_000


@contextlib.contextmanager
def parsing(exchange: Exchange, *, vendor: str, expected: str) -> Iterator[None]:
    """Turn a failure to read a successful answer into an UnexpectedResponseError.

    Wrap the code that reads ``exchange``'s body (JSON decoding, structuring into models,
    picking fields); a ``ValueError`` (a ``ValidationError`` of a server value included),
    ``KeyError``, ``TypeError``, cattrs error and the like becomes an
    [UnexpectedResponseError][aiospaces.core.errors.UnexpectedResponseError] carrying the
    status, vendor, request id and body, its message saying what was ``expected``. Other
    aiospaces errors pass through unchanged.

    ```python
    with parsing(exchange, vendor="mux", expected="a JSON Space"):
        space = converter.structure(exchange.response.json()["data"], Space)
    ```

    Raises:
        UnexpectedResponseError: The body could not be read as ``expected``.
    """
    try:
        yield
    except Exception as exc:
        aiospaces_error = isinstance(exc, AiospacesError) and not isinstance(exc, ValidationError)
        if aiospaces_error or not isinstance(exc, _SHAPE_ERRORS):
            raise
        response = exchange.response
        raise UnexpectedResponseError(
            f"expected {expected}; {_reason(exc)}",
            status_code=response.status_code,
            vendor=vendor,
            request_id=exchange.status.request_id,
            body=_body(response),
        ) from exc


def _reason(exc: BaseException) -> str:
    """Say what was wrong with a body without repeating its values."""
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return "the body is not JSON"
    if isinstance(exc, RecursionError):
        return "the body is nested too deeply"
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc)[:3])
    if isinstance(exc, KeyError):
        return "a required field is missing"
    if isinstance(exc, ValidationError | ValueError):
        return str(exc)
    return f"a field has the wrong type ({type(exc).__name__})"


def _body(response: httpx.Response) -> Any:
    """Return the body as JSON if it is JSON, else its text (cut at 10,000 characters)."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return response.text[:_MAX_BODY_TEXT]


_plain = cattrs.Converter()
_plain.register_unstructure_hook(datetime, format_datetime)


class Model:
    """Base of aiospaces' result classes (frozen attrs classes): adds ``to_dict()``."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data, for a web framework to send as it is.

        Keys are the field names (``etag``, ``total_count``), times are RFC 3339 text in UTC,
        enums are their values and nested results are dicts too. Secrets the result carries
        (a token's key, a stream key) are included: they are what the call returned.
        """
        data: dict[str, Any] = json.loads(json.dumps(_plain.unstructure(self)))
        return data
