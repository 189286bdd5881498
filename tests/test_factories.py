"""Every builder factory takes exactly its builder's setters as keywords, with the same types.

A factory's keywords are its explicit parameters (ids) and the keys of its ``...Params``
TypedDict; both must name the builder's setters, so a keyword can neither be missing nor go
nowhere, and its type is the setter's.
"""

from __future__ import annotations

import ast
import inspect
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

import pytest

import aiospaces
from aiospaces.core.builder import Builder
from aiospaces.mux.live_streams import LiveStreams
from aiospaces.mux.spaces import Spaces as MuxSpaces
from aiospaces.neuroio.auth import Auth
from aiospaces.neuroio.client import SpaceLists
from aiospaces.neuroio.spaces import Spaces as NeuroIOSpaces
from aiospaces.neuroio.tokens import Tokens

OWNERS = [
    aiospaces.PubNub,
    aiospaces.Mux,
    MuxSpaces,
    LiveStreams,
    aiospaces.NeuroIO,
    NeuroIOSpaces,
    Tokens,
    Auth,
    SpaceLists,
    aiospaces.PubNubAdmin,
]
ACTIONS = frozenset({"future", "result", "pages"})


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    """Return ``func``'s type hints, names imported for type checking only included."""
    module = sys.modules[func.__module__]
    namespace = dict(vars(module))
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            code = compile(ast.Module(body=node.body, type_ignores=[]), module.__name__, "exec")
            exec(code, namespace)  # noqa: S102 - the module's own imports
    return typing.get_type_hints(func, globalns=namespace, include_extras=True)


def _setters(cls: type[Builder[Any]]) -> dict[str, Any]:
    """Return the builder's setters and the type each takes."""
    found = {}
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or name in ACTIONS:
            continue
        if inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member):
            continue  # actions such as to_path(), wait(), stream()
        value = next(iter(p for p in inspect.signature(member).parameters if p != "self"))
        found[name] = _hints(member)[value]
    return found


FACTORIES = [
    pytest.param(owner, name, id=f"{owner.__name__}.{name}")
    for owner in OWNERS
    for name, member in inspect.getmembers(owner, inspect.isfunction)
    if not name.startswith("_")
    and inspect.isclass(builder := _hints(member).get("return"))
    and issubclass(builder, Builder)
]


def test_every_owner_has_factories() -> None:
    assert {param.values[0] for param in FACTORIES} == set(OWNERS)
    assert len(FACTORIES) > 50


@pytest.mark.parametrize(("owner", "name"), FACTORIES)
def test_factory_keywords_are_the_setters(owner: type, name: str) -> None:
    factory = getattr(owner, name)
    hints = _hints(factory)
    setters = _setters(hints["return"])
    keywords: dict[str, Any] = {}
    for parameter in list(inspect.signature(factory).parameters.values())[1:]:
        hint = hints[parameter.name]
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            params = typing.get_args(hint)[0]  # Unpack[SomeParams]
            keywords.update(typing.get_type_hints(params))
        else:
            keywords[parameter.name] = hint
    assert keywords.keys() == setters.keys()
    for keyword, hint in keywords.items():
        # the setter takes every value the keyword allows (an id may also be None: not given)
        assert _members(hint) - {type(None)} <= _members(setters[keyword]), keyword


def _members(hint: Any) -> set[Any]:
    return set(typing.get_args(hint)) if isinstance(hint, types.UnionType) else {hint}
