"""The layers point one way: read from every module's imports (AST), not from running it.

- core imports no vendor, no ``cli``, ``emulator``, ``testing`` and not the public Session;
- no vendor imports another;
- the emulator imports nothing from aiospaces outside itself;
- ``distributed`` (an optional extra) imports only the core, PubNub and the public Session, and
  only the command line imports it, inside functions;
- no import cycle among the modules, and no import of aiospaces code hidden in a function
  except the few that load an optional extra.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import aiospaces

ROOT = Path(aiospaces.__file__).parent
VENDORS = ("pubnub", "mux", "neuroio", "pubnub_admin")
LAZY_EXTRAS = {
    # module -> the aiospaces modules it may import inside a function, and why
    "aiospaces.cli": {"aiospaces.cli.demo"},  # the demo serves the emulator (emulator extra)
    "aiospaces.cli.emulator": {"aiospaces.emulator"},  # the emulator extra
    "aiospaces.cli.distributed": {  # the distributed extra
        "aiospaces.distributed.broker",
        "aiospaces.distributed.manifest",
        "aiospaces.distributed.redis_journal",
        "aiospaces.distributed.settings",
        "aiospaces.distributed.tasks",
    },
    "aiospaces.core.transport": {  # the aiohttp backend's modules, imported when it is used
        "aiospaces.core.aiohttp_errors",
        "aiospaces.core.aiohttp_send",
    },
    "aiospaces.testing.plugin": {"aiospaces.emulator.app"},  # the emulator extra
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _resolve(name: str) -> str:
    """Return the most specific aiospaces module that ``name`` (a module or a name in one) is."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(module: str) -> tuple[set[str], set[str], set[str]]:
    """Return the modules imported when the module loads, inside functions, for type checking."""
    tree = ast.parse(MODULES[module].read_text())
    at_load: set[str] = set()
    lazy: set[str] = set()
    typing_only: set[str] = set()

    def targets(node: ast.Import | ast.ImportFrom) -> set[str]:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            assert not node.level, f"{module}: aiospaces imports are absolute"
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        return {_resolve(n) for n in names if n.split(".")[0] == "aiospaces"}

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):  # annotations only: never loaded, yet a dependency
                for statement in ast.walk(child):
                    if isinstance(statement, ast.Import | ast.ImportFrom):
                        typing_only.update(targets(statement))
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                (lazy if in_function else at_load).update(targets(child))
            inside = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            visit(child, inside)

    visit(tree, False)
    at_load.discard(module)
    return at_load, lazy, typing_only


def _all_imports(module: str) -> set[str]:
    at_load, lazy, typing_only = IMPORTS[module]
    return at_load | lazy | typing_only


IMPORTS = {module: _imports(module) for module in MODULES}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) == "core"))
def test_core_imports_only_the_core(module: str) -> None:
    outside = {m for m in _all_imports(module) if _layer(m) not in ("core", "_version")}
    assert not outside, f"{module} imports {sorted(outside)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) in VENDORS))
def test_no_vendor_imports_another_or_a_higher_layer(module: str) -> None:
    allowed = ("core", "_version", _layer(module))
    outside = {m for m in _all_imports(module) if _layer(m) not in allowed}
    assert not outside, f"{module} imports {sorted(outside)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) == "emulator"))
def test_the_emulator_imports_nothing_else_from_aiospaces(module: str) -> None:
    outside = {m for m in _all_imports(module) if _layer(m) != "emulator"}
    assert not outside, f"{module} imports {sorted(outside)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) == "distributed"))
def test_distributed_imports_only_the_core_pubnub_and_the_session(module: str) -> None:
    allowed = ("core", "_version", "pubnub", "session", "distributed")
    outside = {m for m in _all_imports(module) if _layer(m) not in allowed}
    assert not outside, f"{module} imports {sorted(outside)}"


def test_only_the_command_line_imports_distributed_and_only_when_a_command_runs() -> None:
    users = {}
    for module, (at_load, lazy, typing_only) in IMPORTS.items():
        if _layer(module) == "distributed":
            continue
        loaded = {m for m in at_load if _layer(m) == "distributed"}
        later = {m for m in lazy | typing_only if _layer(m) == "distributed"}
        if loaded or (later and _layer(module) != "cli"):
            users[module] = sorted(loaded | later)
    assert users == {}
    assert IMPORTS["aiospaces.cli.distributed"][1] == LAZY_EXTRAS["aiospaces.cli.distributed"]


def test_only_optional_extras_are_imported_inside_functions() -> None:
    hidden = {
        module: sorted(lazy - LAZY_EXTRAS.get(module, set()))
        for module, (_, lazy, _) in IMPORTS.items()
        if lazy - LAZY_EXTRAS.get(module, set())
    }
    assert hidden == {}


def test_no_import_cycles() -> None:
    graph = {module: IMPORTS[module][0] & MODULES.keys() for module in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    assert cycles == []


def test_the_walk_sees_the_imports() -> None:
    """The checks above would pass on an empty graph: make sure they read real imports."""
    assert "aiospaces.core.client" in IMPORTS["aiospaces.pubnub.client"][0]
    assert "aiospaces.pubnub.client" in IMPORTS["aiospaces.session"][0]
    assert IMPORTS["aiospaces.cli.emulator"][1] == {"aiospaces.emulator"}
    assert "aiospaces.pubnub.client" in IMPORTS["aiospaces.pubnub._base"][2]
