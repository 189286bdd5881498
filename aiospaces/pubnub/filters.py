"""A typed helper that renders App Context filter expressions.

```python
from aiospaces.pubnub import F

expression = F.name.like("Room*") & (F.custom["tier"] == "gold") & ~(F.status == None)
str(expression)  # 'name LIKE "Room*" && custom["tier"] == "gold" && !(status == null)'
```

Raw strings work everywhere a filter is accepted; this helper only saves quoting mistakes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from aiospaces.core import validate
from aiospaces.core.errors import ValidationError

__all__ = ["F", "Filter", "Property"]

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise ValidationError(f"a filter value must be a string, number, bool or None: {value!r}")


@attrs.frozen
class Filter:
    """A rendered filter expression; combine with ``&``, ``|`` and ``~``."""

    text: str
    compound: bool = False

    def _wrapped(self) -> str:
        return f"({self.text})" if self.compound else self.text

    def __and__(self, other: Filter) -> Filter:
        return Filter(f"{self._wrapped()} && {other._wrapped()}", compound=True)

    def __or__(self, other: Filter) -> Filter:
        return Filter(f"{self._wrapped()} || {other._wrapped()}", compound=True)

    def __invert__(self) -> Filter:
        return Filter(f"!({self.text})")

    def __str__(self) -> str:
        return self.text


class Property:
    """A filterable property; compare it with a value to get a filter expression."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"Property({self.path!r})"

    def _compare(self, operator: str, value: Any) -> Filter:
        return Filter(f"{self.path} {operator} {_literal(value)}")

    def __eq__(self, value: object) -> Filter:  # type: ignore[override]
        return self._compare("==", value)

    def __ne__(self, value: object) -> Filter:  # type: ignore[override]
        return self._compare("!=", value)

    def __lt__(self, value: Any) -> Filter:
        return self._compare("<", value)

    def __le__(self, value: Any) -> Filter:
        return self._compare("<=", value)

    def __gt__(self, value: Any) -> Filter:
        return self._compare(">", value)

    def __ge__(self, value: Any) -> Filter:
        return self._compare(">=", value)

    def like(self, pattern: str) -> Filter:
        """Return ``path LIKE "pattern"`` (``*`` matches any run of characters)."""
        return self._compare("LIKE", validate.text(pattern, "a LIKE pattern", empty=True))

    __hash__ = None  # type: ignore[assignment]


class _Custom:
    def __getitem__(self, key: str) -> Property:
        validate.text(key, "a custom key")
        if _IDENTIFIER.match(key):
            return Property(f"custom.{key}")
        return Property(f"custom[{json.dumps(key, ensure_ascii=False)}]")

    def __getattr__(self, key: str) -> Property:
        if key.startswith("__"):
            raise AttributeError(key)
        return self[key]


class _Fields:
    """Entry point: ``F.name``, ``F.id``, ``F.updated``, ``F.custom["key"]``, ..."""

    id = Property("id")
    name = Property("name")
    description = Property("description")
    status = Property("status")
    type = Property("type")
    updated = Property("updated")
    custom = _Custom()


F = _Fields()
"""Build filters: ``F.name.like("Room*") & (F.custom["tier"] == "gold")``."""
