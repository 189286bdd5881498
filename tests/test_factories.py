"""Every builder factory takes exactly its builder's setters as keywords, with the same types.

A factory's keywords are its explicit parameters (ids) and the keys of its ``...Params``
TypedDict; both must name the builder's setters, so a keyword can neither be missing nor go
nowhere, and its type is the setter's.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest

from tests.factories import OWNERS, factories, keywords, setters

FACTORIES = [
    pytest.param(owner, name, id=f"{owner.__name__}.{name}") for owner, name, _ in factories()
]


def test_every_owner_has_factories() -> None:
    assert {param.values[0] for param in FACTORIES} == set(OWNERS)
    assert len(FACTORIES) > 50


@pytest.mark.parametrize(("owner", "name"), FACTORIES)
def test_factory_keywords_are_the_setters(owner: type, name: str) -> None:
    builder = next(b for o, n, b in factories() if (o, n) == (owner, name))
    found = setters(builder)
    _, every = keywords(owner, name)
    assert every.keys() == found.keys()
    for keyword, hint in every.items():
        # the setter takes every value the keyword allows (an id may also be None: not given)
        assert _members(hint) - {type(None)} <= _members(found[keyword]), keyword


def _members(hint: Any) -> set[Any]:
    return set(typing.get_args(hint)) if isinstance(hint, types.UnionType) else {hint}
