"""docs/fidelity.md: every endpoint the emulator serves has a row, every row names real tests."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from starlette.routing import Route

from aiospaces.emulator import Emulator

ROOT = Path(__file__).parent.parent
PAGE = ROOT / "docs" / "fidelity.md"
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")
CONVERTER = re.compile(r"\{(\w+):(?!path)\w+\}")  # {key_id:int64} is written {key_id}
NOT_VENDOR_API = ("/_emulator/", "/video/v1/{rest:path}")  # control API, Mux's 404 catch-all


@cache
def defined_tests(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text())
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def table_rows() -> list[list[str]]:
    rows = []
    for line in PAGE.read_text().splitlines():
        if line.startswith("| ") and not line.startswith("| endpoint") and "---" not in line:
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def test_every_named_test_exists() -> None:
    named = NODE.findall(PAGE.read_text())
    assert len(named) > 80
    missing = [f"{path}::{name}" for path, name in named if name not in defined_tests(path)]
    assert missing == []


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row[0][:60])
def test_every_evidence_cell_names_a_test(row: list[str]) -> None:
    evidence = row[1:-1]  # between the endpoint and the known differences
    assert evidence, row
    for cell in evidence:
        assert cell.startswith("—") or NODE.search(cell), f"{row[0]}: {cell!r} names no test"
    assert any(NODE.search(cell) for cell in evidence), row


def test_every_served_endpoint_has_a_row() -> None:
    text = PAGE.read_text()
    served = {
        CONVERTER.sub(r"{\1}", route.path)
        for emulation in Emulator().vendors.values()
        for route in emulation.routes()
        if isinstance(route, Route) and not route.path.startswith(NOT_VENDOR_API)
    }
    assert len(served) > 40
    assert sorted(path for path in served if f"{path}`" not in text) == []
