"""Finding every builder factory of the vendor clients and the setters of its builder.

Shared by ``tests/test_factories.py`` (a factory's keywords are exactly its setters) and the
hostile-input sweep in ``tests/reliability/fuzz.py`` (every keyword, given every way).
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
import typing
from collections.abc import Callable
from typing import Any

import aiospaces
from aiospaces.core.builder import Builder
from aiospaces.mux.live_streams import LiveStreams
from aiospaces.mux.spaces import Spaces as MuxSpaces
from aiospaces.neuroio.auth import Auth
from aiospaces.neuroio.client import SpaceLists
from aiospaces.neuroio.spaces import Spaces as NeuroIOSpaces
from aiospaces.neuroio.tokens import Tokens

OWNERS: list[type] = [
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
"""Every class with builder factories: the clients and their groups (``mux.spaces``, ...)."""
ACTIONS = frozenset({"future", "result", "pages", "open"})
"""Builder methods that run the call rather than set something."""


@functools.cache
def _namespace(module_name: str) -> dict[str, Any]:
    """Return a module's globals plus what it imports for type checking only."""
    module = sys.modules[module_name]
    namespace = dict(vars(module))
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            code = compile(ast.Module(body=node.body, type_ignores=[]), module.__name__, "exec")
            exec(code, namespace)  # noqa: S102 - the module's own imports
    return namespace


def hints(func: Callable[..., Any]) -> dict[str, Any]:
    """Return ``func``'s type hints, names imported for type checking only included."""
    namespace = _namespace(func.__module__)
    return typing.get_type_hints(func, globalns=namespace, include_extras=True)


def setters(cls: type[Builder[Any]]) -> dict[str, Any]:
    """Return the builder's setters and the type each takes."""
    found = {}
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or name in ACTIONS:
            continue
        if inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member):
            continue  # actions such as to_path(), wait(), stream()
        value = next(iter(p for p in inspect.signature(member).parameters if p != "self"))
        found[name] = hints(member)[value]
    return found


@functools.cache
def factories() -> list[tuple[type, str, type[Builder[Any]]]]:
    """Return ``(owner, factory name, builder class)`` for every builder factory."""
    found = []
    for owner in OWNERS:
        for name, member in inspect.getmembers(owner, inspect.isfunction):
            if name.startswith("_"):
                continue
            builder = hints(member).get("return")
            if inspect.isclass(builder) and issubclass(builder, Builder):
                found.append((owner, name, builder))
    return found


def keywords(owner: type, name: str) -> tuple[list[str], dict[str, Any]]:
    """Return a factory's explicit parameters (in order) and every keyword with its type.

    The explicit parameters are the ids it also takes by position; the keywords add the keys
    of its ``Unpack[...Params]``.
    """
    factory = getattr(owner, name)
    found = hints(factory)
    explicit: list[str] = []
    every: dict[str, Any] = {}
    for parameter in list(inspect.signature(factory).parameters.values())[1:]:
        hint = found[parameter.name]
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            params = typing.get_args(hint)[0]  # Unpack[SomeParams]
            every.update(typing.get_type_hints(params))
        else:
            explicit.append(parameter.name)
            every[parameter.name] = hint
    return explicit, every
