"""The emulator's import rules, read from its source with ``ast``.

The emulator imports nothing else from aiospaces; no import hides inside a function to dodge a
cycle (nor is there a cycle); vendor packages never import each other; every public module's
``__all__`` lists exactly its public names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import aiospaces.emulator

ROOT = Path(aiospaces.emulator.__file__).parent
PACKAGE = "aiospaces.emulator"
VENDORS = ("pubnub", "mux", "neuroio", "admin")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


SOURCES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def parse(name: str) -> ast.Module:
    return ast.parse(SOURCES[name].read_text(encoding="utf-8"))


def imports(name: str) -> list[tuple[str, ast.stmt, bool]]:
    """Return (imported module, statement, inside a function) for every import of a module."""
    found: list[tuple[str, ast.stmt, bool]] = []
    is_package = SOURCES[name].name == "__init__.py"

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = name if is_package else name.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}".rstrip(".")
                for alias in child.names:
                    target = f"{base}.{alias.name}"
                    found.append((target if target in SOURCES else base, child, in_function))
            visit(child, nested)

    visit(parse(name), in_function=False)
    return found


def test_the_emulator_imports_nothing_else_from_aiospaces() -> None:
    outside = [
        f"{name}:{statement.lineno} imports {target}"
        for name in SOURCES
        for target, statement, _ in imports(name)
        if (target == "aiospaces" or target.startswith("aiospaces."))
        and not (target == PACKAGE or target.startswith(PACKAGE + "."))
    ]
    assert outside == []


def test_no_function_level_import_of_the_emulator() -> None:
    hidden = [
        f"{name}:{statement.lineno} imports {target} inside a function"
        for name in SOURCES
        for target, statement, in_function in imports(name)
        if in_function and target.startswith(PACKAGE)
    ]
    assert hidden == []


def test_no_import_cycles() -> None:
    graph = {
        name: {target for target, _, _ in imports(name) if target in SOURCES and target != name}
        for name in SOURCES
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target, [*path, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert cycles == []


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendors_do_not_import_each_other(vendor: str) -> None:
    prefix = f"{PACKAGE}.{vendor}"
    others = tuple(f"{PACKAGE}.{v}" for v in VENDORS if v != vendor)
    crossing = [
        f"{name} imports {target}"
        for name in SOURCES
        if name == prefix or name.startswith(prefix + ".")
        for target, _, _ in imports(name)
        if any(target == o or target.startswith(o + ".") for o in others)
    ]
    assert crossing == []


def in_vendor(module: str) -> bool:
    return any(module == f"{PACKAGE}.{v}" or module.startswith(f"{PACKAGE}.{v}.") for v in VENDORS)


def test_only_app_knows_the_vendors() -> None:
    knowing = {
        name
        for name in SOURCES
        if not in_vendor(name)
        for target, _, _ in imports(name)
        if in_vendor(target)
    }
    assert knowing == {f"{PACKAGE}.app"}


def public_names(tree: ast.Module) -> set[str]:
    """Return the public top-level names a module defines (TypeVars excepted)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            value = node.value
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "TypeVar"
            ):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):  # a package re-exports with `import x as x`
            names.update(a.name for a in node.names if a.asname == a.name)
    return {name for name in names if not name.startswith("_")}


def declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return None


def isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    group = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return group, name


PUBLIC = sorted(
    name for name in SOURCES if not any(part.startswith("_") for part in name.split("."))
)


@pytest.mark.parametrize("name", PUBLIC)
def test_all_lists_exactly_the_public_names_in_order(name: str) -> None:
    tree = parse(name)
    exported = declared_all(tree)
    assert exported is not None, f"{name} has no __all__"
    assert exported == sorted(exported, key=isort_key)
    assert set(exported) == public_names(tree)
