from __future__ import annotations

import importlib
import pkgutil

import pytest

import aiospaces

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(aiospaces.__path__, "aiospaces.")
    if not name.rsplit(".", 1)[-1].startswith("_") and name != "aiospaces.cli"
)


def isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    group = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return group, name


def test_package_all_is_sorted_and_complete() -> None:
    assert aiospaces.__all__ == sorted(aiospaces.__all__, key=isort_key)
    for name in aiospaces.__all__:
        assert getattr(aiospaces, name) is not None


@pytest.mark.parametrize("module_name", MODULES)
def test_module_all_is_sorted_and_resolvable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    assert list(exported) == sorted(exported, key=isort_key)
    for name in exported:
        assert hasattr(module, name), f"{module_name}.{name}"


def test_every_public_error_is_exported() -> None:
    from aiospaces.core import errors

    for name in errors.__all__:
        if name[0].isupper():
            assert getattr(aiospaces, name) is getattr(errors, name)
