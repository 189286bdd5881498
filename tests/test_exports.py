"""Each public module's ``__all__`` is exactly its public names, sorted (Ruff's RUF022 order)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import ParamSpec, TypeVar, TypeVarTuple

import pytest

import aiospaces

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(aiospaces.__path__, "aiospaces.")
    if not any(part.startswith("_") for part in name.split("."))
)


def isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then functions (``F`` is a class to it)."""
    group = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return group, name


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def public_names(module_name: str) -> set[str]:
    """Return what a module defines at top level (or, for a package, re-exports) publicly."""
    module = importlib.import_module(module_name)
    path = Path(inspect.getfile(module))
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and path.name == "__init__.py":
            # a package hands names on explicitly: ``from x import Y as Y``
            names.update(alias.name for alias in node.names if alias.asname == alias.name)
    typing_machinery = (TypeVar, ParamSpec, TypeVarTuple)
    dunders = {"__version__"} if module_name == "aiospaces" else set()
    return {
        name
        for name in names
        if (not name.startswith("_") or name in dunders)
        and name != "annotations"
        and not inspect.ismodule(getattr(module, name, None))
        and not isinstance(getattr(module, name, None), typing_machinery)
    }


def test_package_all_is_sorted_and_complete() -> None:
    assert aiospaces.__all__ == sorted(aiospaces.__all__, key=isort_key)
    assert set(aiospaces.__all__) == public_names("aiospaces")


@pytest.mark.parametrize("module_name", MODULES)
def test_module_all_equals_its_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    assert list(exported) == sorted(exported, key=isort_key)
    assert set(exported) == public_names(module_name)
    for name in exported:
        assert hasattr(module, name), f"{module_name}.{name}"


def test_internal_machinery_is_not_exported() -> None:
    from aiospaces.core import attempts, polling, retry

    for module, name in ((attempts, "_sleep"), (polling, "_sleep")):
        assert hasattr(module, name)
        assert name not in module.__all__
    assert retry.__all__ == ["RetryPolicy"]


def test_every_public_error_is_exported() -> None:
    from aiospaces.core import errors

    for name in errors.__all__:
        if name[0].isupper():
            assert getattr(aiospaces, name) is getattr(errors, name)
