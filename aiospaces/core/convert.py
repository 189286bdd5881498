"""The cattrs converters that turn wire JSON into aiospaces' attrs models and back.

Models carry no wire logic beyond naming: a field whose wire key differs from what the
converter's key style derives names it with ``wire("eTag")`` metadata. Each vendor builds its
own converter with [make_converter][aiospaces.core.convert.make_converter]; nothing touches
cattrs' global converter.

```python
@attrs.frozen
class Space:
    id: str
    etag: str = attrs.field(metadata=wire("eTag"))
    total_count: int | None = None       # camel style derives "totalCount"
```
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Literal

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = ["KeyStyle", "Model", "format_datetime", "make_converter", "parse_datetime", "wire"]

KeyStyle = Literal["snake", "camel"]

_FRACTION = re.compile(r"(\.\d{1,6})\d*")


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
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        if value.isdigit():
            return datetime.fromtimestamp(int(value), tz=UTC)
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value, count=1))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"not a timestamp: {value!r}")


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
    converter.register_unstructure_hook(datetime, format_datetime)

    def renames(cls: type) -> dict[str, Any]:
        result = {}
        for field in attrs.fields(cls):
            name = field.metadata.get("wire") or (
                _camel(field.name) if key_style == "camel" else None
            )
            if name and name != field.name:
                result[field.name] = override(rename=name)
        return result

    converter.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(
            cls, converter, _cattrs_forbid_extra_keys=forbid_extra_keys, **renames(cls)
        ),
    )
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, **renames(cls))
    )
    return converter


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
